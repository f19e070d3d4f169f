"""lower-sends: every send Await becomes a TxWrite state and a wait for output room."""

from __future__ import annotations

from pathlib import Path

import pytest

from nanowyki.framework import Facts, InternalError, print_tree, walk
from nanowyki.languages.evented import Await, SendOp, StateMachine
from nanowyki.languages.socketless import Buffered, TxWrite
from nanowyki.passes.lower_receives import LowerReceives
from nanowyki.passes.lower_sends import LowerSends

from .evented_support import EXAMPLES
from .socketless_support import BOOL, bb, lit, loc, lowered, machine, run, same, service, slot

B8 = "(TBytes 8)"


def lower(text: str) -> str:
    _, out = run(LowerSends, text, Buffered)
    return print_tree(out)


def test_a_send_becomes_a_write_state_and_a_wait() -> None:
    text = service(machine([slot("d", B8)], [], [
        bb("b.1", [f"(Assign {loc('d', B8)} = (BytesLit #\"hi\" (TBytes 2)))"],
           f"(Await (SendOp {loc('d', B8)}) nil resume.2)"),
        bb("resume.2", [], "(CloseExit)"),
    ]))
    assert lower(text) == same(service(machine([slot("d", B8)], [slot("done.3", BOOL)], [
        bb("b.1", [f"(Assign {loc('d', B8)} = (BytesLit #\"hi\" (TBytes 2)))"],
           "(Goto send.3)"),
        bb("send.3", [f"(TxWrite {loc('d', B8)} done.3)"],
           f"(Branch {loc('done.3', BOOL)} resume.2 wait.3)"),
        bb("wait.3", [], "(Suspend output send.3)"),
        bb("resume.2", [], "(CloseExit)"),
    ])), Buffered)


def test_a_constant_value_is_kept() -> None:
    text = service(machine([], [], [
        bb("b.1", [], f"(Await (SendOp {lit(7)}) nil b.2)"), bb("b.2", [], "(CloseExit)")]))
    assert f"(TxWrite {lit(7)} done.3)" in lower(text)


def test_receives_lowered_before_are_left_alone_and_numbering_goes_on() -> None:
    text = service(machine([slot("a", "(TOption (TBytes 8))"), slot("d", B8)], [], [
        bb("b.1", [], f"(Await (RecvSomeOp {lit(8)}) a resume.2)"),
        bb("resume.2", [], f"(Await (SendOp {loc('d', B8)}) nil resume.3)"),
        bb("resume.3", [], "(CloseExit)"),
    ]))
    tree = run(LowerReceives, text, Buffered)[1]
    out, _ = LowerSends().apply(tree, Facts())
    m = next(n for n in walk(out) if isinstance(n, StateMachine))
    assert [b.label for b in m.blocks] == [
        "b.1", "try.4", "wait.4", "resume.2", "send.5", "wait.5", "resume.3"]
    assert [s.name for s in m.locals] == ["ready.4", "done.5"]


def test_other_awaits_are_left_alone() -> None:
    text = service(machine([slot("a", "(TOption (TBytes 8))")], [], [
        bb("b.1", [], "(Await (CheckpointOp) nil resume.2)"),
        bb("resume.2", [], f"(Await (RecvLineOp {lit(8)}) a resume.3)"),
        bb("resume.3", [], f"(Await (SleepOp {lit(5)}) nil resume.4)"),
        bb("resume.4", [], "(CloseExit)"),
    ]))
    tree, out = run(LowerSends, text, Buffered)
    assert out is tree


def test_a_send_with_a_destination_is_an_internal_error() -> None:
    text = service(machine([slot("x")], [], [
        bb("b.1", [], f"(Await (SendOp {lit(1)}) x b.2)"), bb("b.2", [], "(CloseExit)")]))
    with pytest.raises(InternalError, match="send with a destination"):
        run(LowerSends, text, Buffered)


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_every_example(example: Path) -> None:
    before, _ = lowered(example, upto=LowerReceives)
    tree, _ = lowered(example, upto=LowerSends)
    sends = sum(1 for n in walk(before) if isinstance(n, Await) and isinstance(n.op, SendOp))
    assert not any(isinstance(n, SendOp) for n in walk(tree))
    assert sum(1 for n in walk(tree) if isinstance(n, TxWrite)) == sends


def test_a_realistic_session_from_source(tmp_path: Path) -> None:
    src = ('service t { listen tcp 7; session { loop { let l = recv_line(16) else { close; }; '
           'send(l, "\\n"); } } }')
    tree, _ = lowered(tmp_path / "t.wyki", src, upto=LowerSends)
    m = next(n for n in walk(tree) if isinstance(n, StateMachine))
    tx = next(n for n in walk(m) if isinstance(n, TxWrite))
    frame = {s.name for s in m.frame}
    assert getattr(tx.value, "name", None) in frame  # re-read after a Suspend: a frame slot
    assert tx.done not in frame
