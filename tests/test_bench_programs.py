"""bench/'s programs still work: the hand-written servers answer byte for byte as the generated
services do, mcload tells right replies from wrong ones, nginx's benchmark config serves
http.wyki's bytes, and wrk's pipelining script runs.

Functional only: no test looks at a rate.  The load runs last a fraction of a second; every
wait is bounded.  Tools the benchmark needs (make, gcc, nginx, wrk) skip a test when missing,
naming the Debian package, and fail it when CI is set (.ci/run installs them).
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from xml.dom import minidom

import pytest

from bench import report
from bench.loads import Measurement
from bench.servers import nginx_config
from tests.runtime.conftest import WAIT, Service, free_port, recv_until_closed

ROOT = Path(__file__).resolve().parent.parent
FOUR_K = ROOT / "examples" / "www" / "4k.txt"
TIMEOUT = 300


def require(tool: str, package: str) -> None:
    if shutil.which(tool) is None:
        message = f"needs {tool}: apt-get install {package}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """bench/'s C programs (make -C bench) and http.wyki and kv.wyki (release builds)."""
    require("make", "make")
    require("cc", "gcc")
    out = tmp_path_factory.mktemp("bench")
    done = subprocess.run(
        ["make", "-s", "-C", str(ROOT / "bench"), f"O={out}"],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    for example in ("http", "kv"):
        argv = [sys.executable, "-m", "nanowyki", "build", f"examples/{example}.wyki"]
        done = subprocess.run(
            [*argv, "-o", str(out / example)],
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=TIMEOUT,
            check=False,
        )
        assert done.returncode == 0, done.stderr
    return {p.name: p for p in out.iterdir()}


@pytest.fixture
def servers() -> Iterator[list[Service]]:
    started: list[Service] = []
    yield started
    for svc in started:
        svc.stop()


def talk(port: int, request: bytes) -> bytes:
    """What the server sends back to request before it closes or falls silent for a second."""
    with socket.create_connection(("127.0.0.1", port), timeout=WAIT) as s:
        s.sendall(request)
        s.settimeout(1.0)
        try:
            return recv_until_closed(s)
        except TimeoutError:
            return b"<silent>"


def without_dates(replies: bytes) -> bytes:
    """Date headers blanked, so that replies sent a second apart compare equal."""
    return re.sub(rb"\r\nDate: [^\r]*", b"\r\nDate: -", replies)


HTTP_REQUESTS = [
    b"GET /hello HTTP/1.1\r\nHost: x\r\n\r\nGET /4k?q=1 HTTP/1.1\r\nHost: x\r\n\r\n"
    b"GET /nowhere HTTP/1.1\r\nHost: x\r\n\r\nHEAD /hello HTTP/1.0\r\nConnection: keep-alive\r\n"
    b"\r\n\r\nGET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    b"GET /hello HTTP/1.0\r\n\r\n",
    b"POST / HTTP/1.1\r\n\r\n",
    b"GET /hello HTTP/1.1\r\n\r\n",  # no Host
    b"GET / HTTP/2\r\n\r\n",
    b"GET /hello HTTP/1.1\r\nno colon\r\n\r\n",
    b"GET /" + b"a" * 20_000,
]

KV_REQUESTS = [
    b"set a 5 0 3\r\nabc\r\nget a b\r\ngets a\r\nset b 0 0 2 noreply\r\nhi\r\nget b a\r\n"
    b"delete a\r\nget a\r\ndelete a\r\nversion\r\nbogus\r\nget\r\n"
    b"set x 0 0 2000\r\n" + b"y" * 2000 + b"\r\nget x\r\nset y 0 0 2\r\nabcd\r\nget y\r\n"
    b"set k 0 -1 1\r\nz\r\nget k\r\nset k2 0 100 1\r\nz\r\nget k2\r\nset a 0 0\r\n"
    b"set a x 0 1\r\nq\r\nget " + b"k" * 300 + b"\r\ndelete k2 0\r\ndelete k2 1\r\n"
    b"quit\r\nget a\r\n",
    b"get " + b"a" * 9000 + b"\r\n",
]


def test_http_epoll_answers_as_http_wyki(built: dict[str, Path], servers: list[Service]) -> None:
    wyki = Service(built["http"], "--workers", "1")
    servers.append(wyki)
    hand = Service(built["http_epoll"], "--4k", str(FOUR_K))
    servers.append(hand)
    for request in HTTP_REQUESTS:
        expected = without_dates(talk(wyki.port, request))
        assert expected.startswith(b"HTTP/1.1 ")
        assert without_dates(talk(hand.port, request)) == expected, request[:40]


def test_kv_epoll_answers_as_kv_wyki(built: dict[str, Path], servers: list[Service]) -> None:
    wyki = Service(built["kv"], "--workers", "1")
    servers.append(wyki)
    hand = Service(built["kv_epoll"])
    servers.append(hand)
    for request in KV_REQUESTS:
        expected = talk(wyki.port, request)
        assert b"ERROR" in expected
        assert talk(hand.port, request) == expected, request[:40]


def mcload(built: dict[str, Path], port: int, *args: str) -> tuple[dict[str, float], str]:
    argv = [str(built["mcload"]), "--port", str(port), "--conns", "4", "--keys", "500"]
    done = subprocess.run(
        [*argv, "--duration", "0.3", *args], capture_output=True, text=True, timeout=WAIT
    )
    assert done.returncode == 0, done.stderr
    return {k: float(v) for k, v in re.findall(r"(\w+)=([\d.]+)", done.stdout)}, done.stderr


def test_mcload_checks_every_reply(built: dict[str, Path], servers: list[Service]) -> None:
    kv = Service(built["kv_epoll"])
    servers.append(kv)
    # Nothing stored yet: every get misses, and a miss is a wrong reply.
    result, stderr = mcload(built, kv.port, "--op", "get", "--depth", "4")
    assert result["requests"] > 0
    assert result["errors"] == result["requests"]
    assert "first wrong reply, to get key:" in stderr and '"END\\x0d\\x0a"' in stderr
    for op, depth in (("get", "1"), ("get", "16"), ("set", "16")):
        result, stderr = mcload(built, kv.port, "--op", op, "--depth", depth, "--prefill")
        assert result["requests"] > 0
        assert result["errors"] == 0, stderr


def test_mcload_rejects_bad_arguments(built: dict[str, Path]) -> None:
    done = subprocess.run(
        [str(built["mcload"]), "--depth", "65"], capture_output=True, text=True, timeout=WAIT
    )
    assert done.returncode == 2
    assert done.stderr.startswith("usage: mcload")
    done = subprocess.run(
        [str(built["mcload"]), "--port", str(free_port())],
        capture_output=True,
        text=True,
        timeout=WAIT,
    )
    assert done.returncode == 1
    assert "mcload: connect: Connection refused" in done.stderr


def test_nginx_config_serves_http_wyki_bytes(
    built: dict[str, Path], servers: list[Service], tmp_path: Path
) -> None:
    require("nginx", "nginx-light")
    wyki = Service(built["http"], "--workers", "1")
    servers.append(wyki)
    port = free_port()
    conf = nginx_config(tmp_path, port)
    nginx = subprocess.Popen(
        ["nginx", "-e", "stderr", "-p", str(tmp_path), "-c", str(conf), "-g", "daemon off;"],
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        for path in ("/hello", "/4k", "/nowhere"):
            request = f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode()
            expected = without_dates(talk(wyki.port, request))
            got = talk_when_up(port, request)
            # The documented differences: the Server header, and Last-Modified on the file.
            got = re.sub(rb"\r\nLast-Modified: [^\r]*", b"", without_dates(got))
            assert got == expected.replace(b"Server: nanowyki", b"Server: nginx"), path
    finally:
        nginx.terminate()
        _, stderr = nginx.communicate(timeout=WAIT)
    assert "[emerg]" not in stderr and "[error]" not in stderr, stderr


def talk_when_up(port: int, request: bytes) -> bytes:
    deadline = time.monotonic() + WAIT
    while True:
        try:
            return talk(port, request)
        except ConnectionRefusedError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def test_wrk_pipelines_through_the_script(built: dict[str, Path], servers: list[Service]) -> None:
    require("wrk", "wrk")
    hand = Service(built["http_epoll"], "--4k", str(FOUR_K))
    servers.append(hand)
    script = ROOT / "bench" / "wrk" / "pipeline.lua"
    url = f"http://127.0.0.1:{hand.port}/hello"
    done = subprocess.run(
        ["wrk", "-t1", "-c2", "-d1s", "-s", str(script), url, "--", "16"],
        capture_output=True,
        text=True,
        timeout=WAIT,
    )
    assert done.returncode == 0, done.stderr
    requests = re.search(r"(\d+) requests in", done.stdout)
    assert requests and int(requests[1]) >= 16, done.stdout
    assert "Non-2xx" not in done.stdout and "Socket errors" not in done.stdout, done.stdout


def test_report_medians_ratios_and_targets() -> None:
    """bench/report.py on made-up measurements: medians over quiet runs, targets with margins."""

    def run(
        workload: str, server: str, rate: float, cpu: float, others: float = 0.0
    ) -> Measurement:
        return Measurement(1, workload, server, int(rate), 0, 1.0, rate, cpu, others)

    kinds = {"http.wyki": "wyki", "http_epoll.c": "epoll", "nginx": "stock"}
    measurements = [
        run("http-hello", "http.wyki", 90_000, 8.0),
        run("http-hello", "http.wyki", 100_000, 7.0),
        run("http-hello", "http.wyki", 10_000, 70.0, others=0.9),  # disturbed: dropped
        run("http-hello", "http_epoll.c", 100_000, 7.0),
        run("http-hello-p16", "http.wyki", 1_000_000, 0.5),
        run("http-hello-p16", "nginx", 200_000, 5.0, others=0.9),  # the only run: kept
    ]
    cells = report.cells(measurements, kinds, quiet=0.25)
    hello = cells["http-hello", "wyki"]
    assert (hello.rate, hello.cpu, hello.filtered) == (95_000, 7.5, True)
    assert cells["http-hello-p16", "stock"].filtered is False
    targets = report.targets(report.ratios(cells))
    assert targets == [
        "HTTP GET /hello (13 B, keep-alive), as fast as http_epoll.c in req/s: "
        "missed: 5% fewer req/s",
        "HTTP GET /hello (13 B, keep-alive), as fast as http_epoll.c in CPU/req: "
        "missed: 7% more CPU per request",
        "HTTP GET /hello (13 B, 16 pipelined), far ahead of nginx: x5.00 req/s, met",
    ]
    assert "| 3/3 |" not in report.table(cells) and "| 2/3 |" in report.table(cells)
    svg = minidom.parseString(report.svg(cells, "test"))
    assert len(svg.getElementsByTagName("line")) == 2 * 4  # a whisker per cell and panel
