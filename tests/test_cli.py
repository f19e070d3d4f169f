"""The command line: every command, its options, and its errors (one line, exit 2, never a
traceback)."""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from nanowyki import __version__
from nanowyki.cli import main
from nanowyki.framework import Facts, Node

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


def commands() -> list[str]:
    """Every command the parser knows, read from the parser itself."""
    from nanowyki.cli import build_parser

    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    return list(sub.choices)


def test_help_on_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    top = run("--help")  # one real process: `python -m nanowyki` works
    assert top.returncode == 0
    assert len(commands()) == 8
    for command in commands():
        assert command in top.stdout
        with pytest.raises(SystemExit) as done:
            main([command, "--help"])
        assert done.value.code == 0, command
        assert "usage: nanowyki " + command in capsys.readouterr().out


def test_run_passes_help_says_where_dumps_and_diffs_go(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("COLUMNS", "1000")  # no line breaks inside "--diff-after"
    with pytest.raises(SystemExit):
        main(["run-passes", "--help"])
    text = capsys.readouterr().out
    assert "--dump-dir alone (without --dump-after or --diff-after) means --dump-after all" in text
    assert "D/NN-PASS.diff for a diff" in text
    assert "A run that dumps or diffs does not print the final IL" in text
    assert "--check never takes the next argument" in text


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
    assert done.stdout.count(run("run-passes", str(ECHO)).stdout) == 1  # a dump, no final IL
    table = done.stderr.splitlines()
    assert table[0].split() == ["pass", "ms", "count", "ms", "check", "ms", "nodes", "built"]
    assert table[-1].startswith("total")
    # Without --check nothing is checked, and the table says so: the time spent summing up
    # the nodes each pass built is its own column.
    assert {line.split()[3] for line in table[1:]} == {"0.000"}
    steps = [json.loads(line) for line in trace.read_text().splitlines()]
    assert [s["name"] for s in steps] == names
    assert {s["check_seconds"] for s in steps} == {0.0}


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
    # As README's tour does it: the facts of the passes skipped are computed again.
    tour = run("run-passes", str(tmp_path / "04-uncover-constants.il"), "--start-at", "check-types")
    assert (tour.returncode, tour.stderr) == (0, "")
    assert tour.stdout == final.stdout


def test_start_at_with_a_file_that_is_not_printed_il_says_what_it_needs(tmp_path: Path) -> None:
    empty = tmp_path / "empty.il"
    empty.write_text("")
    for file in (ECHO, empty):
        done = run("run-passes", str(file), "--start-at", "check-types")
        assert done.returncode == 2
        assert done.stderr.startswith(
            f"nanowyki: error: {file} must be the printed IL of Resolved, the input of "
            "'check-types' (a dump of the pass before it): "
        )
        assert done.stderr.count("\n") == 1


def test_start_at_with_a_dump_of_another_language_says_which(tmp_path: Path) -> None:
    typed = tmp_path / "typed.il"
    done = run("run-passes", str(ECHO), "--dump-after", "check-types", "--stop-after",
               "check-types")  # fmt: skip
    typed.write_text(done.stdout)
    wrong = run("run-passes", str(typed), "--start-at", "check-types")
    assert (wrong.returncode, wrong.stdout) == (2, "")
    assert wrong.stderr == (
        f"nanowyki: error: {typed} holds Typed (after check-types) but 'check-types' takes "
        "Resolved: start at 'reject-recursion'\n"
    )


def test_start_at_on_a_cish_dump_reads_the_facts_it_carries(tmp_path: Path) -> None:
    from nanowyki import pipeline

    names = pipeline.default().names
    after = names[names.index("convert-to-cish") + 1]
    cish = tmp_path / "cish.il"
    done = run("run-passes", str(ECHO), "--dump-after", "convert-to-cish", "--stop-after",
               "convert-to-cish")  # fmt: skip
    assert "\n; fact ServiceShape(proto='tcp', port=7, " in done.stdout  # the port: gone in Cish
    cish.write_text(done.stdout)
    resumed = run("run-passes", str(cish), "--start-at", after, "--emit", "c")
    assert (resumed.returncode, resumed.stderr) == (0, "")
    whole = run("run-passes", str(ECHO), "--emit", "c")
    code = [line for line in whole.stdout.splitlines() if not line.startswith("#line")]
    assert [line for line in resumed.stdout.splitlines() if not line.startswith("#line")] == code
    # Without its fact lines, the dump cannot give what emit-service-descriptor needs.
    bare = tmp_path / "bare.il"
    bare.write_text("".join(line for line in done.stdout.splitlines(True) if "; fact" not in line))
    failed = run("run-passes", str(bare), "--start-at", after)
    assert (failed.returncode, failed.stdout) == (2, "")
    assert "requires ServiceShape, which no pass before it in this run provides" in failed.stderr
    assert failed.stderr.endswith("or before)\n") and failed.stderr.count("\n") == 1


def test_run_passes_stop_after_and_diff() -> None:
    done = run(
        "run-passes", str(ECHO), "--stop-after", "resolve-names", "--diff-after", "resolve-names"
    )
    assert done.returncode == 0, done.stderr
    assert "--- before resolve-names (Surface)" in done.stdout
    assert "+++ after resolve-names (Resolved)" in done.stdout


def test_run_passes_diffs_go_into_the_dump_dir(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """With --dump-dir, diffs are files too, and --diff-after alone dumps nothing else."""
    argv = ["run-passes", str(ECHO), "--stop-after", "check-types"]
    assert main([*argv, "--diff-after", "resolve-names,check-types", "--dump-dir",
                 str(tmp_path)]) == 0  # fmt: skip
    assert capsys.readouterr().out == ""
    from nanowyki import pipeline

    place = pipeline.default().index
    resolve, check = (f"{place(n) + 1:02d}-{n}.diff" for n in ("resolve-names", "check-types"))
    assert sorted(p.name for p in tmp_path.iterdir()) == [resolve, check]
    diff = (tmp_path / resolve).read_text()
    assert diff.startswith("--- before resolve-names (Surface)\n+++ after resolve-names (Resolved)")


def test_check_without_equals_never_takes_the_next_argument(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`--check FILE` is `--check` then FILE, never FILE as the level."""
    assert main(["run-passes", "--check", str(ECHO), "--stop-after", "check-types"]) == 0
    checked = capsys.readouterr()
    assert main(["run-passes", str(ECHO), "--stop-after", "check-types"]) == 0
    assert checked.out == capsys.readouterr().out and checked.out.startswith("(Service echo")
    assert checked.err == ""


def test_check_construct_checks_every_node_as_it_is_built(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """--check=construct gives the same IL, and it is a real level: a pass that builds a node
    its output language does not have fails where it builds it, named, as a compiler bug."""
    argv = ["run-passes", str(ECHO), "--stop-after", "resolve-names"]
    assert main([*argv, "--check=construct"]) == 0
    constructed = capsys.readouterr().out
    assert main(argv) == 0
    assert constructed == capsys.readouterr().out

    from nanowyki.languages.surface import Name
    from nanowyki.passes.resolve_names import ResolveNames

    def leave_a_name(self: ResolveNames, tree: Node, facts: Facts) -> tuple[Node, Facts]:
        Name("x")  # Resolved has no Name: every name is a Local, Global, ...
        return tree, facts

    monkeypatch.setattr(ResolveNames, "apply", leave_a_name)
    assert main([*argv, "--check=construct"]) == 3
    err = capsys.readouterr().err
    assert "internal compiler error" in err and "resolve-names" in err
    assert main(argv) == 0  # off: nothing checks


ECHO_TR = "tests/transcripts/echo/single.tr"
DOT_RANGE = "--emit dot draws the sessions' state machines, which exist after the passes"


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
        # --emit dot where the program has no state machine (tests/test_dot.py: the range)
        (("run-passes", str(ECHO), "--emit", "dot", "--stop-after", "hoist-locals"), DOT_RANGE),
        (
            ("run-passes", str(ECHO), "--emit", "dot", "--stop-after", "explicate-control"),
            "not after 'explicate-control' (Linear)",
        ),
        (
            ("run-passes", str(ECHO), "--emit", "dot", "--stop-after", "convert-to-cish"),
            "not after 'convert-to-cish' (Cish)",
        ),
        (
            ("run-passes", str(ECHO), "--emit", "dot", "--stop-after", "lift-locals-to-scratch"),
            "not after 'lift-locals-to-scratch' (Cish)",
        ),
        (
            ("run-passes", str(ECHO), "--emit", "dot", "--stop-after", "emit-service-descriptor"),
            "not after 'emit-service-descriptor' (Cish)",
        ),
        # files the commands cannot write, found before any pass runs
        (
            ("run-passes", str(ECHO), "--dump-dir", str(ECHO)),
            f"cannot write into '{ECHO}': it is a file, not a directory",
        ),
        (
            ("run-passes", str(ECHO), "--dump-dir", "/proc/nope"),
            "cannot create the directory '/proc/nope': ",
        ),
        (
            ("run-passes", str(ECHO), "--diff-after", "all", "--dump-dir", f"{ECHO}/sub"),
            f"cannot create the directory '{ECHO}/sub': ",
        ),
        (
            ("run-passes", str(ECHO), "--trace", "/nonexistent/dir/t.json"),
            "cannot write '/nonexistent/dir/t.json': the directory '/nonexistent/dir' does",
        ),
        (
            ("run-passes", str(ECHO), "-o", "/nonexistent/dir/out.il"),
            "cannot write '/nonexistent/dir/out.il': the directory '/nonexistent/dir' does not",
        ),
        (
            ("run-passes", str(ECHO), "--emit", "c", "-o", "/nonexistent/x.c"),
            "cannot write '/nonexistent/x.c': the directory '/nonexistent' does not exist",
        ),
        (
            ("run-passes", str(ECHO), "--emit", "dot", "-o", "examples"),
            "cannot write 'examples': it is a directory",
        ),
        (
            ("run-passes", str(ECHO), "-o", f"{ECHO}/out.il"),
            f"cannot write '{ECHO}/out.il': the directory '{ECHO}' is not a directory",
        ),
        (
            ("build", str(ECHO), "-o", "/nonexistent/echo"),
            "cannot write '/nonexistent/echo': the directory '/nonexistent' does not exist",
        ),
        (("build", str(ECHO), "-o", "examples"), "cannot write 'examples': it is a directory"),
        (
            ("build", str(ECHO), "-o", "echo", "--build-dir", str(ECHO)),
            f"cannot write into '{ECHO}': it is a file, not a directory",
        ),
        (
            ("build", str(ECHO), "--target", "kernel", "-o", str(ECHO)),
            f"cannot write into '{ECHO}': it is a file, not a directory",
        ),
        # replay: what to play on
        (("replay", str(ECHO)), f"no transcript to play on '{ECHO}'"),
        (("replay", ECHO_TR), f"'{ECHO_TR}' is a transcript: give the program first"),
        (
            ("replay", str(ECHO), ECHO_TR, "--stop-after", "check-types"),
            "--stop-after names a pass after the front end ('unify-loops' to ",
        ),
        (("replay", str(ECHO), ECHO_TR, "--stop-after", "nope"), "unknown pass 'nope'"),
        (
            ("replay", "--binary", "echo", str(ECHO), ECHO_TR),
            f"with --binary give only transcripts, not the program '{ECHO}'",
        ),
        (("replay", str(ECHO), ECHO_TR, "--workers", "2"), "--workers is for a compiled service"),
        (("replay", str(ECHO), "missing.tr"), "cannot read 'missing.tr': No such file"),
    ],
)
def test_user_mistakes_get_one_line_and_status_2(
    args: tuple[str, ...],
    message: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(ROOT)
    assert main(list(args)) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert err.startswith("nanowyki: error: ")
    assert message in err


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


def test_replay_on_the_interpreter_names_the_line_of_the_first_mismatch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(ROOT)
    wrong = tmp_path / "wrong.tr"
    wrong.write_text("open a\na > hi\na < ho\na close\n")
    assert main(["replay", str(ECHO), ECHO_TR, str(wrong)]) == 1
    out, err = capsys.readouterr()
    assert out == f"ok {ECHO_TR} (on Typed)\n"
    assert err.startswith(f"{wrong}:3: step 'a < ho': unexpected bytes: expected \"ho\"\n")
    assert "--- event log ---" in err
    assert err.endswith("\n1 of 2 transcripts failed\n")


def test_replay_after_a_chosen_pass_and_after_every_pass(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(ROOT)
    assert main(["replay", str(ECHO), ECHO_TR, "--stop-after", "lower-waits"]) == 0
    assert capsys.readouterr().out == f"ok {ECHO_TR} (on Socketless)\n"
    assert main(["replay", str(ECHO), ECHO_TR, "--every-pass"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"ok {ECHO_TR} (on Typed)"
    assert out[1].startswith("ok every pass: same behaviour after ")


UDP_ECHO = """\
service u {
    listen udp 5300;
    datagram pkt: bytes[512] { reply(pkt); }
}
"""


def test_serve_says_what_a_udp_service_is_ready_for(tmp_path: Path) -> None:
    """A UDP service has no sessions: `serve` announces its datagram bound, then answers."""
    source = tmp_path / "u.wyki"
    source.write_text(UDP_ECHO)
    server = subprocess.Popen(
        [sys.executable, "-m", "nanowyki", "serve", str(source), "--port", "0"],
        stderr=subprocess.PIPE, text=True, cwd=ROOT,
    )  # fmt: skip
    try:
        assert server.stderr is not None
        ready = server.stderr.readline()
        assert ready.startswith("nanowyki: u ready on udp port "), ready
        assert ready.rstrip().endswith("(reference interpreter, datagrams of up to 512 bytes)")
        port = int(ready.split("port ")[1].split()[0])
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as client:
            client.settimeout(30)
            client.sendto(b"ping", ("127.0.0.1", port))
            assert client.recvfrom(1024)[0] == b"ping"
    finally:
        server.send_signal(signal.SIGINT)
        assert server.wait(timeout=30) == 0


TWO_ERRORS = """\
service s {
    listen tcp 7;
    session {
        let n = lenght(1);
        let m = nowhere;
        close;
    }
}
"""


def test_check_reports_every_error_of_a_run_then_counts_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.wyki"
    bad.write_text(TWO_ERRORS)
    assert main(["check", str(bad)]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err.splitlines() == [
        f"{bad}:4:17: error: unknown name 'lenght'",
        "    4 |         let n = lenght(1);",
        "      |                 ^~~~~~",
        "hint: did you mean 'len'?",
        f"{bad}:5:17: error: unknown name 'nowhere'",
        "    5 |         let m = nowhere;",
        "      |                 ^~~~~~~",
        "2 errors",
    ]


def test_check_cannot_read_is_one_line_and_status_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    latin1 = tmp_path / "latin1.wyki"
    latin1.write_bytes(b"// caf\xe9\nservice s { listen tcp 7; }\n")
    unreadable = tmp_path / "secret.wyki"
    unreadable.write_text(TWO_ERRORS)
    unreadable.chmod(0)
    cases = [
        (latin1, "not UTF-8 text"),
        (tmp_path, "it is a directory"),
        (tmp_path / "missing.wyki", "no such file"),
    ]
    if os.geteuid() != 0:  # root reads any file
        cases.append((unreadable, "Permission denied"))
    for path, why in cases:
        assert main(["check", str(path)]) == 2
        assert capsys.readouterr().err == f"nanowyki: error: cannot read '{path}': {why}\n"


def test_show_language_grammar_and_diff() -> None:
    grammar = run("show-language", "Surface")
    assert grammar.returncode == 0
    assert grammar.stdout.startswith("language Surface\n")
    diff = run("show-language", "Resolved", "--diff")
    assert diff.returncode == 0
    assert diff.stdout.startswith("language Resolved extends Surface\n")
    assert "  - Expr ::= (Name" in diff.stdout
    assert "  + Expr ::= (Local" in diff.stdout
