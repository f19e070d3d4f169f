"""Replay a transcript against a compiled service, over real sockets.

The reference interpreter plays a transcript inside one process (`interp.runner`); here the
clients are real TCP connections and UDP sockets on the loopback interface, and the service is a
binary (or a kernel module) reached through a `Control`: the three things a socket cannot tell,

    quiet(done)   return once the service has handled everything sent to it so far
    advance(ms)   move the service's virtual clock, firing due timers in time order
    stats()       the service's counters (accepted, refused, fault_bounds, ...)

`LineControl` implements them over a line protocol (`quiet` / `advance MS` / `stats`, each
answered by one line starting `ok` or `error`); `UserspaceService` is that protocol on the
stdin/stdout of a binary started with `--control` (runtime_c/user/control.c). A kernel module
speaks the same lines through /proc/wyki/<service>.control (runtime_c/kernel/control.c), relayed
from a QEMU guest by scripts/kernel/wyki_kernel.py.

On loopback a client's send() has queued its bytes at the service's socket before it returns, so
"every worker is idle" means the service has seen them. Through a forwarded port of QEMU's
user-mode network it does not: the bytes may still be in QEMU. So `quiet` is told what the
clients have done (`ClientTotals`: connections opened, datagrams sent, and per connection the
bytes sent and whether it was shut or closed), for a service that must wait for them to arrive;
and a service's replies may still be on their way back after `quiet`, so a Control names a
`drain` time the replay waits before it concludes that nothing came (`silent`, `open?`, `close`,
the end of the transcript). `<` and `closed` already wait for what they expect.

`Replay(transcript, control).run()` plays the steps with the semantics of docs/transcripts.md:
after every step the service is quiet; `a < X` is matched against everything `a` received and
not yet matched, reading until enough bytes came or a timeout; `fault KIND` claims a fault from
the difference of the fault counters; at the end every byte and datagram must be matched and
every fault claimed. `set port` is ignored: the service listens where its Control says.
"""

from __future__ import annotations

import errno
import os
import re
import select
import socket
import subprocess
import sys
import tempfile
import time
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from nanowyki.builtins import FAULT_KINDS
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
    Step,
    Transcript,
    show_bytes,
)

WAIT = 5.0  # seconds: the most one expectation or one control command may take


class ControlError(Exception):
    """The service cannot be started or reached, or answered a command with an error."""


class StepFailure(Exception):
    """A step's expectation does not hold."""


# -- the control channel -----------------------------------------------------------------------


@dataclass(frozen=True)
class ClientTotals:
    """What the clients have done so far: what a service behind a slow network waits for."""

    opened: int = 0  # TCP connections
    datagrams: int = 0  # sent
    sent: tuple[tuple[int, bool], ...] = ()  # per connection in opening order: bytes, shut/closed

    def words(self) -> str:
        """`OPENED DATAGRAMS BYTES[+] ...` ("+": shut or closed), as `quiet` takes them."""
        conns = (f"{n}+" if ended else str(n) for n, ended in self.sent)
        return " ".join([str(self.opened), str(self.datagrams), *conns])


class Control(ABC):
    """What a transcript needs from a service besides its sockets (docs/transcripts.md)."""

    host: str
    port: int
    proto: str | None = None  # "tcp" or "udp", when known: steps of the other kind fail early
    drain: float = 0.0  # seconds the service's output may take to reach a client after quiet

    @abstractmethod
    def quiet(self, done: ClientTotals | None = None) -> None:
        """Return once the service has seen what the clients did (`done`, when given) and
        no part of it has anything left to do."""

    @abstractmethod
    def advance(self, ms: int) -> None:
        """Move the clock `ms` forward, firing due timers in time order; return once quiet."""

    @abstractmethod
    def stats(self) -> dict[str, int]:
        """The counters (names as `wyki_stat_name`), after waiting for quiet."""

    def log(self) -> str:
        """What the service wrote to its log so far, for failure messages."""
        return ""


class LineControl(Control):
    """`Control` over a line protocol: a subclass only sends one line and reads one back."""

    @abstractmethod
    def request(self, line: str) -> str:
        """Send one command line, return the answer line (without its newline)."""

    def _ok(self, line: str) -> str:
        answer = self.request(line)
        if answer == "ok" or answer.startswith("ok "):
            return answer[3:]
        raise ControlError(f"the service answered '{line}' with {answer!r}")

    def quiet(self, done: ClientTotals | None = None) -> None:
        self._ok("quiet")  # on loopback the service has what was sent: `done` is not needed

    def advance(self, ms: int) -> None:
        self._ok(f"advance {ms}")

    def stats(self) -> dict[str, int]:
        counters: dict[str, int] = {}
        for word in self._ok("stats").split():
            name, _, value = word.partition("=")
            counters[name] = int(value)
        return counters


def free_port() -> int:
    """A port that is free for both TCP and UDP on 127.0.0.1 (at the time of asking)."""
    for _ in range(20):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
            tcp.bind(("127.0.0.1", 0))
            port = int(tcp.getsockname()[1])
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
                try:
                    udp.bind(("127.0.0.1", port))
                except OSError:
                    continue
                return port
    raise ControlError("no port is free for both TCP and UDP")


class UserspaceService(LineControl):
    """A binary built by `nanowyki build`, started with `--control` on a free port.

    A context manager: leaving it ends the service (end of input on its stdin, then SIGKILL if
    it lingers). Its log (stderr) goes to a temporary file, read by `log()`.
    """

    def __init__(self, binary: str | Path, *args: str, host: str = "127.0.0.1") -> None:
        self.host = host
        self.port = free_port()
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as self
        self.proc = subprocess.Popen(
            [str(binary), "--port", str(self.port), "--control", *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
        )
        self._pending = b""
        try:
            self.quiet()  # answered once the workers run: the service is ready
        except ControlError:
            self.stop()
            self._stderr.close()
            raise
        if ready := re.search(r" ready on (tcp|udp) port", self.log()):
            self.proto = ready.group(1)

    def request(self, line: str) -> str:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        try:
            self.proc.stdin.write(line.encode() + b"\n")
            self.proc.stdin.flush()
        except BrokenPipeError:
            raise ControlError(self._gone()) from None
        deadline = time.monotonic() + WAIT
        out = self.proc.stdout.fileno()
        while b"\n" not in self._pending:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([out], [], [], left)[0]:
                raise ControlError(
                    f"the service did not answer '{line}' within {WAIT:g} s "
                    "(a session that never waits?)"
                )
            chunk = os.read(out, 4096)
            if not chunk:
                raise ControlError(self._gone())
            self._pending += chunk
        answer, _, self._pending = self._pending.partition(b"\n")
        return answer.decode(errors="replace")

    def _gone(self) -> str:
        status = self.proc.wait(timeout=WAIT)
        return f"the service exited with status {status}: {self.log().strip()}"

    def log(self) -> str:
        self._stderr.seek(0)
        return self._stderr.read().decode(errors="replace")

    def stop(self) -> int:
        """End the service; its exit status (0 after a clean shutdown)."""
        if self.proc.poll() is None:
            try:
                assert self.proc.stdin is not None
                self.proc.stdin.close()  # end of input: the service shuts down
                self.proc.wait(timeout=WAIT)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait()
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        return self.proc.returncode

    def __enter__(self) -> UserspaceService:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        err: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
        self._stderr.close()


# -- the clients -------------------------------------------------------------------------------


@dataclass
class _TcpClient:
    sock: socket.socket
    received: bytearray = field(default_factory=bytearray)
    sent: int = 0  # bytes the socket took
    service_closed: bool = False  # EOF (or a reset) seen
    shut: bool = False
    closed: bool = False  # by the client

    def pull(self) -> bool:
        """Take what the socket has now; False if nothing (more) is there."""
        if self.service_closed or self.closed:
            return False
        try:
            data = self.sock.recv(65536, socket.MSG_DONTWAIT)
        except BlockingIOError:
            return False
        except ConnectionResetError:
            data = b""  # the service closed with input unread: a reset, also a close
        if not data:
            self.service_closed = True
            return False
        self.received += data
        return True

    def drain(self) -> None:
        while self.pull():
            pass

    def read_until(self, enough: int, deadline: float) -> None:
        """Read until `enough` bytes are waiting, the service closed, or the deadline."""
        self.drain()
        while len(self.received) < enough and not self.service_closed and not self.closed:
            left = deadline - time.monotonic()
            if left <= 0:
                return
            select.select([self.sock], [], [], left)
            self.drain()

    def send(self, data: bytes) -> None:
        """Send every byte; bytes sent after the service closed are discarded."""
        view = memoryview(data)
        deadline = time.monotonic() + WAIT
        while view:
            try:
                n = self.sock.send(view, socket.MSG_DONTWAIT)
                self.sent += n
                view = view[n:]
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise StepFailure(
                        f"the service took no bytes for {WAIT:g} s ({len(view)} left to send)"
                    ) from None
                select.select([], [self.sock], [], WAIT)
            except OSError as err:
                if err.errno in (errno.EPIPE, errno.ECONNRESET):
                    return
                raise


@dataclass(frozen=True)
class ReplayResult:
    ok: bool
    failure: str | None  # the first failure, starting with `file:line:`
    steps: int  # how many steps ran (the failing one included)
    service_log: str = ""

    def report(self) -> str:
        if self.ok:
            return "ok"
        return f"{self.failure}\n--- service log ---\n{self.service_log}"


class Replay:
    """Play one transcript against the service behind `control`."""

    def __init__(self, transcript: Transcript, control: Control, *, wait: float = WAIT) -> None:
        self.transcript = transcript
        self.control = control
        self.wait = wait  # seconds an expectation waits for bytes, or for a close
        self.tcp: dict[str, _TcpClient] = {}
        self.opened: list[_TcpClient] = []  # every connection, in opening order
        self.udp: dict[str, socket.socket] = {}
        self.datagrams_sent = 0
        self.claimed = dict.fromkeys(FAULT_KINDS, 0)

    def run(self) -> ReplayResult:
        steps = 0
        current: Step | None = None
        try:
            for current in self.transcript.steps:
                steps += 1
                self.apply(current)
                self.control.quiet(self.totals())
            current = None
            self.finish()
        except (StepFailure, ControlError, OSError) as err:
            where = (
                f"{self.transcript.where(current)}: step '{self._text(current)}'"
                if current is not None
                else f"{self.transcript.path}: at the end of the transcript"
            )
            kind = "" if isinstance(err, StepFailure) else f"{type(err).__name__}: "
            return ReplayResult(False, f"{where}: {kind}{err}", steps, self.control.log())
        finally:
            self.close_all()
        return ReplayResult(True, None, steps)

    def _text(self, step: Step) -> str:
        lines = self.transcript.source_lines
        text = lines[step.line - 1].strip() if 0 < step.line <= len(lines) else type(step).__name__
        return text if len(text) <= 80 else text[:77] + "..."

    def totals(self) -> ClientTotals:
        sent = tuple((c.sent, c.shut or c.closed) for c in self.opened)
        return ClientTotals(len(self.opened), self.datagrams_sent, sent)

    def wait_for_stragglers(self) -> None:
        """Before concluding that nothing came: give the service's output time to arrive."""
        if self.control.drain:
            time.sleep(self.control.drain)

    def close_all(self) -> None:
        for client in self.tcp.values():
            client.sock.close()
        for sock in self.udp.values():
            sock.close()

    def need_proto(self, proto: str) -> None:
        if self.control.proto not in (None, proto):
            raise StepFailure(f"the service listens on {self.control.proto}, not {proto}")

    def conn(self, name: str) -> _TcpClient:
        client = self.tcp.get(name)
        if client is None:
            raise StepFailure(f"no connection '{name}' is open")
        return client

    # -- steps ---------------------------------------------------------------------------------

    def apply(self, step: Step) -> None:  # noqa: C901 - one case per step kind
        match step:
            case SetPort():
                pass  # the service listens where its Control says
            case Open(conn=name):
                self.need_proto("tcp")
                self.open(name)
            case Send(conn=name, data=data):
                client = self.conn(name)
                if client.closed:
                    raise StepFailure(f"'{name}' has closed its connection")
                if client.shut:
                    raise StepFailure(f"'{name}' has shut down its sending side")
                client.send(data)
            case Expect(conn=name, data=data):
                self.expect(name, data)
            case Shut(conn=name):
                client = self.conn(name)
                if client.closed:
                    raise StepFailure(f"'{name}' has closed its connection")
                client.shut = True
                try:
                    client.sock.shutdown(socket.SHUT_WR)
                except OSError as err:  # the service reset it: nothing left to shut
                    if err.errno not in (errno.ENOTCONN, errno.ECONNRESET):
                        raise
            case CloseConn(conn=name):
                client = self.conn(name)
                if client.closed:
                    raise StepFailure(f"'{name}' is already closed")
                self.wait_for_stragglers()
                client.drain()
                self.require_matched(name, client, "closes")
                client.closed = True
                client.sock.close()
            case ExpectClosed(conn=name):
                client = self.conn(name)
                client.read_until(sys.maxsize, time.monotonic() + self.wait)  # to EOF
                if not client.service_closed:
                    raise StepFailure(f"the service has not closed '{name}'")
                self.require_matched(name, client, "was closed by the service")
            case ExpectOpen(conn=name):
                client = self.conn(name)
                self.wait_for_stragglers()
                client.drain()
                if client.service_closed:
                    raise StepFailure(f"the service has closed '{name}'")
            case SendDatagram(client=name, data=data):
                self.need_proto("udp")
                self.datagram_socket(name).sendto(data, (self.control.host, self.control.port))
                self.datagrams_sent += 1
            case ExpectDatagram(client=name, data=data):
                self.expect_datagram(name, data)
            case ExpectSilent(client=name):
                self.wait_for_stragglers()
                waiting = self.datagrams_waiting(name)
                if waiting:
                    raise StepFailure(
                        f"'{name}' has {len(waiting)} datagram(s) waiting, the first "
                        f"{show_bytes(waiting[0])}"
                    )
            case Advance(ms=ms):
                self.control.advance(ms)
            case ExpectFault(kind=kind):
                self.expect_fault(kind)
            case _:
                raise StepFailure(f"unknown transcript step {step!r}")

    def open(self, name: str) -> None:
        old = self.tcp.get(name)
        if old is not None:
            old.drain()
            if not (old.closed or old.service_closed):
                raise StepFailure(f"'{name}' is already open")
            self.require_matched(name, old, "is opened again")
            old.sock.close()
        before = self._arrivals(self.control.stats())
        sock = socket.create_connection((self.control.host, self.control.port), timeout=WAIT)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.setblocking(False)
        self.tcp[name] = _TcpClient(sock)
        self.opened.append(self.tcp[name])
        # connect() may return before the service's listener saw the handshake's last ACK:
        # wait until the service accepted (or refused) it, so `quiet` covers the new session.
        deadline = time.monotonic() + WAIT
        while self._arrivals(self.control.stats()) == before:
            if time.monotonic() > deadline:
                raise StepFailure(f"the service did not accept '{name}' within {WAIT:g} s")
            time.sleep(0.001)

    @staticmethod
    def _arrivals(stats: dict[str, int]) -> int:
        return stats.get("accepted", 0) + stats.get("refused", 0)

    def expect(self, name: str, data: bytes) -> None:
        client = self.conn(name)
        client.read_until(len(data), time.monotonic() + self.wait)
        got = bytes(client.received)
        if got.startswith(data):
            del client.received[: len(data)]
            return
        if data.startswith(got):
            missing = data[len(got) :]
            what = (
                f"received only {show_bytes(got)}" if got else "received nothing"
            ) + f"; still missing {show_bytes(missing)}"
            closed = f" (the service closed '{name}')" if client.service_closed else ""
            raise StepFailure(f"expected {show_bytes(data)}, but {what}{closed}")
        at = next(i for i in range(min(len(got), len(data))) if got[i] != data[i])
        raise StepFailure(
            f"unexpected bytes: expected {show_bytes(data)}\n"
            f"  received {show_bytes(got)}\n"
            f"  first difference at byte {at}: expected {show_bytes(data[at : at + 40])}, "
            f"received {show_bytes(got[at : at + 40])}"
        )

    def datagram_socket(self, name: str) -> socket.socket:
        sock = self.udp.get(name)
        if sock is None:
            sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            sock.bind((self.control.host, 0))
            self.udp[name] = sock
        return sock

    def datagrams_waiting(self, name: str) -> list[bytes]:
        sock = self.udp.get(name)
        waiting: list[bytes] = []
        while sock is not None:
            try:
                waiting.append(sock.recv(65536, socket.MSG_DONTWAIT))
            except BlockingIOError:
                break
        return waiting

    def expect_datagram(self, name: str, data: bytes) -> None:
        sock = self.udp.get(name)
        if sock is None or not select.select([sock], [], [], self.wait)[0]:
            raise StepFailure(f"expected the datagram {show_bytes(data)}, but none is waiting")
        got = sock.recv(65536)
        if got != data:
            raise StepFailure(
                f"expected the datagram {show_bytes(data)}, received {show_bytes(got)}"
            )

    def unclaimed(self) -> dict[str, int]:
        stats = self.control.stats()
        counts = {kind: stats.get(f"fault_{kind}", 0) - self.claimed[kind] for kind in FAULT_KINDS}
        return {kind: n for kind, n in counts.items() if n}

    def expect_fault(self, kind: str) -> None:
        unclaimed = self.unclaimed()
        if unclaimed.get(kind, 0) > 0:
            self.claimed[kind] += 1
            return
        if unclaimed:
            others = ", ".join(f"{n} '{k}'" for k, n in unclaimed.items())
            raise StepFailure(f"expected a '{kind}' fault; the unclaimed faults are {others}")
        raise StepFailure(f"expected a '{kind}' fault, but no fault was counted")

    # -- checks --------------------------------------------------------------------------------

    @staticmethod
    def require_matched(name: str, client: _TcpClient, what: str) -> None:
        if client.received:
            raise StepFailure(
                f"'{name}' {what} with {len(client.received)} received bytes not matched by "
                f"a '<' step: {show_bytes(bytes(client.received))}"
            )

    def finish(self) -> None:
        problems: list[str] = []
        self.wait_for_stragglers()
        for name, client in self.tcp.items():
            client.drain()
            if client.received:
                problems.append(
                    f"'{name}' received {len(client.received)} bytes never matched: "
                    f"{show_bytes(bytes(client.received))}"
                )
        for name in self.udp:
            waiting = self.datagrams_waiting(name)
            if waiting:
                problems.append(
                    f"'{name}' has {len(waiting)} datagram(s) never matched, the first "
                    f"{show_bytes(waiting[0])}"
                )
        for kind, n in self.unclaimed().items():
            problems.append(f"{n} unexpected '{kind}' fault(s)")
        if problems:
            raise StepFailure("; ".join(problems))


def replay(transcript: Transcript, binary: str | Path, args: Sequence[str] = ()) -> ReplayResult:
    """Play `transcript` against a fresh process of `binary` (one worker, --control)."""
    with UserspaceService(binary, "--workers", "1", *args) as service:
        return Replay(transcript, service).run()
