"""CishInterpreter: the C-shaped IL run with C semantics against a model of the runtime."""

from __future__ import annotations

from pathlib import Path

import pytest

from nanowyki import pipeline, purefns
from nanowyki.framework import Facts, read_tree
from nanowyki.interp import run_transcript
from nanowyki.interp.base import InterpError
from nanowyki.interp.cish import CishInterpreter, wrap64
from nanowyki.interp.receive import Line
from nanowyki.interp.scheduler import FINISHED, YIELD, WaitInput, WaitOutput
from nanowyki.interp.world import World
from nanowyki.languages.cish import CCast, CInt64, CIntLit, Cish, CUInt32

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples").glob("*.wyki"))


def unit(body: str, locals_: str = "", frame: str = "") -> CishInterpreter:
    """A Cish unit with a descriptor and a `step` of this body."""
    text = f"""
    (CUnit t
      [(CStructDef frame [(CVar state (CUInt32)) (CVar rx_deadline (CInt64))
                          (CVar wake_ms (CInt64)) (CVar tx_sent (CUInt32))
                          (CVar timeout_ms (CInt64)) (CVar timed_out (CBoolT)) {frame}])
       (CFuncDef step
         [(CVar f (CPointerT (CStructT frame))) (CVar c (CPointerT (CRuntimeT "struct wyki_conn")))]
         (CStatus) [(CVar st (CStatus)) (CVar fuel (CInt64)) {locals_}] [{body}])
       (CServiceDef (CInitList [(CInit name (CStrLit t)) (CInit proto (CName WYKI_TCP))
                                (CInit port (CIntLit 7 (CUInt32)))
                                (CInit max_sessions (CIntLit 4 (CUInt32)))]))])
    """
    return CishInterpreter(read_tree(text, Cish), Facts())


def first_wait(interp: CishInterpreter, inbox: bytes = b"") -> object:
    world = World()
    shape = interp.start(world)
    assert shape.name == "t" and shape.port == 7 and shape.max_sessions == 4
    conn = world.connect("a")
    conn.inbox += inbox
    return interp.session(conn).resume()


def test_the_descriptor_gives_the_shape_without_any_fact() -> None:
    assert first_wait(unit("(CReturn (CName WYKI_DONE))")) == FINISHED


def test_statuses_map_to_waits() -> None:
    assert first_wait(unit("(CReturn (CName WYKI_YIELD))")) == YIELD
    assert first_wait(unit("(CReturn (CName WYKI_NEED_OUTPUT))")) == WaitOutput()


def test_a_fault_status_raises_the_fault_of_that_kind() -> None:
    body = "(CReturn (CCall WYKI_FAULT_STATUS [(CName WYKI_FAULT_OVERFLOW)]))"
    with pytest.raises(purefns.Fault) as err:
        first_wait(unit(body))
    assert err.value.kind == "overflow"


def test_checked_addition_returns_the_overflow_status_and_leaves_its_result() -> None:
    body = """(CAssign (CName st) (CCall wyki_add [(CIntLit 9223372036854775807 (CInt64))
                                                 (CIntLit 1 (CInt64)) (CUnary & (CName r))]))
              (CIf (CBinary != (CName st) (CIntLit 0 (CStatus))) [(CReturn (CName st))] [])
              (CReturn (CName WYKI_DONE))"""
    with pytest.raises(purefns.Fault, match="overflow"):
        first_wait(unit(body, "(CVar r (CInt64))"))


def test_need_input_waits_for_the_receive_the_step_tried() -> None:
    body = """(CAssign (CName ok) (CCall wyki_rx_line [(CName c) (CArrow (CName f) rx_deadline)
                 (CIntLit 8 (CInt64)) (CUnary & (CArrow (CName f) timed_out))
                 (CUnary & (CMember (CName o) some)) (CMember (CMember (CName o) value) data)
                 (CUnary & (CMember (CMember (CName o) value) len))]))
              (CIf (CName ok) [(CReturn (CName WYKI_DONE))] [])
              (CReturn (CName WYKI_NEED_INPUT))"""
    interp = CishInterpreter(read_tree(f"""
      (CUnit t [(CStructDef b8 [(CVar len (CUInt32)) (CVar data (CArrayT (CUInt8) 8))])
                (CStructDef o8 [(CVar some (CBoolT)) (CVar value (CStructT b8))])
                {_unit_rest(body, "(CVar ok (CBoolT)) (CVar o (CStructT o8))")}])""", Cish),
        Facts())
    assert first_wait(interp, b"abc") == WaitInput(Line(8), None)
    assert first_wait(interp, b"abc\n") == FINISHED


def _unit_rest(body: str, locals_: str) -> str:
    return f"""
       (CStructDef frame [(CVar state (CUInt32)) (CVar rx_deadline (CInt64))
                          (CVar timed_out (CBoolT))])
       (CFuncDef step [(CVar f (CPointerT (CStructT frame)))
                       (CVar c (CPointerT (CRuntimeT "struct wyki_conn")))]
         (CStatus) [(CVar st (CStatus)) {locals_}] [{body}])
       (CServiceDef (CInitList [(CInit name (CStrLit t)) (CInit proto (CName WYKI_TCP))
                                (CInit port (CIntLit 7 (CUInt32)))
                                (CInit max_sessions (CIntLit 4 (CUInt32)))]))"""


def test_goto_jumps_to_a_top_level_label_and_the_frame_survives_the_return() -> None:
    body = """(CSwitch (CArrow (CName f) state)
                [(CCase (CIntLit 0 (CUInt32)) [(CGoto l_a)])
                 (CCase (CIntLit 1 (CUInt32)) [(CGoto l_b)])])
              (CLabel l_a)
              (CAssign (CArrow (CName f) state) (CIntLit 1 (CUInt32)))
              (CReturn (CName WYKI_YIELD))
              (CLabel l_b)
              (CReturn (CName WYKI_DONE))"""
    interp = unit(body)
    world = World()
    interp.start(world)
    task = interp.session(world.connect("a"))
    assert task.resume() == YIELD
    assert task.resume() == FINISHED


def test_a_goto_to_a_missing_label_is_an_interpreter_error() -> None:
    with pytest.raises(InterpError, match="no such label"):
        first_wait(unit("(CGoto nowhere)"))


def test_running_off_the_end_of_a_function_is_an_interpreter_error() -> None:
    with pytest.raises(InterpError, match="ran off its end"):
        first_wait(unit("(CLabel l_a)"))


def test_uint32_literals_and_casts_wrap_as_in_c() -> None:
    assert wrap64(2**63) == -(2**63)
    interp = unit("(CReturn (CName WYKI_DONE))")
    interp.start(World())
    assert interp.eval(CIntLit(2**32, CUInt32()), {}) == 0
    assert interp.eval(CCast(CUInt32(), CIntLit(-1, CInt64())), {}) == 2**32 - 1
    assert interp.eval(CCast(CInt64(), CIntLit(2**63, CInt64())), {}) == -(2**63)


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_every_transcript_of_every_example_runs_on_cish(example: Path) -> None:
    result = pipeline.default().run(pipeline.source_tree(example))
    assert result.language == "Cish"
    bad = []
    for path in sorted((ROOT / "tests" / "transcripts" / example.stem).glob("*.tr")):
        played = run_transcript(CishInterpreter(result.tree, result.facts), path)
        if not played.ok:
            bad.append(played.report())
    assert bad == []
