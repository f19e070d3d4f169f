"""Medians, ratios and targets from the raw measurements, written as Markdown, JSON and SVG.

A measurement is kept if the other tenants of the machine used at most `quiet` CPUs' worth of
time while it ran; a (workload, server) cell whose kept measurements are fewer than half of
its rounds falls back to all of them, and the table says so.
"""

from __future__ import annotations

import json
import statistics
from dataclasses import dataclass
from html import escape
from pathlib import Path

from bench.loads import WORKLOADS, Measurement, Workload

KINDS = ("wyki", "epoll", "stock")
COLOURS = {"wyki": "#2b6cb0", "epoll": "#718096", "stock": "#dd6b20"}
DASH = "\u2013"  # an en dash, for ranges
FAR_AHEAD = 2.0  # "far ahead" of nginx/memcached: at least this many times their req/s


@dataclass(frozen=True)
class Cell:
    """One server on one workload, over the rounds kept."""

    workload: Workload
    server: str
    kind: str
    rates: list[float]
    cpus: list[float]  # server CPU microseconds per request
    rounds: int  # rounds run
    filtered: bool  # False: too few quiet rounds, so all were kept
    errors: int

    @property
    def rate(self) -> float:
        return statistics.median(self.rates)

    @property
    def cpu(self) -> float:
        return statistics.median(self.cpus)


def cells(
    measurements: list[Measurement], kinds: dict[str, str], quiet: float
) -> dict[tuple[str, str], Cell]:
    """The cells, keyed by (workload, kind)."""
    out = {}
    for workload in WORKLOADS:
        for server, kind in kinds.items():
            runs = [m for m in measurements if m.workload == workload.name and m.server == server]
            if not runs:
                continue
            kept = [m for m in runs if m.others <= quiet]
            filtered = 2 * len(kept) >= len(runs)
            chosen = kept if filtered else runs
            out[workload.name, kind] = Cell(
                workload,
                server,
                kind,
                [m.rate for m in chosen],
                [m.cpu_us_per_request for m in chosen],
                len(runs),
                filtered,
                sum(m.errors for m in runs),
            )
    return out


def _k(rate: float) -> str:
    return f"{rate / 1000:,.1f}k"


def _range(values: list[float], fmt: str) -> str:
    return f"{min(values):{fmt}}{DASH}{max(values):{fmt}}"


def table(table_cells: dict[tuple[str, str], Cell], cpu: str = "CPU µs/req") -> str:
    """The Markdown table; @cpu names what the CPU time per request is the time of."""
    lines = [
        f"| workload | server | req/s median | req/s min{DASH}max | {cpu} median "
        f"| {cpu} min{DASH}max | rounds kept | errors |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for workload in WORKLOADS:
        for kind in KINDS:
            c = table_cells.get((workload.name, kind))
            if c is None:
                continue
            kept = f"{len(c.rates)}/{c.rounds}" + ("" if c.filtered else " (all)")
            lines.append(
                f"| {workload.describe()} | {c.server} | {_k(c.rate)} | "
                f"{_k(min(c.rates))}{DASH}{_k(max(c.rates))} | "
                f"{c.cpu:.2f} | {_range(c.cpus, '.2f')} | "
                f"{kept} | {c.errors} |"
            )
    return "\n".join(lines)


@dataclass(frozen=True)
class Ratio:
    workload: Workload
    against: str  # the other server's name
    rate: float  # WYKI's req/s over the other's
    cpu: float  # the other's CPU per request over WYKI's (> 1: WYKI spends less)


def ratios(table_cells: dict[tuple[str, str], Cell]) -> list[Ratio]:
    out = []
    for workload in WORKLOADS:
        wyki = table_cells.get((workload.name, "wyki"))
        for kind in ("epoll", "stock"):
            other = table_cells.get((workload.name, kind))
            if wyki and other:
                out.append(
                    Ratio(workload, other.server, wyki.rate / other.rate, other.cpu / wyki.cpu)
                )
    return out


def ratio_lines(found: list[Ratio]) -> list[str]:
    return [
        f"{r.workload.describe():42} WYKI vs {r.against:12} req/s x{r.rate:5.2f}   "
        f"CPU/req x{1 / r.cpu:5.2f}"
        for r in found
    ]


def targets(found: list[Ratio]) -> list[str]:
    """Issue #7's targets, each met or missed, and by how much."""
    out = []
    for r in found:
        if r.against.endswith("_epoll.c"):
            for what, ratio in (("req/s", r.rate), ("CPU/req", r.cpu)):
                if ratio >= 1:
                    verdict = f"met (x{ratio:.2f})"
                elif what == "req/s":
                    verdict = f"missed: {(1 - ratio) * 100:.0f}% fewer req/s"
                else:
                    verdict = f"missed: {(1 / ratio - 1) * 100:.0f}% more CPU per request"
                out.append(f"{r.workload.describe()}, as fast as {r.against} in {what}: {verdict}")
        elif r.workload.depth > 1:
            verdict = "met" if r.rate >= FAR_AHEAD else f"missed (needs x{FAR_AHEAD:g})"
            out.append(
                f"{r.workload.describe()}, far ahead of {r.against}: x{r.rate:.2f} req/s, {verdict}"
            )
    return out


def markdown(
    table_cells: dict[tuple[str, str], Cell], found: list[Ratio], header: list[str]
) -> str:
    parts = [
        "# Benchmark results",
        "",
        *header,
        "",
        table(table_cells),
        "",
        "## Ratios (WYKI over the other server; CPU/req below 1 means WYKI spends less)",
        "",
        "```",
        *ratio_lines(found),
        "```",
        "",
        "## Targets (issue #7)",
        "",
        *[f"- {line}" for line in targets(found)],
        "",
        "![req/s and CPU per request](latest.svg)",
        "",
    ]
    return "\n".join(parts)


def write_json(path: Path, measurements: list[Measurement], meta: dict[str, object]) -> None:
    raw = [m.as_dict() for m in measurements]
    path.write_text(json.dumps({"meta": meta, "measurements": raw}, indent=1) + "\n")


# ---- the plot ----------------------------------------------------------------------------


def svg(table_cells: dict[tuple[str, str], Cell], title: str) -> str:
    """Two panels, req/s and CPU µs per request: per workload one bar per server (the median,
    a whisker from min to max), each workload's bars scaled to that workload's largest value."""
    bar, gap, label_w, panel_w = 14, 18, 250, 330
    rows = [w for w in WORKLOADS if any((w.name, k) in table_cells for k in KINDS)]
    height = 70 + len(rows) * (3 * bar + gap) + 30
    width = label_w + 2 * panel_w + 100
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        'font-family="sans-serif" font-size="11">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
        f'<text x="10" y="18" font-size="14" font-weight="bold">{escape(title)}</text>',
    ]
    for p, (heading, metric) in enumerate(
        (
            ("req/s (higher is better)", "rates"),
            ("server CPU µs per request (lower is better)", "cpus"),
        )
    ):
        x0 = label_w + p * (panel_w + 20)
        out.append(f'<text x="{x0}" y="44" font-weight="bold">{escape(heading)}</text>')
        y = 60
        for w in rows:
            group = [table_cells[w.name, k] for k in KINDS if (w.name, k) in table_cells]
            top = max(max(getattr(c, metric)) for c in group)
            if p == 0:
                out.append(f'<text x="10" y="{y + bar * 1.7:.0f}">{escape(w.describe())}</text>')
            for i, c in enumerate(group):
                values = getattr(c, metric)
                median = statistics.median(values)
                scale = (panel_w - 90) / top
                yy = y + i * bar
                out.append(
                    f'<rect x="{x0}" y="{yy}" width="{median * scale:.1f}" height="{bar - 2}" '
                    f'fill="{COLOURS[c.kind]}"/>'
                )
                mid = yy + (bar - 2) / 2
                low, high = x0 + min(values) * scale, x0 + max(values) * scale
                out.append(
                    f'<line x1="{low:.1f}" x2="{high:.1f}" y1="{mid}" y2="{mid}" stroke="black"/>'
                )
                text = _k(median) if metric == "rates" else f"{median:.2f}"
                out.append(
                    f'<text x="{x0 + max(values) * scale + 4:.1f}" y="{yy + bar - 4}">'
                    f"{escape(c.server)} {text}</text>"
                )
            y += 3 * bar + gap
    out.append("</svg>")
    return "\n".join(out) + "\n"
