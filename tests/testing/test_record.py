"""Recording transcripts on the reference interpreter, and the generated client scripts."""

from __future__ import annotations

import pytest

from nanowyki.interp import TypedInterpreter, parse_transcript, run_transcript
from nanowyki.interp.transcript import Advance, CloseConn, Open, Send, SendDatagram, Shut
from nanowyki.testing.choice import RandomChooser
from nanowyki.testing.genprog import generate
from nanowyki.testing.record import (
    RecordError,
    checked,
    client_script,
    payload,
    random_client_script,
    record_text,
    record_transcript,
)

DIVIDER = """
service t {
    listen tcp 7;
    session {
        loop {
            let line = recv_line(8) else { close; };
            let n = parse_int(line) else { send("bad\\n"); continue; };
            send(itoa(100 / n), "\\n");
        }
    }
}
"""


def test_records_replies_faults_and_closes() -> None:
    actions = [
        Open(0, "a"), Send(0, "a", b"5\n"), Open(0, "b"), Send(0, "b", b"x\n4"),
        Send(0, "b", b"\n"), Shut(0, "b"), Send(0, "a", b"0\n"),
    ]
    assert record_text(DIVIDER, actions).splitlines()[1:] == [
        "open a",
        "a > 5\\n",
        "a < 20\\n",
        "open b",
        "b > x\\n4",
        "b < bad\\n",
        "b > \\n",
        "b < 25\\n",
        "b shut",
        "b closed",
        "a > 0\\n",
        "fault division",
        "a closed",
    ]


def test_client_close_is_recorded_without_expectations() -> None:
    actions = [Open(0, "a"), Send(0, "a", b"1\n"), CloseConn(0, "a")]
    assert record_text(DIVIDER, actions).splitlines()[1:] == [
        "open a", "a > 1\\n", "a < 100\\n", "a close", "a closed"
    ]


def test_payloads_escape_what_a_transcript_cannot_hold_raw() -> None:
    assert payload(b" a\r\n\t\0\\\xff ") == " a\\r\\n\\t\\0\\\\\\xff\\s"


@pytest.mark.parametrize("seed", range(15))
def test_a_recorded_transcript_replays_on_the_reference(seed: int) -> None:
    result = checked(generate(RandomChooser(seed)))
    transcript = record_transcript(result, random_client_script(seed))
    played = run_transcript(TypedInterpreter(result.tree, result.facts), transcript)
    assert played.ok, played.report()


def test_a_service_that_never_waits_is_a_record_error() -> None:
    spin = "service t { listen tcp 7; session { var n = 0; loop { n += 1; } } }"
    with pytest.raises(RecordError, match="after 'open a'"):
        record_text(spin, [Open(0, "a")], fuel=10, budget=10)


@pytest.mark.parametrize("seed", range(40))
def test_client_scripts_are_what_a_client_can_do(seed: int) -> None:
    script = random_client_script(seed)
    opened: set[str] = set()
    done: set[str] = set()
    for a in script:
        if isinstance(a, Open):
            assert a.conn not in opened
            opened.add(a.conn)
            continue
        assert a.conn in opened and a.conn not in done
        if isinstance(a, Send):
            assert a.data
        else:
            done.add(a.conn)
    assert 1 <= len(opened) <= 3


TICKS = """
service t {
    listen udp 7;
    shared ticks: int = 0;
    every 100 ms { ticks += 1; }
    datagram pkt: bytes[8] {
        if len(pkt) == 0 { reply(""); return; }
        reply(pkt, " ", ticks);
    }
}
"""


def test_records_datagrams_and_the_clock() -> None:
    """Replies in order, an empty one too; `advance` fires the timer; a datagram longer than
    the packet is dropped without a reply."""
    actions = [
        SendDatagram(0, "q", b"hi"), Advance(0, 250), SendDatagram(0, "q", b""),
        SendDatagram(0, "r", b"x" * 9), SendDatagram(0, "r", b"y"),
    ]
    text = record_text(TICKS, actions)
    assert text.splitlines()[1:] == [
        "udp q > hi", "q < hi 0", "advance 250 ms", "udp q > ", "q < ",
        "udp r > xxxxxxxxx", "udp r > y", "r < y 2",
    ]
    result = checked(TICKS)
    played = run_transcript(TypedInterpreter(result.tree, result.facts), parse_transcript(text))
    assert played.ok, played.report()


@pytest.mark.parametrize("seed", range(20))
def test_udp_scripts_send_datagrams_and_move_the_clock(seed: int) -> None:
    script = client_script(RandomChooser(seed), "udp", clock=True)
    assert {type(a) for a in script} <= {SendDatagram, Advance}
    assert {a.client for a in script if isinstance(a, SendDatagram)} <= {"q", "r"}
    assert any(isinstance(a, SendDatagram) for a in script)
