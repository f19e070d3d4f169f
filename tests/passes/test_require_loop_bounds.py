"""require-loop-bounds: loops outside the session have a static bound."""

from __future__ import annotations

import pytest

from nanowyki.framework import Facts, Span, read_tree, walk
from nanowyki.languages.surface import Block, For, IntLit, Listen, Loop, Service, Session, While
from nanowyki.languages.typed import Typed
from nanowyki.languages.types import TInt
from nanowyki.passes.require_loop_bounds import LoopBound, LoopBounds, RequireLoopBounds

from .safety_support import (
    diagnose_il,
    diagnose_source,
    example_names,
    fn,
    run_example,
    run_il,
    service,
    session,
)

TRUE = "(BoolLit #t (TBool))"
N = "(Local n (TInt))"
S = "(Local s (TBytes 16))"
PARAMS = "(Param n (TInt)) (Param s (TBytes 16))"
NOT_BOUNDED = "is not a constant, a len() or a min(_, constant)"
UNBOUNDED_END = f"cannot bound this loop: the end 'n' {NOT_BOUNDED}"
LOOPS = (For, While, Loop)


def num(v: int) -> str:
    return f"(IntLit {v} (TInt))"


def call(f: str, *args: str) -> str:
    return f"(CallBuiltin {f} [{' '.join(args)}] (TInt))"


def for_(start: str, stop: str, *body: str, var: str = "i") -> str:
    return f"(For {var} {start} {stop} (Block [{' '.join(body)}]))"


def in_fn(*stmts: str) -> list[str]:
    return diagnose_il(RequireLoopBounds, service(fn("f", *stmts, params=PARAMS)))


def bounds(*decls: str) -> list[LoopBound]:
    """The bound of every loop of the service, in pre-order."""
    text = service(*decls)
    diags, facts = run_il(RequireLoopBounds, text)
    assert diags == []
    found = facts.get(LoopBounds)
    tree = read_tree(text, Typed)
    assert isinstance(tree, Service)
    loops = [(i, n) for i, d in enumerate(tree.decls) for n in walk(d) if isinstance(n, LOOPS)]
    assert len(found.loops) == len(loops)
    return [b for i, n in loops if (b := found.at(i, n)) is not None]


def test_unbounded_loops_outside_the_session() -> None:
    assert in_fn("(Loop nil (Block [(Break)]))") == ["unbounded loop in a function: add 'max N'"]
    assert in_fn(f"(While {TRUE} nil (Block []))") == ["unbounded loop in a function: add 'max N'"]
    timer = "(Every (IntLit 1 (TInt)) s (Block [(Loop nil (Block [(Break)]))]))"
    assert diagnose_il(RequireLoopBounds, service(timer)) == [
        "unbounded loop in a timer: add 'max N'"
    ]
    handler = "(Datagram p (TBytes 8) (Block [(Loop nil (Block [(Break)]))]))"
    assert diagnose_il(RequireLoopBounds, service(handler)) == [
        "unbounded loop in a datagram handler: add 'max N'"
    ]


def test_session_loops_run_on_fuel() -> None:
    found = bounds(session("(Loop nil (Block []))", f"(While {TRUE} {num(3)} (Block []))"))
    assert [(b.kind, b.trips) for b in found] == [("loop", None), ("while", 3)]
    assert [b.fuel for b in found] == [True, False]


def test_max_must_be_a_positive_constant() -> None:
    assert in_fn(f"(Loop {num(10)} (Block []))") == []
    assert in_fn(f"(Loop {num(0)} (Block []))") == ["'max' must be a positive constant, not 0"]
    neg = f"(Unary - {num(5)} (TInt))"
    assert in_fn(f"(While {TRUE} {neg} (Block []))") == [
        "'max' must be a positive constant, not -5"
    ]
    assert in_fn(f"(Loop {N} (Block []))") == ["'max' must be a constant"]


def test_max_through_a_constant() -> None:
    const = f"(Const LIMIT (TInt) (Binary * {num(4)} {num(25)} (TInt)))"
    loop = "(Loop (ConstRef LIMIT (TInt)) (Block []))"
    assert [b.trips for b in bounds(const, fn("f", loop))] == [100]


@pytest.mark.parametrize(
    ("stop", "trips"),
    [
        (num(10), 10),
        (call("len", S), 16),
        (call("min", N, num(100)), 100),
        (call("min", num(7), N), 7),
        (call("min", call("len", S), N), 16),
        (call("max", call("len", S), num(20)), 20),
        (f"(Binary - {call('len', S)} {num(1)} (TInt))", 15),
        (f"(Binary + {num(2)} {num(3)} (TInt))", 5),
    ],
)
def test_for_ends_that_have_a_bound(stop: str, trips: int) -> None:
    found = bounds(fn("f", for_(num(0), stop), params=PARAMS))
    assert [b.trips for b in found] == [trips]


def test_for_end_without_a_bound() -> None:
    assert in_fn(for_(num(0), N)) == [UNBOUNDED_END]
    diags, _ = run_il(RequireLoopBounds, service(fn("f", for_(num(0), N), params=PARAMS)))
    assert diags[0].hint == "write 'for i in 0..min(n, 100)'"
    assert in_fn(for_(num(0), call("max", N, num(3)))) == [
        f"cannot bound this loop: the end 'max(n, 3)' {NOT_BOUNDED}"
    ]


def test_session_for_loops_need_a_bound_too() -> None:
    let = f"(Let n (TInt) {num(5)} nil)"
    assert diagnose_il(RequireLoopBounds, service(session(let, for_(num(0), N)))) == [UNBOUNDED_END]


@pytest.mark.parametrize(
    ("start", "trips"),
    [(num(3), 7), (num(-5), 15), (num(20), 0), (call("len", S), 10), (call("max", N, num(2)), 8)],
)
def test_for_starts_that_have_a_bound(start: str, trips: int) -> None:
    found = bounds(fn("f", for_(start, num(10)), params=PARAMS))
    assert [b.trips for b in found] == [trips]


def test_for_start_that_may_be_negative() -> None:
    assert in_fn(for_(N, num(10))) == ["cannot bound this loop: the start 'n' may be negative"]


def test_nested_for_uses_the_outer_variable() -> None:
    inner = for_("(Local i (TInt))", num(10), var="j")
    outer = for_(num(0), num(4), inner)
    tri = for_(num(0), "(Local i (TInt))", var="k")
    found = bounds(fn("f", outer, for_(num(0), num(6), tri)))
    assert [b.trips for b in found] == [4, 10, 6, 5]


def test_the_for_variable_is_only_known_inside_its_loop() -> None:
    after = for_(num(0), "(Local i (TInt))", var="j")
    assert diagnose_il(RequireLoopBounds, service(fn("f", for_(num(0), num(4)), after))) == [
        f"cannot bound this loop: the end 'i' {NOT_BOUNDED}"
    ]


def test_renamed_locals_are_shown_as_written() -> None:
    assert in_fn(for_(num(0), "(Local n.2 (TInt))")) == [UNBOUNDED_END]


def test_at_finds_a_loop_by_where_it_is_spans_aside() -> None:
    where = Span("t.wyki", 3, 9, 3, 30)
    loop = Loop(None, Block(()), span=where)
    tree = Service("s", (Listen("tcp", IntLit(7, TInt())), Session(Block((loop,)))))
    _, facts = RequireLoopBounds().apply(tree, Facts())
    found = facts.get(LoopBounds)
    assert found.at(1, loop) == LoopBound("loop", None, where)
    assert found.at(1, Loop(None, Block(()))) == LoopBound("loop", None, where)  # as read back
    assert found.at(0, loop) is None


def test_equal_loops_of_two_functions_keep_their_own_bounds() -> None:
    inner = for_(num(0), "(Local i (TInt))", var="j")
    small, large = for_(num(0), num(4), inner), for_(num(0), num(8), inner)
    assert [b.trips for b in bounds(fn("f", small), fn("g", large))] == [4, 3, 8, 7]


def test_positions_from_source() -> None:
    src = """service s {
    listen tcp 7;
    fn f(n: int) {
        while n > 0 { }
        for i in 0..n { }
    }
    session { loop { close; } }
}
"""
    assert diagnose_source(RequireLoopBounds, src) == [
        (4, 9, "unbounded loop in a function: add 'max N'"),
        (5, 21, UNBOUNDED_END),
    ]


@pytest.mark.parametrize("example", example_names())
def test_examples_are_accepted(example: str) -> None:
    diags, _ = run_example(RequireLoopBounds, example)
    assert diags == []


def test_echo_session_loop_runs_on_fuel() -> None:
    _, facts = run_example(RequireLoopBounds, "echo")
    assert [(b.kind, b.trips) for b in facts.get(LoopBounds).loops.values()] == [("loop", None)]
