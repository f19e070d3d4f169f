"""`nanowyki check --report`: the static worst-case steps between yields of every handler."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from nanowyki import pipeline
from nanowyki.analysis.arena import (
    CONN_BYTES,
    SUPERPAGE,
    UDP_STATE_BYTES,
    WORKER_BYTES,
    Descriptor,
    TableDecl,
    carve,
    descriptor,
    table_bytes,
    table_entry_bytes,
)
from nanowyki.analysis.c_layout import CLayout
from nanowyki.cli import main
from nanowyki.languages.cish import (
    CArrayT,
    CBoolT,
    CInt64,
    CPointerT,
    CStatus,
    CStructDef,
    CStructT,
    CUInt8,
    CUInt32,
    CUnit,
    CVar,
)

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


LONG_LOOP = """service t {
    listen tcp 7;
    session {
        let l = recv_line(10) else { close; };
        var n = 0;
        for i in 0..100000 { n += 1; }
        send(itoa(n));
    }
}
"""


def test_a_long_session_loop_has_a_checkpoint(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = tmp_path / "long.wyki"
    src.write_text(LONG_LOOP)
    assert main(["check", "--report", str(src)]) == 0
    rows = steps_rows(capsys.readouterr().out)
    # yield points: recv, close, the loop's checkpoint, send. Without the checkpoint the loop
    # alone would be 100,000 * 3 + 1 steps. Segments: entry -> recv: 2; recv -> var n, declare
    # i and its end, test, checkpoint: 5, or the test fails -> send(itoa): 4 + 2 = 6;
    # checkpoint -> n += 1, step, test, checkpoint: 4, or test fails -> send: 3 + 2 = 5
    assert rows == [["session", "3", "4", "6", "0"]]


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


# ---- memory: the C layout, the table and arena model, hand-worked --------------------------


def unit(*structs: CStructDef) -> CUnit:
    return CUnit("t", structs)


BYTES_10 = CStructDef(
    "wyki_bytes_10", (CVar("len", CUInt32()), CVar("data", CArrayT(CUInt8(), 10)))
)


@pytest.mark.parametrize(
    ("fields", "want"),
    [
        ((), 0),
        ((CVar("len", CUInt32()), CVar("data", CArrayT(CUInt8(), 0))), 4),  # wyki_bytes_0
        ((CVar("b", CStructT("wyki_bytes_10")),), 16),  # 4 + 10, to 4
        ((CVar("some", CBoolT()), CVar("v", CStructT("wyki_bytes_10"))), 20),  # 1, pad 3, 16
        ((CVar("state", CUInt32()), CVar("x", CInt64()), CVar("ok", CBoolT())), 24),  # 4+4+8+1+7
        ((CVar("st", CStatus()), CVar("p", CPointerT(CInt64()))), 16),
        ((CVar("a", CArrayT(CInt64(), 3)), CVar("c", CUInt8())), 32),
    ],
)
def test_c_struct_sizes(fields: tuple[CVar, ...], want: int) -> None:
    c = CLayout(unit(BYTES_10, CStructDef("s", fields)))
    assert c.sizeof(CStructT("s")) == want


def test_table_bytes_are_the_runtimes_layout() -> None:
    # 128 buckets and stripes: header 256 + 128 x 64 + 128 x 4 = 8 960 (whole cache lines);
    # entries of 16 + 8 + 8 = 32 bytes
    small = TableDecl("t", key_size=8, value_size=8, capacity=100)
    assert table_entry_bytes(small) == 32 and table_bytes(small) == 8_960 + 3_200
    # 1024 buckets, 256 stripes: 256 + 16 384 + 4 096 = 20 736; entries 16 + 258 -> 280
    big = TableDecl("u", key_size=250, value_size=8, capacity=1000)
    assert table_bytes(big) == 20_736 + 280_000


TCP_DESCRIPTOR = Descriptor(
    name="t", proto="tcp", max_sessions=10, frame_size=100, rx_size=4096, tx_size=65536,
    scratch_size=30, max_datagram=0, reply_size=0,
    tables=(TableDecl("seen", 8, 8, 100),), ntimers=0,
)  # fmt: skip


def test_the_arena_is_carved_as_the_runtime_carves_it() -> None:
    a = carve(TCP_DESCRIPTOR, workers=2)
    assert [(r.name, r.count, r.each) for r in a.allocations] == [
        ("workers", 2, WORKER_BYTES),
        ("connections", 10, CONN_BYTES),
        ("session frames", 10, 100),
        ("receive buffers", 10, 4096),
        ("transmit buffers", 10, 65536),
        ("table 'seen' entries", 100, 32),
        ("table 'seen' buckets and locks", 1, 8_960),
        ("worker scratch", 2, 30),
        ("timer schedule", 1, 8),
    ]
    # workers 17 024; connections 1 760 up to 18 784, the first frame at 18 816 (+32);
    # each session 128 (100 + 28) + 4 096 + 65 536 = 69 760: 716 416; the table 12 160:
    # 728 576; scratch 30, the second at +64 (+34): 728 670; the timer slot at 728 672 (+2)
    assert a.used == 728_680
    assert a.padding == 32 + 10 * 28 + 34 + 2
    assert a.used == sum(r.bytes for r in a.allocations) + a.padding
    assert (a.superpages, a.mapped) == (1, SUPERPAGE)


def test_fewer_sessions_and_more_workers() -> None:
    # a session (69 760), its connection (176), and 16 bytes less padding before the frames
    assert carve(TCP_DESCRIPTOR, workers=2, sessions=9).used == 728_680 - 69_760 - 176 - 16
    # the rest is 30 bytes smaller with one worker: 29 sessions fit one superpage, 30 do not
    assert carve(TCP_DESCRIPTOR, workers=1, sessions=29).superpages == 1
    assert carve(TCP_DESCRIPTOR, workers=1, sessions=30).superpages == 2


def test_a_udp_arena_has_a_datagram_batch_per_worker() -> None:
    d = Descriptor(name="d", proto="udp", max_sessions=0, frame_size=0, rx_size=0, tx_size=0,
                   scratch_size=0, max_datagram=512, reply_size=1000, tables=(),
                   ntimers=1)  # fmt: skip
    a = carve(d, workers=1)
    batches = UDP_STATE_BYTES + 32 * 513 + 32 * 1000
    assert [(r.name, r.count, r.each) for r in a.allocations] == [
        ("workers", 1, WORKER_BYTES), ("datagram batches", 1, batches), ("timer schedule", 1, 16)
    ]  # fmt: skip
    # no scratch: carve() still takes 1 byte, and the batch starts on the next cache line
    assert a.used == WORKER_BYTES + 64 + batches + 16 and a.padding == 64


MEMORY = """service t {
    listen tcp 7;
    sessions 10;
    table seen: map<bytes[8], int>[100];
    fn twice(s: bytes[10]) -> bytes[20] { return s ++ s; }
    session {
        let l = recv_line(10) else { close; };
        seen.put(l[0..8], 1);
        send(twice(l));
    }
}
"""


def memory_rows(out: str) -> dict[str, list[str]]:
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("memory of"))
    rows = {}
    for line in lines[start + 1 :]:
        if not line.strip():
            break
        cells = re.split(r"\s{2,}", line)
        rows[cells[0]] = cells[1:]
    return rows


def test_small_program_memory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "m.wyki"
    src.write_text(MEMORY)
    assert main(["check", "--report", "--workers", "2", str(src)]) == 0
    out = capsys.readouterr().out
    assert "memory of the userspace binary at 10 sessions and 2 workers" in out
    rows = memory_rows(out)
    c_unit = run_through_c(src)
    d = descriptor(c_unit)
    frame = CLayout(c_unit).sizeof(CStructT("frame"))
    assert d.frame_size == frame and rows["session frames"] == [
        "10",
        f"{frame:,}",
        f"{10 * frame:,}",
    ]
    assert rows["receive buffers"] == ["10", "4,096", "40,960"]  # recv_line(10): 12, a page
    assert rows["connections"] == ["10", "176", "1,760"]
    assert rows["workers"] == ["2", "8,512", "17,024"]
    assert rows["table 'seen' entries"] == ["100", "32", "3,200"]  # 16 + 12 (bytes[8]) + 8 -> 32
    assert rows["table 'seen' buckets and locks"] == ["1", "8,960", "8,960"]
    scratch = CLayout(c_unit).sizeof(CStructT("scratch"))  # twice's argument and result
    assert scratch >= 16 + 24 and rows["worker scratch"] == [
        "2",
        f"{scratch:,}",
        f"{2 * scratch:,}",
    ]
    arena = carve(d, workers=2)
    assert rows["arena (bytes used)"] == [f"{arena.used:,}"]
    assert rows["superpages (2 MiB)"] == ["1", "2,097,152", "2,097,152"]
    one = carve(d, workers=1)
    assert f"Each further worker adds {carve(d, workers=3).used - arena.used:,} bytes" in out
    assert one.used < arena.used
    # the session calls twice: its chain, and the scratch parts of both
    assert re.search(r"^session +[\d,]+ +2  step -> fn_twice$", out, re.M)


def run_through_c(src: Path) -> CUnit:
    tree = pipeline.default().run(pipeline.source_tree(src)).tree
    assert isinstance(tree, CUnit)
    return tree


def test_report_workers_must_be_what_the_binary_takes() -> None:
    done = run("check", "--report", "--workers", "0", "examples/echo.wyki")
    assert done.returncode == 2 and "--workers must be 1..1024" in done.stderr
    done = run("check", "--workers", "2", "examples/echo.wyki")
    assert done.returncode == 2 and "give both or neither" in done.stderr
