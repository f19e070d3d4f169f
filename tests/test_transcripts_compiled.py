"""Every example's transcripts against its compiled binary, over real sockets.

Each example is built once per module (release build, on first use); every transcript gets a
fresh process, started with `--workers 1 --control` on a free port (nanowyki/replay.py). The
same transcripts pass on the reference interpreter at every IL (test_transcripts.py,
test_differential.py), so a failure here is a bug in the emitter or the runtime.

Two small probe services pin what the examples' transcripts do not reach: `every` timers and
sleeps firing in time order (sessions before timers at a tie), a refused connection, faults
claimed by `fault` steps, and the replies a datagram run made before its fault. Their
transcripts are played on the interpreter too, so the binary is held to the same semantics.

Every wait is bounded (nanowyki.replay.WAIT); nothing measures time. Without a C compiler the
tests skip (in CI they fail: .ci/run installs gcc).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from nanowyki import pipeline
from nanowyki.cli import main
from nanowyki.interp import parse_transcript, read_transcript, run_transcript
from nanowyki.replay import (
    ClientTotals,
    ControlError,
    Replay,
    ReplayResult,
    UserspaceService,
    replay,
)
from tests.test_transcripts import VARIANTS, Variant

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
CASES = sorted((ROOT / "tests" / "transcripts").glob("*/*.tr"))

# A TCP service with a timer: "N" sleeps N ms then answers "TICKS 1000/N"; anything else
# answers "ticks TICKS"; "0" faults `division`.  Two sessions at most.
PROBE = """
service probe {
    listen tcp 9000;
    sessions 2;
    shared ticks: int = 0;
    every 100 ms { ticks += 1; }
    session {
        loop {
            let line = recv_line(64) else { close; };
            let n = parse_int(line) else { send("ticks ", ticks, "\\n"); continue; };
            sleep(n);
            send(ticks, " ", 1000 / n, "\\n");
        }
    }
}
"""

# A datagram service that replies "before", then 100/N: "0" faults after its first reply.
UPROBE = """
service uprobe {
    listen udp 9001;
    datagram pkt: bytes[64] {
        let n = parse_int(pkt) else { reply("?"); return; };
        reply("before");
        reply(100 / n);
    }
}
"""

# Every fault kind, a faulting timer, a receive timeout, a long loop that yields, and
# recv_exact over several segments: "CMD N" lines, anything unparsable answers "ticks T".
KITCHEN = """
service kitchen {
    listen tcp 9002;
    sessions 8;
    table t: map<bytes[8], int>[2];
    shared ticks: int = 0;
    shared zero: int = 0;

    every 1 s {
        ticks += 1;
        if ticks == 2 { ticks += 1 / zero; }
    }

    session {
        loop {
            let line = recv_line(64) else {
                if timed_out() { send("timeout\\n"); set_timeout(0); continue; }
                close;
            };
            let cmd = field(line, 0);
            let arg = field(line, 1);
            let n = parse_int(arg) else { send("ticks ", ticks, "\\n"); continue; };
            if cmd == "partial" {
                send("partial\\n");
                send(100 / n, "\\n");
            } else if cmd == "fuel" {
                var i = 0;
                while i < n max 3 { i += 1; }
                send("fuel ", i, "\\n");
            } else if cmd == "put" {
                var k: bytes[8] = "";
                k ++= arg;
                t.put(k, n);
                send("size ", t.size(), "\\n");
            } else if cmd == "over" {
                send(9223372036854775807 + n, "\\n");
            } else if cmd == "idx" {
                send(arg[n], "\\n");
            } else if cmd == "wait" {
                set_timeout(n);
            } else if cmd == "spin" {
                var s = 0;
                var j = 0;
                while j < n { s += j; j += 1; }
                send("sum ", s, "\\n");
            } else if cmd == "exact" {
                let b = recv_exact(n, 16) else { send("short\\n"); close; };
                send("[", b, "]\\n");
            } else {
                send("?\\n");
            }
        }
    }
}
"""


KITCHEN_TRANSCRIPT = """
# what a session sent before its fault is delivered, then it is closed
open a
a > partial 0\\n
a < partial\\n
a closed
fault division
# a `max 3` loop entering its 4th iteration
open a
a > fuel 3\\n
a < fuel 3\\n
a > fuel 4\\n
a closed
fault fuel
# a third key in a table of two
open a
a > put 1\\n
a < size 1\\n
a > put 2\\n
a < size 2\\n
a > put 2\\n
a < size 2\\n
a > put 3\\n
a closed
fault table_full
open a
a > over 0\\n
a < 9223372036854775807\\n
a > over 1\\n
a closed
fault overflow
open a
a > idx 1\\n
a closed
fault bounds
# a receive timeout; meanwhile another session runs a loop that yields many times
open a
open b
a > wait 500\\n
a > x\\n
a < ticks 0\\n
advance 499 ms
b > spin 100000\\n
b < sum 4999950000\\n
advance 1 ms
a < timeout\\n
advance 1000 ms
a > x\\n
a < ticks 1\\n
# the timer faults on its second run: that run ends, the service goes on
advance 1000 ms
fault division
a > x\\n
a < ticks 2\\n
advance 1000 ms
a > x\\n
a < ticks 3\\n
# recv_exact across segments, and at end of input with too few bytes
b > exact 5\\n
b > ab
b > cdefg\\n
b < [abcde]\\n
b < ticks 3\\n
b > exact 4\\n
b > xy
b shut
b < short\\n
b closed
"""


def _need_cc() -> None:
    if shutil.which(os.environ.get("CC", "cc").split()[0]) is None:
        message = "needs a C compiler: apt-get install gcc"
        if os.environ.get("CI"):  # .ci/run installs it: missing there is a failure
            pytest.fail(message)
        pytest.skip(message)


class Binaries:
    """Services built on first use, each once: examples by name, probes from source text."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.built: dict[str, Path] = {}

    def get(self, name: str, source: str | None = None) -> Path:
        if name not in self.built:
            _need_cc()
            src = EXAMPLES / f"{name}.wyki"
            if source is not None:
                src = self.out / f"{name}.wyki"
                src.write_text(source)
            binary = self.out / name
            assert main(["build", str(src), "-o", str(binary)]) == 0, f"building {src} failed"
            self.built[name] = binary
        return self.built[name]


@pytest.fixture(scope="module")
def binaries(tmp_path_factory: pytest.TempPathFactory) -> Binaries:
    return Binaries(tmp_path_factory.mktemp("compiled"))


def play(binary: Path, text: str, *, wait: float = 1.0) -> ReplayResult:
    """`text` as a transcript against a fresh process; `wait` short, for failing cases."""
    with UserspaceService(binary, "--workers", "1") as service:
        return Replay(parse_transcript(text, "probe.tr"), service, wait=wait).run()


def on_both(binaries: Binaries, name: str, source: str, text: str) -> None:
    """`text` passes on the reference interpreter and on the compiled service."""
    front = pipeline.frontend().run(pipeline.source_tree(f"{name}.wyki", source))
    interpreted = run_transcript(front.tree, parse_transcript(text, "probe.tr"), facts=front.facts)
    assert interpreted.ok, interpreted.report()
    compiled = play(binaries.get(name, source), text, wait=5.0)
    assert compiled.ok, compiled.report()


# -- the examples ------------------------------------------------------------------------------


@pytest.mark.parametrize("path", CASES, ids=[f"{p.parent.name}/{p.stem}" for p in CASES])
def test_transcript_against_binary(binaries: Binaries, path: Path) -> None:
    result = replay(read_transcript(path), binaries.get(path.parent.name))
    assert result.ok, result.report()


@pytest.mark.parametrize("case", ["echo/interleaved", "kv/expiry", "ratelimit/shared"])
def test_transcript_against_two_workers(binaries: Binaries, case: str) -> None:
    # `quiet` and `advance` wait for every worker; the kernel spreads connections over them.
    path = ROOT / "tests" / "transcripts" / f"{case}.tr"
    result = replay(read_transcript(path), binaries.get(path.parent.name), ("--workers", "2"))
    assert result.ok, result.report()


@pytest.mark.parametrize("variant", VARIANTS, ids=[v.name for v in VARIANTS])
def test_full_table_against_binary(binaries: Binaries, variant: Variant) -> None:
    # test_transcripts.py plays these on the interpreter, and checks they need the change.
    binary = binaries.get(variant.name, variant.source())
    result = replay(parse_transcript(variant.transcript, f"{variant.name}.tr"), binary)
    assert result.ok, result.report()


def test_there_are_transcripts_of_every_example() -> None:
    examples = {p.stem for p in EXAMPLES.glob("*.wyki")}
    assert examples and examples == {p.parent.name for p in CASES}


# -- time, timers and faults, on both sides -----------------------------------------------------


def test_timers_and_sleeps_fire_in_time_order(binaries: Binaries) -> None:
    # At 300 ms the sleep and the third tick are both due: the session runs first; at 400 ms
    # too, and the line that arrived during the sleep is answered before the tick.
    on_both(binaries, "probe", PROBE, (
        "open a\na > 300\\n\nadvance 299 ms\na open?\nadvance 1 ms\na < 2 3\\n\n"
        "a > x\\n\na < ticks 3\\n\n"
        "advance 50 ms\na > 50\\n\nadvance 49 ms\na > x\\n\nadvance 1 ms\na < 3 20\\n\n"
        "a < ticks 3\\n\nadvance 1000 ms\na > x\\n\na < ticks 14\\n\n"
    ))  # fmt: skip


def test_past_the_session_limit_a_connection_is_closed(binaries: Binaries) -> None:
    on_both(binaries, "probe", PROBE, (
        "open a\nopen b\nopen c\nc closed\na > x\\n\na < ticks 0\\n\n"
        "a close\nopen c\nc > x\\n\nc < ticks 0\\n\n"
    ))  # fmt: skip


def test_a_fault_ends_only_its_session_and_is_claimed(binaries: Binaries) -> None:
    on_both(binaries, "probe", PROBE, (
        "open a\nopen b\nb > 0\\n\nb closed\nfault division\na > 10\\n\nadvance 10 ms\n"
        "a < 0 100\\n\nopen b\nb > 0\\n\nfault division\nb closed\n"
    ))  # fmt: skip


def test_a_datagram_fault_keeps_the_replies_made_before_it(binaries: Binaries) -> None:
    # The runtime used to drop them (udp.c); docs/language.md says they are sent.
    on_both(binaries, "uprobe", UPROBE, (
        "udp q > 5\nq < before\nq < 20\nudp r > 0\nr < before\nr silent\nfault division\n"
        "udp q > x\nq < ?\nq silent\n"
    ))  # fmt: skip


def test_every_fault_kind_timeouts_and_yields(binaries: Binaries) -> None:
    on_both(binaries, "kitchen", KITCHEN, KITCHEN_TRANSCRIPT)


# -- failures name the transcript line and say what went wrong ----------------------------------


def test_wrong_bytes_show_a_diff(binaries: Binaries) -> None:
    result = play(binaries.get("echo"), "open a\na > hello\na < help\n")
    assert not result.ok and result.failure is not None
    assert result.failure.startswith("probe.tr:3: step 'a < help': unexpected bytes")
    assert 'first difference at byte 3: expected "p", received "lo"' in result.failure
    assert "echo ready on tcp port" in result.report()


def test_missing_bytes_and_closes(binaries: Binaries) -> None:
    echo = binaries.get("echo")
    result = play(echo, "open a\na > hi\na < hi there\n", wait=0.2)
    assert result.failure == (
        'probe.tr:3: step \'a < hi there\': expected "hi there", but received only "hi"; '
        'still missing " there"'
    )
    result = play(echo, "open a\na closed\n", wait=0.2)
    assert result.failure == "probe.tr:2: step 'a closed': the service has not closed 'a'"
    result = play(echo, "open a\na > x\na shut\na open?\n")
    assert result.failure == "probe.tr:4: step 'a open?': the service has closed 'a'"
    result = play(echo, "open a\na > xy\na < x\n")
    assert result.failure == (
        "probe.tr: at the end of the transcript: 'a' received 1 bytes never matched: \"y\""
    )
    result = play(echo, "open a\na > xy\na close\n")
    assert result.failure == (
        "probe.tr:3: step 'a close': 'a' closes with 2 received bytes not matched by a '<' "
        'step: "xy"'
    )
    result = play(echo, "udp q > x\n")
    assert result.failure == "probe.tr:1: step 'udp q > x': the service listens on tcp, not udp"


def test_faults_must_be_claimed_and_must_happen(binaries: Binaries) -> None:
    probe = binaries.get("probe", PROBE)
    result = play(probe, "open a\na > 0\\n\na closed\n")
    assert result.failure == (
        "probe.tr: at the end of the transcript: 1 unexpected 'division' fault(s)"
    )
    result = play(probe, "open a\na > 1\\n\nadvance 1 ms\na < 0 1000\\n\nfault division\n")
    assert result.failure == (
        "probe.tr:5: step 'fault division': expected a 'division' fault, but no fault was counted"
    )
    result = play(probe, "open a\na > 0\\n\nfault overflow\n")
    assert result.failure == (
        "probe.tr:3: step 'fault overflow': expected a 'overflow' fault; the unclaimed faults "
        "are 1 'division'"
    )


def test_datagram_expectations(binaries: Binaries) -> None:
    uprobe = binaries.get("uprobe", UPROBE)
    result = play(uprobe, "udp q > 4\nq < before\nq silent\n")
    assert result.failure == (
        "probe.tr:3: step 'q silent': 'q' has 1 datagram(s) waiting, the first \"25\""
    )
    result = play(uprobe, "udp q > 4\nq < after\n")
    assert result.failure == (
        'probe.tr:2: step \'q < after\': expected the datagram "after", received "before"'
    )


# -- the control channel -----------------------------------------------------------------------


def test_control_commands_and_their_errors(binaries: Binaries) -> None:
    with UserspaceService(binaries.get("probe", PROBE), "--workers", "2") as service:
        assert service.proto == "tcp"
        assert service.request("advance 250") == "ok now=250"
        assert service.stats()["timer_runs"] == 2
        assert service.request("advance -1").startswith("error advance needs milliseconds")
        assert service.request("advance") == (
            "error unknown command 'advance' (known: quiet, advance MS, stats)"
        )
        assert service.request("").startswith("error unknown command ''")
        assert service.request("quiet") == "ok"
        assert service.stop() == 0
    assert (
        "--control"
        in subprocess.run(
            [str(binaries.get("probe", PROBE)), "--help"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )


def test_quiet_is_told_what_the_clients_did(binaries: Binaries) -> None:
    # A service behind QEMU's network waits for these totals (runtime_c/kernel/control.c).
    told: list[ClientTotals | None] = []

    class Recording(UserspaceService):
        def quiet(self, done: ClientTotals | None = None) -> None:
            told.append(done)
            super().quiet(done)

    text = "open a\na > hello\na < hello\nopen b\nb > xy\nb < xy\na shut\na closed\nb close\n"
    with Recording(binaries.get("echo"), "--workers", "1") as service:
        result = Replay(parse_transcript(text, "probe.tr"), service).run()
    assert result.ok, result.report()
    assert told[0] is None  # starting up: no clients yet
    assert [t.words() for t in told[1:] if t is not None] == [
        "1 0 0", "1 0 5", "1 0 5", "2 0 5 0", "2 0 5 2", "2 0 5 2",
        "2 0 5+ 2", "2 0 5+ 2", "2 0 5+ 2+",
    ]  # fmt: skip
    assert ClientTotals(0, 3).words() == "0 3"


def test_a_service_that_cannot_start_is_reported(binaries: Binaries) -> None:
    with pytest.raises(ControlError, match="exited with status 2"):
        UserspaceService(binaries.get("echo"), "--workers", "0")


# -- nanowyki replay ---------------------------------------------------------------------------


def test_replay_command(
    binaries: Binaries, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    echo = str(binaries.get("echo"))
    good = [str(p) for p in sorted((ROOT / "tests" / "transcripts" / "echo").glob("*.tr"))]
    assert main(["replay", "--binary", echo, *good]) == 0
    out = capsys.readouterr().out
    assert out.count("\nok ") + out.startswith("ok ") == len(good)
    bad = tmp_path / "bad.tr"
    bad.write_text("open a\na > x\na < y\n")
    assert main(["replay", "--binary", echo, good[0], str(bad)]) == 1
    captured = capsys.readouterr()
    assert captured.out.startswith(f"ok {good[0]}")
    assert f"{bad}:3: step 'a < y': unexpected bytes" in captured.err
    assert "1 of 2 transcripts failed" in captured.err
    assert main(["replay", "--binary", str(tmp_path / "nothing"), str(bad)]) == 2
    assert "no executable" in capsys.readouterr().err
    bad.write_text("open a\nb > x\n")
    assert main(["replay", "--binary", echo, str(bad)]) == 2
    assert f"{bad}:2: connection 'b' is used before 'open b'" in capsys.readouterr().err


def test_replay_command_runs_as_a_program(binaries: Binaries) -> None:
    echo = str(binaries.get("echo"))
    single = str(ROOT / "tests" / "transcripts" / "echo" / "single.tr")
    done = subprocess.run(
        [sys.executable, "-m", "nanowyki", "replay", "--binary", echo, "--workers", "2", single],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"ok {single} (")
