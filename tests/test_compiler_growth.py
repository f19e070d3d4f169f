"""bench/compiler/growth.py: the growth report of the compiler benchmarks (the fit and the
table; the benchmarks themselves run with `python3 -m pytest bench/compiler --benchmark-only`)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.compiler.growth import PIPELINE, Point, exponent, main, points_from_json, report


def points(stage: str, power: float) -> list[Point]:
    return [Point(stage, n, 1e-6 * n**power) for n in (100, 1_000, 10_000)]


@pytest.mark.parametrize("power", [0.5, 1.0, 2.0])
def test_the_exponent_of_a_power_law_is_its_power(power: float) -> None:
    assert exponent(points("p", power)) == pytest.approx(power)


def test_one_size_has_no_exponent() -> None:
    with pytest.raises(ValueError, match="at least two sizes"):
        exponent([Point("p", 100, 1.0), Point("p", 100, 2.0)])


def test_the_report_gives_time_per_line_and_the_exponent_pipeline_first() -> None:
    text = report([*points("parse-source", 1.0), *points(PIPELINE, 2.0)])
    lines = text.splitlines()
    assert lines[0].split() == [
        "stage", "us/line", "@100", "us/line", "@1000", "us/line", "@10000", "exponent"
    ]  # fmt: skip
    assert lines[1].split() == [*PIPELINE.split(), "100.00", "1000.00", "10000.00", "2.00"]
    assert lines[2].split() == ["parse-source", "1.00", "1.00", "1.00", "1.00"]


def test_a_missing_size_is_a_dash() -> None:
    text = report([Point("a", 100, 1e-4), Point("a", 1_000, 1e-3), Point("b", 100, 1e-4)])
    assert text.splitlines()[2].split() == ["b", "1.00", "-", "-"]


def test_the_report_reads_a_saved_benchmark_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def bench(stage: str, lines: int, median: float, generated: bool = True) -> object:
        info = {"pass": stage, "lines": lines, "program": "x", "generated": generated}
        return {"extra_info": info, "stats": {"median": median}}

    saved = tmp_path / "compiler.json"
    saved.write_text(
        json.dumps(
            {
                "benchmarks": [
                    bench(PIPELINE, 100, 0.01),
                    bench(PIPELINE, 1_000, 0.1),
                    bench("check-types", 300, 0.5, generated=False),  # an example: left out
                ]
            }
        )
    )
    assert points_from_json(json.loads(saved.read_text())) == [
        Point(PIPELINE, 100, 0.01),
        Point(PIPELINE, 1_000, 0.1),
    ]
    assert main([str(saved)]) == 0
    assert capsys.readouterr().out.splitlines()[1].split()[-1] == "1.00"
