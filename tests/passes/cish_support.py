"""Helpers for the tests of the passes into Cish: programs through the compiler to Placed."""

from __future__ import annotations

from pathlib import Path

from nanowyki import pipeline
from nanowyki.framework import CheckLevel, Facts, Node, RunOptions

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples").glob("*.wyki"))


def placed(path: Path, text: str | None = None) -> tuple[Node, Facts]:
    """The program through the compiler up to convert-to-cish's input, `Placed`, checked at
    boundaries."""
    passes = pipeline.default().passes
    last = passes[[p.name for p in passes].index("convert-to-cish") - 1]
    result = pipeline.default().run(
        pipeline.source_tree(path, text),
        RunOptions(stop_after=last.name, check=CheckLevel.BOUNDARY),
    )
    assert result.language == "Placed"
    return result.tree, result.facts
