"""The path algebra behind uncover-step-bounds: worst-case costs of structured code, cut at
yield points.

A statement (or block) is summarised by a `Paths`: the costliest way through it for each kind
of path a yield point can delimit. Costs are sums of non-negative statement weights; `None`
means "no such path". With exits `next` (falls through), `break`, `continue` and `return`:

- `thru[k]`: from its entry to exit `k`, passing no yield point;
- `to_yield`: from its entry up to and including the first yield point reached;
- `from_yield[k]`: from just after a yield point inside it to exit `k`, passing no other;
- `inner`: from just after a yield point inside it up to and including the next one, both
  inside it.

`seq`, `alt` and `loop` combine summaries exactly as control flows through sequence, `if` and
loops (see `loop` for the iteration counting), so the maximum over every segment of a handler
is an upper bound of the cost between two consecutive yields. Maxima are taken per field, so a
bound may combine the worst parts of different paths: it is conservative, never low.

`Costs` applies the algebra to the statements of `Bounded` (the cost model is in
uncover-step-bounds's docstring); insert-yield-points, uncover-step-bounds and
require-step-budget all count with it, so a loop gets its checkpoint, the report its number and
an over-budget handler its diagnostic from the same arithmetic.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from nanowyki.builtins import BUILTINS, Where
from nanowyki.framework import Node, find_all, iter_children
from nanowyki.languages.bounded import BoundedLoop, Checkpoint, FueledLoop
from nanowyki.languages.iterated import Declare, Log, Reply, Send, Unwrap
from nanowyki.languages.resolved import CallBuiltin, CallFn, TableCall
from nanowyki.languages.surface import (
    Assign,
    Block,
    Break,
    Close,
    Continue,
    Datagram,
    Every,
    Expr,
    ExprStmt,
    Fn,
    If,
    Return,
    Session,
    Stmt,
)
from nanowyki.languages.types import TBytes

Cost = int | None  # None: no such path

NEXT = "next"
BREAK = "break"
CONTINUE = "continue"
RETURN = "return"


SCANNING = frozenset(
    {"find", "field", "nfields", "starts_with", "ends_with", "eq_nocase", "lower", "upper",
     "trim", "parse_int", "hash"}
)  # fmt: skip
BLOCKING = frozenset(name for name, b in BUILTINS.items() if b.where is Where.BLOCKING)
CALLS = (CallFn, CallBuiltin, TableCall)  # the expressions that cost more than their statement


class Unbounded(Exception):
    """A loop without a limit can go round without passing a yield point."""


def plus(*costs: Cost) -> Cost:
    """The cost of doing each in turn; None if one of them has no path."""
    total = 0
    for c in costs:
        if c is None:
            return None
        total += c
    return total


def worst(*costs: Cost) -> Cost:
    """The larger of the costs that exist."""
    found = [c for c in costs if c is not None]
    return max(found) if found else None


def _merge(a: Mapping[str, int], b: Mapping[str, int]) -> dict[str, int]:
    out = dict(a)
    for k, v in b.items():
        out[k] = max(out.get(k, v), v)
    return out


def _shift(cost: Cost, exits: Mapping[str, int]) -> dict[str, int]:
    """`cost` and then each exit of `exits`."""
    if cost is None:
        return {}
    return {k: cost + v for k, v in exits.items()}


@dataclass(frozen=True)
class Paths:
    thru: Mapping[str, int] = field(default_factory=dict)
    to_yield: Cost = None
    from_yield: Mapping[str, int] = field(default_factory=dict)
    inner: Cost = None

    def segment(self) -> Cost:
        """The costliest stretch between yields (or the entry or a fall-through end) inside."""
        return worst(self.to_yield, self.thru.get(NEXT), self.from_yield.get(NEXT), self.inner)

    def without(self, kind: str) -> Paths:
        """These paths with exit `kind` taken as falling through (a `continue` that reaches the
        step of its loop)."""
        return Paths(
            _merge({k: v for k, v in self.thru.items() if k != kind}, _pick(self.thru, kind)),
            self.to_yield,
            _merge(
                {k: v for k, v in self.from_yield.items() if k != kind},
                _pick(self.from_yield, kind),
            ),
            self.inner,
        )


def _pick(exits: Mapping[str, int], kind: str) -> dict[str, int]:
    return {NEXT: exits[kind]} if kind in exits else {}


def simple(weight: int) -> Paths:
    """A statement that falls through and cannot yield."""
    return Paths(thru={NEXT: weight})


def jump(kind: str, weight: int) -> Paths:
    """`break`, `continue` or `return`."""
    return Paths(thru={kind: weight})


def yields(weight: int, *, ends: bool = False) -> Paths:
    """A yield point costing `weight` (counted before it yields); `ends`: nothing runs after
    it (`close`)."""
    return Paths(to_yield=weight, from_yield={} if ends else {NEXT: 0})


def seq(a: Paths, b: Paths) -> Paths:
    """`a` then, when it falls through, `b`."""
    a_next = a.thru.get(NEXT)
    a_exits = {k: v for k, v in a.thru.items() if k != NEXT}
    a_from = {k: v for k, v in a.from_yield.items() if k != NEXT}
    a_from_next = a.from_yield.get(NEXT)
    return Paths(
        thru=_merge(a_exits, _shift(a_next, b.thru)),
        to_yield=worst(a.to_yield, plus(a_next, b.to_yield)),
        from_yield=_merge(_merge(a_from, _shift(a_from_next, b.thru)), b.from_yield),
        inner=worst(a.inner, b.inner, plus(a_from_next, b.to_yield)),
    )


def alt(a: Paths, b: Paths) -> Paths:
    """Either `a` or `b`."""
    return Paths(
        thru=_merge(a.thru, b.thru),
        to_yield=worst(a.to_yield, b.to_yield),
        from_yield=_merge(a.from_yield, b.from_yield),
        inner=worst(a.inner, b.inner),
    )


def loop(cond: int, turn: Paths, limit: int | None) -> Paths:
    """A loop: evaluate the condition (`cond`), and while it holds run one `turn` (the body,
    `continue` already merged into falling through, then the step); at most `limit` turns
    (entering turn `limit + 1` faults), or any number (`None`: fueled loop, whose turns must
    all pass a yield point). `break` leaves the loop (falls through), `return` propagates.

    With `R = turn.thru[next] + cond` the cost of one more yield-free round, a path through
    the loop runs `k` rounds; a segment starting at a yield in one turn and ending in a later
    one has at most `limit - 2` whole rounds between them."""
    per = plus(turn.thru.get(NEXT), cond)

    def rounds(most: int | None) -> Cost:
        """The costliest run of at most `most` yield-free rounds (None: no bound)."""
        if most is not None and most < 0:
            return None
        if per is None or per == 0:
            return 0
        if most is None:
            raise Unbounded
        return most * per

    def less(n: int) -> int | None:
        return None if limit is None else limit - n

    t_break, t_return = turn.thru.get(BREAK), turn.thru.get(RETURN)
    f_next = turn.from_yield.get(NEXT)
    f_break, f_return = turn.from_yield.get(BREAK), turn.from_yield.get(RETURN)
    thru: dict[str, int] = {}
    from_yield: dict[str, int] = {}
    for exits, kind, cost in (
        (thru, NEXT, plus(cond, rounds(limit))),
        (thru, NEXT, plus(cond, rounds(less(1)), t_break)),
        (thru, RETURN, plus(cond, rounds(less(1)), t_return)),
        (from_yield, NEXT, plus(f_next, cond, rounds(less(1)))),
        (from_yield, NEXT, f_break),
        (from_yield, NEXT, plus(f_next, cond, rounds(less(2)), t_break)),
        (from_yield, RETURN, f_return),
        (from_yield, RETURN, plus(f_next, cond, rounds(less(2)), t_return)),
    ):
        if cost is not None:
            exits[kind] = max(exits.get(kind, cost), cost)
    return Paths(
        thru=thru,
        to_yield=plus(cond, rounds(less(1)), turn.to_yield),
        from_yield=from_yield,
        inner=worst(turn.inner, plus(f_next, cond, rounds(less(2)), turn.to_yield)),
    )


# -- statement weights -------------------------------------------------------------------------


class Weights:
    """What one statement costs in one unit (steps or bytes), given callee costs."""

    def __init__(self, statement: int, bytes_: bool) -> None:
        self.statement = statement
        self.bytes = bytes_
        self.fns: dict[str, int] = {}

    def of(self, s: Node) -> int:
        total = self.statement
        for _, child in iter_children(s):
            if isinstance(child, Expr):
                total += sum(self.call(e) for e in find_all(child, CALLS))
        return total

    def call(self, e: Node) -> int:
        if isinstance(e, CallFn):
            return self.fns[e.func] + (0 if self.bytes else 1)
        if not isinstance(e, CallBuiltin | TableCall):
            return 0
        if not self.bytes:
            return 1
        if isinstance(e, TableCall) or e.func not in SCANNING:
            return 0
        types = [getattr(a, "type", None) for a in e.args]
        return sum(t.bound for t in types if isinstance(t, TBytes))


def is_yield_point(s: Stmt) -> bool:
    """Whether `s` may return to the scheduler."""
    if isinstance(s, Send | Close | Checkpoint):
        return True
    return any(
        isinstance(e, CallBuiltin) and e.func in BLOCKING
        for _, child in iter_children(s)
        if isinstance(child, Expr)
        for e in find_all(child, (CallBuiltin,))
    )


def longest(p: Paths) -> int:
    """The most steps any of `p`'s paths runs without passing a yield point: how much a
    statement adds, at worst, to one segment of the handler around it."""
    return worst(*p.thru.values(), p.to_yield, *p.from_yield.values(), p.inner) or 0


Fail = Callable[[Node, str], Exception]  # a pass's `fail`: the internal error to raise
Handler = Fn | Session | Datagram | Every


class Costs:
    """The `Paths` of `Bounded` statements, in one unit (`Weights`). `fail` makes the internal
    error for a form the cost model cannot bound (a fueled loop that can go round without a
    yield point, a function that yields, a jump out of a body)."""

    def __init__(self, w: Weights, fail: Fail) -> None:
        self.w = w
        self.fail = fail

    @classmethod
    def of_functions(cls, w: Weights, fail: Fail, fns: Iterable[Fn], order: Iterable[str]) -> Costs:
        """Costs whose `w.fns` holds the bound of every function, costed callees first (`order`
        from `CallGraph`)."""
        costs = cls(w, fail)
        by_name = {f.name: f for f in fns}
        for name in order:
            w.fns[name] = costs.handler(by_name[name])
        return costs

    def handler(self, d: Handler) -> int:
        """The costliest segment of a handler's or a function's body."""
        paths = self.block(d.body)
        if isinstance(d, Fn):
            if paths.to_yield is not None:
                raise self.fail(d, f"function '{d.name}' can yield")
            escapes = [k for k in paths.thru if k not in (NEXT, RETURN)]
        else:
            # A bare `return;` ends a datagram or timer run; a session has no return.
            ends = (NEXT,) if isinstance(d, Session) else (NEXT, RETURN)
            escapes = [k for k in (*paths.thru, *paths.from_yield) if k not in ends]
        if escapes:
            raise self.fail(d, f"'{escapes[0]}' leaves the body")
        return worst(paths.segment(), paths.thru.get(RETURN)) or 0

    def test_cost(self, s: BoundedLoop | FueledLoop) -> int:
        """A loop's exit `test` (from lift-loop-conditions) runs with each condition check: its
        costlier way out (falling through or `break`ing out of the loop) is added to it."""
        if s.test is None:
            return 0
        paths = self.block(s.test)
        if paths.to_yield is not None or set(paths.thru) - {NEXT, BREAK}:
            raise self.fail(s, "a loop test that yields or jumps elsewhere than out of the loop")
        return worst(paths.thru.get(NEXT), paths.thru.get(BREAK)) or 0

    def turn(self, s: BoundedLoop | FueledLoop) -> Paths:
        """One turn of a loop: its body (a `continue` goes on to the step), then its step."""
        return seq(self.block(s.body).without(CONTINUE), self.block(s.step))

    def yield_free_rounds(self, s: BoundedLoop) -> int:
        """The most steps a loop's turns add up to when none of them passes a yield point:
        its limit times one round (the condition, its test and a turn without a yield); 0 when
        every turn passes one."""
        per = plus(self.turn(s).thru.get(NEXT), self.w.of(s) + self.test_cost(s))
        return 0 if per is None else s.limit * per

    def block(self, b: Block) -> Paths:
        out = simple(0)
        for s in b.stmts:
            out = seq(out, self.stmt(s))
        return out

    def stmt(self, s: Stmt) -> Paths:
        own = self.w.of(s)
        match s:
            case Close() | Send() | Checkpoint():
                return yields(own, ends=isinstance(s, Close))
            case Break():
                return jump(BREAK, own)
            case Continue():
                return jump(CONTINUE, own)
            case Return():
                return jump(RETURN, own)
            case Unwrap(else_=else_):
                first = yields(own) if is_yield_point(s) else simple(own)
                return seq(first, alt(simple(0), self.block(else_)))
            case Declare() | Assign() | ExprStmt() | Log() | Reply():
                return yields(own) if is_yield_point(s) else simple(own)
            case If(then=then, else_=else_):
                other = simple(0) if else_ is None else self.block(else_)
                return seq(simple(own), alt(self.block(then), other))
            case BoundedLoop() | FueledLoop():
                own += self.test_cost(s)
                try:
                    return loop(own, self.turn(s), s.limit if isinstance(s, BoundedLoop) else None)
                except Unbounded:
                    raise self.fail(s, "a fueled loop can go round without a yield point") from None
            case _:
                raise self.fail(s, "not a statement of Bounded")

    def heaviest(self, body: Block, over: int) -> tuple[Node, int] | None:
        """Where a body whose segments run more than `over` steps spends them: the innermost
        loop, or the call of a function, that alone runs more than `over` steps without a yield
        point, and that count; None when no single statement does (the body is long, not a
        part of it).

        The costliest statement of `body` is searched first, inside its blocks (a loop's body,
        an `if`'s branches), then its calls, and is itself the answer when neither is."""
        sized = [(longest(self.stmt(s)), i) for i, s in enumerate(body.stmts)]
        steps, i = max(sized, default=(0, 0))
        if steps <= over:
            return None
        s = body.stmts[i]
        for _, child in iter_children(s):
            if isinstance(child, Block) and (inner := self.heaviest(child, over)) is not None:
                return inner
        calls = [
            (self.w.fns[e.func] + 1, e)
            for _, child in iter_children(s)
            if isinstance(child, Expr)
            for e in find_all(child, (CallFn,))
        ]
        cost, call = max(calls, key=lambda c: c[0], default=(0, None))
        if call is not None and cost > over:
            return call, cost
        return s, steps
