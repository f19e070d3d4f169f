"""`nanowyki check --report`: the static worst-case steps between yields of every handler."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from nanowyki.cli import main

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.wyki"))


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "nanowyki", *args], capture_output=True, text=True, cwd=ROOT
    )


def steps_rows(out: str) -> list[list[str]]:
    """The rows of the steps table, split into cells (the handler name may hold spaces)."""
    lines = out.splitlines()
    start = lines.index("steps between yields (static worst case)")
    assert lines[start + 1].split() == ["handler", "line", "yield", "points", "steps", "bytes",
                                        "scanned"]  # fmt: skip
    rows = []
    for line in lines[start + 2 :]:
        if not line.strip():
            break
        *name, where, points, steps, scanned = line.split()
        rows.append([" ".join(name), where, points, steps, scanned])
    return rows


def test_echo_report_has_the_hand_computed_bound() -> None:
    done = run("check", "--report", "examples/echo.wyki")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("examples/echo.wyki: resource report\n")
    # checkpoint, recv, close, send; the costliest segment: the loop test and the checkpoint,
    # or the recv (statement and call)
    assert steps_rows(done.stdout) == [["session", "16", "4", "2", "0"]]
    assert done.stderr == ""


def test_every_handler_and_function_of_ratelimit_is_listed(tmp_path: Path) -> None:
    done = run("check", "--report", "examples/ratelimit.wyki")
    assert done.returncode == 0, done.stderr
    rows = steps_rows(done.stdout)
    assert [r[0] for r in rows] == ["timer 1", "session", "fn 'key_of'", "fn 'used'", "fn 'hit'"]
    # timer: counts.clear() (statement + table call) and windows += 1
    assert rows[0] == ["timer 1", "44", "0", "3", "0"]
    # key_of scans its 128-byte line once (field)
    assert rows[2][4] == "128"


SMALL = """service t {
    listen tcp 7;
    fn f(s: bytes[10]) -> int {
        var n = 0;
        for i in 0..len(s) { n += s[i]; }
        return n;
    }
    session {
        let l = recv_line(10) else { close; };
        send(f(l));
    }
}
"""


def test_small_program_numbers(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "small.wyki"
    src.write_text(SMALL)
    assert main(["check", "--report", str(src)]) == 0
    rows = steps_rows(capsys.readouterr().out)
    # f: var n, declare i, declare end (len: 1 call), the loop: 10 turns of (test + n = n + s[i]
    # + i = i + 1) and a last test = 10 * 3 + 1, return: 1 + 1 + 2 + 31 + 1 = 36
    # session: recv (2) | close (1) | Send(itoa(f(l))): 1 + itoa 1 + f (1 + 36) = 39
    assert rows == [["session", "8", "3", "39", "0"], ["fn 'f'", "3", "0", "36", "0"]]


def test_without_report_check_prints_nothing() -> None:
    done = run("check", "examples/echo.wyki")
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")


def test_a_rejected_program_prints_diagnostics_and_no_report(tmp_path: Path) -> None:
    bad = tmp_path / "bad.wyki"
    bad.write_text("service t { listen tcp 7; fn f() { while true { } } session { } }\n")
    done = run("check", "--report", str(bad))
    assert done.returncode == 1
    assert done.stdout == ""
    assert "error:" in done.stderr and "max" in done.stderr


def test_a_missing_file_is_a_usage_error() -> None:
    done = run("check", "--report", "no/such.wyki")
    assert done.returncode == 2
    assert done.stderr.strip() == "nanowyki: error: cannot read 'no/such.wyki': no such file"


def test_help_mentions_report() -> None:
    done = run("check", "--help")
    assert "--report" in done.stdout


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_every_example_reports(example: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--report", str(example)]) == 0
    rows = steps_rows(capsys.readouterr().out)
    handlers = [r for r in rows if not r[0].startswith("fn ")]
    assert handlers and all(int(r[3].replace(",", "")) >= 1 for r in handlers)
