"""The arena a compiled service maps under the userspace runtime: what `carve()` in
runtime_c/user/main.c allocates, computed from the service descriptor the compiler emits.

`carve()` reads only the descriptor (`struct wyki_service`: session limit, frame, buffer and
scratch sizes, tables, timers) and the runtime's own structs. `descriptor` evaluates the
descriptor of a `Cish` unit (its `sizeof`s by `CLayout`), and `carve` repeats the allocations
of `carve()` in the same order, with the same alignment, from a 2 MiB-aligned start, so
`Arena.used` is the bytes the binary uses and `Arena.mapped` what it maps (whole 2 MiB
superpages). The binary prints both in its ready line; tests/test_report_binaries.py starts
every example at 1 and 2 workers and compares, and checks the constants below against the C.

The kernel module (runtime_c/kernel/main.c) carves the same allocations in the same order,
but with its own `struct conn` and `struct worker`, in chunks of 2^order pages, and puts a
table bigger than a chunk in vmalloc: this model is the userspace binary's.
"""

from __future__ import annotations

from dataclasses import dataclass

from nanowyki.analysis.c_layout import CLayout, round_up
from nanowyki.languages.cish import (
    CDataDef,
    CExpr,
    CInitList,
    CIntLit,
    CName,
    CServiceDef,
    CSizeof,
    CStrLit,
    CUnit,
)

# The runtime's side, checked against the C by tests/test_report_binaries.py (a probe that
# includes the runtime's sources prints each): change them with the C.
CACHELINE = 64  # WYKI_CACHELINE, include/wyki.h: every allocation below starts on one
SUPERPAGE = 2 * 1024 * 1024  # SUPERPAGE, user/platform.c: the arena is mapped in these
CONN_BYTES = 176  # sizeof(struct conn), user/internal.h: one per session
WORKER_BYTES = 8512  # sizeof(struct worker), user/internal.h (its timer wheel: 8 KiB)
UDP_STATE_BYTES = 9280  # sizeof(struct udp_state), user/udp.c, to a cache line
UDP_BATCH = 32  # UDP_BATCH, user/udp.c: datagrams per recvmmsg, replies per sendmmsg
TABLE_HEADER_BYTES = 256  # sizeof(struct wyki_table), common/table.c, to a cache line
TABLE_STRIPE_BYTES = 64  # sizeof(struct stripe), common/table.c: a lock on its cache line
TABLE_MAX_STRIPES = 256  # MAX_STRIPES, common/table.c
TABLE_ENTRY_HEADER_BYTES = 16  # sizeof(struct entry), common/table.c: next, hash, klen, vlen


@dataclass(frozen=True)
class TableDecl:
    """One `struct wyki_table_decl` of the descriptor."""

    name: str
    key_size: int
    value_size: int
    capacity: int


@dataclass(frozen=True)
class Descriptor:
    """The fields of `struct wyki_service` that `carve()` reads (0 where the unit sets none,
    as C zero-initialises them)."""

    name: str
    proto: str  # "tcp" or "udp"
    max_sessions: int
    frame_size: int
    rx_size: int
    tx_size: int
    scratch_size: int
    max_datagram: int
    reply_size: int
    tables: tuple[TableDecl, ...]
    ntimers: int


def descriptor(unit: CUnit) -> Descriptor:
    """The descriptor of `unit` (after emit-service-descriptor), its `sizeof`s evaluated."""
    c = CLayout(unit)
    data = {d.name: d.init for d in unit.decls if isinstance(d, CDataDef)}

    def fields(init: CExpr) -> dict[str, CExpr]:
        if not isinstance(init, CInitList):
            raise ValueError(f"not an initializer list: {init!r}")
        return {i.field: i.value for i in init.items if i.field is not None}

    def number(e: CExpr | None) -> int:
        match e:
            case None:
                return 0
            case CIntLit(value):
                return value
            case CSizeof(t):
                return c.sizeof(t)
            case _:
                raise ValueError(f"not a constant size: {e!r}")

    def entries(e: CExpr | None) -> tuple[CExpr, ...]:
        if e is None:
            return ()
        if not isinstance(e, CName) or not isinstance(data.get(e.name), CInitList):
            raise ValueError(f"not a declaration array of the unit: {e!r}")
        array = data[e.name]
        assert isinstance(array, CInitList)
        return tuple(i.value for i in array.items)

    service = next((d for d in unit.decls if isinstance(d, CServiceDef)), None)
    if service is None:
        raise ValueError(f"unit {unit.name} has no service descriptor")
    f = fields(service.init)
    name, proto = f.get("name"), f.get("proto")
    tables = []
    for t in entries(f.get("tables")):
        tf = fields(t)
        table = tf.get("name")
        tables.append(TableDecl(table.value if isinstance(table, CStrLit) else "?",
                                number(tf.get("key_size")), number(tf.get("value_size")),
                                number(tf.get("capacity"))))  # fmt: skip
    return Descriptor(
        name=name.value if isinstance(name, CStrLit) else unit.name,
        proto="udp" if isinstance(proto, CName) and proto.name == "WYKI_UDP" else "tcp",
        max_sessions=number(f.get("max_sessions")),
        frame_size=number(f.get("frame_size")),
        rx_size=number(f.get("rx_size")),
        tx_size=number(f.get("tx_size")),
        scratch_size=number(f.get("scratch_size")),
        max_datagram=number(f.get("max_datagram")),
        reply_size=number(f.get("reply_size")),
        tables=tuple(tables),
        ntimers=len(entries(f.get("timers"))),
    )


def table_bytes(t: TableDecl) -> int:
    """`wyki_table_mem_size`: the header, a lock stripe per bucket (at most 256), the bucket
    heads (one per entry, rounded up to a power of two), then the entries."""
    buckets = 1 << max(t.capacity - 1, 0).bit_length()
    stripes = min(buckets, TABLE_MAX_STRIPES)
    index = round_up(TABLE_HEADER_BYTES + stripes * TABLE_STRIPE_BYTES + buckets * 4, CACHELINE)
    return index + t.capacity * table_entry_bytes(t)


def table_entry_bytes(t: TableDecl) -> int:
    return round_up(TABLE_ENTRY_HEADER_BYTES + t.key_size + t.value_size, 8)


def udp_state_bytes(d: Descriptor) -> int:
    """`udp_state_size`: the batch's message headers, then a batch of datagrams (one byte
    more than the largest, to detect a longer one) and a batch of replies."""
    return UDP_STATE_BYTES + UDP_BATCH * (d.max_datagram + 1) + UDP_BATCH * d.reply_size


@dataclass(frozen=True)
class Allocation:
    """`count` allocations of `each` bytes (the C sizes, before any rounding)."""

    name: str
    count: int
    each: int

    @property
    def bytes(self) -> int:
        return self.count * self.each


@dataclass(frozen=True)
class Arena:
    """The arena of one run: its allocations in the order `carve()` makes them."""

    sessions: int
    workers: int
    allocations: tuple[Allocation, ...]
    padding: int  # bytes skipped to align allocations, frames rounded up to a cache line
    used: int  # what the binary's ready line calls "bytes used"

    @property
    def superpages(self) -> int:
        return max(1, round_up(self.used, SUPERPAGE) // SUPERPAGE)

    @property
    def mapped(self) -> int:
        return self.superpages * SUPERPAGE


class _Bump:
    """`wyki_arena_alloc` over offsets from a 2 MiB-aligned base."""

    def __init__(self) -> None:
        self.used = 0
        self.padding = 0

    def alloc(self, size: int, align: int, rounded: int = 0) -> None:
        """Allocate `size` bytes, of which `rounded` (rounding up) count as padding."""
        start = round_up(self.used, align)
        self.padding += start - self.used + rounded
        self.used = start + size

    def repeat(self, times: int, sizes: list[tuple[int, int, int]]) -> None:
        """`times` rounds of the allocations `sizes` (size, align, rounded). One round that
        leaves the offset where it was modulo every alignment repeats exactly."""
        if times == 0:
            return
        used, padding = self.used, self.padding
        for size, align, rounded in sizes:
            self.alloc(size, align, rounded)
        if all((self.used - used) % align == 0 for _, align, _ in sizes):
            self.used = used + times * (self.used - used)
            self.padding = padding + times * (self.padding - padding)
            return
        for _ in range(times - 1):
            for size, align, rounded in sizes:
                self.alloc(size, align, rounded)


def carve(d: Descriptor, workers: int = 1, sessions: int | None = None) -> Arena:
    """The arena at `sessions` (default: the declared limit; none for UDP) and `workers`."""
    n = (d.max_sessions if sessions is None else sessions) if d.proto == "tcp" else 0
    bump = _Bump()
    rows: list[Allocation] = []

    def alloc(name: str, count: int, each: int, align: int = CACHELINE) -> None:
        rows.append(Allocation(name, count, each))
        bump.alloc(count * each, align)

    alloc("workers", workers, WORKER_BYTES)
    alloc("connections", n, CONN_BYTES)
    frame = round_up(d.frame_size, CACHELINE)
    if n:
        rows += [Allocation("session frames", n, d.frame_size),
                 Allocation("receive buffers", n, d.rx_size),
                 Allocation("transmit buffers", n, d.tx_size)]  # fmt: skip
    bump.repeat(n, [(frame, CACHELINE, frame - d.frame_size), (d.rx_size, CACHELINE, 0),
                    (d.tx_size, CACHELINE, 0)])  # fmt: skip
    for t in d.tables:
        entries = t.capacity * table_entry_bytes(t)
        rows += [
            Allocation(f"table '{t.name}' entries", t.capacity, table_entry_bytes(t)),
            Allocation(f"table '{t.name}' buckets and locks", 1, table_bytes(t) - entries),
        ]
        bump.alloc(table_bytes(t), CACHELINE)  # fmt: skip
    scratch = max(d.scratch_size, 1)  # carve() asks for 1 byte when there is no scratch
    rounds = [(scratch, CACHELINE, scratch - d.scratch_size)]
    if d.scratch_size:
        rows.append(Allocation("worker scratch", workers, d.scratch_size))
    if d.proto == "udp":
        rows.append(Allocation("datagram batches", workers, udp_state_bytes(d)))
        rounds.append((udp_state_bytes(d), CACHELINE, 0))
    bump.repeat(workers, rounds)
    alloc("timer schedule", 1, 8 * (d.ntimers + 1), 8)
    return Arena(n, workers, tuple(r for r in rows if r.count), bump.padding, bump.used)
