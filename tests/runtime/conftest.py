"""Fixtures for the C runtime's tests: build it once per session, run services on free ports.

Every wait is bounded: sockets have timeouts, subprocesses have timeouts, and polling loops
have a deadline, so a broken runtime fails a test instead of hanging it.  No test asserts
anything about speed.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

RUNTIME = Path(__file__).resolve().parents[2] / "runtime_c"
BUILD_TIMEOUT = 300
WAIT = 10.0  # seconds: the most any single wait in these tests may take


def have_toolchain() -> bool:
    return shutil.which("make") is not None and shutil.which("gcc") is not None


requires_toolchain = pytest.mark.skipif(not have_toolchain(), reason="needs make and gcc")


def make(out: Path, *targets: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["make", "-C", str(RUNTIME), f"O={out}", *targets],
        capture_output=True,
        text=True,
        timeout=BUILD_TIMEOUT,
        check=False,
    )


@pytest.fixture(scope="session")
def build_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example services, built with the sanitizers (the debug variant)."""
    if not have_toolchain():
        pytest.skip("needs make and gcc")
    out = tmp_path_factory.mktemp("runtime_build")
    result = make(out, "debug")
    assert result.returncode == 0, result.stdout + result.stderr
    return out / "debug"


def free_port(kind: int = socket.SOCK_STREAM) -> int:
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Service:
    """A running example service; stderr is collected line by line on a thread."""

    def __init__(self, binary: Path, *args: str, udp: bool = False) -> None:
        self.port = free_port(socket.SOCK_DGRAM if udp else socket.SOCK_STREAM)
        env = dict(
            os.environ,
            ASAN_OPTIONS="abort_on_error=0:exitcode=97",
            UBSAN_OPTIONS="halt_on_error=1:exitcode=98:print_stacktrace=1",
        )
        self.proc = subprocess.Popen(
            [str(binary), "--port", str(self.port), *args],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        self.lines: list[str] = []
        self._cond = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.wait_for_line(" ready on ")

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            with self._cond:
                self.lines.append(line.rstrip("\n"))
                self._cond.notify_all()
        with self._cond:
            self._cond.notify_all()

    def wait_for_line(self, fragment: str, after: int = 0) -> str:
        """The first stderr line at index >= after containing fragment (bounded wait)."""
        deadline = time.monotonic() + WAIT
        with self._cond:
            while True:
                for line in self.lines[after:]:
                    if fragment in line:
                        return line
                left = deadline - time.monotonic()
                if left <= 0 or (self.proc.poll() is not None and not self._reader.is_alive()):
                    raise AssertionError(f"no line with {fragment!r} in:\n" + self.log())
                self._cond.wait(min(left, 0.2))

    def stats(self) -> dict[str, int]:
        """Ask for statistics with SIGUSR1 and parse the line printed."""
        with self._cond:
            mark = len(self.lines)
        self.proc.send_signal(signal.SIGUSR1)
        line = self.wait_for_line("stats (SIGUSR1)", after=mark)
        return parse_stats(line)

    def stop(self) -> int:
        """SIGTERM, then the exit status (bounded wait; kill as a last resort)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout=WAIT)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=WAIT)
            raise AssertionError("service did not stop on SIGTERM:\n" + self.log()) from None
        self._reader.join(timeout=WAIT)
        return rc

    def log(self) -> str:
        with self._cond:
            return "\n".join(self.lines)

    def connect(self) -> socket.socket:
        return socket.create_connection(("127.0.0.1", self.port), timeout=WAIT)


SANITIZER_MARKS = ("Sanitizer", "runtime error:", "LeakSanitizer")


def assert_stops_cleanly(svc: Service) -> str:
    """SIGTERM: exit status 0 and no sanitizer report in the log, which is returned."""
    rc = svc.stop()
    log = svc.log()
    assert rc == 0, log
    assert not any(mark in log for mark in SANITIZER_MARKS), log
    return log


def parse_stats(line: str) -> dict[str, int]:
    fields = (word.split("=", 1) for word in line.split() if "=" in word)
    return {k: int(v) for k, v in fields}


@pytest.fixture
def service(build_dir: Path) -> Iterator[Callable[..., Service]]:
    """Start services with service(name, *args); every one is stopped at the end."""
    started: list[Service] = []

    def start(name: str, *args: str, udp: bool = False) -> Service:
        svc = Service(build_dir / name, *args, udp=udp)
        started.append(svc)
        return svc

    yield start
    for svc in started:
        if svc.proc.poll() is None:
            svc.stop()


def recv_exactly(s: socket.socket, n: int) -> bytes:
    """n bytes from s (the socket's timeout bounds every recv); fails on early EOF."""
    data = bytearray()
    while len(data) < n:
        chunk = s.recv(min(65536, n - len(data)))
        assert chunk, f"EOF after {len(data)} of {n} bytes"
        data += chunk
    return bytes(data)


def recv_until_closed(s: socket.socket, limit: int = 1 << 20) -> bytes:
    """Everything until the peer closes (EOF or reset); bounded by the timeout and limit."""
    data = bytearray()
    try:
        while len(data) < limit:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    except ConnectionResetError:
        pass
    return bytes(data)
