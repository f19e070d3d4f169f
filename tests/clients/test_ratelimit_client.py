"""The compiled `ratelimit` example (sanitizer build) against a plain-socket line client.

The limiter's window is one second of the real clock, so these tests never depend on where a
window boundary falls: a burst's counts are checked only as a whole (allowed + refused), and
the one test that waits for a new window polls STATS for it, with a bound.
"""

from __future__ import annotations

import socket
import time

import pytest

from tests.clients.conftest import Start
from tests.runtime.conftest import WAIT, Service, recv_until_closed

LIMIT = 5  # hits per key per window (examples/ratelimit.wyki)


class LineClient:
    def __init__(self, svc: Service) -> None:
        self.sock = svc.connect()
        self.reader = self.sock.makefile("rb")

    def ask(self, line: str) -> str:
        self.sock.sendall(line.encode() + b"\r\n")
        reply = self.reader.readline()
        assert reply.endswith(b"\r\n"), reply
        return reply[:-2].decode()

    def close(self) -> None:
        self.reader.close()
        self.sock.close()


@pytest.fixture
def ratelimit(start: Start) -> Service:
    return start("ratelimit", "--sessions", "16")


def stats_of(reply: str) -> dict[str, int]:
    word, *fields = reply.split()
    assert word == "STATS"
    return {k: int(v) for k, v in (f.split("=") for f in fields)}


def test_hits_are_counted_down_then_limited(ratelimit: Service) -> None:
    c = LineClient(ratelimit)
    before = stats_of(c.ask("STATS"))
    replies = [c.ask("HIT alice") for _ in range(3 * LIMIT)]
    after = stats_of(c.ask("STATS"))
    allowed = [r for r in replies if r.startswith("OK ")]
    # Each allowed hit reports how many are left in its window: LIMIT-1 down to 0.
    assert all(r in {f"OK {n}" for n in range(LIMIT)} or r == "LIMITED" for r in replies)
    windows = after["windows"] - before["windows"] + 1  # windows the burst touched
    assert LIMIT <= len(allowed) <= LIMIT * windows
    assert after["hits"] - before["hits"] == 3 * LIMIT
    assert after["limited"] - before["limited"] == 3 * LIMIT - len(allowed)
    c.close()


def test_a_new_window_forgets_the_counts(ratelimit: Service) -> None:
    c = LineClient(ratelimit)
    while c.ask("HIT bob") != "LIMITED":
        pass
    start = stats_of(c.ask("STATS"))["windows"]
    deadline = time.monotonic() + WAIT
    while stats_of(c.ask("STATS"))["windows"] == start:
        assert time.monotonic() < deadline, "no new window within the wait"
        time.sleep(0.05)
    assert c.ask("HIT bob").startswith("OK ")
    c.close()


def test_sessions_share_the_budget_of_a_key(ratelimit: Service) -> None:
    clients = [LineClient(ratelimit) for _ in range(4)]
    replies = [c.ask("HIT shared-key") for _ in range(LIMIT) for c in clients]
    assert replies.count("LIMITED") > 0  # 4 * LIMIT hits cannot all fit in one key's budget
    for c in clients:
        c.close()


def test_commands_any_case_errors_and_quit(ratelimit: Service) -> None:
    c = LineClient(ratelimit)
    assert c.ask("hit carol").startswith("OK ")
    assert c.ask("Stats").startswith("STATS hits=")
    for bad in ("HIT", "HIT a b", "NOPE", "HIT " + "k" * 65, "STATS now"):
        assert c.ask(bad) == "ERROR", bad
    assert c.ask("HIT " + "k" * 64).startswith("OK ")  # KEY_MAX bytes exactly
    c.sock.sendall(b"QUIT\r\n")
    assert recv_until_closed(c.sock) == b""
    c.close()


def test_an_overlong_line_gets_error_and_a_close(ratelimit: Service) -> None:
    with ratelimit.connect() as s:
        s.sendall(b"HIT " + b"x" * 200)  # no newline within LINE_MAX (128) bytes
        assert recv_until_closed(s) == b"ERROR\r\n"
    with ratelimit.connect() as s:  # and the service still serves
        s.sendall(b"HIT dave\r\n")
        assert s.recv(64).startswith(b"OK ")
    with socket.create_connection(("127.0.0.1", ratelimit.port), timeout=WAIT) as s:
        s.shutdown(socket.SHUT_WR)
        assert recv_until_closed(s) == b""
