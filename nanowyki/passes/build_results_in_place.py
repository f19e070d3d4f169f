"""build-results-in-place: a function's aggregate result is computed in the caller's place,
not in a local copied out at the return."""

from __future__ import annotations

from collections import Counter

from nanowyki.framework import Node, Transform, walk
from nanowyki.languages.linear import BasicBlock, FnGraph, Ret
from nanowyki.languages.placed import BuildResult, Placed, RetBuilt
from nanowyki.languages.pooled import PooledCfg
from nanowyki.languages.resolved import Local
from nanowyki.languages.surface import Assign
from nanowyki.languages.types import TArray, TBytes, TOption, TStruct, Type


class BuildResultsInPlace(Transform):
    """Placed -> Placed: build each function's returned aggregate straight into its result.

    Establishes: in a function whose result is an aggregate (a byte string, struct, optional
    or array: what costs a copy), a block ending `t = e; return t;` becomes
    `BuildResult(e)` ending `RetBuilt` when `t` has the result's type and every use of `t` in
    the function is in such a block: `e` is computed in the caller's destination, and `t`
    leaves the function's slots. Spans stay: the result is built at the assignment's, the
    function returns at the return's.
    Does not fire: when `t` is read anywhere else (`r.n` before `return r`, a second
    `return r` after another assignment), when its type is not exactly the result's, or on a
    scalar result (nothing to save).
    Assumes: `Placed` (every operand an atom).

        (FnGraph make [(Param name (TBytes 64))] (TStruct P)
          (PooledCfg b.1 [(Slot t.1 (TStruct P))]
            [(BasicBlock b.1
               [(Assign (Local t.1 (TStruct P)) = (StructValue P [...] (TStruct P)))]
               (Ret (Local t.1 (TStruct P))))]))
        ->
        (FnGraph make [(Param name (TBytes 64))] (TStruct P)
          (PooledCfg b.1 []
            [(BasicBlock b.1 [(BuildResult (StructValue P [...] (TStruct P)))] (RetBuilt))]))
    """

    name = "build-results-in-place"
    input = Placed
    output = Placed

    def FnGraph(self, fn: FnGraph) -> Node:
        g = fn.body
        if not isinstance(g, PooledCfg) or not isinstance(fn.result, Type):
            raise self.fail(fn, "expected a PooledCfg and a resolved result type")
        built = _built_results(g, fn.result)
        if not built:
            return fn
        blocks = tuple(_build_in_place(b, built) for b in g.blocks)
        slots = tuple(s for s in g.slots if s.name not in built)
        body = PooledCfg(g.entry, slots, blocks, span=g.span)
        return FnGraph(fn.name, fn.params, fn.result, body, span=fn.span)


def _returned(b: BasicBlock, result: Type) -> str | None:
    """`t` when `b` ends `t = e; return t;` with `t` of the (aggregate) result type."""
    match b.stmts, b.exit:
        case (*_, Assign(Local(t, ty), "=", _)), Ret(Local(u)) if t == u and ty == result:
            return t
        case _:
            return None


def _built_results(g: PooledCfg, result: Type) -> frozenset[str]:
    """The locals that the function only builds to return: every use is in a block ending
    `t = e; return t;` (two uses per such block)."""
    if not isinstance(result, TBytes | TStruct | TOption | TArray):
        return frozenset()
    uses = Counter(n.name for n in walk(g) if isinstance(n, Local))
    built = Counter(t for b in g.blocks if (t := _returned(b, result)) is not None)
    return frozenset(t for t, n in built.items() if uses[t] == 2 * n)


def _build_in_place(b: BasicBlock, built: frozenset[str]) -> BasicBlock:
    match b.stmts, b.exit:
        case (*stmts, Assign(Local(t), "=", value) as last), Ret(Local(u)) if t == u and t in built:
            build = BuildResult(value, span=last.span)
            return BasicBlock(b.label, (*stmts, build), RetBuilt(span=b.exit.span), span=b.span)
        case _:
            return b
