"""lower-receives: every receive Await becomes RxBegin, an attempt state and a wait state."""

from __future__ import annotations

from pathlib import Path

import pytest

from nanowyki.framework import InternalError, print_tree, walk
from nanowyki.languages.evented import (
    Await,
    Evented,
    RecvExactOp,
    RecvLineOp,
    RecvSomeOp,
    RecvUntilOp,
    StateMachine,
)
from nanowyki.languages.socketless import Buffered, RxBegin, Suspend
from nanowyki.passes.lower_receives import LowerReceives

from .evented_support import EXAMPLES
from .socketless_support import BOOL, bb, lit, loc, lowered, machine, run, same, service, slot

O8 = "(TOption (TBytes 8))"
DELIM = '(BytesLit #";" (TBytes 1))'


def lower(text: str) -> str:
    _, out = run(LowerReceives, text, Evented)
    return print_tree(out)


def test_a_receive_line_becomes_begin_attempt_and_wait() -> None:
    text = service(machine([slot("l", O8)], [slot("t.3", BOOL)], [
        bb("b.1", [f"(Assign {loc('t.3', BOOL)} = (BoolLit #t (TBool)))"],
           f"(Await (RecvLineOp {lit(8)}) l resume.2)"),
        bb("resume.2", [], "(CloseExit)"),
    ]))
    assert lower(text) == same(service(machine(
        [slot("l", O8)], [slot("t.3", BOOL), slot("ready.4", BOOL)], [
            bb("b.1", [f"(Assign {loc('t.3', BOOL)} = (BoolLit #t (TBool)))", "(RxBegin)"],
               "(Goto try.4)"),
            bb("try.4", [f"(RxLine l {lit(8)} ready.4)"],
               f"(Branch {loc('ready.4', BOOL)} resume.2 wait.4)"),
            bb("wait.4", [], "(Suspend input try.4)"),
            bb("resume.2", [], "(CloseExit)"),
        ])), Buffered)


def test_every_receive_kind_keeps_its_operands_and_destination() -> None:
    text = service(machine([slot("a", O8), slot("n")], [], [
        bb("b.1", [], f"(Await (RecvUntilOp {DELIM} {lit(8)}) a resume.2)"),
        bb("resume.2", [], f"(Await (RecvExactOp {loc('n')} {lit(8)}) a resume.3)"),
        bb("resume.3", [], f"(Await (RecvSomeOp {lit(8)}) a resume.4)"),
        bb("resume.4", [], "(CloseExit)"),
    ]))
    out = lower(text)
    for rx in [f"(RxUntil a {DELIM} {lit(8)} ready.5)", f"(RxExact a {loc('n')} {lit(8)} ready.6)",
               f"(RxSome a {lit(8)} ready.7)"]:
        assert " ".join(rx.split()) in " ".join(out.split())
    assert "Await" not in out


def test_the_blocks_read_top_down_and_numbering_is_deterministic() -> None:
    text = service(machine([slot("a", O8)], [], [
        bb("b.1", [], f"(Await (RecvSomeOp {lit(8)}) a resume.2)"),
        bb("resume.2", [], f"(Await (RecvSomeOp {lit(8)}) a resume.3)"),
        bb("resume.3", [], "(CloseExit)"),
    ]))
    _, out = run(LowerReceives, text, Evented)
    m = next(n for n in walk(out) if isinstance(n, StateMachine))
    assert [b.label for b in m.blocks] == [
        "b.1", "try.4", "wait.4", "resume.2", "try.5", "wait.5", "resume.3"]
    assert [s.name for s in m.locals] == ["ready.4", "ready.5"]
    assert lower(text) == lower(text)


def test_sends_sleeps_and_checkpoints_are_left_alone() -> None:
    text = service(machine([slot("d", "(TBytes 8)")], [], [
        bb("b.1", [], "(Await (CheckpointOp) nil resume.2)"),
        bb("resume.2", [], f"(Await (SendOp {loc('d', '(TBytes 8)')}) nil resume.3)"),
        bb("resume.3", [], f"(Await (SleepOp {lit(5)}) nil resume.4)"),
        bb("resume.4", [], "(CloseExit)"),
    ]))
    tree, out = run(LowerReceives, text, Evented)
    assert out is tree


def test_a_service_without_a_session_is_left_alone() -> None:
    text = service("(DatagramGraph q (TBytes 512) (PooledCfg b.1 [] [(BasicBlock b.1 [] "
                   "(Ret nil))]))", proto="udp")
    tree, out = run(LowerReceives, text, Evented)
    assert out is tree


def test_unchanged_blocks_are_shared() -> None:
    text = service(machine([slot("a", O8)], [], [
        bb("b.1", [], "(Goto b.2)"),
        bb("b.2", [], f"(Await (RecvSomeOp {lit(8)}) a b.3)"),
        bb("b.3", [], "(CloseExit)"),
    ]))
    tree, out = run(LowerReceives, text, Evented)
    old = next(n for n in walk(tree) if isinstance(n, StateMachine)).blocks
    new = next(n for n in walk(out) if isinstance(n, StateMachine)).blocks
    assert new[0] is old[0] and new[-1] is old[-1]


def test_a_receive_without_destination_is_an_internal_error() -> None:
    text = service(machine([], [], [
        bb("b.1", [], f"(Await (RecvSomeOp {lit(8)}) nil b.2)"), bb("b.2", [], "(CloseExit)")]))
    with pytest.raises(InternalError, match="without a destination"):
        run(LowerReceives, text, Evented)


RECEIVES = (RecvLineOp, RecvUntilOp, RecvExactOp, RecvSomeOp)


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_every_example(example: Path) -> None:
    before, _ = lowered(example)
    tree, _ = lowered(example, upto=LowerReceives)
    receives = sum(1 for n in walk(before) if isinstance(n, Await) and isinstance(n.op, RECEIVES))
    assert not any(isinstance(n, Await) and isinstance(n.op, RECEIVES) for n in walk(tree))
    assert sum(1 for n in walk(tree) if isinstance(n, RxBegin)) == receives
    assert sum(1 for n in walk(tree) if isinstance(n, Suspend)) == receives


def test_a_realistic_session_from_source(tmp_path: Path) -> None:
    src = ('service t { listen tcp 7; session { set_timeout(50); '
           'let l = recv_line(16) else { close; }; send(l); close; } }')
    tree, _ = lowered(tmp_path / "t.wyki", src, upto=LowerReceives)
    m = next(n for n in walk(tree) if isinstance(n, StateMachine))
    assert all(s.name not in {f.name for f in m.frame} for s in m.locals)
    assert any(s.name.startswith("ready.") for s in m.locals)
