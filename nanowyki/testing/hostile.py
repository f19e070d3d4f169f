"""Hostile clients for a running WYKI service, whatever runs it (a compiled binary, the kernel
module in a QEMU guest, the reference interpreter): they need only a host, a port and the
service's protocol.

    from nanowyki.testing.hostile import PROTOCOLS, attack_round, flood
    rng = random.Random(7)
    log = attack_round("127.0.0.1", 8080, PROTOCOLS["http"], rng)  # raises ServiceFailed

An attack round runs every attack of the protocol once, in an order drawn from `rng`, then
`probe`s the service with a valid request whose exact answer it checks. The TCP attacks:

- garbage: random bytes, some with line ends, up to 64 KiB;
- malformed: the protocol's hand-picked bad requests, and valid requests with bytes flipped;
- truncated: a valid request cut short, then a half-close (the service sees end of input);
- oversized: a line or a payload far over the service's limits;
- pipelined: many requests, valid and malformed, in one write, read to the end;
- slow: a valid request trickled one byte per write, whose answer is checked;
- half-close: a request, `shutdown(SHUT_WR)`, and the reply read until the service closes;
- reset: a partial request, then a close with `SO_LINGER` 0 (an RST), and the same while the
  service is writing a large reply;
- abandon: connections opened and closed at once.

UDP services get garbage, truncated, bit-flipped, oversized datagrams and compression loops.
The attacks check nothing but their own I/O; what they expect of the service is that it stays
up, which the probe after them checks, and, for the caller to check, that it logs no sanitizer
report or kernel warning. `flood` opens connections past the session limit.

Every wait is bounded by a socket timeout (`TIMEOUT`); nothing measures time.
"""

from __future__ import annotations

import contextlib
import random
import socket
import struct
from collections.abc import Callable
from dataclasses import dataclass, field

TIMEOUT = 10.0  # seconds: the most any single socket operation waits
READ_LIMIT = 1 << 22  # the most bytes one attack reads back
UDP_TRIES = 3  # a UDP probe is sent this many times before the service is called dead


class ServiceFailed(AssertionError):
    """The service did not answer a valid request correctly after an attack."""


@dataclass(frozen=True)
class Protocol:
    """What the attacks need to know about one service."""

    name: str
    udp: bool
    requests: tuple[bytes, ...]  # valid requests, each complete
    malformed: tuple[bytes, ...]  # hand-picked bad requests
    oversized: tuple[bytes, ...]  # requests far over the service's limits
    probe: Callable[[str, int, random.Random, bool], None]  # a checked valid exchange; the
    # bool asks for a slow sender: the request trickled one byte per write
    large_reply: bytes = b""  # a request whose answer is large (for a reset mid-write)
    notes: tuple[str, ...] = field(default=())


# -- socket helpers ----------------------------------------------------------------------------


def connect(host: str, port: int) -> socket.socket:
    s = socket.create_connection((host, port), timeout=TIMEOUT)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def read_until_closed(s: socket.socket, limit: int = READ_LIMIT) -> bytes:
    """Everything the service sends until it closes (EOF or reset), bounded by `limit` bytes and
    the socket timeout."""
    data = bytearray()
    try:
        while len(data) < limit:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    except (ConnectionResetError, TimeoutError):
        pass
    return bytes(data)


def read_exactly(s: socket.socket, n: int) -> bytes:
    data = bytearray()
    while len(data) < n:
        chunk = s.recv(n - len(data))
        if not chunk:
            break
        data += chunk
    return bytes(data)


def reset(s: socket.socket) -> None:
    """Close with an RST instead of a FIN."""
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()


def half_close(s: socket.socket) -> None:
    """Send a FIN, accepting that the service may have reset the connection already."""
    with contextlib.suppress(OSError):
        s.shutdown(socket.SHUT_WR)


def send_quietly(s: socket.socket, data: bytes) -> None:
    """Send, accepting that the service may close first (it may refuse the bytes)."""
    with contextlib.suppress(BrokenPipeError, ConnectionResetError):
        s.sendall(data)


def send(s: socket.socket, data: bytes, trickle: bool) -> None:
    """Send all of `data`, or with `trickle` one byte per write (a slow sender)."""
    if not trickle:
        s.sendall(data)
        return
    for i in range(len(data)):
        s.sendall(data[i : i + 1])


def exchange(host: str, port: int, request: bytes, want: int, trickle: bool) -> bytes:
    """Send a request and read `want` bytes of answer (fewer if the service closes)."""
    with connect(host, port) as s:
        send(s, request, trickle)
        return read_exactly(s, want)


def expect(got: bytes, want: bytes, what: str) -> None:
    if got != want:
        raise ServiceFailed(f"{what}: expected {want!r}, got {got!r}")


def garbage(rng: random.Random, most: int) -> bytes:
    n = rng.choice((1, rng.randrange(1, 64), rng.randrange(1, most + 1)))
    data = bytearray(rng.randbytes(n))
    for _ in range(rng.randrange(0, 4)):  # some line ends, so line protocols see whole lines
        data[rng.randrange(n)] = 0x0A
    return bytes(data)


def flip(data: bytes, rng: random.Random) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randrange(1, 4)):
        out[rng.randrange(len(out))] ^= 1 << rng.randrange(8)
    return bytes(out)


# -- probes: a valid request and its exact answer ----------------------------------------------


def probe_echo(host: str, port: int, rng: random.Random, trickle: bool = False) -> None:
    msg = b"probe %d\n" % rng.randrange(1 << 30)
    expect(exchange(host, port, msg, len(msg), trickle), msg, "echo")


HELLO = b"HTTP/1.1 200 OK\r\n"


def probe_http(host: str, port: int, rng: random.Random, trickle: bool = False) -> None:
    with connect(host, port) as s:
        send(s, b"GET /hello HTTP/1.1\r\nHost: probe\r\nConnection: close\r\n\r\n", trickle)
        reply = read_until_closed(s)
    if not (reply.startswith(HELLO) and reply.endswith(b"\r\n\r\nHello, world\n")):
        raise ServiceFailed(f"http: GET /hello answered {reply[:300]!r}")


def probe_kv(host: str, port: int, rng: random.Random, trickle: bool = False) -> None:
    key = b"probe%d" % rng.randrange(1 << 30)
    value = rng.randbytes(rng.randrange(1, 300))
    with connect(host, port) as s:
        send(s, b"set %s 7 0 %d\r\n%s\r\n" % (key, len(value), value), trickle)
        expect(read_exactly(s, 8), b"STORED\r\n", "kv set")
        send(s, b"get %s\r\n" % key, trickle)
        want = b"VALUE %s 7 %d\r\n%s\r\nEND\r\n" % (key, len(value), value)
        expect(read_exactly(s, len(want)), want, "kv get")


def probe_ratelimit(host: str, port: int, rng: random.Random, trickle: bool = False) -> None:
    msg = b"HIT probe%d\r\n" % rng.randrange(1 << 30)  # a new key: 4 more hits allowed
    expect(exchange(host, port, msg, 6, trickle), b"OK 4\r\n", "ratelimit")


def dns_query(name: bytes, qtype: int, qid: int) -> bytes:
    labels = b"".join(bytes([len(part)]) + part for part in name.split(b"."))
    return (
        struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0)
        + labels
        + b"\0"
        + struct.pack(">HH", qtype, 1)
    )


def probe_dns(host: str, port: int, rng: random.Random, trickle: bool = False) -> None:
    """(A datagram cannot trickle: `trickle` changes nothing.) UDP may lose a datagram, so
    the query is sent up to `UDP_TRIES` times, as a resolver would."""
    qid = rng.randrange(1 << 16)
    query = dns_query(b"example.test", 1, qid)
    reply = b""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(TIMEOUT / UDP_TRIES)
        for _ in range(UDP_TRIES):
            s.sendto(query, (host, port))
            with contextlib.suppress(TimeoutError):
                reply = s.recv(65536)
                break
        else:
            raise ServiceFailed(f"dns: no reply to {UDP_TRIES} queries for example.test A")
    header = struct.unpack(">HHHHHH", reply[:12]) if len(reply) >= 12 else None
    # the ID copied, QR and AA set, NOERROR, one question, one answer: 192.0.2.1
    if header is None or header[0] != qid or header[1] & 0x840F != 0x8400 or header[3] != 1:
        raise ServiceFailed(f"dns: bad reply {reply!r}")
    if not reply.endswith(bytes([192, 0, 2, 1])):
        raise ServiceFailed(f"dns: the answer is not 192.0.2.1: {reply!r}")


# -- the protocols -----------------------------------------------------------------------------

_GET = b"GET /hello HTTP/1.1\r\nHost: x\r\n\r\n"

PROTOCOLS: dict[str, Protocol] = {
    p.name: p
    for p in (
        Protocol(
            "echo",
            udp=False,
            requests=(b"hello\n", bytes(range(256)), b"\r\n" * 100),
            malformed=(b"\0", b"\xff" * 10),
            oversized=(b"x" * (1 << 20),),
            probe=probe_echo,
            large_reply=b"y" * (1 << 20),
        ),
        Protocol(
            "http",
            udp=False,
            requests=(
                _GET,
                b"GET /4k HTTP/1.1\r\nHost: x\r\n\r\n",
                b"HEAD / HTTP/1.0\r\n\r\n",
                b"GET /nowhere?q=%00 HTTP/1.1\r\nHost: x\r\n\r\n",
            ),
            malformed=(
                b"\r\n\r\n",
                b"GET\r\n\r\n",
                b"GET / HTTP/9.9\r\n\r\n",
                b"GET / HTTP/1.1\r\n: \r\n\r\n",
                b"GET / HTTP/1.1\r\nHost x\r\n\r\n",
                b"POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
                b"GET \x00\xff HTTP/1.1\r\n\r\n",
                b"GET / HTTP/1.1\n\n",
                b" " * 100 + b"\r\n",
            ),
            oversized=(
                b"GET /" + b"a" * 100_000 + b" HTTP/1.1\r\n\r\n",
                b"GET / HTTP/1.1\r\n" + b"X-A: b\r\n" * 5000 + b"\r\n",
                b"GET / HTTP/1.1\r\nX-Big: " + b"v" * 100_000 + b"\r\n\r\n",
            ),
            probe=probe_http,
            large_reply=b"GET /4k HTTP/1.1\r\nHost: x\r\n\r\n" * 200,
        ),
        Protocol(
            "kv",
            udp=False,
            requests=(
                b"set k 0 0 5\r\nhello\r\n",
                b"get k k k\r\n",
                b"incr n 1\r\n",
                b"append k 0 0 1\r\n!\r\n",
                b"delete k\r\n",
                b"version\r\n",
            ),
            malformed=(
                b"set k 0 0 -1\r\n",
                b"set k 0 0 99999999999999999999\r\n",
                b"set k 0 0 3\r\nabcdef\r\n",
                b"set " + b"k" * 300 + b" 0 0 1\r\nx\r\n",
                b"incr k 18446744073709551616\r\n",
                b"cas k 0 0 1 -5\r\nx\r\n",
                b"get\r\n",
                b"\0\0\0\r\n",
                b"touch k abc\r\n",
                b"flush_all -9223372036854775808\r\n",
            ),
            oversized=(
                b"set big 0 0 2000000\r\n" + b"z" * 2_000_000 + b"\r\n",
                b"get " + b"k " * 60_000 + b"\r\n",
                b"x" * 100_000,
            ),
            probe=probe_kv,
            large_reply=b"set big 0 0 60000\r\n" + b"v" * 60_000 + b"\r\n" + b"get big\r\n" * 40,
        ),
        Protocol(
            "ratelimit",
            udp=False,
            requests=(b"HIT alice\r\n", b"STATS\r\n", b"hit Bob\n"),
            malformed=(
                b"HIT\r\n",
                b"HIT a b\r\n",
                b"HIT " + b"k" * 65 + b"\r\n",
                b"\r\n",
                b"STATS x\r\n",
                b"\0\r\n",
            ),
            oversized=(b"HIT " + b"k" * 100_000 + b"\r\n",),
            probe=probe_ratelimit,
            large_reply=b"STATS\r\n" * 5000,
        ),
        Protocol(
            "dns",
            udp=True,
            requests=(
                dns_query(b"example.test", 1, 1),
                dns_query(b"www.example.test", 28, 2),
                dns_query(b"example.test", 255, 3),
                dns_query(b"nope.example.test", 16, 4),
            ),
            malformed=(
                # a compression pointer to itself, to before the header, past the end
                struct.pack(">HHHHHH", 9, 0x0100, 1, 0, 0, 0) + b"\xc0\x0c\0\x01\0\x01",
                struct.pack(">HHHHHH", 9, 0x0100, 1, 0, 0, 0) + b"\xc0\x00\0\x01\0\x01",
                struct.pack(">HHHHHH", 9, 0x0100, 1, 0, 0, 0) + b"\xff\xff",
                struct.pack(">HHHHHH", 9, 0x0100, 65535, 65535, 65535, 65535),
                struct.pack(">HHHHHH", 9, 0x0100, 1, 0, 0, 0) + b"\x3f" + b"a" * 63 * 5,
                struct.pack(">HHHHHH", 9, 0x0100, 1, 0, 0, 0) + b"\x01a" * 200 + b"\0\0\1\0\1",
                struct.pack(">HHHHHH", 9, 0x8100, 1, 0, 0, 0),
                b"\0" * 11,
                b"",
            ),
            oversized=(b"\0" * 513, b"\xff" * 65507),
            probe=probe_dns,
        ),
    )
}


# -- attacks -----------------------------------------------------------------------------------

Attack = Callable[[str, int, Protocol, random.Random], str]


def _tcp_garbage(host: str, port: int, p: Protocol, rng: random.Random) -> str:
    data = garbage(rng, 1 << 16)
    with connect(host, port) as s:
        send_quietly(s, data)
        half_close(s)
        read_until_closed(s)
    return f"garbage ({len(data)} bytes)"


def _tcp_malformed(host: str, port: int, p: Protocol, rng: random.Random) -> str:
    bad = rng.choice(p.malformed) if rng.random() < 0.6 else flip(rng.choice(p.requests), rng)
    with connect(host, port) as s:
        send_quietly(s, bad)
        half_close(s)
        read_until_closed(s)
    return f"malformed {bad[:60]!r}"


def _tcp_truncated(host: str, port: int, p: Protocol, rng: random.Random) -> str:
    request = rng.choice(p.requests)
    cut = request[: rng.randrange(len(request))]
    with connect(host, port) as s:
        send_quietly(s, cut)
        half_close(s)
        read_until_closed(s)
    return f"truncated {cut[:60]!r}"


def _tcp_oversized(host: str, port: int, p: Protocol, rng: random.Random) -> str:
    big = rng.choice(p.oversized)
    with connect(host, port) as s:
        send_quietly(s, big)
        half_close(s)
        read_until_closed(s)
    return f"oversized ({len(big)} bytes)"


def _tcp_pipelined(host: str, port: int, p: Protocol, rng: random.Random) -> str:
    pool = p.requests + p.malformed
    batch = b"".join(rng.choice(pool) for _ in range(rng.randrange(2, 60)))
    with connect(host, port) as s:
        send_quietly(s, batch)
        half_close(s)
        read_until_closed(s)
    return f"pipelined ({len(batch)} bytes)"


def _tcp_slow(host: str, port: int, p: Protocol, rng: random.Random) -> str:
    """A valid request trickled one byte per write must be answered exactly."""
    p.probe(host, port, rng, True)
    return "slow sender (a checked request, one byte per write)"


def _tcp_half_close(host: str, port: int, p: Protocol, rng: random.Random) -> str:
    request = rng.choice(p.requests)
    with connect(host, port) as s:
        s.sendall(request)
        half_close(s)
        read_until_closed(s)
    return "half-close after a request"


def _tcp_reset(host: str, port: int, p: Protocol, rng: random.Random) -> str:
    request = rng.choice(p.requests)
    s = connect(host, port)
    send_quietly(s, request[: rng.randrange(1, len(request) + 1)])
    reset(s)
    if not p.large_reply:
        return "reset mid-request"
    s = connect(host, port)  # reset while the service is writing a large reply
    send_quietly(s, p.large_reply)
    with contextlib.suppress(ConnectionResetError, TimeoutError):
        s.recv(1024)
    reset(s)
    return "reset mid-request and mid-reply"


def _tcp_abandon(host: str, port: int, p: Protocol, rng: random.Random) -> str:
    for _ in range(rng.randrange(1, 20)):
        s = connect(host, port)
        if rng.random() < 0.5:
            reset(s)
        else:
            s.close()
    return "connections abandoned"


TCP_ATTACKS: tuple[Attack, ...] = (
    _tcp_garbage,
    _tcp_malformed,
    _tcp_truncated,
    _tcp_oversized,
    _tcp_pipelined,
    _tcp_slow,
    _tcp_half_close,
    _tcp_reset,
    _tcp_abandon,
)


def _udp_attack(host: str, port: int, p: Protocol, rng: random.Random) -> str:
    datagrams = [
        garbage(rng, 2048),
        rng.choice(p.malformed),
        rng.choice(p.oversized),
        flip(rng.choice(p.requests), rng),
    ]
    request = rng.choice(p.requests)
    datagrams.append(request[: rng.randrange(len(request))])
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        for d in datagrams:
            s.sendto(d, (host, port))
    return f"{len(datagrams)} bad datagrams"


def attack_round(host: str, port: int, p: Protocol, rng: random.Random) -> list[str]:
    """Every attack once, in random order, then a probe; what was done, for a failure report.
    Raises `ServiceFailed` (or an `OSError`, e.g. connection refused) if the service broke."""
    attacks = [_udp_attack] * 4 if p.udp else list(TCP_ATTACKS)
    rng.shuffle(attacks)
    done = [attack(host, port, p, rng) for attack in attacks]
    p.probe(host, port, rng, False)
    return done


# -- a connection flood ------------------------------------------------------------------------


@dataclass
class Flood:
    """Connections held open past the session limit, and what happened to them."""

    served: list[socket.socket]  # got an answer: a session serves them
    refused: int  # closed by the service without an answer

    def close(self) -> None:
        for s in self.served:
            s.close()


def flood(host: str, port: int, p: Protocol, count: int, rng: random.Random) -> Flood:
    """Open `count` connections one after another and send each a valid request; a connection
    that gets its answer is kept open (it holds a session), one that is closed or reset without
    an answer is counted as refused."""
    served: list[socket.socket] = []
    refused = 0
    for _ in range(count):
        s = connect(host, port)
        request = p.requests[0]
        try:
            s.sendall(request)
            answer = s.recv(1)
        except (ConnectionResetError, BrokenPipeError):
            answer = b""
        if answer:
            served.append(s)
        else:
            refused += 1
            s.close()
    return Flood(served, refused)
