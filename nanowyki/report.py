"""`nanowyki check --report`: what the compiler knows statically about a program's resource
use, as readable tables, one section per kind of resource.

Each section is a function from the facts of a run (through uncover-step-bounds) to lines of
text; `REPORT_SECTIONS` lists them in order: the steps (uncover-step-bounds), then the memory
(uncover-memory-layout). `REPORT_THROUGH` is the last pass whose facts the sections read.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from nanowyki.analysis.memory import SUPERPAGE, MemoryLayout
from nanowyki.framework import Facts
from nanowyki.passes.uncover_step_bounds import StepBounds

REPORT_THROUGH = "uncover-memory-layout"
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


MEMORY_TITLE = "memory (static: every byte allocated at start-up, at the declared session limit)"
MEMORY_HEADER = ("allocation", "count", "bytes each", "bytes")
STACK_HEADER = ("stack", "bytes")


def memory_section(facts: Facts) -> list[str]:
    """The per-session frame and buffers, each table, the shared variables and the datagram
    and timer frames, the whole arena and its 2 MiB superpages; then each handler's deepest
    stack of function frames."""
    m = facts.get(MemoryLayout)
    rows: list[tuple[str, ...]] = []

    def row(name: str, count: int, each: int) -> None:
        rows.append((name, f"{count:,}", f"{each:,}", f"{count * each:,}"))

    if m.sessions:
        row("session frames", m.sessions, m.session_frame_bytes)
        row("receive buffers", m.sessions, m.rx_buffer_bytes)
        row("transmit buffers", m.sessions, m.tx_buffer_bytes)
    for t in m.tables:
        row(f"table '{t.name}'", t.capacity, t.entry_bytes)
    if m.shared_bytes:
        row("shared variables", 1, m.shared_bytes)
    for f in m.frames:
        if f.who == "datagram" or f.who.startswith("timer "):
            row(f"{f.who} frame", 1, f.bytes)
    rows.append(("arena", "", "", f"{m.arena_bytes:,}"))
    row("superpages (2 MiB)", m.superpages, SUPERPAGE)
    handlers = [f for f in m.frames if not f.who.startswith("fn ")]
    stacks = _table(STACK_HEADER, [(f.who, f"{f.stack_bytes:,}") for f in handlers])
    chains = ["deepest call chain", *(" -> ".join(f.deepest) or "-" for f in handlers)]
    width = max(len(line) for line in stacks)
    return [
        MEMORY_TITLE,
        *_table(MEMORY_HEADER, rows),
        "",
        *(f"{line.ljust(width)}  {chain}" for line, chain in zip(stacks, chains, strict=True)),
    ]


REPORT_SECTIONS: list[Callable[[Facts], list[str]]] = [steps_section, memory_section]


def format_report(path: str, facts: Facts) -> str:
    """The whole report for the program at `path`."""
    out = [f"{path}: resource report"]
    for section in REPORT_SECTIONS:
        out.append("")
        out.extend(section(facts))
    out.append("")
    out.append(
        "A step is one statement, loop test or call run; a yield point (a receive, send, sleep,\n"
        "close or loop checkpoint) may return to the scheduler. Functions never yield: their\n"
        "steps are counted at every call. Function frames are on the stack of the handler that\n"
        "calls them, not in the arena."
    )
    return "\n".join(out) + "\n"
