"""uncover-memory-layout: every frame of the service before liveness, and its buffer sizes."""

from __future__ import annotations

from typing import assert_never

from nanowyki.analysis.memory import (
    ALIGN,
    RX_GRANULE,
    RX_SLACK,
    TX_BUFFER_BYTES,
    FrameLayout,
    MemoryLayout,
    SlotLayout,
    round_up,
    size_of,
)
from nanowyki.framework import Analysis, Facts, Node, find_all
from nanowyki.languages.linear import DatagramGraph, FnGraph, SessionGraph, TimerGraph
from nanowyki.languages.pooled import Pooled, PooledCfg
from nanowyki.languages.resolved import CallBuiltin
from nanowyki.languages.surface import Service, Struct
from nanowyki.languages.types import TBytes, TOption, Type
from nanowyki.passes.check_service_shape import ServiceShape

RECEIVES = frozenset({"recv_line", "recv_until", "recv_exact", "recv"})
Handler = SessionGraph | DatagramGraph | TimerGraph | FnGraph


class UncoverMemoryLayout(Analysis):
    """Pooled -> Pooled: lay out every frame before liveness, and size the session buffers.

    Provides `MemoryLayout` (sizes and layout rules: `nanowyki.analysis.memory`): each
    handler's and function's frame at this point, before liveness (a function's parameters
    and a datagram handler's packet first, then the graph's slots, each at an 8-aligned
    offset); the declared session limit (`ServiceShape`); the receive buffer (the largest
    bound any receive asks for + 2, rounded up to 4 KiB) and the transmit buffer
    (`TX_BUFFER_BYTES`), which emit-service-descriptor writes into the descriptor. The memory
    the compiled service maps is computed from the C (`nanowyki.analysis.arena`). Changes
    nothing.
    Assumes: Pooled (every local is a slot of static size).

        (Sessions (IntLit 10 (TInt)))
        (SessionGraph (PooledCfg b.1 [(Slot o.1 (TOption (TBytes 100))) (Slot t.2 (TBool))
                                      (Slot line (TBytes 100))] ...recv_line(100)...))
        -> session frame: o.1 @0 (8 + 104 = 112), t.2 @112 (1), line @120 (104): 224 bytes;
           10 sessions; rx 4096 (100 + 2, rounded up), tx 65536
    """

    name = "uncover-memory-layout"
    input = Pooled
    requires = (ServiceShape,)
    provides = (MemoryLayout,)

    def analyze(self, tree: Node, facts: Facts) -> object:
        if not isinstance(tree, Service):
            raise self.fail(tree, "expected a Service")
        sizes = _Sizes(tree)
        handlers = [d for d in tree.decls if isinstance(d, Handler)]
        frames = tuple(sizes.frame(who, d) for who, d in zip(_names(handlers), handlers,
                                                             strict=True))  # fmt: skip
        shape = facts.get(ServiceShape)
        session = next((f for f in frames if f.who == "session"), None)
        return MemoryLayout(
            frames=frames,
            sessions=shape.sessions if shape.proto == "tcp" else 0,
            session_frame_bytes=session.bytes if session is not None else 0,
            rx_buffer_bytes=round_up(_largest_receive(tree) + RX_SLACK, RX_GRANULE),
            tx_buffer_bytes=TX_BUFFER_BYTES,
        )


class _Sizes:
    """Sizes of the types of one service (its structs)."""

    def __init__(self, tree: Service) -> None:
        self.structs = {
            d.name: tuple(f.declared for f in d.fields if isinstance(f.declared, Type))
            for d in tree.decls
            if isinstance(d, Struct)
        }

    def of(self, t: Type) -> int:
        return size_of(t, self.structs.__getitem__)

    def slot(self, t: Type) -> int:
        """The bytes `t` takes in a frame (8-aligned)."""
        return round_up(self.of(t), ALIGN)

    def frame(self, who: str, d: Handler) -> FrameLayout:
        args: list[tuple[str, Type]] = []
        if isinstance(d, FnGraph):
            args = [(p.name, p.declared) for p in d.params if isinstance(p.declared, Type)]
        elif isinstance(d, DatagramGraph):
            args = [(d.name, d.declared)] if isinstance(d.declared, Type) else []
        if not isinstance(d.body, PooledCfg):
            raise TypeError(f"{who}: not a PooledCfg")
        offset = 0
        laid: list[SlotLayout] = []
        for name, t in [*args, *((s.name, s.type) for s in d.body.slots)]:
            laid.append(SlotLayout(name, t, offset, self.of(t)))
            offset += self.slot(t)
        return FrameLayout(who, tuple(laid), offset)


def _names(handlers: list[Handler]) -> list[str]:
    names: list[str] = []
    timers = 0
    for d in handlers:
        match d:
            case SessionGraph():
                names.append("session")
            case DatagramGraph():
                names.append("datagram")
            case TimerGraph():
                timers += 1
                names.append(f"timer {timers}")
            case FnGraph(name):
                names.append(f"fn {name}")
            case _:
                assert_never(d)
    return names


def _largest_receive(tree: Node) -> int:
    """The largest bound any receive of the program asks for (0 without receives)."""
    bounds = [0]
    for n in find_all(tree, (CallBuiltin,)):
        if n.func in RECEIVES:
            t = n.type
            if isinstance(t, TOption) and isinstance(t.inner, TBytes):
                bounds.append(t.inner.bound)
    return max(bounds)
