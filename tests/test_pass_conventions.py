"""The conventions every pass of the default pipeline keeps (STYLE: one name everywhere).

Module `nanowyki/passes/<name>.py`, CLI name `<name>` with dashes, test file
`tests/passes/test_<name>.py`, and a docstring whose first line is `Input -> Output: purpose`.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from nanowyki import pipeline
from nanowyki.framework import Pass

ROOT = Path(__file__).resolve().parent.parent
PASSES = pipeline.default().passes


@pytest.mark.parametrize("p", PASSES, ids=[p.name for p in PASSES])
def test_pass_keeps_the_conventions(p: type[Pass]) -> None:
    module = p.__module__
    assert module.startswith("nanowyki.passes."), module
    stem = module.rsplit(".", 1)[1]
    assert stem.replace("_", "-") == p.name
    assert (ROOT / "tests" / "passes" / f"test_{stem}.py").exists()
    assert p.signature_problem() is None, p.signature_problem()


def test_enough_passes_through_enough_languages() -> None:
    languages = {lang.name for lang in pipeline.default().languages()}
    assert len(PASSES) >= 24
    assert len(languages) >= 9


def test_every_other_module_of_passes_says_which_passes_it_supports() -> None:
    """`nanowyki/passes/` holds one module per pass; the few helper modules beside them name,
    in their docstring's first line, the passes they serve, and one of those imports them."""
    names = {p.name for p in PASSES}
    for path in sorted((ROOT / "nanowyki" / "passes").glob("*.py")):
        stem = path.stem
        if stem == "__init__" or stem.replace("_", "-") in names:
            continue
        first = path.read_text().split("\n", 1)[0]
        served = sorted(n for n in names if n in first)
        assert served, f"{path.name}: the first line names no pass it supports: {first}"
        users = [
            n for n in served if stem in (path.parent / f"{n.replace('-', '_')}.py").read_text()
        ]
        assert users, f"{path.name}: none of {served} imports it"
