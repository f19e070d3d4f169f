"""The transcript format: every step kind, escapes, hex payloads, and malformed lines."""

from __future__ import annotations

import pytest

from nanowyki.interp.transcript import (
    Advance,
    CloseConn,
    Expect,
    ExpectClosed,
    ExpectDatagram,
    ExpectFault,
    ExpectOpen,
    ExpectSilent,
    Open,
    Send,
    SendDatagram,
    SetPort,
    Shut,
    TranscriptError,
    decode_payload,
    parse_transcript,
    show_bytes,
)


def steps(text: str) -> list[object]:
    return list(parse_transcript(text, "t.tr").steps)


def test_every_step_kind_with_its_line() -> None:
    text = (
        "set port 7000\n"
        "# a comment\n"
        "\n"
        "open a\n"
        "a > hello\n"
        "a < hello\n"
        "a shut\n"
        "a closed\n"
        "open b\n"
        "b open?\n"
        "b close\n"
        "udp q > ping\n"
        "q < pong\n"
        "q silent\n"
        "advance 5 ms\n"
        "advance 2 s\n"
        "advance 1_000 ms\n"
        "fault bounds\n"
    )
    assert steps(text) == [
        SetPort(1, 7000),
        Open(4, "a"),
        Send(5, "a", b"hello"),
        Expect(6, "a", b"hello"),
        Shut(7, "a"),
        ExpectClosed(8, "a"),
        Open(9, "b"),
        ExpectOpen(10, "b"),
        CloseConn(11, "b"),
        SendDatagram(12, "q", b"ping"),
        ExpectDatagram(13, "q", b"pong"),
        ExpectSilent(14, "q"),
        Advance(15, 5),
        Advance(16, 2000),
        Advance(17, 1000),
        ExpectFault(18, "bounds"),
    ]


def test_port_is_recorded() -> None:
    assert parse_transcript("set port 53\nudp q > x\n").port == 53
    assert parse_transcript("open a\n").port is None


@pytest.mark.parametrize(
    ("payload", "data"),
    [
        ("a\\r\\n", b"a\r\n"),
        ("\\t\\0\\\\", b"\t\0\\"),
        ("\\x00\\xff\\x7F", b"\x00\xff\x7f"),
        ("ends with space\\s", b"ends with space "),
        ("two  spaces kept", b"two  spaces kept"),
        ("hex: 00 0d 0a ff", b"\x00\r\n\xff"),
        ("hex:0d0a", b"\r\n"),
        ("caf\u00e9", "caf\u00e9".encode()),
        ("a\\sb", b"a b"),
    ],
)
def test_payload_escapes(payload: str, data: bytes) -> None:
    assert decode_payload(payload) == data


def test_payload_is_rest_of_line_after_one_space() -> None:
    assert steps("open a\na >  two leading\n")[1] == Send(2, "a", b" two leading")
    assert steps("open a\na > trailing   \n")[1] == Send(2, "a", b"trailing   ")


def test_crlf_line_endings_and_indentation_are_accepted() -> None:
    assert steps("open a\r\n  a > x\r\n") == [Open(1, "a"), Send(2, "a", b"x")]


def test_udp_datagram_may_be_empty() -> None:
    assert steps("udp q >\nq <\n") == [SendDatagram(1, "q", b""), ExpectDatagram(2, "q", b"")]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("open a\na > bad \\q\n", "t.tr:2: unknown escape '\\q'"),
        ("open a\na > \\x4\n", "t.tr:2: '\\x' needs two hexadecimal digits"),
        ("open a\na > end\\\n", "t.tr:2: a lone '\\' ends the payload"),
        ("open a\na > hex: 0d0\n", "t.tr:2: 'hex:' needs pairs of hexadecimal digits"),
        ("open a\na > hex: zz\n", "t.tr:2: 'hex:' needs pairs"),
        ("open a\na >\n", "t.tr:2: empty payload"),
        ("open a\na >x\n", "t.tr:2: a payload must be separated from the marker by one space"),
        ("a > x\n", "t.tr:1: connection 'a' is used before 'open a'"),
        ("a closed\n", "t.tr:1: connection 'a' is used before 'open a'"),
        ("open a\nfrobnicate a\n", "t.tr:2: not a transcript step: 'frobnicate a'"),
        ("advance 5 minutes\n", "t.tr:1: expected 'advance N ms' or 'advance N s'"),
        ("advance ms\n", "t.tr:1: expected 'advance N ms'"),
        ("fault oops\n", "t.tr:1: unknown fault kind 'oops'"),
        ("open a\nset port 7\n", "t.tr:2: 'set port' must be the first step"),
        ("set port 70000\n", "t.tr:1: port 70000 is outside 1..65535"),
        ("udp q > x\nopen q\n", "t.tr:2: 'q' is already a UDP client"),
        ("open a\nudp a > x\n", "t.tr:2: 'a' is already a TCP connection"),
        ("udp q > x\nq > y\n", "t.tr:2: a UDP client sends with 'udp q > ...'"),
        ("open a\na silent\n", "t.tr:2: 'a' is not a UDP client"),
        ("udp q > x\nq closed\n", "t.tr:2: 'q' is a UDP client, not a TCP connection"),
        ("open a\na > raw\x01\n", "t.tr:2: raw control character 0x01"),
    ],
)
def test_malformed_lines(text: str, message: str) -> None:
    with pytest.raises(TranscriptError) as err:
        parse_transcript(text, "t.tr")
    assert str(err.value).startswith(message), str(err.value)


@pytest.mark.parametrize(
    ("data", "shown"),
    [
        (b"hi\r\n", '"hi\\r\\n"'),
        (b"\x00\xff\\\t", '"\\0\\xff\\\\\\t"'),
        (b"end ", '"end\\s"'),
        (b"", '""'),
    ],
)
def test_show_bytes_round_trips(data: bytes, shown: str) -> None:
    assert show_bytes(data) == shown
    assert decode_payload(shown[1:-1]) == data


def test_show_bytes_shortens_long_data() -> None:
    assert show_bytes(b"x" * 1000, limit=10) == '"xxxxxxxxxx... (1000 bytes)"'
