"""Golden files: every example's IL after every pass that changes it is pinned in golden/.

On drift the assertion shows a unified diff. If the change is intended, update them with
`python -m nanowyki.golden --update` and read the diff in review.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from nanowyki.golden import EXAMPLES, GOLDEN, compare

CASES = sorted(EXAMPLES.glob("*.wyki"))


@pytest.mark.parametrize("example", CASES, ids=[p.stem for p in CASES])
def test_golden_files_match(example: Path) -> None:
    problems = compare(example, GOLDEN / example.stem)
    assert not problems, "\n".join(problems) + (
        "\n(intended? run: python -m nanowyki.golden --update)"
    )
