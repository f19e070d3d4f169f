"""Transcripts: scripted clients for a service (the format is docs/transcripts.md).

`parse_transcript(text, path)` turns a `.tr` file into a `Transcript`: a tuple of steps, each
carrying the line it came from. Everything that can be judged without running the service is
checked here and reported as `TranscriptError("file:line: message")`: unknown steps, bad escapes,
odd `hex:` digits, a connection used before `open`, a name used both for TCP and UDP, a `set port`
that is not the first step.

`show_bytes(b)` writes bytes back with the same escapes, for failure messages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from nanowyki.builtins import FAULT_KINDS


class TranscriptError(Exception):
    """A malformed transcript: the message starts with `file:line:`."""


# -- steps -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    line: int


@dataclass(frozen=True)
class Open(Step):
    conn: str


@dataclass(frozen=True)
class Send(Step):
    """`a > PAYLOAD`: a TCP client sends one segment."""

    conn: str
    data: bytes


@dataclass(frozen=True)
class Expect(Step):
    """`a < PAYLOAD`: the next bytes TCP client `a` receives."""

    conn: str
    data: bytes


@dataclass(frozen=True)
class Shut(Step):
    conn: str


@dataclass(frozen=True)
class CloseConn(Step):
    conn: str


@dataclass(frozen=True)
class ExpectClosed(Step):
    conn: str


@dataclass(frozen=True)
class ExpectOpen(Step):
    conn: str


@dataclass(frozen=True)
class SendDatagram(Step):
    """`udp q > PAYLOAD`."""

    client: str
    data: bytes


@dataclass(frozen=True)
class ExpectDatagram(Step):
    """`q < PAYLOAD` for a UDP client."""

    client: str
    data: bytes


@dataclass(frozen=True)
class ExpectSilent(Step):
    client: str


@dataclass(frozen=True)
class Advance(Step):
    ms: int


@dataclass(frozen=True)
class ExpectFault(Step):
    kind: str


@dataclass(frozen=True)
class SetPort(Step):
    port: int


@dataclass(frozen=True)
class Transcript:
    path: str
    steps: tuple[Step, ...]
    port: int | None = None
    source_lines: tuple[str, ...] = ()  # the file's lines, for messages

    def where(self, step: Step) -> str:
        return f"{self.path}:{step.line}"


# -- payloads ----------------------------------------------------------------------------------

_ESCAPES = {"r": b"\r", "n": b"\n", "t": b"\t", "0": b"\0", "\\": b"\\", "s": b" "}
_HEX = re.compile(r"[0-9a-fA-F]{2}\Z")


def decode_payload(text: str) -> bytes:
    """The bytes a payload denotes; raises ValueError with a precise reason."""
    if text.startswith("hex:"):
        digits = "".join(text[4:].split())
        if len(digits) % 2 or not re.fullmatch(r"[0-9a-fA-F]*", digits):
            found = text[4:].strip()
            raise ValueError(f"'hex:' needs pairs of hexadecimal digits, found {found!r}")
        return bytes.fromhex(digits)
    out = bytearray()
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\\":
            nxt = text[i + 1 : i + 2]
            if nxt in _ESCAPES:
                out += _ESCAPES[nxt]
                i += 2
                continue
            if nxt == "x":
                pair = text[i + 2 : i + 4]
                if not _HEX.match(pair):
                    raise ValueError(f"'\\x' needs two hexadecimal digits, found {pair!r}")
                out.append(int(pair, 16))
                i += 4
                continue
            if nxt == "":
                raise ValueError("a lone '\\' ends the payload (write '\\\\' for a backslash)")
            raise ValueError(f"unknown escape '\\{nxt}' (known: \\r \\n \\t \\0 \\\\ \\xHH \\s)")
        if ord(ch) < 0x20 and ch != "\t":
            raise ValueError(f"raw control character {ord(ch):#04x} in payload (use an escape)")
        out += ch.encode("utf-8")
        i += 1
    return bytes(out)


def show_bytes(data: bytes, limit: int | None = 400) -> str:
    """`data` in transcript notation (escapes for control and non-ASCII bytes), shortened to
    about `limit` characters with a note of the length."""
    parts: list[str] = []
    for b in data:
        if b == 0x0D:
            parts.append("\\r")
        elif b == 0x0A:
            parts.append("\\n")
        elif b == 0x09:
            parts.append("\\t")
        elif b == 0x00:
            parts.append("\\0")
        elif b == 0x5C:
            parts.append("\\\\")
        elif 0x20 <= b < 0x7F:
            parts.append(chr(b))
        else:
            parts.append(f"\\x{b:02x}")
    text = "".join(parts)
    if text.endswith(" "):
        text = text[:-1] + "\\s"
    if limit is not None and len(text) > limit:
        text = text[:limit] + f"... ({len(data)} bytes)"
    return '"' + text + '"'


# -- parsing -----------------------------------------------------------------------------------

_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_KEYWORDS = {"open", "udp", "advance", "fault", "set"}
_RE_OPEN = re.compile(rf"open\s+({_NAME})\Z")
_RE_UDP = re.compile(rf"udp\s+({_NAME})\s+>(.*)\Z")
_RE_PAYLOAD = re.compile(rf"({_NAME})\s+([<>])(.*)\Z")
_RE_WORD = re.compile(rf"({_NAME})\s+(shut|close|closed|open\?|silent)\Z")
_RE_ADVANCE = re.compile(r"advance\s+([0-9][0-9_]*)\s*(ms|s)\Z")
_RE_FAULT = re.compile(r"fault\s+(\S+)\Z")
_RE_PORT = re.compile(r"set\s+port\s+([0-9]+)\Z")


def _payload(rest: str) -> str:
    """The payload after a marker: the rest of the line after one space."""
    if rest == "":
        return ""
    if not rest.startswith(" "):
        raise ValueError("a payload must be separated from the marker by one space")
    return rest[1:]


class _Parser:
    def __init__(self, path: str) -> None:
        self.path = path
        self.tcp: set[str] = set()
        self.udp: set[str] = set()
        self.steps: list[Step] = []
        self.port: int | None = None

    def error(self, line: int, message: str) -> TranscriptError:
        return TranscriptError(f"{self.path}:{line}: {message}")

    def need_tcp(self, name: str, line: int) -> None:
        if name in self.udp:
            raise self.error(line, f"'{name}' is a UDP client, not a TCP connection")
        if name not in self.tcp:
            raise self.error(line, f"connection '{name}' is used before 'open {name}'")

    def step(self, line: str, n: int) -> Step:  # noqa: C901 - one branch per step kind
        text = line.rstrip(" \t")  # payload steps use `line`, where trailing spaces count
        if m := _RE_PORT.match(text):
            if self.steps:
                raise self.error(n, "'set port' must be the first step")
            port = int(m.group(1))
            if not 1 <= port <= 65535:
                raise self.error(n, f"port {port} is outside 1..65535")
            self.port = port
            return SetPort(n, port)
        if m := _RE_OPEN.match(text):
            name = m.group(1)
            if name in self.udp:
                raise self.error(n, f"'{name}' is already a UDP client")
            self.tcp.add(name)
            return Open(n, name)
        if m := _RE_UDP.match(line):
            name = m.group(1)
            if name in self.tcp:
                raise self.error(n, f"'{name}' is already a TCP connection")
            self.udp.add(name)
            return SendDatagram(n, name, self.decode(m.group(2), n, allow_empty=True))
        if m := _RE_ADVANCE.match(text):
            amount = int(m.group(1).replace("_", ""))
            return Advance(n, amount * (1000 if m.group(2) == "s" else 1))
        if text.startswith("advance"):
            raise self.error(n, "expected 'advance N ms' or 'advance N s'")
        if m := _RE_FAULT.match(text):
            kind = m.group(1)
            if kind not in FAULT_KINDS:
                known = ", ".join(FAULT_KINDS)
                raise self.error(n, f"unknown fault kind '{kind}' (known: {known})")
            return ExpectFault(n, kind)
        if m := _RE_PAYLOAD.match(line):
            name, marker, rest = m.groups()
            if name in _KEYWORDS and name != "open":
                raise self.error(n, f"'{name}' is a step keyword, not a connection name")
            if name in self.udp:
                if marker == ">":
                    raise self.error(n, f"a UDP client sends with 'udp {name} > ...'")
                return ExpectDatagram(n, name, self.decode(rest, n, allow_empty=True))
            self.need_tcp(name, n)
            data = self.decode(rest, n, allow_empty=False)
            return Send(n, name, data) if marker == ">" else Expect(n, name, data)
        if m := _RE_WORD.match(text):
            name, word = m.groups()
            if word == "silent":
                if name not in self.udp:
                    raise self.error(n, f"'{name}' is not a UDP client ('udp {name} > ...' first)")
                return ExpectSilent(n, name)
            self.need_tcp(name, n)
            made: dict[str, type[Step]] = {
                "shut": Shut,
                "close": CloseConn,
                "closed": ExpectClosed,
                "open?": ExpectOpen,
            }
            return made[word](n, name)  # type: ignore[call-arg]
        raise self.error(n, f"not a transcript step: {text!r}")

    def decode(self, rest: str, n: int, *, allow_empty: bool) -> bytes:
        try:
            data = decode_payload(_payload(rest))
        except ValueError as err:
            raise self.error(n, str(err)) from None
        if not data and not allow_empty:
            raise self.error(n, "empty payload (a TCP segment or expectation needs bytes)")
        return data


def parse_transcript(text: str, path: str = "<transcript>") -> Transcript:
    p = _Parser(path)
    for n, raw in enumerate(text.split("\n"), start=1):
        line = raw[:-1] if raw.endswith("\r") else raw
        stripped = line.lstrip(" \t")
        if not stripped.strip() or stripped.startswith("#"):
            continue
        p.steps.append(p.step(stripped, n))
    return Transcript(path, tuple(p.steps), p.port, tuple(text.split("\n")))


def read_transcript(path: str | Path) -> Transcript:
    return parse_transcript(Path(path).read_text(encoding="utf-8"), str(path))
