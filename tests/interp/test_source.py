"""The interpreter on programs written in WYKI (through the real front end)."""

from __future__ import annotations

from pathlib import Path

import pytest

from nanowyki.framework import Facts, Node
from nanowyki.interp import TranscriptResult, parse_transcript, run_transcript


def load(text: str, tmp_path: Path) -> tuple[Node, Facts]:
    """Run the front end on `text` as a file `t.wyki`."""
    from nanowyki import pipeline

    path = tmp_path / "t.wyki"
    path.write_text(text)
    result = pipeline.frontend().run(pipeline.source_tree(path))
    return result.tree, result.facts


def play(text: str, transcript: str, tmp_path: Path) -> TranscriptResult:
    tree, facts = load(text, tmp_path)
    return run_transcript(tree, parse_transcript(transcript, "t.tr"), facts=facts)


FAULTS = """
service faults {
    listen tcp 7;
    table t: map<int, int>[1];

    fn spin(n: int) -> int {
        var i = 0;
        while i < n max 3 { i += 1; }
        return i;
    }

    session {
        loop {
            let line = recv_line(64) else { close; };
            let n = parse_int(line) else { send("?\\n"); continue; };
            if n == 1 { let b = "abc"; send(itoa(b[n + 5]), "\\n"); }
            if n == 2 { send(itoa(9223372036854775807 + n), "\\n"); }
            if n == 3 { send(itoa(100 / (n - 3)), "\\n"); }
            if n == 4 { send(itoa(spin(n)), "\\n"); }
            if n == 5 { t.put(n, 1); t.put(n + 1, 2); }
            if n == 6 { var s: bytes[4] = "ab"; s ++= "cde"; send(s); }
            send("ok ", itoa(spin(n - 5)), "\\n");
        }
    }
}
"""


@pytest.mark.parametrize(
    ("n", "kind"),
    [
        (1, "bounds"), (2, "overflow"), (3, "division"), (4, "fuel"), (5, "table_full"),
        (6, "bounds"),
    ],
)
def test_each_fault_kind_ends_only_its_session(n: int, kind: str, tmp_path: Path) -> None:
    transcript = (
        "open a\nopen b\n"
        "b > 7\\n\nb < ok 2\\n\n"
        f"a > {n}\\n\na closed\nfault {kind}\n"
        "b > 8\\n\nb < ok 3\\n\nb open?\nb close\n"
    )
    result = play(FAULTS, transcript, tmp_path)
    assert result.ok, result.report()


UDP = """
service counter {
    listen udp 9000;
    shared total: int = 0;
    table hits: map<bytes[16], int>[2];

    datagram pkt: bytes[16] {
        total += 1;
        var n = 1;
        loop max 1 {
            let old = hits.get(pkt) else { break; };
            n = old + 1;
            break;
        }
        hits.put(pkt, n);
        reply(pkt, " ", n, " of ", total);
    }

    every 1 s {
        log("total ", total);
    }
}
"""


def test_udp_service_with_table_timer_and_faults(tmp_path: Path) -> None:
    transcript = (
        "udp p > a\np < a 1 of 1\n"
        "udp q > a\nq < a 2 of 2\n"
        "udp q > b\nq < b 1 of 3\n"
        "udp q > c\nq silent\nfault table_full\n"
        "udp q > 0123456789abcdefX\nq silent\n"
        "advance 2 s\n"
    )
    result = play(UDP, transcript, tmp_path)
    assert result.ok, result.report()
    assert "log: total 4" in result.log_text()


ECHO_LINES = """
service lines {
    listen tcp 7;
    sessions 2;
    struct Stat { lines: int, size: int }

    session {
        var st = Stat(size: 0, lines: 0);
        var seen: [int; 3] = [0; 3];
        set_timeout(500);
        loop {
            let line = recv_line(8) else {
                if timed_out() { send("idle\\n"); }
                else if peer_closed() { send("bye ", st.lines, " ", st.size, "\\n"); }
                else { send("long\\n"); }
                close;
            };
            st.lines += 1;
            st.size += len(line);
            seen[min(len(line), 2)] += 1;
            send(upper(line), " ", seen[0], seen[1], seen[2], "\\n");
        }
    }
}
"""


@pytest.mark.parametrize(
    "transcript",
    [
        "open a\na > ab\\r\\nx\\n\\n\na < AB 001\\nX 011\\n 111\\n\n"
        "a shut\na < bye 3 3\\n\na closed\n",
        "open a\nadvance 499 ms\na open?\nadvance 1 ms\na < idle\\n\na closed\n",
        "open a\na > 123456789\na < long\\n\na closed\n",
        "open a\nopen b\nopen c\nc closed\na close\nopen d\nd open?\n",
    ],
    ids=["lines", "timeout", "too-long", "sessions-limit"],
)
def test_session_features(transcript: str, tmp_path: Path) -> None:
    result = play(ECHO_LINES, transcript, tmp_path)
    assert result.ok, result.report()


FIT = """
service keys {
    listen tcp 7;
    const KEY_MAX = 4;
    table seen: map<bytes[KEY_MAX], int>[8];

    fn key(word: bytes[64]) -> bytes[KEY_MAX]? {
        if len(word) == 0 { return none; }
        return fit(word, KEY_MAX);
    }

    session {
        loop {
            let line = recv_line(64) else { close; };
            let k = key(line) else { send("bad\\n"); continue; };
            let short = line[0..min(len(line), 2)];
            let two: bytes[2] = short;
            seen.put(k, len(two));
            send(k, " ", two, "\\n");
        }
    }
}
"""


def test_fit_and_narrowing_slices_at_run_time(tmp_path: Path) -> None:
    transcript = (
        "open a\n"
        "a > abcd\\n\na < abcd ab\\n\n"  # exactly KEY_MAX bytes fit
        "a > abcde\\n\na < bad\\n\n"  # KEY_MAX + 1 do not
        "a > \\n\na < bad\\n\n"  # empty: rejected by key(), fit would keep it
        "a > x\\n\na < x x\\n\n"  # shorter than the slice's end
        "a close\n"
    )
    result = play(FIT, transcript, tmp_path)
    assert result.ok, result.report()
