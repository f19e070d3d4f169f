"""reject-recursion: no function calls itself, directly or through others (rule 4)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from pyrsistent import PMap, pmap

from nanowyki.framework import Check, Diagnostic, Fact, Node, Visitor
from nanowyki.languages.linear import FnGraph
from nanowyki.languages.resolved import CallFn
from nanowyki.languages.surface import Fn, Service
from nanowyki.languages.typed import Typed


@dataclass(frozen=True)
class CallGraph(Fact):
    """Which functions each function calls, and every function in an order where a function
    comes after all the functions it calls (callees first), so stack depths can be summed."""

    order: tuple[str, ...]
    calls: PMap[str, tuple[str, ...]]  # caller -> callees, each once, in order of first call

    @classmethod
    def derive(cls, tree: Node) -> CallGraph | None:
        """From the calls in the functions' bodies, in every language that has functions
        (`Fn`, then from `Linear` on `FnGraph`)."""
        if not isinstance(tree, Service):
            return None
        graph, _ = _explore(_edges(tree))
        return graph


class _Calls(Visitor):
    """The first call of each distinct callee in a function body, in source order."""

    def __init__(self) -> None:
        self.found: dict[str, CallFn] = {}

    def CallFn(self, n: CallFn) -> None:
        self.found.setdefault(n.func, n)
        self.visit_children(n)


class RejectRecursion(Check):
    """Typed -> Typed: reject a function that calls itself, directly or through others.

    Establishes: the call graph of the functions is acyclic, so every call stack is bounded;
    provides the `CallGraph` fact (callees before callers).
    Assumes: every `CallFn` names a declared function (resolve-names).

    Each cycle is reported once, at the call that closes it when the functions are explored in
    declaration order, with the cycle spelled out:

        fn a() { b(); }         fn f(n: int) { f(n); }
        fn b() { a(); }         -> 1:16: function 'f' calls itself
        -> 2:10: recursion: 'a' -> 'b' -> 'a'
    """

    name = "reject-recursion"
    input = Typed
    output = Typed
    provides = (CallGraph,)

    def diagnose(self, tree: Node) -> Iterable[Diagnostic]:
        if not isinstance(tree, Service):
            raise self.fail(tree, "expected a Service")
        graph, diagnostics = _explore(_edges(tree))
        self.provide(graph)
        return diagnostics


Edges = dict[str, dict[str, CallFn]]  # caller -> each callee's first call


def _edges(tree: Service) -> Edges:
    edges: Edges = {}
    for d in tree.decls:
        if isinstance(d, Fn | FnGraph):
            calls = _Calls()
            calls.visit(d.body)
            edges[d.name] = calls.found
    return edges


def _explore(edges: Edges) -> tuple[CallGraph, list[Diagnostic]]:
    """The call graph, exploring the functions depth-first in declaration order, and a
    diagnostic at the call that closes each cycle."""
    order: list[str] = []
    diagnostics: list[Diagnostic] = []
    state: dict[str, str] = {}  # "active" while on the DFS path, then "done"
    path: list[str] = []

    def explore(f: str) -> None:
        state[f] = "active"
        path.append(f)
        for g, call in edges.get(f, {}).items():
            if state.get(g) == "active":
                diagnostics.append(_cycle(path[path.index(g) :], call))
            elif g not in state and g in edges:
                explore(g)
        path.pop()
        state[f] = "done"
        order.append(f)

    for f in edges:
        if f not in state:
            explore(f)
    graph = CallGraph(tuple(order), pmap({f: tuple(calls) for f, calls in edges.items()}))
    return graph, diagnostics


def _cycle(cycle: list[str], call: CallFn) -> Diagnostic:
    if len(cycle) == 1:
        return Diagnostic(
            call.span,
            f"function '{cycle[0]}' calls itself",
            "functions cannot be recursive (every stack must be bounded): use a loop",
        )
    names = " -> ".join(f"'{f}'" for f in [*cycle, cycle[0]])
    return Diagnostic(
        call.span,
        f"recursion: {names}",
        "functions cannot call each other in a cycle (every stack must be bounded)",
    )
