"""lower-waits: sleeps and checkpoints become statements and tests; no Await is left."""

from __future__ import annotations

from pathlib import Path

import pytest

from nanowyki.framework import InternalError, print_tree, walk
from nanowyki.languages.evented import Await, StateMachine
from nanowyki.languages.socketless import Buffered, FuelSpend, SleepBegin, Socketless, Suspend
from nanowyki.passes.lower_waits import LowerWaits

from .evented_support import EXAMPLES
from .socketless_support import BOOL, bb, lit, loc, lowered, machine, run, same, service, slot


def lower(text: str) -> str:
    _, out = run(LowerWaits, text, Buffered)
    return print_tree(out)


def test_a_checkpoint_spends_fuel_and_yields_to_its_resume_block() -> None:
    text = service(machine([slot("n")], [], [
        bb("b.1", [f"(Assign {loc('n')} = {lit(1)})"], "(Await (CheckpointOp) nil resume.2)"),
        bb("resume.2", [], "(CloseExit)"),
    ]))
    assert lower(text) == same(service(machine([slot("n")], [slot("ok.3", BOOL)], [
        bb("b.1", [f"(Assign {loc('n')} = {lit(1)})", "(FuelSpend ok.3)"],
           f"(Branch {loc('ok.3', BOOL)} resume.2 wait.3)"),
        bb("wait.3", [], "(Suspend yield resume.2)"),
        bb("resume.2", [], "(CloseExit)"),
    ])))


def test_a_sleep_fixes_its_wake_up_time_then_tests_the_clock() -> None:
    text = service(machine([slot("n")], [], [
        bb("b.1", [], f"(Await (SleepOp {loc('n')}) nil resume.2)"),
        bb("resume.2", [], "(CloseExit)"),
    ]))
    assert lower(text) == same(service(machine([slot("n")], [slot("done.3", BOOL)], [
        bb("b.1", [f"(SleepBegin {loc('n')})"], "(Goto sleep.3)"),
        bb("sleep.3", ["(SleepDone done.3)"], f"(Branch {loc('done.3', BOOL)} resume.2 wait.3)"),
        bb("wait.3", [], "(Suspend time sleep.3)"),
        bb("resume.2", [], "(CloseExit)"),
    ])))


def test_a_machine_without_awaits_is_left_alone() -> None:
    text = service(machine([], [], [bb("b.1", [], "(Goto b.2)"), bb("b.2", [], "(CloseExit)")]))
    tree, out = run(LowerWaits, text, Buffered)
    assert out is tree


def test_a_machine_already_lowered_is_left_alone() -> None:
    text = service(machine([slot("d", "(TBytes 8)")], [slot("done.3", BOOL)], [
        bb("b.1", [], "(Goto send.3)"),
        bb("send.3", [f"(TxWrite {loc('d', '(TBytes 8)')} done.3)"],
           f"(Branch {loc('done.3', BOOL)} b.2 wait.3)"),
        bb("wait.3", [], "(Suspend output send.3)"),
        bb("b.2", [], "(CloseExit)"),
    ]))
    tree, out = run(LowerWaits, text, Buffered)
    assert out is tree


@pytest.mark.parametrize("op", [f"(RecvSomeOp {lit(8)})", f"(SendOp {lit(1)})"])
def test_a_receive_or_send_left_is_an_internal_error(op: str) -> None:
    dest = "a" if "Recv" in op else "nil"
    text = service(machine([slot("a", "(TOption (TBytes 8))")], [], [
        bb("b.1", [], f"(Await {op} {dest} b.2)"), bb("b.2", [], "(CloseExit)")]))
    with pytest.raises(InternalError, match="run lower-receives"):
        run(LowerWaits, text, Buffered)


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_every_example_is_socketless(example: Path) -> None:
    before, _ = lowered(example, upto=None)
    tree, _ = lowered(example, upto=LowerWaits)  # checked in Socketless: no Await, no Op
    awaits = [n for n in walk(before) if isinstance(n, Await)]
    assert not any(isinstance(n, Await) for n in walk(tree))
    suspends = [n for n in walk(tree) if isinstance(n, Suspend)]
    assert len(suspends) == len(awaits)
    assert Socketless.name == "Socketless"


def test_a_realistic_session_from_source(tmp_path: Path) -> None:
    src = ('service t { listen tcp 7; session { var n = 0; loop { n += 1; sleep(10); '
           'if n > 3 { close; } } } }')
    tree, _ = lowered(tmp_path / "t.wyki", src, upto=LowerWaits)
    m = next(n for n in walk(tree) if isinstance(n, StateMachine))
    assert any(isinstance(n, FuelSpend) for n in walk(m))
    assert any(isinstance(n, SleepBegin) for n in walk(m))
    reasons = sorted(n.reason for n in walk(m) if isinstance(n, Suspend))
    assert reasons == ["time", "yield"]


def test_dot_draws_the_socketless_machine_with_suspend_edges() -> None:
    from nanowyki.dot import service_dot

    tree, _ = lowered(EXAMPLES[0].parent / "echo.wyki", upto=LowerWaits)
    drawn = service_dot(tree)
    for text in ('[label="yield", style="bold,dashed", color=red]',
                 '[label="wait input", style="bold,dashed", color=red]',
                 '[label="wait output", style="bold,dashed", color=red]',
                 "= try o.", "= spend fuel", "recv starts"):
        assert text in drawn
    assert "4 states" in drawn  # entry, the yield's resume block, the attempt, the send
