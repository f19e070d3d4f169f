"""lift-loop-conditions: loop conditions move into the loop's test block; counts unchanged."""

from __future__ import annotations

from pathlib import Path

import pytest

from nanowyki.framework import Facts, Node, check, print_tree, read_tree, walk
from nanowyki.interp import parse_transcript, run_transcript
from nanowyki.interp.bounded import BoundedInterpreter
from nanowyki.languages.bounded import Bounded, BoundedLoop, FueledLoop
from nanowyki.languages.surface import BoolLit
from nanowyki.passes.lift_loop_conditions import LiftLoopConditions

from .flat_support import (
    BOOL,
    EXAMPLES,
    TRUE,
    block,
    fn,
    lit,
    local,
    log,
    same,
    service,
    to_pass,
    transcripts_fail,
)

COND = f"(Binary < {local('i')} {local('n')} {BOOL})"
NOT_COND = f"(Unary ! {COND} {BOOL})"
EXIT = f"(If {NOT_COND} (Block [(Break)]) nil)"


def run(text: str) -> tuple[str, Node, Node]:
    tree = read_tree(text, Bounded)
    out, _ = LiftLoopConditions().apply(tree, Facts())
    return print_tree(out), out, tree


def test_a_bounded_loop_condition_moves_into_the_test_block() -> None:
    text = service(fn(f"(BoundedLoop {COND} 8 {block(log(lit(1)))} {block(log(lit(2)))})"))
    want = f"(BoundedLoop {TRUE} 8 {block(log(lit(1)))} {block(log(lit(2)))} {block(EXIT)})"
    assert run(text)[0] == same(service(fn(want)), Bounded)


def test_a_fueled_loop_keeps_its_checkpoint_first_in_the_body() -> None:
    body = block("(Checkpoint)", log(lit(1)))
    text = service(f"(Session {block(f'(FueledLoop {COND} {body} {block()})')})")
    want = f"(FueledLoop {TRUE} {body} {block()} {block(EXIT)})"
    assert run(text)[0] == same(service(f"(Session {block(want)})"), Bounded)


def test_nested_loops_are_both_lifted() -> None:
    inner = f"(BoundedLoop {COND} 3 {block(log(lit(1)))} {block()})"
    text = service(fn(f"(BoundedLoop {COND} 8 {block(inner)} {block()})"))
    _, out, _ = run(text)
    loops = [n for n in walk(out) if isinstance(n, BoundedLoop)]
    assert len(loops) == 2
    assert all(isinstance(lp.cond, BoolLit) and lp.test is not None for lp in loops)


def test_a_loop_on_true_is_left_alone() -> None:
    text = service(fn(f"(BoundedLoop {TRUE} 8 {block(log(lit(1)))} {block()})"))
    _, out, tree = run(text)
    assert out is tree


def test_a_program_without_loops_is_the_same_object() -> None:
    _, out, tree = run(service(fn(log(lit(1)))))
    assert out is tree


def test_a_loop_on_false_is_lifted_too() -> None:
    cond = "(BoolLit #f (TBool))"
    text = service(fn(f"(BoundedLoop {cond} 2 {block()} {block()})"))
    _, out, _ = run(text)
    (loop,) = [n for n in walk(out) if isinstance(n, BoundedLoop | FueledLoop)]
    assert isinstance(loop.cond, BoolLit) and loop.cond.value


# -- semantics: the limit counts iterations that passed the condition, as before ---------------

COUNTING = """service t {
    listen udp 9;
    datagram p: bytes[8] {
        var i = 0;
        let n = len(p);
        while i < n max 3 { i += 1; }
        reply(itoa(i));
    }
}"""

COUNTING_SCRIPT = """udp q > abc
q < 3
udp q > ab
q < 2
udp q > abcd
fault fuel
q silent
"""


@pytest.mark.parametrize("lifted", [False, True])
def test_a_loop_running_exactly_its_limit_does_not_fault(tmp_path: Path, lifted: bool) -> None:
    from nanowyki.passes.fold_constants import FoldConstants

    last = LiftLoopConditions if lifted else FoldConstants
    tree, facts = to_pass(tmp_path / "t.wyki", COUNTING, last)
    played = run_transcript(BoundedInterpreter(tree, facts), parse_transcript(COUNTING_SCRIPT))
    assert played.ok, played.report()


def test_continue_runs_the_step_then_the_test(tmp_path: Path) -> None:
    text = """service t {
        listen udp 9;
        datagram p: bytes[8] {
            var s = 0;
            for i in 0..len(p) { if i == 1 { continue; } s += i; }
            reply(itoa(s));
        }
    }"""
    tree, facts = to_pass(tmp_path / "t.wyki", text, LiftLoopConditions)
    script = "udp q > abcd\nq < 5\n"
    played = run_transcript(BoundedInterpreter(tree, facts), parse_transcript(script))
    assert played.ok, played.report()


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_every_example_keeps_its_transcripts(example: Path) -> None:
    tree, facts = to_pass(example, None, LiftLoopConditions)
    check(tree, Bounded)
    for n in walk(tree):
        if isinstance(n, BoundedLoop | FueledLoop):
            assert isinstance(n.cond, BoolLit) and n.cond.value
    assert transcripts_fail(example, tree, facts, "Bounded") == []
