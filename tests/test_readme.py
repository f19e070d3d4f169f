"""The README's promises: .ci/run calls exactly its test command, and the docs stay true."""

from __future__ import annotations

import re
from pathlib import Path

from nanowyki import pipeline
from nanowyki.cli import markdown_table

ROOT = Path(__file__).resolve().parent.parent


def readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    return re.findall(r"```sh\n(.*?)\n```", text, re.S)


def test_ci_runs_exactly_the_readme_test_command() -> None:
    commands = readme_commands()
    test_command = next(c for c in commands if "pytest" in c)
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    assert test_command in ci


def test_architecture_pass_table_is_current() -> None:
    """ARCHITECTURE.md shows the pass table; regenerate it with
    `nanowyki list-passes --markdown` when passes change."""
    text = (ROOT / "ARCHITECTURE.md").read_text()
    start = text.index("<!-- passes: begin -->\n") + len("<!-- passes: begin -->\n")
    end = text.index("<!-- passes: end -->")
    assert text[start:end] == markdown_table(pipeline.default().table())
