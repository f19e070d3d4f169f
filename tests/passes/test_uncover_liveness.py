"""uncover-liveness: live-in sets of every block of each state machine, by backward dataflow."""

from __future__ import annotations

from pathlib import Path

import pytest

from nanowyki.framework import walk
from nanowyki.languages.evented import StateMachine
from nanowyki.passes.split_states import SplitStates
from nanowyki.passes.uncover_liveness import Liveness, MachineLiveness, UncoverLiveness

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
    pooled_chain,
    service,
    slot,
)


def liveness(*blocks: str, slots: tuple[str, ...] = ()) -> MachineLiveness:
    tree = evented(service(machine(list(slots), [], list(blocks))))
    out, facts = apply(UncoverLiveness, tree)
    assert out is tree  # an analysis never changes the tree
    (m,) = facts.get(Liveness).machines
    return m


def sets(m: MachineLiveness, which: str = "live_in") -> dict[str, set[str]]:
    return {k: set(v) for k, v in getattr(m, which).items()}


def plus(x: str, y: str) -> str:
    return f"(Binary + {x} {y} (TInt))"


def test_echo() -> None:
    tree, facts = apply(SplitStates, pooled(echo_pooled()))
    _, facts = apply(UncoverLiveness, tree, facts)
    (m,) = facts.get(Liveness).machines
    assert sets(m) == {"b.1": set(), "resume.4": set(), "resume.5": {"t.1"}, "b.2": set(),
                       "b.3": {"t.1"}, "resume.6": set()}
    assert sets(m, "waiting") == {"resume.4": set(), "resume.5": {"t.1"}, "resume.6": {"data"}}
    assert m.survivors() == {"t.1", "data"}


def test_a_whole_assignment_kills_a_partial_one_does_not() -> None:
    p = "(TStruct P)"
    m = liveness(
        bb("b.1", [assign(loc("x"), lit(1))], "(Goto b.2)"),
        bb("b.2", [assign(f"(Field {loc('p', p)} f (TInt))", loc("x"))], "(Goto b.3)"),
        bb("b.3", [], f"(Ret {loc('p', p)})"),
    )
    assert sets(m) == {"b.1": {"p"}, "b.2": {"p", "x"}, "b.3": {"p"}}


def test_an_index_assignment_uses_its_index_and_value() -> None:
    a = "(TArray (TInt) 4)"
    m = liveness(bb("b.1", [assign(f"(Index {loc('a', a)} {loc('i')} (TInt))", loc("v"))],
                    "(CloseExit)"))
    assert sets(m) == {"b.1": {"a", "i", "v"}}


def test_a_loop_needs_the_fixed_point() -> None:
    # n = 0; loop { l = recv_line(80); n = n + 1; send(l) }: n lives around the back edge.
    o = opt(b(80))
    m = liveness(
        bb("b.1", [assign(loc("n"), lit(0))], "(Goto b.2)"),
        bb("b.2", [], f"(Await (RecvLineOp {lit(80)}) l r.1)"),
        bb("r.1", [assign(loc("n"), plus(loc("n"), lit(1)))],
           f"(Await (SendOp {loc('l', o)}) nil r.2)"),
        bb("r.2", [], "(Goto b.2)"),
    )
    assert sets(m) == {"b.1": set(), "b.2": {"n"}, "r.1": {"n", "l"}, "r.2": {"n"}}
    assert sets(m, "live_out") == {"b.1": {"n"}, "b.2": {"n", "l"}, "r.1": {"n"}, "r.2": {"n"}}
    assert sets(m, "waiting") == {"r.1": {"n", "l"}, "r.2": {"n", "l"}}


def test_a_destination_read_later_is_live_at_the_resume_state() -> None:
    m = liveness(bb("b.1", [], f"(Await (RecvSomeOp {lit(8)}) d r.1)"),
                 bb("r.1", [], f"(Ret {loc('d')})"))
    assert sets(m) == {"b.1": set(), "r.1": {"d"}}
    assert sets(m, "waiting") == {"r.1": {"d"}}


def test_a_destination_never_read_needs_no_frame() -> None:
    m = liveness(bb("b.1", [], f"(Await (RecvSomeOp {lit(8)}) d r.1)"),
                 bb("r.1", [assign(loc("d"), lit(0))], "(CloseExit)"))
    assert sets(m, "waiting") == {"r.1": set()}
    assert m.survivors() == frozenset()


def test_the_operands_of_an_operation_must_survive_its_wait() -> None:
    m = liveness(
        bb("b.1", [assign(loc("n"), lit(3)), assign(loc("ms"), lit(10))],
           f"(Await (RecvExactOp {loc('n')} {lit(8)}) d r.1)"),
        bb("r.1", [], f"(Await (SleepOp {loc('ms')}) nil r.2)"),
        bb("r.2", [], "(CloseExit)"),
    )
    assert sets(m) == {"b.1": set(), "r.1": {"ms"}, "r.2": set()}
    assert sets(m, "waiting") == {"r.1": {"n", "ms"}, "r.2": {"ms"}}


def test_branches_join_both_successors_and_use_the_condition() -> None:
    m = liveness(
        bb("b.1", [], f"(Branch {loc('c', BOOL)} b.2 b.3)"),
        bb("b.2", [], f"(Ret {loc('x')})"),
        bb("b.3", [], f"(Ret {loc('y')})"),
    )
    assert sets(m)["b.1"] == {"c", "x", "y"}


def test_a_service_without_a_session_has_no_machines() -> None:
    tree = evented(service(
        "(DatagramGraph q (TBytes 512) (PooledCfg b.1 [] [(BasicBlock b.1 [] (Ret nil))]))",
        proto="udp"))
    _, facts = apply(UncoverLiveness, tree)
    assert facts.get(Liveness).machines == ()


def test_a_local_used_only_within_a_state_is_not_waiting() -> None:
    m = liveness(
        bb("b.1", [assign(loc("t"), lit(1)), assign(loc("u"), plus(loc("t"), lit(1)))],
           "(Await (CheckpointOp) nil r.1)"),
        bb("r.1", [], "(CloseExit)"),
        slots=(slot("t", INT), slot("u", INT)),
    )
    assert m.survivors() == frozenset()


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_nothing_is_live_at_the_entry_of_an_example(example: Path) -> None:
    if pooled_chain() is None:
        pytest.skip("the passes into Pooled are not in the pipeline yet")
    tree, facts = lower(example, upto=UncoverLiveness)
    machines = [n for n in walk(tree) if isinstance(n, StateMachine)]
    found = facts.get(Liveness).machines
    assert len(found) == len(machines)
    for m, live in zip(machines, found, strict=True):
        assert live.live_in[m.entry] == frozenset()  # every variable is assigned before use
        assert set(live.live_in) == {blk.label for blk in m.blocks}
