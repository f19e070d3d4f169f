"""The command line: every command, its options, and its errors (one line, exit 2, never a
traceback)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from nanowyki import __version__
from nanowyki.cli import main

ROOT = Path(__file__).resolve().parent.parent
ECHO = ROOT / "examples" / "echo.wyki"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "nanowyki", *args], capture_output=True, text=True, cwd=ROOT
    )


def test_version() -> None:
    done = run("--version")
    assert done.returncode == 0
    assert done.stdout.strip() == f"nanowyki {__version__}"


def test_help_on_every_command() -> None:
    top = run("--help")
    assert top.returncode == 0
    for command in ("list-passes", "show-language", "check", "run-passes"):
        assert command in top.stdout
        done = run(command, "--help")
        assert done.returncode == 0, command
        assert "usage: nanowyki " + command in done.stdout


def test_no_command_prints_help_and_fails(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert "usage:" in capsys.readouterr().out


def test_list_passes_one_line_per_pass() -> None:
    from nanowyki import pipeline

    done = run("list-passes")
    assert done.returncode == 0
    lines = done.stdout.splitlines()
    p = pipeline.default()
    assert len(lines) == len(p.passes)
    for line, (name, source, target, purpose) in zip(lines, p.table(), strict=True):
        assert line.split()[0] == name
        assert f"{source} -> {target}" in line
        assert line.rstrip().endswith(purpose)


def test_run_passes_dump_all_with_timing(tmp_path: Path) -> None:
    trace = tmp_path / "trace.jsonl"
    done = run("run-passes", str(ECHO), "--dump-after", "all", "--timing", "--trace", str(trace))
    assert done.returncode == 0, done.stderr
    from nanowyki import pipeline

    names = pipeline.default().names
    for name in names:
        assert f"; after {name}: " in done.stdout
    assert "total" in done.stderr
    steps = [json.loads(line) for line in trace.read_text().splitlines()]
    assert [s["name"] for s in steps] == names


def test_run_passes_dump_dir_then_start_at(tmp_path: Path) -> None:
    from nanowyki import pipeline

    names = pipeline.default().names
    done = run("run-passes", str(ECHO), "--dump-dir", str(tmp_path), "--check")
    assert done.returncode == 0, done.stderr
    files = sorted(p.name for p in tmp_path.iterdir())
    assert files == [f"{i:02d}-{n}.il" for i, n in enumerate(names, 1)]
    # A dump is the input of the next pass: start there from the file.
    resumed = run("run-passes", str(tmp_path / files[1]), "--start-at", names[2], "--check")
    assert resumed.returncode == 0, resumed.stderr
    final = run("run-passes", str(ECHO))
    assert resumed.stdout == final.stdout


def test_run_passes_stop_after_and_diff() -> None:
    done = run("run-passes", str(ECHO), "--stop-after", "resolve-names", "--diff-after",
               "resolve-names")
    assert done.returncode == 0, done.stderr
    assert "--- before resolve-names (Surface)" in done.stdout
    assert "+++ after resolve-names (Resolved)" in done.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("run-passes", "missing.wyki"), "cannot read 'missing.wyki': no such file"),
        (("check", "missing.wyki"), "cannot read 'missing.wyki': no such file"),
        (("run-passes", str(ECHO), "--stop-after", "no-such-pass"), "unknown pass 'no-such-pass'"),
        (("run-passes", str(ECHO), "--dump-after", "nope"), "unknown pass 'nope'"),
        (("run-passes", str(ECHO), "--check=sometimes"), "unknown check level 'sometimes'"),
        (("show-language", "Nowhere"), "unknown language 'Nowhere'"),
        (("run-passes", "examples"), "cannot read 'examples': it is a directory"),
    ],
)
def test_user_mistakes_get_one_line_and_status_2(args: tuple[str, ...], message: str) -> None:
    done = run(*args)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1, done.stderr
    assert done.stderr.startswith("nanowyki: error: ")
    assert message in done.stderr
    assert "Traceback" not in done.stderr


def test_start_at_with_bad_il_is_a_usage_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.il"
    bad.write_text("(Service echo [(Listen tcp")
    done = run("run-passes", str(bad), "--start-at", "resolve-names")
    assert done.returncode == 2
    assert "bad.il:1:" in done.stderr
    assert "Traceback" not in done.stderr


def test_check_accepts_a_good_program() -> None:
    done = run("check", str(ECHO))
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")


def test_check_reports_a_bad_program_with_caret(tmp_path: Path) -> None:
    bad = tmp_path / "bad.wyki"
    bad.write_text(
        "service s {\n    listen tcp 7;\n    session {\n        let n = lenght(1);\n    }\n}\n"
    )
    done = run("check", str(bad))
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    lines = done.stderr.splitlines()
    assert lines[0].startswith(f"{bad}:4:17: error: ")
    assert lines[1] == "    4 |         let n = lenght(1);"
    assert lines[2] == "      |                 ^~~~~~"


def test_show_language_grammar_and_diff() -> None:
    grammar = run("show-language", "Surface")
    assert grammar.returncode == 0
    assert grammar.stdout.startswith("language Surface\n")
    diff = run("show-language", "Resolved", "--diff")
    assert diff.returncode == 0
    assert diff.stdout.startswith("language Resolved extends Surface\n")
    assert "  - Expr ::= (Name" in diff.stdout
    assert "  + Expr ::= (Local" in diff.stdout
