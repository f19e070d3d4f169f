"""Every example's transcripts, played against the reference interpreter (Typed IL).

One case per `tests/transcripts/NAME/*.tr`: the front end checks `examples/NAME.wyki`, then
`TypedInterpreter` serves the transcript's clients; the assertion message is the runner's
failure (transcript file:line, expected and received bytes) followed by the event log.
"""

from __future__ import annotations

import functools
from pathlib import Path

import pytest

from nanowyki.framework import Facts, Node
from nanowyki.interp import read_transcript, run_transcript

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
TRANSCRIPTS = ROOT / "tests" / "transcripts"

CASES = sorted(TRANSCRIPTS.glob("*/*.tr"))


@functools.cache
def checked(example: Path) -> tuple[Node, Facts]:
    from nanowyki import pipeline

    result = pipeline.frontend().run(pipeline.source_tree(example))
    return result.tree, result.facts


@pytest.mark.parametrize("path", CASES, ids=[f"{p.parent.name}/{p.stem}" for p in CASES])
def test_transcript(path: Path) -> None:
    example = EXAMPLES / f"{path.parent.name}.wyki"
    assert example.exists(), f"{path}: no example {example.relative_to(ROOT)} to run it against"
    tree, facts = checked(example)
    result = run_transcript(tree, read_transcript(path), facts=facts)
    assert result.ok, result.report()


def test_there_are_transcripts() -> None:
    assert CASES, "no transcripts under tests/transcripts/"
