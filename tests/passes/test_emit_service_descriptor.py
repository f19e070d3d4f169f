"""emit-service-descriptor: Cish -> Cish, the `wyki_service` descriptor."""

from __future__ import annotations

from pathlib import Path

from nanowyki.analysis.memory import MemoryLayout
from nanowyki.framework import Facts, Node, check, print_tree, read_tree
from nanowyki.interp.world import MAX_REPLY
from nanowyki.languages.cish import CDataDef, Cish, CServiceDef, CUnit
from nanowyki.passes.check_service_shape import ServiceShape
from nanowyki.passes.convert_to_cish import ConvertToCish
from nanowyki.passes.emit_service_descriptor import EmitServiceDescriptor

from .cish_support import ROOT, placed


def described(path: Path, text: str | None = None) -> str:
    tree, facts = placed(path, text)
    unit, facts = ConvertToCish().apply(tree, facts)
    out, _ = EmitServiceDescriptor().apply(unit, facts)
    check(out, Cish)
    assert isinstance(out.decls[-1], CServiceDef)  # type: ignore[attr-defined]
    return print_tree(out.decls[-1])  # type: ignore[attr-defined]


def test_a_tcp_service_names_its_step_frame_and_buffers() -> None:
    text = described(ROOT / "examples" / "echo.wyki")
    for want in ['(CInit name (CStrLit echo))', "(CInit proto (CName WYKI_TCP))",
                 "(CInit port (CIntLit 7 (CUInt32)))",
                 "(CInit max_sessions (CIntLit 1024 (CUInt32)))",
                 "(CInit frame_size (CSizeof (CStructT frame)))", "(CInit step (CName step))"]:
        assert want in text, want
    assert "datagram" not in text and "timers" not in text


def test_a_service_with_tables_points_at_their_declarations() -> None:
    text = described(ROOT / "examples" / "kv.wyki")
    assert "(CInit tables (CName wyki_tables))" in text
    assert "(CInit ntables (CIntLit 1 (CUInt32)))" in text


UDP = """
service u {
    listen udp 5300;
    shared n: int = 0;
    datagram pkt: bytes[512] { reply(pkt); }
    every 2 s { n += 1; }
    every 10 ms { n += 2; }
}
"""


def test_a_udp_service_with_timers(tmp_path: Path) -> None:
    tree, facts = placed(tmp_path / "u.wyki", UDP)
    unit, facts = ConvertToCish().apply(tree, facts)
    out, _ = EmitServiceDescriptor().apply(unit, facts)
    timers = next(d for d in out.decls if isinstance(d, CDataDef) and d.name == "wyki_timers")  # type: ignore
    text = print_tree(timers)
    assert "(CInit period_ms (CIntLit 2000 (CUInt32)))" in text
    assert "(CInit run (CName timer_1))" in text
    desc = print_tree(out.decls[-1])  # type: ignore[attr-defined]
    assert "(CInit proto (CName WYKI_UDP))" in desc
    assert "(CInit max_datagram (CIntLit 512 (CUInt32)))" in desc
    assert "(CInit datagram (CName datagram))" in desc
    assert "(CInit ntimers (CIntLit 2 (CUInt32)))" in desc
    assert "step" not in desc


def test_a_unit_that_has_a_descriptor_is_left_alone(tmp_path: Path) -> None:
    tree, facts = placed(tmp_path / "u.wyki", UDP)
    unit, facts = ConvertToCish().apply(tree, facts)
    once, _ = EmitServiceDescriptor().apply(unit, facts)
    twice, _ = EmitServiceDescriptor().apply(once, facts)
    assert twice is once


# -- from hand-written Cish ----------------------------------------------------------------------
# The pass reads only the unit's declarations (which functions, structs and tables it defines)
# and two facts; these units hold just what it looks at.

TCP_UNIT = """
(CUnit hello
  [(CStructDef frame [(CVar state (CUInt32))])
   (CStructDef scratch [(CVar tmp (CInt64))])
   (CFuncDef step [(CVar f (CPointerT (CStructT frame)))] (CStatus) []
     [(CReturn (CName WYKI_DONE))])])
"""

UDP_UNIT = """
(CUnit q
  [(CDataDef wyki_tables (CArrayT (CRuntimeT "struct wyki_table_decl") 2) (CInitList []))
   (CFuncDef datagram [(CVar d (CPointerT (CRuntimeT "struct wyki_dgram")))] (CStatus) []
     [(CReturn (CName WYKI_DONE))])
   (CFuncDef timer_0 [] (CStatus) [] [(CReturn (CName WYKI_DONE))])
   (CFuncDef timer_1 [] (CStatus) [] [(CReturn (CName WYKI_DONE))])])
"""


def printed(decl: str) -> str:
    """One hand-written declaration, read as Cish and printed as the pass's output is."""
    unit = read_tree(f"(CUnit x [{decl}])", Cish)
    return print_tree(unit.decls[0])  # type: ignore[attr-defined]


def facts(proto: str, *, timers: tuple[int, ...] = ()) -> Facts:
    tcp = proto == "tcp"
    shape = ServiceShape(proto, 7 if tcp else 53, 64 if tcp else 0, 0 if tcp else 512, timers)
    layout = MemoryLayout((), 64 if tcp else 0, 0, 4096, 8192)
    return Facts().with_(shape, layout)


def descriptor_of(unit_text: str, given: Facts) -> tuple[Node, str]:
    """The unit after the pass, and its descriptor printed."""
    unit = read_tree(unit_text, Cish)
    out, _ = EmitServiceDescriptor().apply(unit, given)
    check(out, Cish)
    assert isinstance(out, CUnit) and isinstance(out.decls[-1], CServiceDef)
    assert out.decls[: len(unit.decls)] == unit.decls  # type: ignore[attr-defined]
    return out, print_tree(out.decls[-1])


def test_a_session_unit_gets_its_frame_buffers_scratch_and_step() -> None:
    out, desc = descriptor_of(TCP_UNIT, facts("tcp"))
    assert desc == printed("""
        (CServiceDef (CInitList [
          (CInit name (CStrLit hello)) (CInit proto (CName WYKI_TCP))
          (CInit port (CIntLit 7 (CUInt32))) (CInit max_sessions (CIntLit 64 (CUInt32)))
          (CInit frame_size (CSizeof (CStructT frame)))
          (CInit rx_size (CIntLit 4096 (CUInt32))) (CInit tx_size (CIntLit 8192 (CUInt32)))
          (CInit scratch_size (CSizeof (CStructT scratch)))
          (CInit step (CName step))]))""")
    assert len(out.decls) == 4  # type: ignore[attr-defined]  # the descriptor only: no timers


def test_a_datagram_unit_gets_its_bounds_tables_and_timers() -> None:
    out, desc = descriptor_of(UDP_UNIT, facts("udp", timers=(1000, 250)))
    assert desc == printed(f"""
        (CServiceDef (CInitList [
          (CInit name (CStrLit q)) (CInit proto (CName WYKI_UDP))
          (CInit port (CIntLit 53 (CUInt32))) (CInit max_sessions (CIntLit 0 (CUInt32)))
          (CInit scratch_size (CIntLit 0 (CUInt32)))
          (CInit max_datagram (CIntLit 512 (CUInt32)))
          (CInit reply_size (CIntLit {MAX_REPLY} (CUInt32)))
          (CInit datagram (CName datagram))
          (CInit tables (CName wyki_tables)) (CInit ntables (CIntLit 2 (CUInt32)))
          (CInit timers (CName wyki_timers)) (CInit ntimers (CIntLit 2 (CUInt32)))]))""")
    timers = out.decls[-2]  # type: ignore[attr-defined]
    assert print_tree(timers) == printed("""
        (CDataDef wyki_timers (CArrayT (CRuntimeT "struct wyki_timer_decl") 2) (CInitList [
          (CInit nil (CInitList [(CInit name (CStrLit "timer 1"))
            (CInit period_ms (CIntLit 1000 (CUInt32))) (CInit run (CName timer_0))]))
          (CInit nil (CInitList [(CInit name (CStrLit "timer 2"))
            (CInit period_ms (CIntLit 250 (CUInt32))) (CInit run (CName timer_1))]))]))""")


def test_without_step_scratch_or_timers_the_descriptor_says_none() -> None:
    """Must not fire: no `step` (a UDP service) means no frame or buffers; no `scratch`
    struct means a scratch size of 0; no `every` means no `wyki_timers`."""
    bare = "(CUnit b [(CFuncDef datagram [] (CStatus) [] [(CReturn (CName WYKI_DONE))])])"
    out, desc = descriptor_of(bare, facts("udp"))
    assert [type(d).__name__ for d in out.decls] == ["CFuncDef", "CServiceDef"]  # type: ignore[attr-defined]
    for absent in ("frame_size", "rx_size", "tx_size", "step", "tables", "timers"):
        assert f"(CInit {absent} " not in desc, absent
    assert "(CInit scratch_size (CIntLit 0 (CUInt32)))" in desc


def test_a_hand_written_unit_with_a_descriptor_is_left_alone() -> None:
    """Must not fire: a unit that already ends with a descriptor is returned as it is."""
    unit = read_tree(TCP_UNIT, Cish)
    once, _ = EmitServiceDescriptor().apply(unit, facts("tcp"))
    twice, _ = EmitServiceDescriptor().apply(once, facts("udp"))  # facts it would read differ
    assert twice is once
