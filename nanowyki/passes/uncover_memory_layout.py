"""uncover-memory-layout: every frame, table and buffer of the service, and the whole arena."""

from __future__ import annotations

import dataclasses
from typing import assert_never

from nanowyki.analysis.memory import (
    ALIGN,
    RX_GRANULE,
    RX_SLACK,
    TABLE_ENTRY_OVERHEAD,
    TX_BUFFER_BYTES,
    FrameLayout,
    MemoryLayout,
    SlotLayout,
    TableLayout,
    round_up,
    size_of,
)
from nanowyki.framework import Analysis, Facts, Node, find_all
from nanowyki.languages.linear import DatagramGraph, FnGraph, SessionGraph, TimerGraph
from nanowyki.languages.pooled import Pooled, PooledCfg
from nanowyki.languages.resolved import CallBuiltin, CallFn
from nanowyki.languages.surface import Service, Shared, Struct, Table
from nanowyki.languages.types import TBytes, TOption, Type
from nanowyki.passes.check_service_shape import ServiceShape
from nanowyki.passes.reject_recursion import CallGraph
from nanowyki.static_eval import constant_table, fold_int

RECEIVES = frozenset({"recv_line", "recv_until", "recv_exact", "recv"})
Handler = SessionGraph | DatagramGraph | TimerGraph | FnGraph


class UncoverMemoryLayout(Analysis):
    """Pooled -> Pooled: lay out every frame and table, and size the service's arena.

    Provides `MemoryLayout` (sizes and the layout rules: `nanowyki.analysis.memory`): each
    handler's and function's frame (a function's parameters and a datagram handler's packet
    first, then the graph's slots, each at an 8-aligned offset) and the deepest chain of
    function frames below each handler (from the `CallGraph` fact); each table's bytes
    (capacity x (key + value + 16)); the per-session frame and buffers (receive: the largest
    bound any receive asks for + 2, rounded up to 4 KiB; transmit: `TX_BUFFER_BYTES`); the
    session pool at the declared session limit (`ServiceShape`), and the whole arena in 2 MiB
    superpages. Changes nothing.
    Assumes: Pooled (every local is a slot of static size); table capacities are constants.

        (Sessions (IntLit 10 (TInt)))
        (SessionGraph (PooledCfg b.1 [(Slot o.1 (TOption (TBytes 100))) (Slot t.2 (TBool))
                                      (Slot line (TBytes 100))] ...recv_line(100)...))
        -> session frame: o.1 @0 (8 + 104 = 112), t.2 @112 (1), line @120 (104): 224 bytes;
           pool 10 x 224 = 2240; rx 4096 (100 + 2, rounded up), tx 65536: 10 x 69632;
           arena 698560 bytes: 1 superpage
    """

    name = "uncover-memory-layout"
    input = Pooled
    requires = (CallGraph, ServiceShape)
    provides = (MemoryLayout,)

    def analyze(self, tree: Node, facts: Facts) -> object:
        if not isinstance(tree, Service):
            raise self.fail(tree, "expected a Service")
        sizes = _Sizes(tree)
        handlers = [d for d in tree.decls if isinstance(d, Handler)]
        names = _names(handlers)
        own = {who: sizes.frame(who, d) for who, d in zip(names, handlers, strict=True)}
        calls = facts.get(CallGraph)
        below: dict[str, tuple[int, tuple[str, ...]]] = {}  # fn -> its stack and chain
        for f in calls.order:
            deepest = _deepest(calls.calls.get(f, ()), below)
            below[f] = (own[f"fn {f}"].bytes + deepest[0], (f, *deepest[1]))
        frames = []
        for who, d in zip(names, handlers, strict=True):
            stack, chain = _deepest(_callees(d), below)
            frames.append(dataclasses.replace(own[who], stack_bytes=stack, deepest=chain))
        consts = constant_table(tree, facts)
        tables = []
        for t in tree.decls:
            if isinstance(t, Table):
                capacity = None if t.capacity is None else fold_int(t.capacity, consts)
                if capacity is None:
                    raise self.fail(t, f"the capacity of table '{t.name}' is not a constant")
                key, value = self._type(t, t.key), self._type(t, t.value)
                entry = sizes.slot(key) + sizes.slot(value) + TABLE_ENTRY_OVERHEAD
                tables.append(TableLayout(t.name, capacity, entry, capacity * entry))
        shared = sum(
            sizes.slot(self._type(d, d.declared)) for d in tree.decls if isinstance(d, Shared)
        )
        shape = facts.get(ServiceShape)
        session = own.get("session")
        return MemoryLayout(
            frames=tuple(frames),
            tables=tuple(tables),
            sessions=shape.sessions if shape.proto == "tcp" else 0,
            session_frame_bytes=session.bytes if session is not None else 0,
            rx_buffer_bytes=round_up(_largest_receive(tree) + RX_SLACK, RX_GRANULE),
            tx_buffer_bytes=TX_BUFFER_BYTES,
            shared_bytes=shared,
            handler_frame_bytes=sum(
                f.bytes for f in frames if f.who == "datagram" or f.who.startswith("timer ")
            ),
        )

    def _type(self, n: Node, t: object) -> Type:
        if not isinstance(t, Type):
            raise self.fail(n, f"an unresolved type {t!r}")
        return t


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
        """The bytes `t` takes in a frame, a table entry or the shared area (8-aligned)."""
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
        return FrameLayout(who, tuple(laid), offset, 0, ())


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


def _callees(d: Handler) -> tuple[str, ...]:
    """The functions `d` calls, each once, in order of first call."""
    found = dict.fromkeys(n.func for n in find_all(d.body, (CallFn,)))
    return tuple(found)


def _deepest(
    callees: tuple[str, ...], below: dict[str, tuple[int, tuple[str, ...]]]
) -> tuple[int, tuple[str, ...]]:
    """The deepest stack among the calls of `callees` (the first one on a tie)."""
    best: tuple[int, tuple[str, ...]] = (0, ())
    for g in callees:
        if below[g][0] > best[0]:
            best = below[g]
    return best


def _largest_receive(tree: Node) -> int:
    """The largest bound any receive of the program asks for (0 without receives)."""
    bounds = [0]
    for n in find_all(tree, (CallBuiltin,)):
        if n.func in RECEIVES:
            t = n.type
            if isinstance(t, TOption) and isinstance(t.inner, TBytes):
                bounds.append(t.inner.bound)
    return max(bounds)
