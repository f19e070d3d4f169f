"""`nanowyki check --report`: what the compiler knows statically about a program's resource
use, as readable tables, one section per kind of resource.

Each section is a function from the facts of a run (through the whole pipeline) to lines of
text; `REPORT_SECTIONS` lists them in order: the steps (uncover-step-bounds), then the memory
(the C unit's descriptor and structs, `EmittedService`). `REPORT_THROUGH` is the last pass
the report needs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from nanowyki.analysis.arena import SUPERPAGE, carve, descriptor
from nanowyki.analysis.c_layout import CLayout, call_graph, longest_chain, reachable
from nanowyki.build import RELEASE_FLAGS
from nanowyki.framework import Facts
from nanowyki.languages.cish import CStructDef, CStructT, CUnit
from nanowyki.passes.uncover_step_bounds import StepBounds

REPORT_THROUGH = "emit-service-descriptor"
STEPS_TITLE = "steps between yields (static worst case)"
STEPS_HEADER = ("handler", "line", "yield points", "steps", "bytes scanned")


def _table(header: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> list[str]:
    """Columns aligned: the first to the left, the others to the right."""
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(r: tuple[str, ...]) -> str:
        rest = [c.rjust(w) for c, w in zip(r[1:], widths[1:], strict=True)]
        cells = [r[0].ljust(widths[0]), *rest]
        return "  ".join(cells).rstrip()

    return [line(header), *(line(r) for r in rows)]


def steps_section(facts: Facts) -> list[str]:
    """One row per handler (the session, the datagram handler, each timer), then one per
    function: its yield points and the most steps (and bytes scanned) between two yields."""
    bounds = facts.get(StepBounds)
    handlers = [h for h in bounds.handlers if h.kind != "fn"]
    functions = [h for h in bounds.handlers if h.kind == "fn"]
    rows: list[tuple[str, ...]] = [
        (h.name, str(h.span.line) if h.span else "?", str(h.yield_points), f"{h.steps:,}",
         f"{h.bytes_scanned:,}")
        for h in [*handlers, *functions]
    ]  # fmt: skip
    return [STEPS_TITLE, *_table(STEPS_HEADER, rows)]


@dataclass(frozen=True)
class EmittedService:
    """What the memory section reads beside the facts: the C unit of the service (after
    emit-service-descriptor) and the number of workers to size its arena for."""

    unit: CUnit
    workers: int = 1


MEMORY_HEADER = ("allocation", "count", "bytes each", "bytes")
SCRATCH_HEADER = ("handler", "scratch bytes", "C frames")
SCRATCH_CHAIN = "deepest C call chain"
HANDLERS = {"step": "session", "datagram": "datagram"}  # and timer_K: "timer K+1"


def memory_section(facts: Facts) -> list[str]:
    """The arena the userspace binary maps, allocation by allocation, as runtime_c/user/main.c
    carves it (`nanowyki.analysis.arena`); then each handler's part of the worker's scratch
    and its deepest chain of C calls."""
    emitted = facts.get(EmittedService)
    d = descriptor(emitted.unit)
    arena = carve(d, emitted.workers)
    more = carve(d, emitted.workers + 1)
    rows = [(a.name, f"{a.count:,}", f"{a.each:,}", f"{a.bytes:,}") for a in arena.allocations]
    rows += [
        ("alignment padding", "", "", f"{arena.padding:,}"),
        ("arena (bytes used)", "", "", f"{arena.used:,}"),
        ("superpages (2 MiB)", f"{arena.superpages:,}", f"{SUPERPAGE:,}", f"{arena.mapped:,}"),
    ]
    workers = f"{arena.workers:,} worker{'s' if arena.workers > 1 else ''}"
    scaling = [f"Each further worker adds {more.used - arena.used:,} bytes (the binary's "
               "--workers N; by default one per CPU)."]  # fmt: skip
    if arena.sessions:
        fewer = carve(d, emitted.workers, arena.sessions - 1)
        scaling.append(f"Each session fewer (--sessions N) saves {arena.used - fewer.used:,} "
                       "bytes.")  # fmt: skip
    sessions = f"{arena.sessions:,} sessions and " if arena.sessions else ""
    scratch = _scratch_rows(emitted.unit)
    handlers = _table(SCRATCH_HEADER, [row[:-1] for row in scratch])
    width = max(len(line) for line in handlers)
    chains = [SCRATCH_CHAIN, *(row[-1] for row in scratch)]
    return [
        f"memory of the userspace binary at {sessions}{workers} (all mapped at start-up)",
        *_table(MEMORY_HEADER, rows),
        *scaling,
        "",
        *(f"{line.ljust(width)}  {chain}" for line, chain in zip(handlers, chains, strict=True)),
    ]


def _scratch_rows(unit: CUnit) -> list[tuple[str, ...]]:
    """Per handler: the parts of the scratch it and its callees use, and its longest chain
    of C calls."""
    c = CLayout(unit)
    graph = call_graph(unit)
    parts = {d.name: c.sizeof(CStructT(d.name)) for d in unit.decls
             if isinstance(d, CStructDef) and d.name.startswith("scratch_")}  # fmt: skip
    rows: list[tuple[str, ...]] = []
    for f in graph:
        who = HANDLERS.get(f) or (f"timer {int(f[6:]) + 1}" if f.startswith("timer_") else None)
        if who is not None:
            scratch = sum(parts.get(f"scratch_{g}", 0) for g in reachable(graph, f))
            chain = longest_chain(graph, f)
            rows.append((who, f"{scratch:,}", str(len(chain)), " -> ".join(chain)))
    return rows


REPORT_SECTIONS: list[Callable[[Facts], list[str]]] = [steps_section, memory_section]


FRAME_LIMIT = next(int(f.split("=")[1]) for f in RELEASE_FLAGS
                   if f.startswith("-Wframe-larger-than="))  # fmt: skip


def format_report(path: str, facts: Facts, unit: CUnit, workers: int = 1) -> str:
    """The whole report for the program at `path`, lowered to the C `unit`; its memory for
    `workers` workers."""
    facts = facts.with_(EmittedService(unit, workers))
    out = [f"{path}: resource report"]
    for section in REPORT_SECTIONS:
        out.append("")
        out.extend(section(facts))
    out.append("")
    out.append(
        "A step is one statement, loop test or call run; a yield point (a receive, send, sleep,\n"
        "close or loop checkpoint) may return to the scheduler. Functions never yield: their\n"
        "steps are counted at every call.\n"
        "The memory is the userspace runtime's (runtime_c/user); the kernel module carves the\n"
        "same allocations with its own connection and worker structs (docs/kernel.md). A\n"
        "worker's scratch holds the struct and byte-string locals of generated functions, so no\n"
        "C frame of generated code holds one; a release build fails on a C frame over\n"
        f"{FRAME_LIMIT:,} bytes (-Wframe-larger-than), so a handler's C stack is at most its C\n"
        f"frames x {FRAME_LIMIT:,} bytes (docs/safety.md, The memory report)."
    )
    return "\n".join(out) + "\n"
