"""Transcripts for generated programs: play a client script against the reference interpreter
and write down what the service did, as a transcript every later IL must reproduce.

    actions = client_script(RandomChooser(1))                # open / send / shut / close steps
    transcript = record_transcript(program_text, actions)
    run_every_boundary(pipeline.default(), tree, [transcript], start_at=..., facts=facts)

`record_transcript` runs the program with `TypedInterpreter` (the reference semantics) and
the transcript runner's own step logic; after every client action it records the bytes each
connection received (`a < ...`), each datagram each UDP client received (`q < ...`), every
fault counted (`fault KIND`) and every connection the service closed (`a closed`), so the
transcript holds exactly the observable behaviour, faults included.

`client_script` makes 1 to 3 connections sending lines (numbers, words, empty fields, long and
binary lines, lines split across segments), interleaved, some shut or closed; for a UDP
service (`proto="udp"`), 1 or 2 clients sending datagrams (some empty, some longer than any
handler's packet); with `clock=True`, `advance N ms` steps in between, which fire timers and
wake sleeping sessions and receives that time out.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from nanowyki import pipeline
from nanowyki.framework import RunResult
from nanowyki.interp import Transcript, TypedInterpreter, parse_transcript, show_bytes
from nanowyki.interp.runner import TranscriptRunner
from nanowyki.interp.scheduler import RunawayError
from nanowyki.interp.transcript import (
    Advance,
    CloseConn,
    Open,
    Send,
    SendDatagram,
    Shut,
    Step,
)

from .choice import Chooser, DrawChooser, RandomChooser

ClientAction = Open | Send | Shut | CloseConn | SendDatagram | Advance


class RecordError(Exception):
    """The reference run itself went wrong (a service that never becomes quiet, a malformed
    client script): a bug in the generator or in the reference interpreter."""


def payload(data: bytes) -> str:
    """`data` as a transcript payload."""
    return show_bytes(data, limit=None)[1:-1]


def action_text(a: ClientAction) -> str:
    match a:
        case Open(conn=c):
            return f"open {c}"
        case Send(conn=c, data=data):
            return f"{c} > {payload(data)}"
        case Shut(conn=c):
            return f"{c} shut"
        case CloseConn(conn=c):
            return f"{c} close"
        case SendDatagram(client=c, data=data):
            return f"udp {c} > {payload(data)}"
        case Advance(ms=ms):
            return f"advance {ms} ms"


def checked(program: str | RunResult) -> RunResult:
    """The front end's result for a program text (or the result itself)."""
    if isinstance(program, RunResult):
        return program
    return pipeline.frontend().run(pipeline.source_tree("generated.wyki", program))


def record_text(
    program: str | RunResult,
    actions: Sequence[ClientAction],
    *,
    fuel: int = 1000,
    budget: int = 1000,
) -> str:
    """The text of the transcript: `actions` with the reference behaviour written after each."""
    result = checked(program)
    interp = TypedInterpreter(result.tree, result.facts)
    runner = TranscriptRunner(interp, Transcript("<recording>", ()), fuel=fuel, budget=budget)
    runner.shape = interp.start(runner.world, fuel=fuel)
    runner.next_fire = list(runner.shape.timers)
    lines = ["# recorded on the reference interpreter (TypedInterpreter)"]
    seen_faults = 0
    closed: set[str] = set()
    for a in actions:
        step: Step = a
        lines.append(action_text(a))
        try:
            runner.apply(step)
            runner.sched.run()
        except RunawayError as err:
            raise RecordError(f"after '{action_text(a)}': {err}") from err
        except Exception as err:  # a StepFailure: the script does what a client cannot
            raise RecordError(f"after '{action_text(a)}': {type(err).__name__}: {err}") from err
        world = runner.world
        for name, conn in world.conns.items():
            if conn.received:
                lines.append(f"{name} < {payload(bytes(conn.received))}")
                conn.received.clear()
        for name, client in world.udp.items():
            while client.replies:
                lines.append(f"{name} < {payload(client.replies.popleft())}")
        for f in world.faults[seen_faults:]:
            lines.append(f"fault {f.kind}")
        seen_faults = len(world.faults)
        for name, conn in world.conns.items():
            if conn.service_closed and name not in closed:
                closed.add(name)
                lines.append(f"{name} closed")
    return "\n".join(lines) + "\n"


def record_transcript(
    program: str | RunResult, actions: Sequence[ClientAction], *, path: str = "<generated>"
) -> Transcript:
    """The transcript of `program` (a text or the front end's result) serving `actions`."""
    return parse_transcript(record_text(program, actions), path)


# -- client scripts ----------------------------------------------------------------------------

_WORDS = (
    "get",
    "set",
    "a",
    "ok",
    "x",
    "end",
    "GET",
    "hello",
    "",
    "-7",
    "0",
    "1",
    "42",
    "255",
    "65536",
    "-9223372036854775808",
    "99999999999999999999",
    "3",
    "\t",
    "z\x00",
    "é",
)


def _line(ch: Chooser) -> bytes:
    words = [ch.pick(_WORDS) for _ in range(ch.integer(0, 4))]
    text = " ".join(words).encode("utf-8")
    if ch.chance(10):
        text = bytes(ch.integer(0, 255) for _ in range(ch.integer(1, 6)))
    if ch.chance(8):
        text = text * ch.integer(5, 40)
    return text + (b"\r\n" if ch.chance(30) else b"\n")


def _conn_actions(ch: Chooser, name: str) -> list[ClientAction]:
    out: list[ClientAction] = [Open(0, name)]
    pending = b""
    for _ in range(ch.integer(1, 5)):
        pending += _line(ch)
        if ch.chance(60) or len(pending) > 40:
            cut = len(pending) if ch.chance(75) else ch.integer(1, len(pending))
            out.append(Send(0, name, pending[:cut]))
            pending = pending[cut:]
    if pending:
        out.append(Send(0, name, pending))
    k = ch.integer(0, 2)
    if k == 1:
        out.append(Shut(0, name))
    elif k == 2:
        out.append(CloseConn(0, name))
    return out


def _datagram(ch: Chooser) -> bytes:
    """A line's bytes without its end; sometimes empty, sometimes over 512 bytes (dropped by
    every generated handler)."""
    k = ch.integer(0, 9)
    if k == 1:
        return b""
    if k == 2:
        return _line(ch) * 600
    return _line(ch).rstrip(b"\r\n")


def _udp_actions(ch: Chooser, name: str) -> list[ClientAction]:
    return [SendDatagram(0, name, _datagram(ch)) for _ in range(ch.integer(1, 5))]


ADVANCES = (100, 1000, 20, 250, 1)  # ms


def client_script(
    ch: Chooser, proto: str = "tcp", *, clock: bool = False
) -> tuple[ClientAction, ...]:
    """TCP: 1 to 3 connections, each opened, sending a few segments, maybe shut or closed.
    UDP: 1 or 2 clients sending a few datagrams. Their actions are interleaved; with `clock`,
    about one in three is followed by an `advance` step."""
    if proto == "udp":
        queues = [_udp_actions(ch, name) for name in ("q", "r")[: ch.integer(1, 2)]]
    else:
        queues = [_conn_actions(ch, name) for name in ("a", "b", "c")[: ch.integer(1, 3)]]
    merged: list[ClientAction] = []
    while any(queues):
        live = [q for q in queues if q]
        merged.append(ch.pick(live).pop(0))
        if clock and ch.chance(30):
            merged.append(Advance(0, ch.pick(ADVANCES)))
    return tuple(merged)


def random_client_script(seed: int) -> tuple[ClientAction, ...]:
    return client_script(RandomChooser(seed))


def client_scripts() -> Any:
    """A Hypothesis strategy of TCP client scripts without `advance` steps (for
    `genprog.wyki_programs()`; `cases.wyki_cases()` draws a program with a script that fits
    it)."""
    from hypothesis import strategies as st

    @st.composite
    def scripts(draw: Any, /) -> tuple[ClientAction, ...]:
        return client_script(DrawChooser(draw))

    return scripts()
