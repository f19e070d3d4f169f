"""The reject suite: every file in tests/reject/ is a bad program that breaks one rule.

Each file states the diagnostics it must produce, in order, in comment lines:

    // expect: 3:9: unknown name 'lenght'

The test runs the front end and compares line, column and message exactly.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from nanowyki import pipeline
from nanowyki.framework import CompileError

REJECT = Path(__file__).parent / "reject"
EXPECT = re.compile(r"//\s*expect:\s*(\d+):(\d+):\s*(.*?)\s*$")
CASES = sorted(REJECT.glob("*.wyki"))


def expected(path: Path) -> list[tuple[int, int, str]]:
    found = []
    for line in path.read_text(encoding="utf-8").splitlines():
        m = EXPECT.search(line)
        if m:
            found.append((int(m.group(1)), int(m.group(2)), m.group(3)))
    return found


def test_suite_is_large_enough() -> None:
    assert len(CASES) >= 40


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_rejected_with_exact_diagnostic(path: Path) -> None:
    want = expected(path)
    assert want, f"{path.name} states no '// expect: L:C: message' line"
    with pytest.raises(CompileError) as caught:
        pipeline.frontend().run(pipeline.source_tree(path))
    got = [
        (d.span.line if d.span else 0, d.span.col if d.span else 0, d.message)
        for d in caught.value.diagnostics
    ]
    assert got == want
