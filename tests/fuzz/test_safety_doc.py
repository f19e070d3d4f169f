"""docs/safety.md names the tests that show each guarantee: every file and test it names must
exist, so the page cannot drift from the suite."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "safety.md"

# `tests/x.py`, `tests/x.py::test_y`, `tests/x.py::test_y[param]`, or `::test_y` (same file as
# the previous reference).
REFERENCE = re.compile(r"`(tests/[\w/]+\.(?:py|wyki)|)(?:::(\w+)(?:\[[\w-]+\])?)?`")


def references(text: str) -> list[tuple[str, str | None]]:
    found: list[tuple[str, str | None]] = []
    current = ""
    for m in REFERENCE.finditer(text):
        path, test = m.group(1), m.group(2)
        if not path and not test:
            continue
        current = path or current
        assert current, f"'::{test}' comes before any file in docs/safety.md"
        found.append((current, test))
    return found


def test_every_file_and_test_named_exists() -> None:
    refs = references(DOC.read_text(encoding="utf-8"))
    assert len(refs) >= 30, refs
    missing = []
    for path, test in refs:
        source = ROOT / path
        if not source.is_file():
            missing.append(path)
        elif test and not re.search(rf"^def {test}\(", source.read_text(), re.MULTILINE):
            missing.append(f"{path}::{test}")
    assert missing == []


def test_a_wrong_name_would_be_found() -> None:
    refs = references("`tests/a.py::test_b` and `::test_c[x]`, `tests/d.wyki`")
    assert refs == [("tests/a.py", "test_b"), ("tests/a.py", "test_c"), ("tests/d.wyki", None)]
