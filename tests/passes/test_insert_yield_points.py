"""insert-yield-points: every FueledLoop body starts with exactly one Checkpoint, and so does
every session BoundedLoop whose yield-free turns can add up to more than LONG_LOOP steps."""

from __future__ import annotations

from pathlib import Path

import pytest
from pyrsistent import pmap

from nanowyki import pipeline
from nanowyki.framework import CheckLevel, Facts, Node, RunOptions, print_tree, read_tree, walk
from nanowyki.interp import TypedInterpreter, parse_transcript, run_transcript
from nanowyki.interp.base import Interpreter
from nanowyki.interp.registry import interpreter_for
from nanowyki.languages.bounded import Bounded, BoundedLoop, Checkpoint, FueledLoop
from nanowyki.passes.insert_yield_points import LONG_LOOP, InsertYieldPoints
from nanowyki.passes.reject_recursion import CallGraph

from .bounded_support import (
    EXAMPLES,
    TRUE,
    block,
    call,
    fn,
    lit,
    log,
    lower,
    lower_example,
    send,
    service,
)
from .bounded_support import session as session_decl


def run(text: str, order: tuple[str, ...] = ()) -> tuple[Node, Node]:
    tree = read_tree(text, Bounded)
    out, _ = InsertYieldPoints().apply(tree, Facts().with_(CallGraph(order, pmap())))
    return out, tree


def apply_again(tree: Node) -> Node:
    out, _ = InsertYieldPoints().apply(tree, Facts().with_(CallGraph((), pmap())))
    return out


def fueled(*stmts: str, step: str = block()) -> str:
    return f"(FueledLoop {TRUE} {block(*stmts)} {step})"


def same(text: str) -> str:
    return print_tree(read_tree(text, Bounded))


def test_a_checkpoint_heads_the_fueled_loop_body() -> None:
    out, _ = run(service(session_decl(fueled(send(), log()))))
    assert print_tree(out) == same(service(session_decl(fueled("(Checkpoint)", send(), log()))))


def test_an_empty_fueled_body_gets_a_checkpoint() -> None:
    out, _ = run(service(session_decl(fueled())))
    assert print_tree(out) == same(service(session_decl(fueled("(Checkpoint)"))))


def test_the_step_block_is_left_alone() -> None:
    out, _ = run(service(session_decl(fueled(log(), step=block(log("s"))))))
    assert print_tree(out) == same(
        service(session_decl(fueled("(Checkpoint)", log(), step=block(log("s")))))
    )


def test_the_exit_test_block_is_kept() -> None:
    test = block("(If (Local c (TBool)) (Block [(Break)]) nil)")
    loop = f"(FueledLoop {TRUE} {block(send())} {block()} {test})"
    out, _ = run(service(session_decl(loop)))
    want = f"(FueledLoop {TRUE} {block('(Checkpoint)', send())} {block()} {test})"
    assert print_tree(out) == same(service(session_decl(want)))


def test_idempotent_never_two_checkpoints() -> None:
    once, _ = run(service(session_decl(fueled(send()))))
    twice = apply_again(once)
    assert twice is once


def test_a_body_already_headed_by_a_checkpoint_is_the_same_object() -> None:
    out, tree = run(service(session_decl(fueled("(Checkpoint)", send()))))
    assert out is tree


def test_a_checkpoint_later_in_the_body_does_not_count() -> None:
    out, _ = run(service(session_decl(fueled(log(), "(Checkpoint)"))))
    body = next(n for n in walk(out) if isinstance(n, FueledLoop)).body
    assert [type(s).__name__ for s in body.stmts] == ["Checkpoint", "Log", "Checkpoint"]


def test_nested_fueled_loops_each_get_one() -> None:
    out, _ = run(service(session_decl(fueled(fueled(send()), log()))))
    loops = [n for n in walk(out) if isinstance(n, FueledLoop)]
    assert len(loops) == 2
    assert all(isinstance(lp.body.stmts[0], Checkpoint) for lp in loops)
    assert sum(isinstance(n, Checkpoint) for n in walk(out)) == 2


def test_a_fueled_loop_inside_a_bounded_loop_gets_one() -> None:
    inner = fueled(send())
    out, _ = run(service(session_decl(f"(BoundedLoop {TRUE} 3 {block(inner)} {block()})")))
    assert sum(isinstance(n, Checkpoint) for n in walk(out)) == 1


def test_bounded_loops_get_no_checkpoint_and_are_shared() -> None:
    bounded = f"(BoundedLoop {TRUE} 4 {block(log())} {block()})"
    text = service(session_decl(bounded), f"(Fn f [] (TUnit) {block(bounded)})")
    out, tree = run(text)
    assert out is tree


def test_a_service_without_loops_is_unchanged() -> None:
    out, tree = run(service(session_decl(send(), log()), f"(Every {lit(1)} s {block(log())})"))
    assert out is tree


# -- long bounded loops in the session --------------------------------------------------------


def bounded(limit: int, *stmts: str) -> str:
    """A loop whose turn without a yield costs 1 (test) + the statements + 0 (empty step)."""
    return f"(BoundedLoop {TRUE} {limit} {block(*stmts)} {block()})"


def with_checkpoint(limit: int, *stmts: str) -> str:
    return bounded(limit, "(Checkpoint)", *stmts)


def test_a_long_session_loop_gets_a_checkpoint() -> None:
    # 5001 turns of (test + log) = 10,002 steps > LONG_LOOP
    out, _ = run(service(session_decl(bounded(5001, log()))))
    assert LONG_LOOP == 10_000
    assert print_tree(out) == same(service(session_decl(with_checkpoint(5001, log()))))


def test_a_session_loop_at_the_threshold_gets_none() -> None:
    # 5000 turns of (test + log) = 10,000 steps: not over LONG_LOOP
    out, tree = run(service(session_decl(bounded(5000, log()))))
    assert out is tree


def test_a_short_session_loop_gets_none() -> None:
    # a loop of a few hundred steps (100 * (1 + 3)) keeps its tight code
    out, tree = run(service(session_decl(bounded(100, log(), log(), log()))))
    assert out is tree


def test_the_turn_cost_counts_function_calls() -> None:
    # g costs 100 steps; a turn: test 1 + call statement (1 + 1 + 100) = 103; 100 turns: 10,300
    g = fn("g", *[log()] * 100)
    out, _ = run(service(g, session_decl(bounded(100, call("g")))), ("g",))
    loop = next(n for n in walk(out) if isinstance(n, BoundedLoop))
    assert isinstance(loop.body.stmts[0], Checkpoint)


def test_a_long_loop_whose_every_turn_yields_gets_none() -> None:
    # every turn passes the send: no yield-free turns to add up
    out, tree = run(service(session_decl(bounded(1_000_000, send(), log()))))
    assert out is tree


def test_a_long_loop_that_can_skip_its_yield_gets_one() -> None:
    skip = f"(If (Local c (TBool)) {block('(Continue)')} nil)"
    out, _ = run(service(session_decl(bounded(1_000_000, skip, send()))))
    loop = next(n for n in walk(out) if isinstance(n, BoundedLoop))
    assert isinstance(loop.body.stmts[0], Checkpoint)


def test_a_long_loop_in_a_function_gets_none() -> None:
    # functions never yield, whatever their loops cost
    out, tree = run(service(fn("f", bounded(1_000_000, log())), session_decl(send())), ("f",))
    assert out is tree


def test_long_loops_in_datagram_handlers_and_timers_get_none() -> None:
    loop = bounded(1_000_000, log())
    text = service(
        f"(Datagram p (TBytes 8) {block(loop)})",
        f"(Every {lit(1)} s {block(loop)})",
        listen="(Listen udp (IntLit 53 (TInt)))",
    )
    out, tree = run(text)
    assert out is tree


def test_nested_long_loops_both_get_one() -> None:
    # the inner loop is long (200,001 steps) and gets its checkpoint first; the outer one still
    # has yield-free turns (the inner loop may run zero times, as a `for` over an empty range):
    # 10,000 turns of test + the inner loop's first test = 20,000 steps: it gets one too
    inner = bounded(100_000, log())
    out, _ = run(service(session_decl(bounded(10_000, inner))))
    assert print_tree(out) == same(
        service(session_decl(with_checkpoint(10_000, with_checkpoint(100_000, log()))))
    )


def test_a_short_outer_loop_around_a_long_inner_one_gets_none() -> None:
    # inner: 100,000 turns: a checkpoint; outer: 3 turns of (test + the inner loop's
    # yield-free way through, its first test: 1): 3 * 2 + 1 steps, short
    inner = bounded(100_000, log())
    out, _ = run(service(session_decl(bounded(3, inner))))
    assert print_tree(out) == same(
        service(session_decl(bounded(3, with_checkpoint(100_000, log()))))
    )


def test_a_long_outer_loop_around_short_inner_ones_gets_it_at_the_outer_level() -> None:
    # inner: 10 turns, 21 steps, short; outer: 1000 turns of 1 + 21 = 22,000 steps: long
    inner = bounded(10, log())
    out, _ = run(service(session_decl(bounded(1000, inner))))
    assert print_tree(out) == same(service(session_decl(with_checkpoint(1000, inner))))


LONG_SESSION = """
service t {
    listen tcp 7;
    session {
        let line = recv_line(64) else { close; };
        var n = 0;
        for i in 0..1000000000 {
            for j in 0..1000000000 { n += 1; }
        }
        send(itoa(n));
    }
}
"""


def test_two_nested_huge_session_loops_yield_and_are_bounded(tmp_path: Path) -> None:
    from nanowyki.passes.uncover_step_bounds import StepBounds

    result = lower(LONG_SESSION, "uncover-step-bounds", tmp_path)
    loops = [n for n in walk(result.tree) if isinstance(n, BoundedLoop)]
    assert [isinstance(lp.body.stmts[0], Checkpoint) for lp in loops] == [True, True]
    # the costliest segment, from the outer checkpoint: declare j and its end (2), the inner
    # test, false (1), the outer step (1), the outer test, false (1), the send of itoa (2): 7
    # (without the checkpoints the loops alone run about 3e18 steps, over the step budget)
    assert result.facts.get(StepBounds).of("session").steps == 7


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_every_example(example: Path) -> None:
    out = lower_example(example, "insert-yield-points").tree
    for n in walk(out):
        if isinstance(n, FueledLoop | BoundedLoop) and n.body.stmts:
            assert not any(isinstance(s, Checkpoint) for s in n.body.stmts[1:])
        if isinstance(n, FueledLoop):
            assert isinstance(n.body.stmts[0], Checkpoint)
    checkpoints = sum(isinstance(n, Checkpoint) for n in walk(out))
    assert checkpoints >= sum(isinstance(n, FueledLoop) for n in walk(out))
    if example.stem != "dns":  # the UDP example has no session; every TCP one a session loop
        assert checkpoints >= 1


def test_the_kv_get_loops_get_checkpoints() -> None:
    """kv's two loops over the words of a `get` line (up to LINE_MAX turns without a send) are
    long; they are its only bounded loops with a checkpoint."""
    kv = next(p for p in EXAMPLES if p.stem == "kv")
    out = lower_example(kv, "insert-yield-points").tree
    marked = [
        n.span.line
        for n in walk(out)
        if isinstance(n, BoundedLoop)
        and n.span is not None
        and n.body.stmts
        and isinstance(n.body.stmts[0], Checkpoint)
    ]
    text = kv.read_text().splitlines()
    assert [text[line - 1].split()[:2] for line in marked] == [["for", "i"], ["for", "j"]]


# -- at run time: the checkpoint yields, and never faults ----------------------------------------

SPIN = """service t {
    listen tcp 7;
    session {
        let l = recv_line(10) else { close; };
        sleep(10);
        var n = 0;
        if l == "spin" {
            for i in 0..6000 { n += 1; }
        }
        send(l, " ", itoa(n), "\\n");
    }
}
"""

# a asks for 6000 turns (18,001 steps: a checkpoint), b for none; both wake at 10 ms, a first.
# On 100 units of fuel a yields every 100 turns, so b's answer leaves first, then a's, complete:
# the loop ends at its bound and does not fault `fuel`.
TWO = "open a\nopen b\na > spin\\n\nb > hi\\n\nadvance 10 ms\nb < hi 0\\n\na < spin 6000\\n\n"


def writes(interp: Interpreter) -> list[str]:
    """The order in which the sessions' answers leave, when the transcript passes."""
    played = run_transcript(interp, parse_transcript(TWO, "t.tr"), fuel=100)
    assert played.ok, played.report()
    return [e.text for e in played.log if " < " in e.text and "bytes" in e.text]


def test_a_long_session_for_yields_to_others_and_ends_at_every_il(tmp_path: Path) -> None:
    checked = pipeline.frontend().run(pipeline.source_tree(str(tmp_path / "t.wyki"), SPIN))
    whole = pipeline.default()
    languages = []
    for p in whole.slice("insert-yield-points", None):
        run = whole.run(
            checked.tree,
            RunOptions(start_at="unify-loops", stop_after=p.name, check=CheckLevel.OFF),
            checked.facts,
        )
        interp = interpreter_for(p.output.name)
        assert interp is not None, p.output.name
        assert writes(interp(run.tree, run.facts)) == ["b < 5 bytes", "a < 10 bytes"], p.name
        languages.append(p.output.name)
    assert {"Bounded", "Evented", "Socketless", "Cish"} <= set(languages)


def test_without_the_checkpoint_the_long_loop_does_not_yield(tmp_path: Path) -> None:
    """The test above can fail: in Typed, where the loop has no checkpoint, a answers first."""
    checked = pipeline.frontend().run(pipeline.source_tree(str(tmp_path / "t.wyki"), SPIN))
    typed = TypedInterpreter(checked.tree, checked.facts)
    assert writes(typed) == ["a < 10 bytes", "b < 5 bytes"]
