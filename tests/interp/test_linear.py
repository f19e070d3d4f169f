"""LinearInterpreter and PooledInterpreter: the same behaviour as FlatInterpreter on the same
program before explicate-control and hoist-locals, on hand-written Flat IL."""

from __future__ import annotations

import pytest

from nanowyki.framework import Facts, Node, read_tree
from nanowyki.interp.base import InterpError
from nanowyki.interp.flat import FlatInterpreter
from nanowyki.interp.linear import LinearInterpreter
from nanowyki.interp.pooled import PooledInterpreter
from nanowyki.interp.registry import interpreter_for
from nanowyki.languages.flat import Flat
from nanowyki.languages.types import TArray, TBool, TBytes, TInt, TOption, TStruct
from nanowyki.passes.explicate_control import ExplicateControl
from nanowyki.passes.hoist_locals import HoistLocals

from ..passes.core_support import Behaviour, behaviour
from ..passes.linear_support import TRUE, fn, lit, local, service, session

N = local("n")
STEP = f"(Assign {N} = (Binary + {N} {lit(1)} (TInt)))"
SEND_N = "(Declare t.1 (TBytes 20) (CallBuiltin itoa [(Local n (TInt))] (TBytes 20)))" \
         " (Send (Local t.1 (TBytes 20)))"


def three(text: str, **kw: object) -> tuple[Behaviour | None, Behaviour, Behaviour]:
    """The behaviour of a Flat program under Flat's interpreter (None: when it has a `Return`
    in a datagram handler, see below), after explicate-control under Linear's and after
    hoist-locals under Pooled's."""
    flat = read_tree(text, Flat)
    linear, facts = ExplicateControl().apply(flat, Facts())
    pooled, facts = HoistLocals().apply(linear, facts)
    in_handler = "(Return nil)" in text and "(Datagram" in text
    return (
        None if in_handler else behaviour(FlatInterpreter(flat), **kw),  # type: ignore[arg-type]
        behaviour(LinearInterpreter(linear), **kw),  # type: ignore[arg-type]
        behaviour(PooledInterpreter(pooled), **kw),  # type: ignore[arg-type]
    )


def same(text: str, **kw: object) -> Behaviour:
    a, b, c = three(text, **kw)
    assert a is not None
    assert a == b, "Linear differs from Flat"
    assert a == c, "Pooled differs from Flat"
    return a


def counting(limit: int, turns: int) -> str:
    test = f"(Block [(Declare t.2 (TBool) (Binary < {N} {lit(turns)} (TBool))) " \
           f"(If (Local t.2 (TBool)) (Block []) (Block [(Break)]))])"
    loop = f"(BoundedLoop {TRUE} {limit} (Block [{SEND_N}]) (Block [{STEP}]) {test})"
    return service(session(f"(Declare n (TInt) {lit(0)})", loop, "(Close)"))


def test_registered() -> None:
    assert interpreter_for("Linear") is LinearInterpreter
    assert interpreter_for("Pooled") is PooledInterpreter
    assert issubclass(LinearInterpreter, FlatInterpreter)
    assert issubclass(PooledInterpreter, LinearInterpreter)


def test_bounded_loop_ended_by_its_test_at_the_limit_does_not_fault() -> None:
    ran = same(counting(3, 3))
    assert ran.output == b"012" and ran.faults == [] and ran.closed


def test_bounded_loop_faults_fuel_entering_iteration_limit_plus_one() -> None:
    ran = same(counting(2, 5))
    assert ran.output == b"01" and [f.split(" ")[0] for f in ran.faults] == ["fuel"]


def test_fueled_loop_yields_at_the_same_points() -> None:
    stop = (f"(Declare t.3 (TBool) (Binary >= {N} {lit(7)} (TBool))) "
            "(If (Local t.3 (TBool)) (Block [(Close)]) nil)")
    loop = f"(FueledLoop {TRUE} (Block [(Checkpoint) {stop} {SEND_N}]) (Block [{STEP}]) nil)"
    ran = same(service(session(f"(Declare n (TInt) {lit(0)})", loop)), fuel=3)
    assert ran.output == b"0123456"
    assert sum("yielded" in w for w in ran.waits) == 2  # 8 checkpoints, 3 per slice


def test_unwrap_runs_the_else_block_on_none_and_binds_the_payload_otherwise() -> None:
    unwrap = ("(Unwrap d (TBytes 8) (CallBuiltin recv_line [(IntLit 8 (TInt))] "
              "(TOption (TBytes 8))) (Block [(Send (BytesLit #\"bye\" (TBytes 3))) (Close)]))")
    loop = f"(FueledLoop {TRUE} (Block [(Checkpoint) {unwrap} (Send (Local d (TBytes 8)))]) " \
           "(Block []) nil)"
    ran = same(service(session(loop)), data=b"ab\r\ncd\n")
    assert ran.output == b"abcdbye" and ran.closed


def test_functions_return_values_and_faults_in_them_propagate() -> None:
    body = (f"(Declare m (TInt) (Binary * (Local x (TInt)) {lit(2)} (TInt)))"
            " (Return (Local m (TInt)))")
    div = (f"(Declare q (TInt) (Binary / {lit(1)} (Local x (TInt)) (TInt)))"
           " (Return (Local q (TInt)))")
    calls = (f"(Declare n (TInt) (CallFn dbl [{lit(21)}] (TInt))) {SEND_N}"
             f" (Declare b (TInt) (CallFn inv [{lit(0)}] (TInt)))")
    text = service(
        fn("dbl", body, result="(TInt)", params="(Param x (TInt))"),
        fn("inv", div, result="(TInt)", params="(Param x (TInt))"),
        session(calls),
    )
    ran = same(text)
    assert ran.output == b"42" and [f.split(" ")[0] for f in ran.faults] == ["division"]


UDP = ("(Service u [(Listen udp (IntLit 9 (TInt)))"
       " (Datagram p (TBytes 16) (Block [(Declare t.1 (TBool) (Binary == (Local p (TBytes 16))"
       " (BytesLit #\"x\" (TBytes 1)) (TBool))) (If (Local t.1 (TBool)) (Block [THEN]) nil)"
       " (Reply (Local p (TBytes 16)))]))"
       " (Every (IntLit 1 (TInt)) s (Block [(Log (BytesLit #\"tick\" (TBytes 4)))]))])")
DATAGRAMS = (b"x", b"hello", b"0123456789abcdefXX")


def test_datagram_and_timer_runs_end_with_ret() -> None:
    ran = same(UDP.replace("THEN", "(Log (BytesLit #\"x!\" (TBytes 2)))"), datagrams=DATAGRAMS,
               timers=1)
    assert ran.replies == [b"x", b"hello"] and ran.log == [b"x!", b"tick"]


def test_return_ends_a_datagram_run() -> None:
    # (FlatInterpreter, from TypedInterpreter, lets `return;` in a datagram handler escape as a
    # Python exception: compared between Linear and Pooled only.)
    _, linear, pooled = three(UDP.replace("THEN", "(Return nil)"), datagrams=DATAGRAMS)
    assert linear == pooled and linear.replies == [b"hello"]


def test_pooled_slots_start_as_zero_values() -> None:
    tree = read_tree("(Service s [(Listen tcp (IntLit 7 (TInt))) (Struct P "
                     "[(FieldDecl a (TBool)) (FieldDecl b (TBytes 2))])])", Flat)
    interp = PooledInterpreter(tree)
    assert interp.zero(TInt()) == 0 and interp.zero(TBool()) is False
    assert interp.zero(TBytes(4)) == b"" and interp.zero(TOption(TInt())) is None
    assert interp.zero(TArray(TInt(), 3)) == (0, 0, 0)
    p = interp.zero(TStruct("P"))
    assert p.name == "P" and p.values == (False, b"")


def test_linear_interpreter_refuses_a_pooled_graph_in_pooled_mode_only() -> None:
    flat = read_tree(service(session("(Close)")), Flat)
    linear: Node = ExplicateControl().apply(flat, Facts())[0]
    with pytest.raises(InterpError, match="PooledCfg"):
        behaviour(PooledInterpreter(linear))
