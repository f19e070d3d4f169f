"""reject-recursion: the call graph of the functions must be acyclic."""

from __future__ import annotations

import pytest

from nanowyki.passes.reject_recursion import CallGraph, RejectRecursion

from .safety_support import (
    diagnose_il,
    diagnose_source,
    example_names,
    fn,
    run_example,
    run_il,
    service,
)

UNIT = "(TUnit)"


def call(f: str) -> str:
    return f"(ExprStmt (CallFn {f} [] {UNIT}))"


def test_direct_recursion_is_rejected() -> None:
    assert diagnose_il(RejectRecursion, service(fn("f", call("f")))) == [
        "function 'f' calls itself"
    ]


def test_mutual_recursion_names_the_cycle() -> None:
    tree = service(fn("a", call("b")), fn("b", call("a")))
    assert diagnose_il(RejectRecursion, tree) == ["recursion: 'a' -> 'b' -> 'a'"]


def test_three_cycle_reached_from_outside_names_only_the_cycle() -> None:
    tree = service(fn("top", call("a")), fn("a", call("b")), fn("b", call("c")), fn("c", call("a")))
    assert diagnose_il(RejectRecursion, tree) == ["recursion: 'a' -> 'b' -> 'c' -> 'a'"]


def test_two_independent_cycles_are_both_reported() -> None:
    tree = service(fn("f", call("f")), fn("g", call("h")), fn("h", call("g")))
    assert diagnose_il(RejectRecursion, tree) == [
        "function 'f' calls itself",
        "recursion: 'g' -> 'h' -> 'g'",
    ]


def test_a_cycle_closed_by_two_calls_is_reported_once() -> None:
    assert diagnose_il(RejectRecursion, service(fn("f", call("f"), call("f")))) == [
        "function 'f' calls itself"
    ]


def test_call_inside_an_argument_counts() -> None:
    inner = "(CallFn f [] (TInt))"
    tree = service(fn("f", f"(Return {inner})", result="(TInt)"))
    assert diagnose_il(RejectRecursion, tree) == ["function 'f' calls itself"]


def test_diamond_is_accepted_and_ordered_callees_first() -> None:
    tree = service(
        fn("top", call("left"), call("right")),
        fn("left", call("base")),
        fn("right", call("base")),
        fn("base"),
    )
    diags, facts = run_il(RejectRecursion, tree)
    assert diags == []
    graph = facts.get(CallGraph)
    assert graph.order == ("base", "left", "right", "top")
    assert graph.calls["top"] == ("left", "right")
    assert graph.calls["base"] == ()


def test_calls_from_the_session_are_not_part_of_any_cycle() -> None:
    tree = service(fn("f"), f"(Session (Block [{call('f')} {call('f')}]))")
    diags, facts = run_il(RejectRecursion, tree)
    assert diags == []
    assert facts.get(CallGraph).order == ("f",)


def test_positions_from_source() -> None:
    src = """service s {
    listen tcp 7;
    fn a(n: int) { b(n); }
    fn b(n: int) { a(n); }
    fn f(n: int) { f(n - 1); }
    session { close; }
}
"""
    assert diagnose_source(RejectRecursion, src) == [
        (4, 20, "recursion: 'a' -> 'b' -> 'a'"),
        (5, 20, "function 'f' calls itself"),
    ]


@pytest.mark.parametrize("example", example_names())
def test_examples_are_accepted(example: str) -> None:
    diags, _ = run_example(RejectRecursion, example)
    assert diags == []


@pytest.mark.parametrize("example", example_names())
def test_example_call_graphs_list_callees_first(example: str) -> None:
    _, facts = run_example(RejectRecursion, example)
    graph = facts.get(CallGraph)
    seen: set[str] = set()
    for f in graph.order:
        assert set(graph.calls[f]) <= seen, f
        seen.add(f)
    assert seen == set(graph.calls)
