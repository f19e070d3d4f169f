"""lift-live-variables: the frame holds exactly the slots that some Await needs."""

from __future__ import annotations

from pathlib import Path

import pytest

from nanowyki.framework import InternalError, check, print_tree, walk
from nanowyki.languages.evented import Evented, StateMachine
from nanowyki.passes.lift_live_variables import LiftLiveVariables
from nanowyki.passes.split_states import SplitStates
from nanowyki.passes.uncover_liveness import Liveness, UncoverLiveness

from .evented_support import (
    BOOL,
    EXAMPLES,
    INT,
    apply,
    assign,
    b,
    bb,
    echo_pooled,
    evented,
    lit,
    loc,
    lower,
    machine,
    opt,
    pooled,
    same,
    service,
    slot,
)


def lift(text: str) -> tuple[str, bool]:
    """The lifted machine, printed, and whether the tree came back unchanged."""
    tree = evented(text)
    _, facts = apply(UncoverLiveness, tree)
    out, _ = apply(LiftLiveVariables, tree, facts)
    check(out, Evented)
    return print_tree(out), out is tree


def test_echo_keeps_the_received_bytes_and_the_sent_value() -> None:
    tree, facts = apply(SplitStates, pooled(echo_pooled()))
    _, facts = apply(UncoverLiveness, tree, facts)
    out, _ = apply(LiftLiveVariables, tree, facts)
    m = next(n for n in walk(out) if isinstance(n, StateMachine))
    assert [s.name for s in m.frame] == ["t.1", "data"]
    assert [s.name for s in m.locals] == ["t.2"]


LOOP = [
    bb("b.1", [assign(loc("n"), lit(0))], "(Goto b.2)"),
    bb("b.2", [assign(loc("t"), f"(Binary + {loc('n')} {lit(1)} (TInt))")],
       f"(Await (RecvLineOp {lit(80)}) l r.1)"),
    bb("r.1", [assign(loc("n"), loc("t"))], f"(Await (SendOp {loc('l', opt(b(80)))}) nil r.2)"),
    bb("r.2", [], "(Goto b.2)"),
]


def test_slots_needed_across_an_await_go_to_the_frame_in_declared_order() -> None:
    slots = [slot("t"), slot("l", opt(b(80))), slot("n")]
    text, unchanged = lift(service(machine([], slots, LOOP)))
    assert not unchanged  # t is live at r.1, l is the send's operand, n lives around the loop
    assert text == same(service(machine(slots, [], LOOP)))


def test_a_temporary_within_one_state_becomes_local() -> None:
    blocks = [
        bb("b.1", [assign(loc("t", BOOL), "(BoolLit #t (TBool))")],
           f"(Branch {loc('t', BOOL)} b.2 b.3)"),
        bb("b.2", [], "(Await (CheckpointOp) nil r.1)"),
        bb("r.1", [], "(Goto b.1)"),
        bb("b.3", [], "(CloseExit)"),
    ]
    text, _ = lift(service(machine([slot("t", BOOL)], [], blocks)))
    assert text == same(service(machine([], [slot("t", BOOL)], blocks)))


def test_a_destination_never_read_stays_local() -> None:
    blocks = [bb("b.1", [], f"(Await (RecvSomeOp {lit(8)}) d r.1)"), bb("r.1", [], "(CloseExit)")]
    text, _ = lift(service(machine([slot("d", opt(b(8)))], [], blocks)))
    assert text == same(service(machine([], [slot("d", opt(b(8)))], blocks)))


def test_must_not_fire_when_the_lists_are_already_right() -> None:
    blocks = [bb("b.1", [], f"(Await (RecvSomeOp {lit(8)}) d r.1)"),
              bb("r.1", [assign(loc("x"), lit(1))], f"(Ret {loc('d', opt(b(8)))})")]
    text = service(machine([slot("d", opt(b(8)))], [slot("x", INT)], blocks))
    printed, unchanged = lift(text)
    assert unchanged and printed == same(text)


def test_a_service_without_a_session_is_left_alone() -> None:
    _, unchanged = lift(service(
        "(DatagramGraph q (TBytes 512) (PooledCfg b.1 [] [(BasicBlock b.1 [] (Ret nil))]))",
        proto="udp"))
    assert unchanged


def test_without_liveness_it_is_a_compiler_bug() -> None:
    tree = evented(service(machine([], [], [bb("b.1", [], "(CloseExit)")])))
    with pytest.raises(KeyError, match="Liveness"):
        apply(LiftLiveVariables, tree)
    with pytest.raises(InternalError, match="no Liveness entry"):
        apply(LiftLiveVariables, tree, apply(UncoverLiveness, evented(service()))[1])


def test_idempotent() -> None:
    tree, facts = apply(SplitStates, pooled(echo_pooled()))
    for _ in range(2):
        _, facts = apply(UncoverLiveness, tree, facts)
        again, facts = apply(LiftLiveVariables, tree, facts)
        if again is tree:
            break
        tree = again
    else:
        pytest.fail("a second lift changed the tree again")
    assert facts.get(Liveness).machines


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_every_example_frame_is_exactly_what_survives(example: Path) -> None:
    tree, facts = lower(example, upto=LiftLiveVariables)
    check(tree, Evented)
    for m, live in zip((n for n in walk(tree) if isinstance(n, StateMachine)),
                       facts.get(Liveness).machines, strict=True):
        names = [s.name for s in (*m.frame, *m.locals)]
        assert len(set(names)) == len(names)
        assert {s.name for s in m.frame} == live.survivors() & set(names)
