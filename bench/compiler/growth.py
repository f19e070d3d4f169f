"""How compile time grows with program size: time per line at each size and the exponent `k` of
a least-squares fit `time = c * lines ** k` on log-log axes (1 is linear growth).

The benchmarks record `lines` and `pass` in each benchmark's `extra_info`; the report is printed
at the end of the benchmark run, and again from a saved run:

    python3 -m pytest bench/compiler --benchmark-only --benchmark-json=compiler.json
    python3 -m bench.compiler.growth compiler.json
"""

from __future__ import annotations

import argparse
import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

PIPELINE = "(whole pipeline)"


@dataclass(frozen=True)
class Point:
    """One benchmark: `stage` (a pass name, or PIPELINE) on a program of `lines` lines."""

    stage: str
    lines: int
    seconds: float  # the median


def exponent(points: Sequence[Point]) -> float:
    """The slope of the least-squares line through (log lines, log seconds)."""
    xs = [math.log(p.lines) for p in points]
    ys = [math.log(p.seconds) for p in points]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    spread = sum((x - mx) ** 2 for x in xs)
    if spread == 0:
        raise ValueError("a fit needs programs of at least two sizes")
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / spread


def report(points: Iterable[Point]) -> str:
    """A table: one row per stage, the microseconds per line at each size, and the exponent.
    Stages are listed as they come, the whole pipeline first."""
    by_stage: dict[str, list[Point]] = {}
    for p in points:
        by_stage.setdefault(p.stage, []).append(p)
    if not by_stage:
        return "no benchmark on generated programs was run\n"
    sizes = sorted({p.lines for ps in by_stage.values() for p in ps})
    order = sorted(by_stage, key=lambda s: s != PIPELINE)  # stable: the rest keep their order
    width = max(len(s) for s in order)
    head = "".join(f"  {f'us/line @{n}':>14}" for n in sizes)
    lines = [f"{'stage':<{width}}{head}  {'exponent':>8}"]
    for stage in order:
        at = {p.lines: p for p in by_stage[stage]}
        cells = "".join(
            f"  {at[n].seconds / n * 1e6:14.2f}" if n in at else f"  {'-':>14}" for n in sizes
        )
        fit = f"{exponent(by_stage[stage]):8.2f}" if len(at) > 1 else f"{'-':>8}"
        lines.append(f"{stage:<{width}}{cells}  {fit}")
    return "\n".join(lines) + "\n"


def points_from_json(data: dict[str, object]) -> list[Point]:
    """The points of a pytest-benchmark JSON file (`--benchmark-json`)."""
    found = []
    for bench in data.get("benchmarks", []):  # type: ignore[attr-defined]
        info = bench.get("extra_info", {})
        if "lines" in info and info.get("generated"):
            found.append(Point(info["pass"], int(info["lines"]), float(bench["stats"]["median"])))
    return found


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python3 -m bench.compiler.growth",
        description="Print how compile time grows with program size, from a pytest-benchmark "
        "JSON file of bench/compiler.",
    )
    parser.add_argument("json", type=Path, help="the file written by --benchmark-json")
    args = parser.parse_args(argv)
    print(report(points_from_json(json.loads(args.json.read_text()))), end="")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
