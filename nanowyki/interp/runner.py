"""Run a transcript against an interpreter: the clients' side of docs/transcripts.md.

`TranscriptRunner(interp, transcript).run()` creates a fresh `World` and `Scheduler`, starts the
service, and plays the steps in order; after each step the service runs until it is quiet. The
first step whose expectation does not hold ends the run with a `TranscriptResult` whose
`failure` names the transcript line, the step and what was expected and seen (bytes shown with
the transcript's escapes); `log` holds every event for debugging.
"""

from __future__ import annotations

from dataclasses import dataclass

from .base import InterpError, Interpreter, ServiceShape
from .scheduler import RunawayError, Scheduler
from .transcript import (
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
    Step,
    Transcript,
    show_bytes,
)
from .world import Connection, Event, FaultRecord, World


@dataclass(frozen=True)
class TranscriptResult:
    ok: bool
    failure: str | None  # the first failure, readable, starting with `file:line:`
    log: tuple[Event, ...]
    steps: int  # how many steps ran (the failing one included)
    faults: tuple[FaultRecord, ...] = ()

    def log_text(self) -> str:
        return "\n".join(str(e) for e in self.log)

    def report(self) -> str:
        """The failure followed by the event log (for an assertion message)."""
        if self.ok:
            return "ok"
        return f"{self.failure}\n--- event log ---\n{self.log_text()}"


class StepFailure(Exception):
    """A step's expectation does not hold."""


def _show_fault(f: FaultRecord) -> str:
    at = f" at {f.detail}" if f.detail else ""
    return f"'{f.kind}' in {f.where}{at} (at {f.time_ms} ms)"


class TranscriptRunner:
    def __init__(
        self, interp: Interpreter, transcript: Transcript, *, fuel: int = 1000, budget: int = 1000
    ) -> None:
        self.interp = interp
        self.transcript = transcript
        self.world = World()
        self.sched = Scheduler(self.world, budget=budget)
        self.fuel = fuel
        self.claimed = 0  # faults claimed by `fault` steps, as a count per position
        self.unclaimed: list[FaultRecord] = []
        self.seen_faults = 0
        self.shape: ServiceShape | None = None
        self.next_fire: list[int] = []

    # -- driving -------------------------------------------------------------------------------

    def run(self) -> TranscriptResult:
        steps = 0
        current: Step | None = None
        try:
            self.shape = self.interp.start(self.world, fuel=self.fuel)
            self.next_fire = list(self.shape.timers)
            self.world.event(
                f"service '{self.shape.name}' on {self.shape.proto} port {self.shape.port}"
            )
            for current in self.transcript.steps:
                steps += 1
                self.world.event(f"step {self._text(current)}")
                self.apply(current)
                self.sched.run()
                self._collect_faults()
            current = None
            self.finish()
        except (StepFailure, RunawayError, InterpError) as err:
            where = (
                f"{self.transcript.where(current)}: step '{self._text(current)}'"
                if current is not None
                else f"{self.transcript.path}: at the end of the transcript"
            )
            kind = "" if isinstance(err, StepFailure) else f"{type(err).__name__}: "
            for line in self.sched.describe():
                self.world.event(f"  {line}")
            return TranscriptResult(
                False, f"{where}: {kind}{err}", tuple(self.world.log), steps,
                tuple(self.world.faults),
            )  # fmt: skip
        return TranscriptResult(True, None, tuple(self.world.log), steps, tuple(self.world.faults))

    def _text(self, step: Step) -> str:
        lines = self.transcript.source_lines
        text = lines[step.line - 1].strip() if 0 < step.line <= len(lines) else type(step).__name__
        return text if len(text) <= 80 else text[:77] + "..."

    def _collect_faults(self) -> None:
        new = self.world.faults[self.seen_faults :]
        self.seen_faults = len(self.world.faults)
        self.unclaimed.extend(new)

    def conn(self, name: str) -> Connection:
        conn = self.world.conns.get(name)
        if conn is None:
            raise StepFailure(f"no connection '{name}' is open")
        return conn

    def need_proto(self, proto: str) -> ServiceShape:
        assert self.shape is not None
        if self.shape.proto != proto:
            raise StepFailure(f"the service listens on {self.shape.proto}, not {proto}")
        return self.shape

    # -- steps ---------------------------------------------------------------------------------

    def apply(self, step: Step) -> None:  # noqa: C901 - one case per step kind
        match step:
            case SetPort():
                pass  # the port matters to the compiled service only
            case Open(conn=name):
                self.open(name)
            case Send(conn=name, data=data):
                conn = self.conn(name)
                if conn.client_closed:
                    raise StepFailure(f"'{name}' has closed its connection")
                if conn.client_shut:
                    raise StepFailure(f"'{name}' has shut down its sending side")
                self.world.client_send(conn, data)
            case Expect(conn=name, data=data):
                self.expect(self.conn(name), data)
            case Shut(conn=name):
                conn = self.conn(name)
                if conn.client_closed:
                    raise StepFailure(f"'{name}' has closed its connection")
                self.world.client_shut(conn)
            case CloseConn(conn=name):
                conn = self.conn(name)
                if conn.client_closed:
                    raise StepFailure(f"'{name}' is already closed")
                self.require_matched(conn, "closes")
                self.world.client_close(conn)
            case ExpectClosed(conn=name):
                conn = self.conn(name)
                if not conn.service_closed:
                    raise StepFailure(f"the service has not closed '{name}'{self.waiting(conn)}")
                self.require_matched(conn, "was closed by the service")
            case ExpectOpen(conn=name):
                conn = self.conn(name)
                if conn.service_closed:
                    raise StepFailure(f"the service has closed '{name}'{self.why_closed(conn)}")
            case SendDatagram(client=name, data=data):
                self.need_proto("udp")
                client = self.world.udp_client(name)
                self.world.event(f"udp {name} > datagram of {len(data)} bytes")
                self.sched.spawn(self.interp.datagram(client, data))
            case ExpectDatagram(client=name, data=data):
                self.expect_datagram(name, data)
            case ExpectSilent(client=name):
                client = self.world.udp_client(name)
                if client.replies:
                    raise StepFailure(
                        f"'{name}' has {len(client.replies)} datagram(s) waiting, the first "
                        f"{show_bytes(client.replies[0])}"
                    )
            case Advance(ms=ms):
                self.advance(ms)
            case ExpectFault(kind=kind):
                self.expect_fault(kind)
            case _:
                raise InterpError(f"unknown transcript step {step!r}")

    def open(self, name: str) -> None:
        shape = self.need_proto("tcp")
        old = self.world.conns.get(name)
        if old is not None:
            if not (old.client_closed or old.service_closed):
                raise StepFailure(f"'{name}' is already open")
            self.require_matched(old, "is opened again")
        conn = self.world.connect(name)
        if self.sched.sessions() >= shape.max_sessions:
            self.world.refuse(conn)
        else:
            self.sched.spawn(self.interp.session(conn))

    def expect(self, conn: Connection, data: bytes) -> None:
        got = bytes(conn.received)
        if got.startswith(data):
            del conn.received[: len(data)]
            return
        if data.startswith(got):
            missing = data[len(got) :]
            what = (
                f"received only {show_bytes(got)}" if got else "received nothing"
            ) + f"; still missing {show_bytes(missing)}"
            raise StepFailure(
                f"expected {show_bytes(data)}, but {what}{self.waiting(conn)}"
            )
        at = next(i for i in range(min(len(got), len(data))) if got[i] != data[i])
        raise StepFailure(
            f"unexpected bytes: expected {show_bytes(data)}\n"
            f"  received {show_bytes(got)}\n"
            f"  first difference at byte {at}: expected {show_bytes(data[at : at + 40])}, "
            f"received {show_bytes(got[at : at + 40])}"
        )

    def expect_datagram(self, name: str, data: bytes) -> None:
        client = self.world.udp.get(name)
        if client is None or not client.replies:
            raise StepFailure(f"expected the datagram {show_bytes(data)}, but none is waiting")
        got = client.replies.popleft()
        if got != data:
            raise StepFailure(
                f"expected the datagram {show_bytes(data)}, received {show_bytes(got)}"
            )

    def expect_fault(self, kind: str) -> None:
        for i, f in enumerate(self.unclaimed):
            if f.kind == kind:
                del self.unclaimed[i]
                return
        if self.unclaimed:
            others = ", ".join(_show_fault(f) for f in self.unclaimed)
            raise StepFailure(f"expected a '{kind}' fault; the unclaimed faults are {others}")
        raise StepFailure(f"expected a '{kind}' fault, but no fault was counted")

    def advance(self, ms: int) -> None:
        target = self.world.now_ms + ms
        while True:
            candidates = [t for t in self.next_fire]
            due = self.sched.next_due()
            if due is not None:
                candidates.append(due)
            soonest = min(candidates, default=None)
            if soonest is None or soonest > target:
                break
            self.world.now_ms = max(self.world.now_ms, soonest)
            assert self.shape is not None
            for i, when in enumerate(self.next_fire):
                if when <= self.world.now_ms:
                    self.next_fire[i] = when + self.shape.timers[i]
                    self.world.event(f"timer {i + 1} fires")
                    self.sched.spawn(self.interp.timer(i))
            self.sched.run()
            self._collect_faults()
        self.world.now_ms = target

    # -- checks --------------------------------------------------------------------------------

    def require_matched(self, conn: Connection, what: str) -> None:
        if conn.received:
            raise StepFailure(
                f"'{conn.name}' {what} with {len(conn.received)} received bytes not matched by "
                f"a '<' step: {show_bytes(bytes(conn.received))}"
            )

    def waiting(self, conn: Connection) -> str:
        states = [s for s in self.sched.describe() if s.startswith(f"session '{conn.name}'")]
        if conn.service_closed:
            return f" (the service closed '{conn.name}'{self.why_closed(conn)})"
        return f" ({states[0]})" if states else ""

    def why_closed(self, conn: Connection) -> str:
        if conn.refused:
            return ": refused, every session was in use"
        for f in self.world.faults:
            if f.where == f"session '{conn.name}'":
                return f" after a fault {_show_fault(f)}"
        return ""

    def finish(self) -> None:
        problems: list[str] = []
        for conn in self.world.conns.values():
            if conn.received:
                problems.append(
                    f"'{conn.name}' received {len(conn.received)} bytes never matched: "
                    f"{show_bytes(bytes(conn.received))}"
                )
        for client in self.world.udp.values():
            if client.replies:
                problems.append(
                    f"'{client.name}' has {len(client.replies)} datagram(s) never matched, the "
                    f"first {show_bytes(client.replies[0])}"
                )
        for f in self.unclaimed:
            problems.append(f"unexpected fault {_show_fault(f)}")
        if problems:
            raise StepFailure("; ".join(problems))
