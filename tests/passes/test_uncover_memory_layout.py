"""uncover-memory-layout: every frame before liveness, and the buffer sizes (Pooled -> Pooled)."""

from __future__ import annotations

from pathlib import Path

import pytest

from nanowyki.analysis.memory import TX_BUFFER_BYTES, MemoryLayout, SlotLayout, size_of
from nanowyki.framework import Facts, read_tree
from nanowyki.languages.pooled import Pooled
from nanowyki.languages.types import (
    TArray,
    TBool,
    TBytes,
    TInt,
    TOption,
    TStruct,
    Type,
)
from nanowyki.passes.check_service_shape import ServiceShape
from nanowyki.passes.uncover_memory_layout import UncoverMemoryLayout

from .linear_support import EXAMPLES, run, run_example

FIELDS: dict[str, tuple[Type, ...]] = {"P": (TBool(), TInt(), TBytes(3))}


def size(t: Type) -> int:
    return size_of(t, FIELDS.__getitem__)


@pytest.mark.parametrize(
    ("t", "want"),
    [
        (TInt(), 8),
        (TBool(), 1),
        (TBytes(4), 8),  # 4 + 4
        (TBytes(5), 16),  # 4 + 5 = 9, rounded up to 16
        (TBytes(100), 104),
        (TStruct("P"), 24),  # bool 1 -> 8, int 8, bytes[3] 7 -> 8
        (TArray(TBool(), 3), 3),
        (TArray(TInt(), 4), 32),
        (TArray(TStruct("P"), 2), 48),
        (TOption(TInt()), 16),
        (TOption(TBool()), 9),
        (TOption(TBytes(100)), 112),
    ],
    ids=lambda v: str(v),
)
def test_sizes(t: Type, want: int) -> None:
    assert size(t) == want


TCP = """
(Service s
  [(Listen tcp (IntLit 7 (TInt)))
   (Sessions (IntLit SESSIONS (TInt)))
   (Struct P [(FieldDecl a (TBool)) (FieldDecl b (TInt)) (FieldDecl c (TBytes 3))])
   (Table cache (TInt) (TBytes 20) (IntLit 100 (TInt)))
   (Shared hits (TInt) (IntLit 0 (TInt)))
   (FnGraph g [(Param a (TInt))] (TInt)
     (PooledCfg b.1 [(Slot t (TInt))] [(BasicBlock b.1 [] (Ret (Local a (TInt))))]))
   (FnGraph f [(Param x (TInt))] (TInt)
     (PooledCfg b.2 [(Slot u (TInt)) (Slot v (TStruct P))]
       [(BasicBlock b.2 [(Assign (Local u (TInt)) = (CallFn g [(Local x (TInt))] (TInt)))]
          (Ret (Local u (TInt))))]))
   (SessionGraph
     (PooledCfg b.3
       [(Slot o (TOption (TBytes 100))) (Slot ok (TBool)) (Slot line (TBytes 100)) (Slot n (TInt))]
       [(BasicBlock b.3
          [(Assign (Local o (TOption (TBytes 100))) =
             (CallBuiltin recv_line [(IntLit 100 (TInt))] (TOption (TBytes 100))))
           (Assign (Local n (TInt)) = (CallFn f [(IntLit 1 (TInt))] (TInt)))]
          (CloseExit))]))])
"""


def layout(text: str, sessions: int = 10, proto: str = "tcp") -> MemoryLayout:
    tree = read_tree(text.replace("SESSIONS", str(sessions)), Pooled)
    facts = Facts().with_(ServiceShape(proto, 7, sessions if proto == "tcp" else 0, 0, ()))
    out, found = UncoverMemoryLayout().apply(tree, facts)
    assert out is tree  # an analysis changes nothing
    return found.get(MemoryLayout)


def test_session_frame_lays_slots_out_at_8_aligned_offsets() -> None:
    m = layout(TCP)
    session = m.frame("session")
    assert session is not None
    assert [(s.name, s.offset, s.size) for s in session.slots] == [
        ("o", 0, 112),
        ("ok", 112, 1),
        ("line", 120, 104),
        ("n", 224, 8),
    ]
    assert session.bytes == 232 and m.session_frame_bytes == 232


def test_function_frames_hold_parameters_then_slots() -> None:
    m = layout(TCP)
    g, f = m.frame("fn g"), m.frame("fn f")
    assert g is not None and f is not None
    assert g.slots[0] == SlotLayout("a", TInt(), 0, 8)
    assert (g.bytes, f.bytes) == (16, 40)  # a 8, t 8; x 8, u 8, v 24


def test_buffers_and_the_session_limit() -> None:
    m = layout(TCP, sessions=10_000)
    assert m.sessions == 10_000
    assert m.rx_buffer_bytes == 4096  # 100 + 2, rounded up to 4 KiB
    assert m.tx_buffer_bytes == TX_BUFFER_BYTES == 65536


UDP = """
(Service d
  [(Listen udp (IntLit 53 (TInt)))
   (DatagramGraph p (TBytes 512)
     (PooledCfg b.1 [(Slot n (TInt))] [(BasicBlock b.1 [] (Ret nil))]))
   (TimerGraph (IntLit 1 (TInt)) s
     (PooledCfg b.2 [(Slot k (TBool))] [(BasicBlock b.2 [] (Ret nil))]))])
"""


def test_a_udp_service_has_no_session_pool_and_its_packet_is_in_the_datagram_frame() -> None:
    m = layout(UDP, proto="udp")
    datagram, timer = m.frame("datagram"), m.frame("timer 1")
    assert datagram is not None and timer is not None
    assert [(s.name, s.offset) for s in datagram.slots] == [("p", 0), ("n", 520)]
    assert datagram.bytes == 528 and timer.bytes == 8
    assert m.sessions == 0 and m.session_frame_bytes == 0


def test_source_program_sizes_its_receive_buffer_from_its_largest_receive(tmp_path: Path) -> None:
    src = """service t {
        listen tcp 7;
        sessions 3;
        session {
            let a = recv_line(5000) else { close; };
            let b = recv_exact(4, 10) else { close; };
            send(a ++ b);
            close;
        }
    }"""
    m = run(src, "uncover-memory-layout", tmp_path).facts.get(MemoryLayout)
    assert m.rx_buffer_bytes == 8192  # 5000 + 2 rounded up to 4 KiB
    assert m.sessions == 3


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_every_example_has_a_layout(example: Path) -> None:
    m = run_example(example, "uncover-memory-layout").facts.get(MemoryLayout)
    assert m.frames and m.rx_buffer_bytes % 4096 == 0
    for f in m.frames:
        assert all(s.offset % 8 == 0 for s in f.slots)
