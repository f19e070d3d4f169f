"""emit-service-descriptor: Cish -> Cish, the `wyki_service` descriptor."""

from __future__ import annotations

from pathlib import Path

from nanowyki.framework import check, print_tree
from nanowyki.languages.cish import CDataDef, Cish, CServiceDef
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
