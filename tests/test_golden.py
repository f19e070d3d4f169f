"""Golden files: every example's IL after every pass that changes it is pinned in golden/.

The golden C (golden/<example>/<example>.c) is checked the same way. On drift the assertion
shows a unified diff. If the change is intended, update them with
`python -m nanowyki.golden --update` and read the diff in review.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from nanowyki.golden import EXAMPLES, GOLDEN, ROOT, compare

CASES = sorted(EXAMPLES.glob("*.wyki"))


@pytest.mark.parametrize("example", CASES, ids=[p.stem for p in CASES])
def test_golden_files_match(example: Path) -> None:
    problems = compare(example, GOLDEN / example.stem)
    assert not problems, "\n".join(problems) + (
        "\n(intended? run: python -m nanowyki.golden --update)"
    )


@pytest.mark.parametrize("example", CASES, ids=[p.stem for p in CASES])
def test_golden_c_names_the_source_as_the_repository_does(example: Path) -> None:
    c_text = (GOLDEN / example.stem / f"{example.stem}.c").read_text()
    assert f'"examples/{example.name}"' in c_text  # in its #line directives
    assert str(ROOT) not in c_text  # nothing of this checkout's absolute path
