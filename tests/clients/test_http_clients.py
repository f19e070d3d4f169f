"""The compiled `http` example (sanitizer build) against real clients: curl, and Python's
http.client for keep-alive, HEAD, 404, pipelining, request bodies and requests split byte by
byte.

The expected bodies are the files examples/http.wyki embeds, read from examples/www/.
"""

from __future__ import annotations

import http.client
import io
import select
import socket
import subprocess
import threading

import pytest

from tests.clients.conftest import EXAMPLES, Start, require_tool
from tests.runtime.conftest import WAIT, Service, recv_until_closed

WWW = EXAMPLES / "www"
PAGES = {  # path -> (Content-Type, body)
    "/": ("text/html; charset=utf-8", (WWW / "index.html").read_bytes()),
    "/index.html": ("text/html; charset=utf-8", (WWW / "index.html").read_bytes()),
    "/about": ("text/html; charset=utf-8", (WWW / "about.html").read_bytes()),
    "/style.css": ("text/css", (WWW / "style.css").read_bytes()),
    "/logo.png": ("image/png", (WWW / "logo.png").read_bytes()),
    "/hello": ("text/plain", b"Hello, world\n"),
    "/4k": ("text/plain", (WWW / "4k.txt").read_bytes()),
}
NOT_FOUND = b"404 Not Found\n"


@pytest.fixture
def http_svc(start: Start) -> Service:
    return start("http", "--sessions", "32")


# ---- curl ------------------------------------------------------------------------------------


def curl(*args: str) -> subprocess.CompletedProcess[bytes]:
    argv = [require_tool("curl", "curl"), "--silent", "--show-error", "--max-time", str(WAIT)]
    done = subprocess.run([*argv, *args], capture_output=True, timeout=2 * WAIT, check=False)
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    return done


def url(svc: Service, path: str) -> str:
    return f"http://127.0.0.1:{svc.port}{path}"


def test_curl_gets_every_page(http_svc: Service) -> None:
    for path, (ctype, body) in PAGES.items():
        done = curl(
            "--write-out", "%{http_code} %{content_type}", "--output", "-", url(http_svc, path)
        )
        assert done.stdout == body + f"200 {ctype}".encode(), path


def test_curl_head_has_the_headers_and_no_body(http_svc: Service) -> None:
    done = curl("--head", url(http_svc, "/logo.png"))
    head = done.stdout.decode()
    assert head.startswith("HTTP/1.1 200 OK\r\n")
    assert "\r\nContent-Type: image/png\r\n" in head
    assert f"\r\nContent-Length: {len(PAGES['/logo.png'][1])}\r\n" in head
    assert head.endswith("\r\nConnection: keep-alive\r\n\r\n")  # and not one byte of body


def test_curl_not_found_and_query_string(http_svc: Service) -> None:
    done = curl("--write-out", " %{http_code}", url(http_svc, "/nowhere"))
    assert done.stdout == NOT_FOUND + b" 404"
    done = curl("--write-out", " %{http_code}", url(http_svc, "/hello?name=x&y=%20"))
    assert done.stdout == b"Hello, world\n 200"


def test_curl_reuses_one_connection_for_several_urls(http_svc: Service) -> None:
    # num_connects: the connections curl had to open for each transfer (0: it reused one).
    paths = ("/hello", "/4k", "/nowhere", "/about", "/hello")  # a 404 keeps the connection too
    args = [arg for p in paths for arg in ("--output", "/dev/null", url(http_svc, p))]
    done = curl("--write-out", "%{http_code}:%{num_connects}\n", *args)
    assert done.stdout.decode().split() == ["200:1", "200:0", "404:0", "200:0", "200:0"]
    assert http_svc.stats()["accepted"] == 1


def test_curl_http10_closes_unless_asked_to_keep_alive(http_svc: Service) -> None:
    twice = ["--output", "/dev/null", url(http_svc, "/hello")] * 2
    done = curl("--http1.0", "--write-out", "%{num_connects}\n", *twice)
    assert done.stdout.split() == [b"1", b"1"]
    done = curl(
        "--http1.0",
        "--header",
        "Connection: keep-alive",
        "--write-out",
        "%{num_connects}\n",
        *twice,
    )
    assert done.stdout.split() == [b"1", b"0"]
    done = curl("--http1.0", "--include", url(http_svc, "/hello"))
    assert b"\r\nConnection: close\r\n\r\nHello, world\n" in done.stdout


def test_curl_body_waits_for_100_continue(http_svc: Service) -> None:
    # curl waits --expect100-timeout for "100 Continue" before it sends the body: longer than
    # --max-time, so a service that never sends it fails the transfer.
    twice = ["--output", "-", url(http_svc, "/hello")] * 2
    done = curl(
        "--request", "GET", "--data-binary", "hello", "--header", "Expect: 100-continue",
        "--expect100-timeout", str(3 * WAIT), "--write-out", " %{http_code}:%{num_connects}",
        *twice,
    )  # fmt: skip
    assert done.stdout == b"Hello, world\n 200:1Hello, world\n 200:0"


def test_curl_absolute_form_target(http_svc: Service) -> None:
    target = "http://elsewhere.example/hello?x=1"
    done = curl("--request-target", target, "--write-out", " %{http_code}", url(http_svc, "/"))
    assert done.stdout == b"Hello, world\n 200"


# ---- http.client -----------------------------------------------------------------------------


def connection(svc: Service) -> http.client.HTTPConnection:
    return http.client.HTTPConnection("127.0.0.1", svc.port, timeout=WAIT)


def test_http_client_keeps_one_connection_for_every_page(http_svc: Service) -> None:
    conn = connection(http_svc)
    try:
        conn.connect()
        first = conn.sock
        for path, (ctype, body) in [*PAGES.items(), ("/nowhere", ("text/plain", NOT_FOUND))]:
            conn.request("GET", path)
            r = conn.getresponse()
            assert (r.status, r.getheader("Content-Type"), r.read()) == (
                404 if path == "/nowhere" else 200,
                ctype,
                body,
            ), path
            assert r.getheader("Connection") == "keep-alive"
            assert r.getheader("Server") == "nanowyki"
            assert conn.sock is first
    finally:
        conn.close()


def test_http_client_bodies_are_skipped(http_svc: Service) -> None:
    conn = connection(http_svc)
    try:
        for body in (b"hello", b"GET /4k HTTP/1.1\r\nHost: x\r\n\r\n", b"", b"x" * 65536):
            conn.request("GET", "/hello", body=body)  # with Content-Length: len(body)
            r = conn.getresponse()
            assert (r.status, r.read()) == (200, b"Hello, world\n")
    finally:
        conn.close()


def test_http_client_head_then_get_on_one_connection(http_svc: Service) -> None:
    conn = connection(http_svc)
    try:
        for method in ("HEAD", "GET", "HEAD", "HEAD", "GET"):
            conn.request(method, "/4k")
            r = conn.getresponse()
            assert r.status == 200
            assert r.getheader("Content-Length") == "4096"
            assert r.read() == (PAGES["/4k"][1] if method == "GET" else b"")
        conn.request("HEAD", "/nowhere")
        r = conn.getresponse()
        assert (r.status, r.getheader("Content-Length"), r.read()) == (404, "14", b"")
    finally:
        conn.close()


class _KeepOpen(io.BufferedReader):
    """A socket's reader that HTTPResponse cannot close, so responses can follow each other."""

    def close(self) -> None:
        pass


Reply = tuple[http.client.HTTPResponse, bytes]  # a response and its whole body


def read_responses(s: socket.socket, methods: list[str]) -> list[Reply]:
    """The responses to requests with these methods, parsed one after another from s."""
    reader = _KeepOpen(socket.SocketIO(s, "rb"))

    class Shared:  # what HTTPResponse needs of a socket: the one reader for every response
        def makefile(self, *_args: object, **_kwargs: object) -> _KeepOpen:
            return reader

    replies = []
    for method in methods:
        r = http.client.HTTPResponse(Shared(), method=method)
        r.begin()
        replies.append((r, r.read()))
    return replies


def test_pipelined_requests_are_answered_in_order(http_svc: Service) -> None:
    requests = [("GET", "/hello"), ("GET", "/4k"), ("HEAD", "/about"), ("GET", "/nowhere")] * 10
    requests.append(("GET", "/logo.png"))
    wire = b"".join(f"{m} {p} HTTP/1.1\r\nHost: x\r\n\r\n".encode() for m, p in requests)
    with http_svc.connect() as s:
        s.sendall(wire)  # every request in one write
        replies = read_responses(s, [m for m, _ in requests])
        for (method, path), (r, got) in zip(requests, replies, strict=True):
            ctype, body = PAGES.get(path, ("text/plain", NOT_FOUND))
            assert r.status == (200 if path in PAGES else 404)
            assert r.getheader("Content-Type") == ctype
            assert r.getheader("Content-Length") == str(len(body))
            assert got == (body if method == "GET" else b"")
        s.sendall(b"GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        ((last, got),) = read_responses(s, ["GET"])
        assert (last.getheader("Connection"), got) == ("close", b"Hello, world\n")
        assert recv_until_closed(s) == b""


def nothing_to_read(s: socket.socket) -> bool:
    readable, _, _ = select.select([s], [], [], 0.05)
    return not readable


def test_request_split_byte_by_byte(http_svc: Service) -> None:
    request = b"GET /about?q=1 HTTP/1.1\r\nHost: localhost\r\nAccept: */*\r\n\r\n"
    with http_svc.connect() as s:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # one segment per byte
        for i in range(len(request)):
            s.sendall(request[i : i + 1])
            if i < len(request) - 1:
                assert nothing_to_read(s), f"a reply before the request ended (byte {i})"
        ((r, got),) = read_responses(s, ["GET"])
        assert (r.status, got) == (200, PAGES["/about"][1])


GET_HELLO = b"GET /hello HTTP/1.1\r\nHost: x\r\n"  # the header section goes on


def test_bad_requests_get_their_error_and_a_close(http_svc: Service) -> None:
    cases = {
        b"BREW /pot HTTP/1.1\r\nHost: x\r\n\r\n": 501,
        b"GET /hello HTTP/1.1\r\n\r\n": 400,  # HTTP/1.1 without Host
        b"GET ftp://x/hello HTTP/1.1\r\nHost: x\r\n\r\n": 400,  # a scheme other than http
        b"GET /hello HTTP/1.1\r\nHost: x\r\n" + b"X: y\r\n" * 101 + b"\r\n": 431,
        GET_HELLO + b"Content-Length: 5, 5\r\n\r\n": 400,
        GET_HELLO + b"Transfer-Encoding: chunked\r\n\r\n": 501,
        GET_HELLO + b"Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n": 400,
        GET_HELLO + b"Content-Length: 65537\r\n\r\n": 413,
    }
    cut_short = [b"GET / HTT", GET_HELLO + b"Content-Length: 5\r\n\r\nhel"]
    for wire, status in [*cases.items(), *((wire, 400) for wire in cut_short)]:
        with http_svc.connect() as s:
            s.sendall(wire)
            if wire in cut_short:
                s.shutdown(socket.SHUT_WR)  # the input ends inside the request
            ((r, _),) = read_responses(s, ["GET"])
            assert (r.status, r.getheader("Connection")) == (status, "close")
            assert recv_until_closed(s) == b""
    conn = connection(http_svc)  # and the service still serves
    conn.request("GET", "/hello")
    assert conn.getresponse().read() == b"Hello, world\n"
    conn.close()


def test_a_client_that_reads_only_after_sending_everything(http_svc: Service) -> None:
    # 500 pipelined GETs of /4k: 15 KB of requests, which the sockets' buffers take at once,
    # and 2 MB of replies, far more than the transmit buffer and the sockets hold.  The service
    # must stop reading while nobody reads its replies, wait for room, and resume, in order.
    count = 500
    wire = b"GET /4k HTTP/1.1\r\nHost: x\r\n\r\n" * count
    wire += b"GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    with http_svc.connect() as s:
        sender = threading.Thread(target=s.sendall, args=(wire,))
        sender.start()  # a thread, so that a service that never reads fails instead of hanging
        sender.join(timeout=WAIT)
        assert not sender.is_alive(), "the requests did not fit in the sockets' buffers"
        replies = recv_until_closed(s, limit=1 << 30)
    body = PAGES["/4k"][1]
    assert replies.count(b"HTTP/1.1 200 OK\r\n") == count + 1
    assert replies.count(b"\r\n\r\n" + body) == count
    assert replies.endswith(b"Connection: close\r\n\r\nHello, world\n")
