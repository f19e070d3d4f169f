"""split-states: every blocking operation of the session ends a block with an Await."""

from __future__ import annotations

from pathlib import Path

import pytest

from nanowyki.framework import InternalError, check, print_tree, walk
from nanowyki.languages.evented import Await, Evented, SessionMachine, StateMachine
from nanowyki.languages.linear import BasicBlock
from nanowyki.passes.split_states import SplitStates

from .evented_support import (
    BOOL,
    EXAMPLES,
    INT,
    apply,
    assign,
    b,
    bb,
    call,
    echo_pooled,
    lit,
    loc,
    lower,
    machine,
    opt,
    pooled,
    pooled_chain,
    same,
    service,
    session,
    slot,
)


def split(text: str) -> str:
    out, _ = apply(SplitStates, pooled(text))
    check(out, Evented)
    return print_tree(out)


def test_echo_becomes_a_machine_with_a_state_per_blocking_point() -> None:
    o = opt(b(4096))
    assert split(echo_pooled()) == same(service(
        f"(Const CHUNK (TInt) {lit(4096)})",
        machine(
            ["(Slot t.1 (TOption (TBytes 4096)))", f"(Slot data {b(4096)})", f"(Slot t.2 {BOOL})"],
            [],
            [
                bb("b.1", [], "(Await (CheckpointOp) nil resume.4)"),
                bb("resume.4", [], "(Await (RecvSomeOp (ConstRef CHUNK (TInt))) t.1 resume.5)"),
                bb("resume.5", [assign(loc("t.2", BOOL), f"(IsNone {loc('t.1', o)} {BOOL})")],
                   f"(Branch {loc('t.2', BOOL)} b.2 b.3)"),
                bb("b.2", [], "(CloseExit)"),
                bb("b.3", [assign(loc("data", b(4096)), f"(Payload {loc('t.1', o)} {b(4096)})")],
                   f"(Await (SendOp {loc('data', b(4096))}) nil resume.6)"),
                bb("resume.6", [], "(Goto b.1)"),
            ],
        ),
    ))


def test_every_kind_of_operation_and_the_statements_between_them() -> None:
    o = opt(b(8))
    d = '(BytesLit #"\\r\\n" (TBytes 2))'
    text = service(session(
        [slot("a", o), slot("c", o), slot("e", o), slot("g", o), slot("n", INT)],
        [bb("b.1", [
            assign(loc("a", o), call("recv_line", [lit(8)], o)),
            assign(loc("n", INT), lit(1)),
            assign(loc("c", o), call("recv_until", [d, lit(8)], o)),
            assign(loc("e", o), call("recv_exact", [loc("n"), lit(8)], o)),
            f"(ExprStmt {call('sleep', [lit(5)], '(TUnit)')})",
            assign(loc("g", o), call("recv", [lit(8)], o)),
            assign(loc("n", INT), lit(2)),
        ], "(CloseExit)")],
    ))
    slots = [slot("a", o), slot("c", o), slot("e", o), slot("g", o), slot("n", INT)]
    assert split(text) == same(service(machine(slots, [], [
        bb("b.1", [], f"(Await (RecvLineOp {lit(8)}) a resume.2)"),
        bb("resume.2", [assign(loc("n"), lit(1))],
           f"(Await (RecvUntilOp {d} {lit(8)}) c resume.3)"),
        bb("resume.3", [], f"(Await (RecvExactOp {loc('n')} {lit(8)}) e resume.4)"),
        bb("resume.4", [], f"(Await (SleepOp {lit(5)}) nil resume.5)"),
        bb("resume.5", [], f"(Await (RecvSomeOp {lit(8)}) g resume.6)"),
        bb("resume.6", [assign(loc("n"), lit(2))], "(CloseExit)"),
    ])))


def test_a_session_without_blocking_operations_keeps_its_blocks() -> None:
    text = service(session([slot("n")], [
        bb("b.1", [assign(loc("n"), lit(1))], "(Goto b.2)"), bb("b.2", [], "(CloseExit)")]))
    tree = pooled(text)
    out, _ = apply(SplitStates, tree)
    m = next(d for d in out.decls if isinstance(d, SessionMachine)).body  # type: ignore[attr-defined]
    assert isinstance(m, StateMachine)
    old = tree.decls[1].body.blocks  # type: ignore[attr-defined]
    assert all(new is was for new, was in zip(m.blocks, old, strict=True))  # not rebuilt
    assert [s.name for s in m.frame] == ["n"] and m.locals == ()


def test_a_service_without_a_session_is_left_alone() -> None:
    text = service(
        "(DatagramGraph q (TBytes 512) (PooledCfg b.1 [] [(BasicBlock b.1 [] (Ret nil))]))",
        proto="udp",
    )
    tree = pooled(text)
    out, _ = apply(SplitStates, tree)
    assert out is tree


def test_functions_are_left_alone() -> None:
    fn = (f"(FnGraph f [] (TInt) (PooledCfg b.1 [{slot('x')}] "
          f"[(BasicBlock b.1 [{assign(loc('x'), lit(1))}] (Ret {loc('x')}))]))")
    tree = pooled(service(fn, session([], [bb("b.1", [], "(CloseExit)")])))
    out, _ = apply(SplitStates, tree)
    assert out.decls[1] is tree.decls[1]  # type: ignore[attr-defined]


@pytest.mark.parametrize("stmt", [
    f"(Send {loc('x', b(4))})",
    "(Checkpoint)",
    assign(loc("x", opt(b(4))), call("recv_line", [lit(4)], opt(b(4)))),
])
def test_a_blocking_operation_outside_the_session_is_a_compiler_bug(stmt: str) -> None:
    timer = (f"(TimerGraph {lit(1)} s (PooledCfg b.1 [{slot('x', b(4))}] "
             f"[(BasicBlock b.1 [{stmt}] (Ret nil))]))")
    with pytest.raises(InternalError, match="split-states"):
        apply(SplitStates, pooled(service(timer)))


def test_a_receive_whose_result_is_dropped_is_a_compiler_bug() -> None:
    dropped = f"(ExprStmt {call('recv', [lit(4)], opt(b(4)))})"
    with pytest.raises(InternalError, match="blocking 'recv'"):
        apply(SplitStates, pooled(service(session([], [bb("b.1", [dropped], "(CloseExit)")]))))


def test_a_receive_into_a_field_is_a_compiler_bug() -> None:
    o = opt(b(4))
    into_field = assign(f"(Field {loc('p', '(TStruct P)')} x {o})", call("recv", [lit(4)], o))
    with pytest.raises(InternalError, match="split-states"):
        apply(SplitStates, pooled(service(session([slot("p", "(TStruct P)")],
                                                  [bb("b.1", [into_field], "(CloseExit)")]))))


def test_spans_of_the_awaits_are_the_blocking_statements() -> None:
    tree, _ = lower(EXAMPLES[0].parent / "echo.wyki", upto=SplitStates) if pooled_chain() else (
        None, None)
    if tree is None:
        pytest.skip("the passes into Pooled are not in the pipeline yet")
    awaits = [n for n in walk(tree) if isinstance(n, Await)]
    assert awaits and all(a.span is not None and a.span.line > 1 for a in awaits)


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_every_example_splits_into_a_checked_machine(example: Path) -> None:
    if pooled_chain() is None:
        pytest.skip("the passes into Pooled are not in the pipeline yet")
    tree, _ = lower(example, upto=SplitStates)
    check(tree, Evented)
    for m in (n for n in walk(tree) if isinstance(n, StateMachine)):
        labels = [blk.label for blk in m.blocks]
        assert len(set(labels)) == len(labels)
        assert m.entry in labels
        for blk in m.blocks:
            assert isinstance(blk, BasicBlock)
            if isinstance(blk.exit, Await):
                assert blk.exit.resume in labels
