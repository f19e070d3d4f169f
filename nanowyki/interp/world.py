"""The world a service runs in: everything outside the program.

A `World` holds what the clients of a transcript see and do, independent of the IL being
interpreted, so the same world drives every interpreter of the pipeline:

- a virtual clock: `now_ms` starts at 0 and `unix_time` at 1767225600 (2026-01-01 00:00:00
  UTC); only `advance` (the runner) moves it;
- TCP connections (`Connection`): the bytes a client sent that the service has not read yet
  (`inbox`), the bytes the service sent that the client has not matched yet (`received`), the
  bytes queued during the current resume of its session (`pending`, delivered in one write by
  `flush`), and who closed what;
- UDP clients (`UdpClient`) and the datagrams queued for them;
- faults, counted by kind and each kept with where it happened, and an event `log` (every
  client action, every write, every close, every fault, every `log(...)` line of the program)
  for debugging a failed transcript.

The world never runs program code: the scheduler and the interpreters call its service-side
methods (`write`, `flush`, `close_by_service`, `reply`, `fault`, `log_line`).
"""

from __future__ import annotations

from collections import Counter, deque
from dataclasses import dataclass, field

UNIX_TIME_START = 1767225600  # 2026-01-01 00:00:00 UTC, when now_ms() == 0
MAX_REPLY = 65507  # the largest UDP payload over IPv4


@dataclass
class Connection:
    """One TCP connection, from both ends."""

    name: str
    number: int  # in order of opening, from 1
    inbox: bytearray = field(default_factory=bytearray)  # client -> service, not yet read
    pending: bytearray = field(default_factory=bytearray)  # service -> client, not yet written
    received: bytearray = field(default_factory=bytearray)  # written, not yet matched by `<`
    client_shut: bool = False  # the client shut its sending side (or closed)
    client_closed: bool = False
    service_closed: bool = False
    refused: bool = False  # past the `sessions` limit: closed at once, no session

    @property
    def eof(self) -> bool:
        """The client will send nothing more."""
        return self.client_shut or self.client_closed


@dataclass
class UdpClient:
    name: str
    replies: deque[bytes] = field(default_factory=deque)


@dataclass(frozen=True)
class FaultRecord:
    kind: str
    where: str  # "session 'a'", "datagram from 'q'", "timer 1"
    detail: str
    time_ms: int


@dataclass(frozen=True)
class Event:
    time_ms: int
    text: str

    def __str__(self) -> str:
        return f"[{self.time_ms} ms] {self.text}"


class World:
    def __init__(self, *, out_capacity: int | None = None) -> None:
        self.now_ms = 0
        self.conns: dict[str, Connection] = {}
        self.udp: dict[str, UdpClient] = {}
        self.faults: list[FaultRecord] = []
        self.counters: Counter[str] = Counter()  # fault kinds, "oversize", "refused"
        self.log: list[Event] = []
        self.service_log: list[bytes] = []  # the lines the program logged
        self.out_capacity = out_capacity  # the output ring of a session; None: unbounded
        self._opened = 0

    @property
    def unix_time(self) -> int:
        return UNIX_TIME_START + self.now_ms // 1000

    def event(self, text: str) -> None:
        self.log.append(Event(self.now_ms, text))

    # -- the client side (the runner) ---------------------------------------------------------

    def connect(self, name: str) -> Connection:
        self._opened += 1
        conn = Connection(name, self._opened)
        self.conns[name] = conn
        self.event(f"{name}: open")
        return conn

    def client_send(self, conn: Connection, data: bytes) -> None:
        self.event(f"{conn.name} > {len(data)} bytes")
        if conn.service_closed:
            self.event(f"{conn.name}: the service has closed; {len(data)} bytes are discarded")
            return
        conn.inbox += data

    def client_shut(self, conn: Connection) -> None:
        self.event(f"{conn.name}: shut")
        conn.client_shut = True

    def client_close(self, conn: Connection) -> None:
        self.event(f"{conn.name}: close")
        conn.client_shut = True
        conn.client_closed = True

    def udp_client(self, name: str) -> UdpClient:
        client = self.udp.get(name)
        if client is None:
            client = self.udp[name] = UdpClient(name)
        return client

    # -- the service side (scheduler and interpreters) ----------------------------------------

    def room(self, conn: Connection) -> int | None:
        """How many more bytes the session may queue now; None: any number."""
        if self.out_capacity is None:
            return None
        return max(0, self.out_capacity - len(conn.pending))

    def write(self, conn: Connection, data: bytes) -> None:
        """Queue `data` for the client (delivered by the next `flush`)."""
        conn.pending += data

    def flush(self, conn: Connection) -> None:
        """Deliver the queued output in one write (dropped if the client has closed)."""
        if not conn.pending:
            return
        data = bytes(conn.pending)
        conn.pending.clear()
        if conn.client_closed or conn.service_closed:
            self.event(f"{conn.name}: {len(data)} bytes written after close are discarded")
            return
        conn.received += data
        self.event(f"{conn.name} < {len(data)} bytes")

    def close_by_service(self, conn: Connection, why: str = "close") -> None:
        self.flush(conn)
        if not conn.service_closed:
            conn.service_closed = True
            self.event(f"{conn.name}: closed by the service ({why})")

    def refuse(self, conn: Connection) -> None:
        conn.refused = True
        conn.service_closed = True
        self.counters["refused"] += 1
        self.event(f"{conn.name}: refused (every session is in use)")

    def reply(self, client: UdpClient, data: bytes) -> None:
        client.replies.append(data)
        self.event(f"{client.name} < datagram of {len(data)} bytes")

    def drop_oversize(self, client: UdpClient, size: int, limit: int) -> None:
        self.counters["oversize"] += 1
        self.event(f"udp {client.name}: datagram of {size} bytes dropped (more than {limit})")

    def fault(self, kind: str, where: str, detail: str = "") -> None:
        self.faults.append(FaultRecord(kind, where, detail, self.now_ms))
        self.counters[kind] += 1
        self.event(f"fault {kind} in {where}{': ' + detail if detail else ''}")

    def log_line(self, text: bytes) -> None:
        self.service_log.append(text)
        self.event(f"log: {text.decode('utf-8', 'backslashreplace')}")
