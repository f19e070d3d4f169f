"""`nanowyki build`: WYKI programs compiled to C, linked with the userspace runtime, serving real
clients over sockets; and the command's errors.

The services are sanitizer builds (--debug) on free ports of 127.0.0.1.  Every wait is bounded
(socket timeouts, subprocess timeouts, the fixtures' bounded polls); nothing measures time.
"""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from nanowyki.cli import main
from tests.runtime.conftest import (
    WAIT,
    Service,
    assert_stops_cleanly,
    recv_exactly,
    recv_until_closed,
)

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
BUILD_TIMEOUT = 600

Start = Callable[[str], Service]

needs_gcc = pytest.mark.skipif(
    subprocess.run(["sh", "-c", "command -v cc"], capture_output=True).returncode != 0,
    reason="needs a C compiler (cc)",
)


def nanowyki(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "nanowyki", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=BUILD_TIMEOUT,
        check=False,
    )


@pytest.fixture(scope="module")
def binaries(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """examples/echo.wyki and examples/http.wyki, built with --debug (the sanitizers)."""
    out = tmp_path_factory.mktemp("build")
    built = {}
    for name in ("echo", "http"):
        binary = out / name
        done = nanowyki("build", str(EXAMPLES / f"{name}.wyki"), "-o", str(binary), "--debug")
        assert done.returncode == 0, done.stderr
        assert done.stdout == ""
        built[name] = binary
    return built


@pytest.fixture
def start(binaries: dict[str, Path]) -> Iterator[Start]:
    started: list[Service] = []

    def run(name: str) -> Service:
        svc = Service(binaries[name], "--workers", "2", "--sessions", "16")
        started.append(svc)
        return svc

    yield run
    for svc in started:
        if svc.proc.poll() is None:
            svc.stop()


def stop_cleanly(svc: Service) -> None:
    """SIGTERM: exit status 0 and no sanitizer report."""
    assert "stopped" in assert_stops_cleanly(svc)


# ---- echo ------------------------------------------------------------------------------------


@needs_gcc
def test_echo_sends_every_byte_back(start: Start) -> None:
    svc = start("echo")
    with svc.connect() as s:
        for msg in (b"hello\n", b"\x00\x01\xff binary \r\n no newline", bytes(range(256)) * 40):
            s.sendall(msg)
            assert recv_exactly(s, len(msg)) == msg
    stop_cleanly(svc)


@needs_gcc
def test_echo_shutdown_sends_the_rest_and_closes(start: Start) -> None:
    svc = start("echo")
    msg = b"last words" * 1000  # more than one recv(CHUNK) of 4096 bytes
    with svc.connect() as s:
        s.sendall(msg)
        s.shutdown(socket.SHUT_WR)
        assert recv_until_closed(s) == msg
    stop_cleanly(svc)


@needs_gcc
def test_echo_two_clients_at_once(start: Start) -> None:
    svc = start("echo")
    with svc.connect() as a, svc.connect() as b:
        a.sendall(b"from a")
        b.sendall(b"from b")
        assert recv_exactly(b, 6) == b"from b"
        assert recv_exactly(a, 6) == b"from a"
    stop_cleanly(svc)


# ---- http ------------------------------------------------------------------------------------


def get(conn: http.client.HTTPConnection, path: str) -> tuple[int, bytes, dict[str, str]]:
    conn.request("GET", path)
    r = conn.getresponse()
    return r.status, r.read(), dict(r.getheaders())


@needs_gcc
def test_http_hello_and_keep_alive(start: Start) -> None:
    svc = start("http")
    conn = http.client.HTTPConnection("127.0.0.1", svc.port, timeout=WAIT)
    try:
        status, body, headers = get(conn, "/hello")
        assert (status, body) == (200, b"Hello, world\n")
        assert headers["Content-Type"] == "text/plain"
        assert headers["Content-Length"] == "13"
        assert headers["Connection"] == "keep-alive"
        first_socket = conn.sock
        status, body, _ = get(conn, "/hello")  # the same connection
        assert (status, body) == (200, b"Hello, world\n")
        assert conn.sock is first_socket
        status, body, _ = get(conn, "/nowhere")  # 404 keeps the connection too
        assert (status, body) == (404, b"404 Not Found\n")
        assert conn.sock is first_socket
    finally:
        conn.close()
    stop_cleanly(svc)


@needs_gcc
def test_http_request_in_pieces_and_pipelined(start: Start) -> None:
    svc = start("http")
    request = b"GET /hello HTTP/1.1\r\nHost: x\r\n\r\n"
    with svc.connect() as s:
        for i in range(len(request)):  # one byte at a time: recv_line waits for whole lines
            s.sendall(request[i : i + 1])
        s.sendall(request + b"GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        replies = recv_until_closed(s)
    assert replies.count(b"HTTP/1.1 200 OK\r\n") == 3
    assert replies.count(b"\r\n\r\nHello, world\n") == 3
    assert replies.endswith(b"Connection: close\r\n\r\nHello, world\n")
    stop_cleanly(svc)


@needs_gcc
def test_http_errors_close(start: Start) -> None:
    svc = start("http")
    with svc.connect() as s:  # a request line longer than LINE_MAX (8192): 414, then close
        s.sendall(b"GET /" + b"a" * 9000)
        assert recv_until_closed(s).startswith(b"HTTP/1.1 414 URI Too Long\r\n")
    with svc.connect() as s:
        s.sendall(b"POST / HTTP/1.1\r\n\r\n")
        assert recv_until_closed(s).startswith(b"HTTP/1.1 501 Not Implemented\r\n")
    with svc.connect() as s:  # end of input before any byte: closed without a reply
        s.shutdown(socket.SHUT_WR)
        assert recv_until_closed(s) == b""
    with svc.connect() as s:
        # End of input inside a line: recv_line gives none and leaves "GET /hel" unread;
        # http.wyki reads it, finds the input ended (peer_closed()), and answers 400, as the
        # reference interpreter does (tests/transcripts/http/incomplete.tr).
        s.sendall(b"GET /hel")
        s.shutdown(socket.SHUT_WR)
        assert recv_until_closed(s).startswith(b"HTTP/1.1 400 Bad Request\r\n")
    stop_cleanly(svc)


# ---- the command's errors --------------------------------------------------------------------


def test_no_compiler_is_one_line_exit_2(tmp_path: Path) -> None:
    env = dict(os.environ, CC="/no/such/compiler-cc")
    done = nanowyki("build", str(EXAMPLES / "echo.wyki"), "-o", str(tmp_path / "e"), env=env)
    assert done.returncode == 2
    assert done.stderr == (
        "nanowyki: error: no C compiler: '/no/such/compiler-cc' was not found (set CC)\n"
    )
    assert not (tmp_path / "e").exists()


@needs_gcc
def test_bad_cflags_is_one_line_exit_2(tmp_path: Path) -> None:
    done = nanowyki(
        "build", str(EXAMPLES / "echo.wyki"), "-o", str(tmp_path / "e"), "--cflags=-fno-such-flag"
    )
    assert done.returncode == 2
    assert done.stderr.startswith("nanowyki: error: ")
    assert "-fno-such-flag" in done.stderr
    assert done.stderr.count("\n") == 1


def test_missing_output_directory_is_exit_2(tmp_path: Path) -> None:
    done = nanowyki("build", str(EXAMPLES / "echo.wyki"), "-o", str(tmp_path / "no" / "e"))
    assert done.returncode == 2
    assert done.stderr.startswith("nanowyki: error: cannot write ")
    assert done.stderr.count("\n") == 1


def test_missing_source_is_exit_2(tmp_path: Path) -> None:
    done = nanowyki("build", str(tmp_path / "none.wyki"), "-o", str(tmp_path / "e"))
    assert done.returncode == 2
    assert "no such file" in done.stderr


def test_rejected_program_is_exit_1_and_builds_nothing(tmp_path: Path) -> None:
    bad = tmp_path / "bad.wyki"
    bad.write_text("service s { listen tcp 7; session { let x = y; } }\n")
    done = nanowyki("build", str(bad), "-o", str(tmp_path / "e"))
    assert done.returncode == 1
    assert "error" in done.stderr
    assert not (tmp_path / "e").exists()


@needs_gcc
def test_generated_c_that_does_not_compile_is_exit_3(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import nanowyki.emit_c

    monkeypatch.setattr(nanowyki.emit_c, "emit_c", lambda unit, **_: "int broken = ;\n")
    rc = main(["build", str(EXAMPLES / "echo.wyki"), "-o", str(tmp_path / "e")])
    err = capsys.readouterr().err
    assert rc == 3
    assert err.startswith("nanowyki: internal compiler error: the generated C does not compile")
    assert "error:" in err.split("\n", 1)[1]  # the C compiler's own message follows
    assert not (tmp_path / "e").exists()


@needs_gcc
def test_build_dir_keeps_the_generated_c(tmp_path: Path) -> None:
    done = nanowyki(
        "build",
        str(EXAMPLES / "echo.wyki"),
        "-o",
        str(tmp_path / "e"),
        "--build-dir",
        str(tmp_path / "b"),
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "b" / "echo.c").read_text().startswith("/* echo: generated by nanowyki")
    assert os.access(tmp_path / "e", os.X_OK)
