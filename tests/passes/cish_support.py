"""Helpers for the tests of the passes into Cish: programs through the compiler to Socketless."""

from __future__ import annotations

from pathlib import Path

from nanowyki import pipeline
from nanowyki.framework import CheckLevel, Facts, Node, RunOptions

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples").glob("*.wyki"))


def socketless(path: Path, text: str | None = None) -> tuple[Node, Facts]:
    """The program through the compiler up to Socketless (lower-waits), checked at boundaries."""
    result = pipeline.default().run(
        pipeline.source_tree(path, text),
        RunOptions(stop_after="lower-waits", check=CheckLevel.BOUNDARY),
    )
    assert result.language == "Socketless"
    return result.tree, result.facts
