"""What the compiler benchmarks share: the programs, the input of every pass on each of them, and
the growth report printed at the end of the run."""

from __future__ import annotations

import functools
import gc
from collections.abc import Callable
from pathlib import Path

import pytest
from pytest_benchmark.fixture import BenchmarkFixture

from bench.compiler.growth import Point, report
from nanowyki import pipeline
from nanowyki.framework import CheckLevel, Facts, Node, RunOptions, RunResult
from nanowyki.testing.genprog import program_of_lines

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted(p.stem for p in (ROOT / "examples").glob("*.wyki"))
SIZES = (100, 1_000, 10_000)  # lines of the generated programs
ROUNDS = {100: 20, 1_000: 5, 10_000: 3}  # benchmark rounds on each
SEED = 1
COMPILER = pipeline.default()
PASSES = COMPILER.names


def generated(lines: int) -> str:
    """The name of the generated program of about `lines` lines."""
    return f"generated-{lines}"


@functools.cache
def program(name: str) -> tuple[str, str]:
    """`(file name, text)` of an example (`http`) or a generated program (`generated-1000`)."""
    if name.startswith("generated-"):
        return f"{name}.wyki", program_of_lines(int(name.removeprefix("generated-")), SEED)
    path = ROOT / "examples" / f"{name}.wyki"
    return str(path), path.read_text(encoding="utf-8")


def lines_of(name: str) -> int:
    return program(name)[1].count("\n")


def compile_program(name: str) -> RunResult:
    """The whole pipeline from source text, checked at every pass boundary (as `nanowyki
    build` runs it)."""
    return COMPILER.run(pipeline.source_tree(*program(name)))


@functools.cache
def stages(name: str) -> dict[str, tuple[Node, Facts]]:
    """The input, tree and facts, of every pass on program `name`."""
    tree: Node = pipeline.source_tree(*program(name))
    facts = Facts()
    inputs = {}
    for pass_ in PASSES:
        inputs[pass_] = (tree, facts)
        result = run_pass(pass_, tree, facts)
        tree, facts = result.tree, result.facts
    # A run holds one tree at a time, not the inputs of every pass of several programs: keep
    # these out of the collector's sight, or its full collections would walk them all.
    gc.freeze()
    return inputs


def run_pass(pass_: str, tree: Node, facts: Facts) -> RunResult:
    """One pass through the pipeline's wrapper, its output unchecked: the pass's own cost."""
    options = RunOptions(start_at=pass_, stop_after=pass_, check=CheckLevel.OFF)
    return COMPILER.run(tree, options, facts)


# -- growth -------------------------------------------------------------------------------------

_POINTS = pytest.StashKey[list[Point]]()


@pytest.fixture
def growth(request: pytest.FixtureRequest) -> list[Point]:
    """Where a benchmark on a generated program adds its median for the growth report."""
    return request.config.stash.setdefault(_POINTS, [])


def measure(
    benchmark: BenchmarkFixture,
    points: list[Point],
    stage: str,
    name: str,
    run: Callable[[], object],
) -> None:
    """Benchmark `run` (`stage` on generated program `name`) for a fixed number of rounds, and
    add its median to the growth report."""
    lines = lines_of(name)
    benchmark.extra_info.update(program=name, lines=lines, generated=True)
    benchmark.extra_info["pass"] = stage
    rounds = ROUNDS[int(name.removeprefix("generated-"))]
    benchmark.pedantic(run, rounds=rounds, iterations=1)  # type: ignore[no-untyped-call]
    if benchmark.stats:  # None when benchmarks are skipped
        points.append(Point(stage, lines, benchmark.stats["median"]))


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config
) -> None:
    points = config.stash.get(_POINTS, [])
    if points:
        terminalreporter.write_sep("-", "compile time per line, and its growth exponent")
        terminalreporter.write(report(points))
