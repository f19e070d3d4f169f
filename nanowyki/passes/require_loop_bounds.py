"""require-loop-bounds: every loop outside a session has a static bound (rule 8)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from pyrsistent import PMap, pmap

from nanowyki.analysis.constants import ConstValues
from nanowyki.analysis.ranges import Ranges, lower, source_text, upper
from nanowyki.framework import Check, Diagnostic, Node, Span, iter_children
from nanowyki.languages.surface import Datagram, Every, Expr, Fn, For, Loop, Service, Session, While
from nanowyki.languages.typed import Typed
from nanowyki.static_eval import constant_table, fold_int


@dataclass(frozen=True)
class LoopBound:
    """One loop: `trips` is the most times its body runs, or None for a session loop without
    `max`, which runs on fuel (the compiler gives it a yield point instead of a bound)."""

    kind: str  # "for" | "while" | "loop"
    trips: int | None
    span: Span | None

    @property
    def fuel(self) -> bool:
        """Whether the loop runs on fuel (a session loop without `max`)."""
        return self.trips is None


Where = tuple[int, Node]  # the position of the handler or function in `decls`, and the loop


@dataclass(frozen=True)
class LoopBounds:
    """Every loop's bound, keyed by where it is: the position of its handler or function among
    the service's declarations, and the loop itself (its `For`, `While` or `Loop` node).

    Nodes compare without their spans, so a loop read back from a printed tree finds its bound
    too. Two loops of one handler or function that are equal have the same bound: a `for`
    declares a variable no other local there has (resolve-names made them unique), and the
    bound of a `while` or a `loop` is its `max`. (Equal `for` loops of two functions may have
    different bounds, from the enclosing loops: `for j in 0..i`.)"""

    loops: PMap[Where, LoopBound]

    def at(self, decl: int, loop: Node) -> LoopBound | None:
        """The bound of `loop` in `decls[decl]`."""
        return self.loops.get((decl, loop))


_KIND = {Fn: "function", Datagram: "datagram handler", Every: "timer", Session: "session"}


class RequireLoopBounds(Check):
    """Typed -> Typed: reject a loop whose iterations have no static bound where one is needed.

    Establishes: outside the session (in functions, the datagram handler and timers) every
    `while` and `loop` has `max N`; every `max N` is a constant N >= 1; every `for a..b` has a
    static trip bound: `b` has a static upper bound (a constant, `len(e)` of a bounded byte
    string or array, `min` with one bounded side, `max`/`+` of bounded sides, `x - y` with `x`
    bounded above and `y` below) and `a` a static lower bound (a constant, `len(...)`, a `max`
    with one side bounded below, or an enclosing `for` variable). Provides `LoopBounds`.
    Assumes: constants are known (uncover-constants), expressions are typed (check-types).

        fn f(s: bytes[8], n: int) { for i in 0..n { } }
        -> cannot bound this loop: the end 'n' is not a constant, a len() or a min(_, constant)
           hint: write 'for i in 0..min(n, 100)'
        fn f(s: bytes[8]) { for i in 0..len(s) { } }      (accepted: at most 8 trips)
    """

    name = "require-loop-bounds"
    input = Typed
    output = Typed
    requires = (ConstValues,)
    provides = (LoopBounds,)

    def diagnose(self, tree: Node) -> Iterable[Diagnostic]:
        if not isinstance(tree, Service):
            raise self.fail(tree, "expected a Service")
        self.consts = constant_table(tree, self.facts)
        self.diagnostics: list[Diagnostic] = []
        self.loops: dict[Where, LoopBound] = {}
        for i, d in enumerate(tree.decls):
            kind = _KIND.get(type(d))
            if kind is not None:
                self.walk(d, i, kind, pmap())
        self.provide(LoopBounds(pmap(self.loops)))
        return self.diagnostics

    def walk(self, n: Node, decl: int, kind: str, env: Ranges) -> None:
        match n:
            case While(limit=limit) | Loop(limit=limit):
                word = "while" if isinstance(n, While) else "loop"
                trips = self.limit(n, word, limit, kind)
                self.loops[decl, n] = LoopBound(word, trips, n.span)
            case For():
                trips, env = self.for_range(n, env)
                self.loops[decl, n] = LoopBound("for", trips, n.span)
            case _:
                pass
        for _, child in iter_children(n):
            self.walk(child, decl, kind, env)

    def report(self, n: Node, message: str, hint: str | None = None) -> None:
        self.diagnostics.append(Diagnostic(n.span, message, hint))

    def limit(self, n: Node, word: str, limit: Expr | None, kind: str) -> int | None:
        if limit is None:
            if kind != "session":
                example = "while cond max 1000 { ... }" if word == "while" else "loop max 1000 {"
                self.report(
                    n,
                    f"unbounded loop in a {kind}: add 'max N'",
                    f"only a session's loops can run without a bound; write e.g. '{example}'",
                )
            return None
        value = fold_int(limit, self.consts)
        if value is None:
            self.report(limit, "'max' must be a constant")
        elif value < 1:
            self.report(limit, f"'max' must be a positive constant, not {value}")
        return value if value is not None and value >= 1 else None

    def for_range(self, n: For, env: Ranges) -> tuple[int | None, Ranges]:
        hi = upper(n.stop, env, self.consts)
        lo = lower(n.start, env, self.consts)
        start, stop = source_text(n.start) or "a", source_text(n.stop)
        if hi is None:
            what = f"the end '{stop}'" if stop else "its end"
            self.report(
                n.stop,
                f"cannot bound this loop: {what} is not a constant, a len() or a min(_, constant)",
                f"write 'for {_plain(n.var)} in {start}..min({stop or 'n'}, 100)'",
            )
        if lo is None:
            self.report(
                n.start,
                f"cannot bound this loop: the start '{start}' may be negative"
                if source_text(n.start)
                else "cannot bound this loop: its start may be negative",
                f"write 'for {_plain(n.var)} in max({start}, 0)..{stop or 'n'}'",
            )
        if hi is None or lo is None:
            return None, env
        return max(0, hi - lo), env.set(n.var, (lo, hi - 1))


def _plain(name: str) -> str:
    return name.split(".")[0]
