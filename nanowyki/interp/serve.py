"""Serve real clients with the reference interpreter: the `nanowyki serve` command.

The transcript runner drives a `World` from a script; `serve` drives the same world from real
sockets, so a checked WYKI program answers curl, pymemcache or dig before any C exists (and any
IL's interpreter can be tried against real clients). It is a test harness, not a fast server:
one asyncio loop, one interpreter.

Each accepted TCP connection becomes a world `Connection` and a session task; bytes that arrive
are given to the world, the scheduler runs until the service is quiet, and what the service
wrote goes back to the socket. The world's clock is the real clock.
"""

from __future__ import annotations

import asyncio
import itertools
import signal
import sys
import time
from collections.abc import Callable

from .base import Interpreter, ServiceShape
from .scheduler import Scheduler
from .world import Connection, World


class RealWorld(World):
    """A world whose clock is the machine's."""

    def __init__(self) -> None:
        super().__init__()
        self._started = time.monotonic()

    def tick(self) -> None:
        self.now_ms = int((time.monotonic() - self._started) * 1000)

    @property
    def unix_time(self) -> int:
        return int(time.time())


class Server:
    """The interpreter behind real sockets."""

    def __init__(
        self, interp: Interpreter, *, port: int | None, host: str, log: Callable[[str], None]
    ) -> None:
        self.interp = interp
        self.world = RealWorld()
        self.sched = Scheduler(self.world, budget=100_000)
        self.shape: ServiceShape = interp.start(self.world)
        self.port = port if port is not None else self.shape.port
        self.host = host
        self.log = log
        self.writers: dict[str, asyncio.StreamWriter] = {}
        self.names = (f"c{i}" for i in itertools.count(1))
        self.wakeup: asyncio.TimerHandle | None = None
        self.next_fire = list(self.shape.timers)

    # -- the loop ------------------------------------------------------------------------------

    def run_service(self) -> None:
        """Fire due timers, run the scheduler until quiet, ship output, plan the next wakeup."""
        self.world.tick()
        for i, when in enumerate(self.next_fire):
            if when <= self.world.now_ms:
                self.next_fire[i] = self.world.now_ms + self.shape.timers[i]
                self.sched.spawn(self.interp.timer(i))
        self.sched.run()
        for name, conn in list(self.world.conns.items()):
            self._ship(name, conn)
        self._plan()

    def _plan(self) -> None:
        due = [d for d in [self.sched.next_due(), *self.next_fire] if d is not None]
        if self.wakeup is not None:
            self.wakeup.cancel()
            self.wakeup = None
        if due:
            delay = max(0.0, (min(due) - self.world.now_ms) / 1000)
            self.wakeup = asyncio.get_running_loop().call_later(delay, self.run_service)

    def _ship(self, name: str, conn: Connection) -> None:
        writer = self.writers.get(name)
        if writer is None:
            return
        if conn.received:
            writer.write(bytes(conn.received))
            conn.received.clear()
        if conn.service_closed:
            writer.close()
            del self.writers[name]
            del self.world.conns[name]

    # -- TCP -----------------------------------------------------------------------------------

    async def on_connect(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        name = next(self.names)
        conn = self.world.connect(name)
        self.writers[name] = writer
        if self.sched.sessions() >= self.shape.max_sessions:
            self.world.refuse(conn)
        else:
            self.sched.spawn(self.interp.session(conn))
        self.run_service()
        try:
            while name in self.writers:
                data = await reader.read(65536)
                if not data:
                    self.world.client_shut(conn)
                    self.run_service()
                    break
                self.world.client_send(conn, data)
                self.run_service()
                await writer.drain()
        except ConnectionError:
            self.world.client_close(conn)
            self.run_service()

    # -- UDP -----------------------------------------------------------------------------------

    def on_datagram(self, transport: asyncio.DatagramTransport, data: bytes, addr: object) -> None:
        client = self.world.udp_client(repr(addr))
        self.sched.spawn(self.interp.datagram(client, data))
        self.run_service()
        while client.replies:
            transport.sendto(client.replies.popleft(), addr)  # type: ignore[arg-type]

    async def serve(self, ready: Callable[[int], None] | None = None) -> None:
        loop = asyncio.get_running_loop()
        stop: asyncio.Future[None] = loop.create_future()

        def on_signal() -> None:
            if not stop.done():
                stop.set_result(None)

        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, on_signal)
        if self.shape.proto == "tcp":
            server = await asyncio.start_server(self.on_connect, self.host, self.port)
            port = server.sockets[0].getsockname()[1]
        else:
            outer = self

            class Protocol(asyncio.DatagramProtocol):
                def connection_made(self, transport: asyncio.BaseTransport) -> None:
                    self.transport = transport

                def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
                    outer.on_datagram(self.transport, data, addr)  # type: ignore[arg-type]

            transport, _ = await loop.create_datagram_endpoint(
                Protocol, local_addr=(self.host, self.port)
            )
            port = transport.get_extra_info("sockname")[1]
        limit = (
            f"{self.shape.max_sessions} sessions"
            if self.shape.proto == "tcp"
            else f"datagrams of up to {self.shape.datagram_limit} bytes"
        )
        self.log(
            f"nanowyki: {self.shape.name} ready on {self.shape.proto} port {port} "
            f"(reference interpreter, {limit})"
        )
        if ready:
            ready(port)
        self._plan()
        await stop
        faults = dict(self.world.counters)
        self.log(f"nanowyki: {self.shape.name} stopped; counters {faults}")


def serve(interp: Interpreter, *, port: int | None = None, host: str = "127.0.0.1") -> None:
    """Serve until SIGINT or SIGTERM."""

    def log(text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    asyncio.run(Server(interp, port=port, host=host, log=log).serve())
