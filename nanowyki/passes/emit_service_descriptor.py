"""emit-service-descriptor: the `wyki_service` the runtime reads."""

from __future__ import annotations

from nanowyki.analysis.memory import MemoryLayout
from nanowyki.framework import Node, Transform
from nanowyki.interp.world import MAX_REPLY
from nanowyki.languages.cish import (
    CArrayT,
    CDataDef,
    CDecl,
    CFuncDef,
    CInit,
    CInitList,
    CIntLit,
    Cish,
    CName,
    CRuntimeT,
    CServiceDef,
    CSizeof,
    CStrLit,
    CStructDef,
    CStructT,
    CUInt32,
    CUnit,
)

from .check_service_shape import ServiceShape


def _u32(n: int) -> CIntLit:
    return CIntLit(n, CUInt32())


class EmitServiceDescriptor(Transform):
    """Cish -> Cish: define the `wyki_service` descriptor the runtime reads.

    Establishes: the unit ends with `const struct wyki_service wyki_service = { ... }`
    (`CServiceDef`): the service's name, protocol, default port and session limit and the
    largest datagram (the `ServiceShape` fact); the frame size (`sizeof(struct frame)`), the
    receive and transmit buffer sizes (the `MemoryLayout` fact); the per-worker scratch
    (`sizeof(struct scratch)`, when lift-locals-to-scratch defined it, else none); the
    largest reply; the `step`, `datagram` functions the unit defines; the `wyki_tables`
    declarations; and `wyki_timers`, a `struct wyki_timer_decl` per `every` (its period in ms
    and its `timer_K` function), added here before the descriptor.
    Assumes: the unit came from convert-to-cish (function names `step`, `datagram`,
    `timer_K`, the table declarations `wyki_tables`); a unit that already has a descriptor is
    returned unchanged.

        (CUnit echo [... (CFuncDef step ...)])
        ->
        (CUnit echo [... (CFuncDef step ...)
          (CServiceDef (CInitList [(CInit name (CStrLit echo)) (CInit proto (CName WYKI_TCP))
            (CInit port 7) (CInit max_sessions 1024) (CInit frame_size (CSizeof frame)) ...
            (CInit step (CName step))]))])
    """

    name = "emit-service-descriptor"
    input = Cish
    output = Cish
    requires = (ServiceShape, MemoryLayout)

    def transform(self, tree: Node) -> Node:
        if not isinstance(tree, CUnit):
            raise self.fail(tree, "expected a CUnit")
        if any(isinstance(d, CServiceDef) for d in tree.decls):
            return tree
        shape = self.facts.get(ServiceShape)
        layout = self.facts.get(MemoryLayout)
        funcs = {d.name for d in tree.decls if isinstance(d, CFuncDef)}
        data = {d.name: d for d in tree.decls if isinstance(d, CDataDef)}
        added: list[CDecl] = []
        items = [
            CInit("name", CStrLit(tree.name)),
            CInit("proto", CName("WYKI_TCP" if shape.proto == "tcp" else "WYKI_UDP")),
            CInit("port", _u32(shape.port)),
            CInit("max_sessions", _u32(shape.sessions)),
        ]
        if "step" in funcs:
            items += [
                CInit("frame_size", CSizeof(CStructT("frame"))),
                CInit("rx_size", _u32(layout.rx_buffer_bytes)),
                CInit("tx_size", _u32(layout.tx_buffer_bytes)),
            ]
        if any(isinstance(d, CStructDef) and d.name == "scratch" for d in tree.decls):
            items.append(CInit("scratch_size", CSizeof(CStructT("scratch"))))
        else:
            items.append(CInit("scratch_size", _u32(0)))
        if shape.proto == "udp":
            items += [CInit("max_datagram", _u32(shape.datagram_bound)),
                      CInit("reply_size", _u32(MAX_REPLY))]  # fmt: skip
        for fn in ("step", "datagram"):
            if fn in funcs:
                items.append(CInit(fn, CName(fn)))
        tables = data.get("wyki_tables")
        if tables is not None and isinstance(tables.type, CArrayT):
            items += [CInit("tables", CName("wyki_tables")),
                      CInit("ntables", _u32(tables.type.size))]  # fmt: skip
        if shape.timers:
            timers = tuple(
                CInit(None, CInitList((
                    CInit("name", CStrLit(f"timer {k + 1}")), CInit("period_ms", _u32(period)),
                    CInit("run", CName(f"timer_{k}")),
                )))
                for k, period in enumerate(shape.timers)
            )  # fmt: skip
            decl_t = CArrayT(CRuntimeT("struct wyki_timer_decl"), len(timers))
            added.append(CDataDef("wyki_timers", decl_t, CInitList(timers)))
            items += [CInit("timers", CName("wyki_timers")),
                      CInit("ntimers", _u32(len(timers)))]  # fmt: skip
        added.append(CServiceDef(CInitList(tuple(items))))
        return CUnit(tree.name, (*tree.decls, *added))
