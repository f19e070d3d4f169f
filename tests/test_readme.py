"""The README's promises: .ci/run calls exactly its test command, and the docs stay true."""

from __future__ import annotations

import re
import subprocess
import sys
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


def test_the_readme_programs_are_real(tmp_path: Path) -> None:
    """The first `wyki` block is a correct program; the second is `bad.wyki`, and `nanowyki
    check` prints exactly the diagnostic the README shows after it."""
    text = (ROOT / "README.md").read_text()
    good, bad = re.findall(r"```wyki\n(.*?)```", text, re.S)[:2]
    shown = re.search(r"```wyki\n.*?```.*?```\n(bad\.wyki:.*?)```", text, re.S)
    assert shown is not None, "the README's sample diagnostic is gone"
    (tmp_path / "good.wyki").write_text(good)
    (tmp_path / "bad.wyki").write_text(bad)
    ok = subprocess.run([sys.executable, "-m", "nanowyki", "check", "good.wyki"],
                        capture_output=True, text=True, cwd=tmp_path)  # fmt: skip
    assert (ok.returncode, ok.stderr) == (0, "")
    done = subprocess.run([sys.executable, "-m", "nanowyki", "check", "bad.wyki"],
                          capture_output=True, text=True, cwd=tmp_path)  # fmt: skip
    assert done.returncode == 1
    assert done.stderr == shown.group(1)
