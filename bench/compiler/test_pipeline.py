"""The whole pipeline, source text to Cish, checked at every pass boundary: on each example, and
on generated programs of 100, 1 000 and 10 000 lines."""

from __future__ import annotations

import pytest
from pytest_benchmark.fixture import BenchmarkFixture

from bench.compiler.conftest import EXAMPLES, SIZES, compile_program, generated, lines_of, measure
from bench.compiler.growth import PIPELINE, Point


@pytest.mark.parametrize("example", EXAMPLES)
def test_pipeline_on_example(benchmark: BenchmarkFixture, example: str) -> None:
    benchmark.group = "whole pipeline: examples"
    benchmark.extra_info.update(program=example, lines=lines_of(example))
    benchmark(compile_program, example)


@pytest.mark.parametrize("lines", SIZES)
def test_pipeline_on_generated(
    benchmark: BenchmarkFixture, growth: list[Point], lines: int
) -> None:
    name = generated(lines)
    benchmark.group = "whole pipeline: generated programs"
    measure(benchmark, growth, PIPELINE, name, lambda: compile_program(name))
