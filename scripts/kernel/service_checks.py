"""What the host checks against each service loaded in the guest, through a forwarded port.

One function per service, `check_NAME(port, say)`: real clients where the protocol has one
(curl for http, pymemcache for kv, dig and dnspython for dns), raw sockets otherwise, a few
representative requests each. A check raises `CheckFailed` with what differed, or
`MissingClient` naming the Debian or pip package of a client that is not installed. Guest time
under TCG is not wall time, so nothing here measures a speed: waits are bounded, and a timer is
only required to *run*.
"""

from __future__ import annotations

import contextlib
import importlib
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Callable
from types import ModuleType
from typing import Any

IO_TIMEOUT = 15.0  # any single socket operation or client run
Say = Callable[[str], None]


class CheckFailed(Exception):
    """The service answered something else than the check expects."""


class MissingClient(Exception):
    """A client tool or library is not installed; the message names its package."""


def _tool(name: str, package: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise MissingClient(f"needs {name}: apt-get install {package}")
    return path


def _module(name: str, package: str) -> ModuleType:
    try:
        return importlib.import_module(name)
    except ImportError:
        raise MissingClient(f"needs the Python package {package}: pip install {package}") from None


def recv_exact(s: socket.socket, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = s.recv(n - len(data))
        if not chunk:
            break
        data += chunk
    return data


def connect(port: int) -> socket.socket:
    s = socket.create_connection(("127.0.0.1", port), timeout=IO_TIMEOUT)
    s.settimeout(IO_TIMEOUT)
    return s


def exchange(s: socket.socket, send: bytes, want: bytes, what: str) -> None:
    s.sendall(send)
    got = recv_exact(s, len(want))
    if got != want:
        raise CheckFailed(f"{what}: got {got[:120]!r}, want {want[:120]!r}")


# ---- echo (compiled examples/echo.wyki, and the hand-written runtime_c/examples one) ------


def check_echo(port: int, say: Say) -> None:
    """Several connections at once; small messages, then a payload larger than rx and tx."""
    conns = [connect(port) for _ in range(4)]
    try:
        for i, s in enumerate(conns):
            s.sendall(b"hello %d\n" % i)
        for i, s in enumerate(conns):
            want = b"hello %d\n" % i
            got = recv_exact(s, len(want))
            if got != want:
                raise CheckFailed(f"echo: connection {i} got {got!r}, want {want!r}")
        big = bytes(range(256)) * 100  # 25600 bytes: more than rx (8 KiB) and tx (8 KiB)
        errors: list[str] = []

        def pump(s: socket.socket) -> None:
            try:
                s.sendall(big)
                got = recv_exact(s, len(big))
                if got != big:
                    errors.append(f"echo: big payload came back as {len(got)} bytes, differing")
            except OSError as e:
                errors.append(f"echo: big payload: {e}")

        threads = [threading.Thread(target=pump, args=(s,)) for s in conns]
        for t in threads:
            t.start()
        for t in threads:
            t.join(IO_TIMEOUT * 3)
        if errors:
            raise CheckFailed("; ".join(errors))
        for i, s in enumerate(conns):
            s.shutdown(socket.SHUT_WR)
            if s.recv(1) != b"":
                raise CheckFailed(f"echo: connection {i} not closed by the server after EOF")
        say(f"echo: 4 connections, {4 * (len(big) + 8)} bytes echoed, server closed after EOF")
    finally:
        for s in conns:
            s.close()
    check_refusal(port, say)


def check_refusal(port: int, say: Say) -> None:
    """Loaded with sessions=64: of 67 connections open at once, 64 are served and 3 are
    accepted and closed at once (counted `refused`)."""
    many = [connect(port) for _ in range(67)]
    served = refused = 0
    try:
        for s in many:
            with contextlib.suppress(OSError):
                s.sendall(b"x")
        for s in many:
            try:
                got = s.recv(1)
            except OSError:
                got = b""
            if got == b"x":
                served += 1
            else:
                refused += 1
    finally:
        for s in many:
            s.close()
    if (served, refused) != (64, 3):
        raise CheckFailed(f"sessions=64 with 67 connections: {served} served, {refused} refused")
    say("echo: sessions=64 bound: 67 connections at once -> 64 served, 3 refused")


# ---- http: curl ---------------------------------------------------------------------------


def _curl(port: int, *args: str) -> subprocess.CompletedProcess[bytes]:
    argv = [_tool("curl", "curl"), "-sS", "--max-time", str(int(IO_TIMEOUT)), *args]
    argv = [a.replace("PORT", str(port)) for a in argv]
    return subprocess.run(argv, capture_output=True, timeout=IO_TIMEOUT * 2, check=False)


def check_http(port: int, say: Say) -> None:
    done = _curl(port, "http://127.0.0.1:PORT/hello")
    if done.returncode != 0 or done.stdout != b"Hello, world\n":
        raise CheckFailed(f"http: curl /hello: exit {done.returncode}, {done.stdout[:80]!r} "
                          f"{done.stderr[:200]!r}")  # fmt: skip
    done = _curl(port, "-I", "http://127.0.0.1:PORT/logo.png")
    head = done.stdout.decode(errors="replace")
    if "200 OK" not in head or "Content-Type: image/png" not in head:
        raise CheckFailed(f"http: curl -I /logo.png: {head!r}")
    done = _curl(port, "-w", "%{http_code} %{size_download}\n",
                 "-o", "/dev/null", "http://127.0.0.1:PORT/4k",
                 "-o", "/dev/null", "http://127.0.0.1:PORT/nope")  # fmt: skip
    codes = done.stdout.decode(errors="replace").splitlines()
    if len(codes) != 2 or codes[0] != "200 4096" or not codes[1].startswith("404 "):
        raise CheckFailed(f"http: curl /4k then /nope on one connection: {done.stdout!r}")
    if (
        b"Re-using existing connection"
        not in _curl(
            port, "-v", "-o", "/dev/null", "http://127.0.0.1:PORT/", "http://127.0.0.1:PORT/hello"
        ).stderr
    ):
        raise CheckFailed("http: curl did not keep the connection alive for a second URL")
    s = connect(port)  # pipelined, and a bad request closes
    try:
        s.sendall(b"GET /hello HTTP/1.1\r\nHost: x\r\n\r\n" * 3)
        body = b""
        while body.count(b"Hello, world\n") < 3:
            chunk = s.recv(65536)
            if not chunk:
                raise CheckFailed(f"http: 3 pipelined requests: closed after {body!r}")
            body += chunk
        s.sendall(b"BREW /pot HTTP/1.1\r\n\r\n")
        rest = b""
        while chunk := s.recv(65536):
            rest += chunk
        if not rest.startswith(b"HTTP/1.1 501"):
            raise CheckFailed(f"http: BREW answered {rest[:60]!r}, want 501 and a close")
    finally:
        s.close()
    say("http: curl GET /hello, HEAD /logo.png, /4k + 404 and keep-alive; 3 pipelined; 501")


# ---- kv: pymemcache -----------------------------------------------------------------------


def check_kv(port: int, say: Say) -> None:
    base: Any = _module("pymemcache.client.base", "pymemcache")
    c = base.Client(("127.0.0.1", port), default_noreply=False, timeout=IO_TIMEOUT,
                    connect_timeout=IO_TIMEOUT)  # fmt: skip
    try:
        if not c.set("greeting", b"hello", expire=60) or c.get("greeting") != b"hello":
            raise CheckFailed("kv: set/get greeting")
        many = {f"key{i}": b"value%d" % i for i in range(100)}
        if c.set_many(many) != [] or c.get_many(list(many)) != many:
            raise CheckFailed("kv: set_many/get_many of 100 keys")
        value, cas = c.gets("greeting")
        if value != b"hello" or not c.cas("greeting", b"bye", cas) or c.cas("greeting", b"x", cas):
            raise CheckFailed("kv: gets/cas")
        if (
            c.add("greeting", b"no")
            or not c.append("greeting", b"!")
            or c.get("greeting") != b"bye!"
        ):
            raise CheckFailed("kv: add/append")
        c.set("n", b"41")
        if c.incr("n", 1) != 42 or c.decr("n", 2) != 40:
            raise CheckFailed("kv: incr/decr")
        if not c.delete("n") or c.get("n") is not None:
            raise CheckFailed("kv: delete")
        big = bytes(range(256)) * 4  # 1024 bytes: the largest value
        if not c.set("big", big) or c.get("big") != big:
            raise CheckFailed("kv: a 1024-byte value")
    finally:
        c.close()
    s = connect(port)  # the table is shared by every session
    try:
        exchange(s, b"get key42\r\n", b"VALUE key42 0 7\r\nvalue42\r\nEND\r\n", "kv: 2nd session")
    finally:
        s.close()
    say("kv: pymemcache set/get, 100 keys at once, gets/cas, add/append, incr/decr, delete, 1 KiB")


# ---- dns: dig and dnspython ---------------------------------------------------------------


def _dig(port: int, *query: str) -> str:
    argv = [_tool("dig", "bind9-dnsutils"), "@127.0.0.1", "-p", str(port), *query]
    argv += ["+tries=3", "+time=3"]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=IO_TIMEOUT * 2,
                          check=False)  # fmt: skip
    if done.returncode != 0:
        raise CheckFailed(f"dns: dig {' '.join(query)}: {done.stdout}{done.stderr}")
    return done.stdout


def check_dns(port: int, say: Say) -> None:
    answers = {("example.test",): "192.0.2.1\n", ("www.example.test", "A"): "192.0.2.2\n",
               ("example.test", "AAAA"): "2001:db8::1\n",
               ("example.test", "NS"): "ns1.example.test.\n"}  # fmt: skip
    for question, answer in answers.items():
        got = _dig(port, *question, "+short")
        if got != answer:
            raise CheckFailed(f"dns: dig {' '.join(question)} +short: {got!r}, want {answer!r}")
    if "status: NXDOMAIN" not in _dig(port, "nope.example.test", "A"):
        raise CheckFailed("dns: nope.example.test is not NXDOMAIN")
    message: Any = _module("dns.message", "dnspython")
    query: Any = _module("dns.query", "dnspython")
    rcode: Any = _module("dns.rcode", "dnspython")
    reply = None
    for _ in range(3):  # UDP: a lost datagram is retried, a bounded number of times
        with contextlib.suppress(Exception):
            q = message.make_query("example.test", "TXT")
            reply = query.udp(q, "127.0.0.1", port=port, timeout=IO_TIMEOUT / 3)
            break
    if reply is None or reply.rcode() != rcode.NOERROR or '"v=nanowyki"' not in str(reply):
        raise CheckFailed(f"dns: dnspython TXT example.test: {reply}")
    say("dns: dig A/AAAA/NS +short and NXDOMAIN; dnspython TXT")


# ---- ratelimit ----------------------------------------------------------------------------


class _Lines:
    """A socket read line by line (the replies of a line protocol)."""

    def __init__(self, s: socket.socket) -> None:
        self.s = s
        self.buf = b""

    def ask(self, request: bytes, count: int = 1) -> list[bytes]:
        self.s.sendall(request)
        lines: list[bytes] = []
        while len(lines) < count:
            while b"\r\n" not in self.buf:
                chunk = self.s.recv(4096)
                if not chunk:
                    raise CheckFailed(f"ratelimit: closed after {lines!r}, asked {request!r}")
                self.buf += chunk
            line, _, self.buf = self.buf.partition(b"\r\n")
            lines.append(line)
        return lines


def check_ratelimit(port: int, say: Say) -> None:
    """The guest's `every 1 s` timer may start a new window between any two requests (guest
    time is not ours to stop), so each property is looked for in a few tries: a window that
    reset in the middle of one try shows as an `OK 4` out of turn, and the next try is clean."""
    a, b = _Lines(connect(port)), _Lines(connect(port))
    try:
        for attempt in range(5):  # 6 hits in one batch: 5 allowed, then LIMITED
            if a.ask(b"HIT alice%d\r\n" % attempt * 6, 6) == [b"OK 4", b"OK 3", b"OK 2", b"OK 1",
                                                    b"OK 0", b"LIMITED"]:  # fmt: skip
                break
        else:
            raise CheckFailed("ratelimit: 6 hits never gave OK 4 .. OK 0, LIMITED")
        for n in range(5):  # the count is shared by every session
            hit = b"HIT carol%d\r\n" % n
            if a.ask(hit * 2, 2) == [b"OK 4", b"OK 3"] and b.ask(hit) == [b"OK 2"]:
                break
        else:
            raise CheckFailed("ratelimit: a second session never saw the first one's hits")
        if a.ask(b"BOGUS\r\n") != [b"ERROR"]:
            raise CheckFailed("ratelimit: a bad request did not get ERROR")
        limited = b"HIT alice%d\r\n" % attempt
        deadline = time.monotonic() + 60  # the timer runs: a limited key is allowed again
        while a.ask(limited) == [b"LIMITED"]:
            if time.monotonic() > deadline:
                raise CheckFailed("ratelimit: the window never reset (the timer did not run)")
            time.sleep(0.5)
        if a.ask(b"STATS\r\n")[0].split(b" ")[0] != b"STATS":
            raise CheckFailed("ratelimit: STATS")
        a.s.sendall(b"QUIT\r\n")
        if a.s.recv(1) != b"":
            raise CheckFailed("ratelimit: QUIT did not close")
    finally:
        a.s.close()
        b.s.close()
    say("ratelimit: 5 hits then LIMITED, shared across sessions, ERROR, the timer resets")


# ---- the hand-written services of runtime_c/examples ------------------------------------


def check_kvlite(port: int, say: Say) -> None:
    s = connect(port)
    try:
        exchange(s, b"SET k1 v1\r\nSET k2 hello\r\nGET k1\r\nGET k2\r\nGET nope\r\n",
                 b"OK\r\nOK\r\nv1\r\nhello\r\nNONE\r\n", "kvlite: pipelined SET/GET")  # fmt: skip
        batch = b"".join(b"SET key%d value%d\r\n" % (i, i) for i in range(100))
        batch += b"".join(b"GET key%d\r\n" % i for i in range(100))
        want = b"OK\r\n" * 100 + b"".join(b"value%d\r\n" % i for i in range(100))
        exchange(s, batch, want, "kvlite: 200 pipelined requests")
        exchange(s, b"BOGUS\r\n", b"ERROR\r\n", "kvlite: BOGUS")
        if s.recv(1) != b"":
            raise CheckFailed("kvlite: no close after ERROR")
    finally:
        s.close()
    s = connect(port)
    try:
        exchange(s, b"GET key42\r\n", b"value42\r\n", "kvlite: a second session")
    finally:
        s.close()
    say("kvlite: 205 pipelined requests answered in order, ERROR closes, table shared")


def check_udpecho(port: int, say: Say) -> None:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(2.0)
    try:

        def ask(payload: bytes) -> bytes:
            for _ in range(int(IO_TIMEOUT / 2)):  # UDP: retry a lost datagram, bounded
                s.sendto(payload, ("127.0.0.1", port))
                try:
                    data, _ = s.recvfrom(2048)
                    return data
                except TimeoutError:
                    continue
            raise CheckFailed(f"udpecho: no reply to {payload!r}")

        if ask(b"ping") != b"ping":
            raise CheckFailed("udpecho: ping did not come back")
        first = ask(b"TICKS")
        payload = bytes(range(200)) * 2
        if ask(payload) != payload:
            raise CheckFailed("udpecho: 400-byte datagram did not come back intact")
        second = ask(b"TICKS")
        deadline = time.monotonic() + IO_TIMEOUT  # liveness of the timer, not its speed
        while second.isdigit() and int(second) <= int(first) and time.monotonic() < deadline:
            time.sleep(0.2)
            second = ask(b"TICKS")
        if not first.isdigit() or not second.isdigit() or int(second) <= int(first):
            raise CheckFailed(f"udpecho: TICKS did not grow: {first!r} then {second!r}")
        say(f"udpecho: datagrams echoed; the timer ran ({first.decode()} -> {second.decode()})")
    finally:
        s.close()
