"""The example services (hand-written as the compiler will generate them) over real sockets.

Each service runs its sanitizer build on a free port of 127.0.0.1.  Nothing here measures
time: where something must eventually happen, a bounded poll waits for it.
"""

from __future__ import annotations

import re
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path

from tests.runtime.conftest import WAIT, Service, recv_exactly, recv_until_closed

Start = Callable[..., Service]


# ---- command line ----------------------------------------------------------------------


def test_help_and_bad_options(build_dir: Path) -> None:
    ok = subprocess.run(
        [str(build_dir / "echo"), "--help"],
        capture_output=True,
        text=True,
        timeout=WAIT,
        check=False,
    )
    assert ok.returncode == 0
    for option in ("--port", "--workers", "--sessions", "--help"):
        assert option in ok.stdout
    too_many = subprocess.run(
        [str(build_dir / "echo"), "--sessions", "5000"],
        capture_output=True,
        text=True,
        timeout=WAIT,
        check=False,
    )
    assert too_many.returncode == 2
    assert "1..1024" in too_many.stderr


def test_ready_line(service: Start) -> None:
    svc = service("echo", "--workers", "2", "--sessions", "16")
    line = svc.wait_for_line(" ready on ")
    assert f"echo ready on tcp port {svc.port} (2 workers, 16 sessions, arena " in line
    assert re.search(r", arena \d+ MiB in (hugetlb|thp|4k pages), \d+ bytes used\)$", line)


# ---- echo ------------------------------------------------------------------------------


def test_echo_concurrent_clients(service: Start) -> None:
    svc = service("echo", "--workers", "2", "--sessions", "64")
    errors: list[str] = []

    def client(i: int) -> None:
        try:
            with svc.connect() as s:
                for round_ in range(20):
                    msg = f"client {i} round {round_}\n".encode() * (i + 1)
                    s.sendall(msg)
                    if recv_exactly(s, len(msg)) != msg:
                        errors.append(f"client {i}: wrong echo")
        except Exception as e:  # reported below, with the service log
            errors.append(f"client {i}: {e!r}")

    threads = [threading.Thread(target=client, args=(i,)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=WAIT * 3)
    assert not any(t.is_alive() for t in threads)
    assert errors == [], svc.log()
    stats = svc.stats()
    assert stats["accepted"] == 16
    assert stats["refused"] == 0


def test_echo_large_binary_payload_with_backpressure(service: Start) -> None:
    """1 MiB of every byte value, far more than the 8 KiB buffers: NEED_OUTPUT and resume."""
    svc = service("echo", "--workers", "1")
    payload = bytes(range(256)) * 4096
    received = bytearray()
    with svc.connect() as s:

        def send_then_shut() -> None:
            s.sendall(payload)
            s.shutdown(socket.SHUT_WR)

        sender = threading.Thread(target=send_then_shut)
        sender.start()
        received += recv_until_closed(s, limit=len(payload) + 1)
        sender.join(timeout=WAIT)
    assert bytes(received) == payload


def test_echo_close_when_client_shuts_down(service: Start) -> None:
    svc = service("echo", "--workers", "1")
    with svc.connect() as s:
        s.sendall(b"last words")
        s.shutdown(socket.SHUT_WR)
        assert recv_until_closed(s) == b"last words"


# ---- kvlite ----------------------------------------------------------------------------


def test_kvlite_set_get(service: Start) -> None:
    svc = service("kvlite", "--workers", "2")
    with svc.connect() as s:
        s.sendall(b"SET greeting hello\r\n")
        assert recv_exactly(s, 4) == b"OK\r\n"
        s.sendall(b"GET greeting\r\n")
        assert recv_exactly(s, 7) == b"hello\r\n"
        s.sendall(b"GET nothing\n")  # a bare \n ends a line too
        assert recv_exactly(s, 6) == b"NONE\r\n"
    with svc.connect() as other:  # the table is shared by every session (and worker)
        other.sendall(b"GET greeting\r\n")
        assert recv_exactly(other, 7) == b"hello\r\n"


def test_kvlite_pipelined_requests_answered_in_one_batch(service: Start) -> None:
    svc = service("kvlite", "--workers", "1")
    n = 100
    sets = b"".join(b"SET k%d v%d\r\n" % (i, i) for i in range(n))
    gets = b"".join(b"GET k%d\r\n" % i for i in range(n)) + b"GET missing\r\n"
    expected = b"".join(b"v%d\r\n" % i for i in range(n)) + b"NONE\r\n"
    with svc.connect() as s:
        s.sendall(sets)
        assert recv_exactly(s, 4 * n) == b"OK\r\n" * n
        before = svc.stats()["writes"]
        s.sendall(gets)  # about 1 KiB: one segment on loopback
        assert recv_exactly(s, len(expected)) == expected
        after = svc.stats()["writes"]
    # 101 replies; answered one write per batch of input, not one per request.
    assert 1 <= after - before <= 3, svc.log()


def test_kvlite_malformed_input_ends_only_that_session(service: Start) -> None:
    svc = service("kvlite", "--workers", "2")
    with svc.connect() as good:
        good.sendall(b"SET a 1\r\n")
        assert recv_exactly(good, 4) == b"OK\r\n"

        with svc.connect() as bad:  # unknown command: ERROR, then close
            bad.sendall(b"HELLO there\r\n")
            assert recv_until_closed(bad) == b"ERROR\r\n"
        with svc.connect() as bad:  # a key over 64 bytes: fault bounds, close
            bad.sendall(b"GET " + b"k" * 100 + b"\r\n")
            assert recv_until_closed(bad) == b""
        with svc.connect() as bad:  # no line end within 512 bytes: recv_line gives none
            bad.sendall(b"x" * 5000)
            assert recv_until_closed(bad) == b""

        good.sendall(b"GET a\r\n")  # the other session never noticed
        assert recv_exactly(good, 3) == b"1\r\n"
    stats = svc.stats()
    assert stats["fault_bounds"] == 1
    assert "session fault: bounds" in svc.log()


# ---- the session limit and shutdown ------------------------------------------------------


def echo_once(s: socket.socket, msg: bytes = b"ping") -> bool:
    try:
        s.sendall(msg)
        return recv_exactly(s, len(msg)) == msg
    except (OSError, AssertionError):
        return False


def test_session_limit_refuses_cleanly_and_keeps_serving(service: Start) -> None:
    svc = service("echo", "--workers", "2", "--sessions", "2")
    first, second = svc.connect(), svc.connect()
    try:
        assert echo_once(first) and echo_once(second)  # both are live sessions now
        for _ in range(3):  # past the limit: accepted, then closed at once
            with svc.connect() as extra:
                extra.sendall(b"anyone?")
                assert recv_until_closed(extra) == b""
        assert echo_once(first, b"still here") and echo_once(second, b"me too")
        first.close()
        # The freed session is reusable once the service has seen the close.
        deadline = time.monotonic() + WAIT
        while True:
            with svc.connect() as again:
                if echo_once(again, b"room now"):
                    break
            assert time.monotonic() < deadline, svc.log()
            time.sleep(0.05)
    finally:
        first.close()
        second.close()
    stats = svc.stats()
    assert stats["refused"] >= 3
    assert stats["accepted"] >= 3


def test_sigterm_shuts_down_cleanly_with_open_sessions(service: Start) -> None:
    svc = service("kvlite", "--workers", "2", "--sessions", "8")
    clients = [svc.connect() for _ in range(3)]
    try:
        for c in clients:
            c.sendall(b"SET x y\r\n")
            assert recv_exactly(c, 4) == b"OK\r\n"
        assert svc.stop() == 0, svc.log()
        for c in clients:  # every session was closed
            assert recv_until_closed(c) == b""
    finally:
        for c in clients:
            c.close()
    assert "stats (final)" in svc.log()
    assert "kvlite stopped" in svc.log()
    assert "ERROR: AddressSanitizer" not in svc.log()
    assert "runtime error" not in svc.log()  # UBSan


def test_sigint_also_stops(service: Start) -> None:
    svc = service("echo", "--workers", "1")
    svc.proc.send_signal(signal.SIGINT)
    assert svc.stop() == 0


# ---- UDP and timers --------------------------------------------------------------------


def test_udp_datagrams_timer_and_drops(service: Start) -> None:
    svc = service("udpecho", "--workers", "2", udp=True)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(WAIT)
        addr = ("127.0.0.1", svc.port)
        for msg in (b"hello", b"\x00\xff binary", b"x" * 512):
            s.sendto(msg, addr)
            assert s.recvfrom(2048)[0] == msg
        s.sendto(b"y" * 513, addr)  # over `bytes[512]`: dropped and counted
        s.sendto(b"after", addr)
        assert s.recvfrom(2048)[0] == b"after"
        # The `every 10 ms` timer runs on worker 0: its counter eventually moves.
        deadline = time.monotonic() + WAIT
        while True:
            s.sendto(b"TICKS", addr)
            if int(s.recvfrom(64)[0]) > 0:
                break
            assert time.monotonic() < deadline
            time.sleep(0.05)
    stats = svc.stats()
    assert stats["drops"] == 1
    assert stats["datagrams"] >= 5
    assert stats["timer_runs"] >= 1
    assert svc.stop() == 0
