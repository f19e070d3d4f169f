"""Each pass alone, its input the previous pass's output (computed once): on each example, and
on generated programs of 100, 1 000 and 10 000 lines. The pass runs through the pipeline's
wrapper (which counts its nodes), its output unchecked."""

from __future__ import annotations

import pytest
from pytest_benchmark.fixture import BenchmarkFixture

from bench.compiler.conftest import (
    EXAMPLES,
    PASSES,
    SIZES,
    generated,
    lines_of,
    measure,
    run_pass,
    stages,
)
from bench.compiler.growth import Point


@pytest.mark.benchmark(max_time=0.25)
@pytest.mark.parametrize("pass_", PASSES)
@pytest.mark.parametrize("example", EXAMPLES)
def test_pass_on_example(benchmark: BenchmarkFixture, example: str, pass_: str) -> None:
    tree, facts = stages(example)[pass_]
    benchmark.group = f"each pass: {example}"
    benchmark.extra_info.update(program=example, lines=lines_of(example))
    benchmark.extra_info["pass"] = pass_
    benchmark(run_pass, pass_, tree, facts)


@pytest.mark.parametrize("pass_", PASSES)
@pytest.mark.parametrize("lines", SIZES)
def test_pass_on_generated(
    benchmark: BenchmarkFixture, growth: list[Point], lines: int, pass_: str
) -> None:
    name = generated(lines)
    tree, facts = stages(name)[pass_]
    benchmark.group = f"each pass: {name}"
    measure(benchmark, growth, pass_, name, lambda: run_pass(pass_, tree, facts))
