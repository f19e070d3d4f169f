"""Every example's transcripts, after every pass of the default pipeline, with the interpreter
of that pass's output language: the first pass that changes what a client sees is named."""

from __future__ import annotations

from pathlib import Path

import pytest

from nanowyki import pipeline
from nanowyki.differential import run_every_boundary
from nanowyki.interp import read_transcript

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.wyki"))


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_same_behaviour_after_every_pass(example: Path) -> None:
    transcripts = [read_transcript(p) for p in sorted((ROOT / "tests" / "transcripts" /
                                                       example.stem).glob("*.tr"))]
    assert transcripts, f"{example.stem} has no transcripts"
    front = pipeline.frontend()
    checked = front.run(pipeline.source_tree(example))
    whole = pipeline.default()
    if len(whole.passes) == len(front.passes):
        pytest.skip("no lowering pass yet")  # the front end alone: tests/test_transcripts.py
    report = run_every_boundary(
        whole, checked.tree, transcripts, start_at=whole.passes[len(front.passes)].name,
        facts=checked.facts,
    )
    assert report.ok, report.message()
    # Every IL after the front end has an interpreter: no pass is left unproved.
    assert report.no_interpreter == [], report.no_interpreter
