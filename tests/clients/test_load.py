"""The compiled `http` and `kv` (release builds) under load: they keep serving correct replies,
their memory stays flat, and connections past --sessions are refused cleanly.

Memory is the process's resident set (VmRSS in /proc/PID/status), read after a warm-up load and
again after a longer one.  The runtime maps and prefaults its whole arena at start-up and
allocates nothing per connection or request, so once every code path has run, serving touches
no new page.  RSS_SLACK_KIB allows for the few pages a long run may still touch for the first
time (a deeper stack in a worker, a libc code page, a page of stdio's buffer for a stats line):
a handful of 4 KiB pages (measured: none at all, for http over 210 000 requests and for kv over
65 536 commands), while a leak of 4 bytes per request over the 65 536 or more requests each long
load makes fills the whole slack.  The loads are counted, not timed: the memcached loop does a
fixed number of commands, and wrk runs in rounds of 2 s until it has made that many requests (a
slow machine takes more rounds).  No assertion is about speed.
"""

from __future__ import annotations

import itertools
import random
import re
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.clients.conftest import Start, require_module, require_tool, rss_kib
from tests.runtime.conftest import WAIT, Service, recv_until_closed

RSS_SLACK_KIB = 256
MIN_REQUESTS = 65536  # a long load makes at least this many: 4-byte leaks fill the slack
MAX_WRK_ROUNDS = 40  # of 2 s each: 65536 requests at under 1000 a second is a broken service
WRK_CONNECTIONS = 256
FAULTS = ("fault_bounds", "fault_overflow", "fault_division", "fault_fuel", "fault_table_full")


# ---- wrk -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WrkResult:
    requests: int
    non_2xx: int
    socket_errors: int
    output: str


# wrk's script for pipelining: each request it sends is PIPELINE_DEPTH GETs of the URL's path.
PIPELINE_DEPTH = 16
PIPELINE_LUA = f"""
init = function(args)
    local batch = {{}}
    for i = 1, {PIPELINE_DEPTH} do batch[i] = wrk.format(nil, wrk.path) end
    pipelined = table.concat(batch)
end
request = function() return pipelined end
"""


def wrk(
    svc: Service, path: str, seconds: int, *headers: str, script: Path | None = None
) -> WrkResult:
    """wrk -c 256 -t 2 for `seconds` against `path`; its counts, parsed."""
    argv = [require_tool("wrk", "wrk"), "-c", str(WRK_CONNECTIONS), "-t", "2", "-d", f"{seconds}s"]
    argv += ["--timeout", f"{WAIT:.0f}s"]  # a slow reply on a busy machine is not an error
    for header in headers:
        argv += ["-H", header]
    if script is not None:
        argv += ["--script", str(script)]
    argv.append(f"http://127.0.0.1:{svc.port}{path}")
    done = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 2 * WAIT)
    out = done.stdout + done.stderr
    assert done.returncode == 0, out
    requests = re.search(r"(\d+) requests in ", out)
    assert requests, out
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return WrkResult(
        requests=int(requests.group(1)),
        non_2xx=int(non_2xx.group(1)) if non_2xx else 0,
        socket_errors=sum(int(n) for n in errors.groups()) if errors else 0,
        output=out,
    )


def clean(result: WrkResult) -> WrkResult:
    assert result.non_2xx == 0 and result.socket_errors == 0, result.output
    assert result.requests > 0, result.output
    return result


def curl_hello(svc: Service) -> None:
    argv = [require_tool("curl", "curl"), "--silent", "--max-time", str(WAIT)]
    done = subprocess.run(
        [*argv, f"http://127.0.0.1:{svc.port}/hello"], capture_output=True, timeout=2 * WAIT
    )
    assert (done.returncode, done.stdout) == (0, b"Hello, world\n")


def assert_healthy(svc: Service) -> dict[str, int]:
    """No fault and no refused connection so far; the statistics."""
    counts = svc.stats()
    assert {k: counts[k] for k in FAULTS} == dict.fromkeys(FAULTS, 0), counts
    assert counts["refused"] == 0, counts
    return counts


def test_http_keeps_serving_under_wrk(start: Start, tmp_path: Path) -> None:
    svc = start("http", debug=False)
    clean(wrk(svc, "/4k", 3))  # keep-alive: 256 connections, request after request
    clean(wrk(svc, "/hello", 2, "Connection: close"))  # a new connection for every request
    pipelining = tmp_path / "pipeline.lua"
    pipelining.write_text(PIPELINE_LUA)
    clean(wrk(svc, "/hello", 2, script=pipelining))  # 16 requests in every write
    curl_hello(svc)  # and it still answers a new client
    assert_healthy(svc)
    wait_for(lambda: svc.stats()["live"] == 0)  # wrk's connections closed: every session freed


def test_http_memory_stays_flat_under_a_long_load(start: Start) -> None:
    svc = start("http", debug=False)
    for path, headers in (("/4k", ()), ("/hello", ("Connection: close",))):  # warm-up
        clean(wrk(svc, path, 2, *headers))
    before = rss_kib(svc.proc.pid)
    loads = itertools.cycle([("/4k", ()), ("/hello", ("Connection: close",)), ("/about", ())])
    served = rounds = 0
    while served < MIN_REQUESTS or rounds < 6:  # counted: a slow machine just takes more rounds
        assert rounds < MAX_WRK_ROUNDS, f"only {served} requests in {rounds} rounds of wrk"
        path, headers = next(loads)
        served += clean(wrk(svc, path, 2, *headers)).requests
        rounds += 1
    after = rss_kib(svc.proc.pid)
    assert after - before <= RSS_SLACK_KIB, f"RSS {before} -> {after} KiB over {served} requests"
    curl_hello(svc)
    assert_healthy(svc)


# ---- pymemcache ------------------------------------------------------------------------------


def memcached_loop(svc: Service, threads: int, ops: int, seed: int) -> int:
    """`threads` pymemcache clients, each doing `ops` checked commands on its own keys (and
    reconnecting every 500); the commands done.  Raises the first wrong reply seen."""
    base = require_module("pymemcache.client.base", "pymemcache")
    failures: list[BaseException] = []

    def client_loop(tid: int) -> None:
        rng = random.Random(seed * 1000 + tid)
        c = base.Client(("127.0.0.1", svc.port), default_noreply=False, timeout=WAIT)
        mine: dict[str, bytes] = {}
        try:
            for i in range(ops):
                run_one(c, rng, mine, f"s{seed}-t{tid}-k{rng.randrange(64)}")
                if i % 500 == 499:
                    c.quit()  # the next command reconnects: sessions come and go too
        except BaseException as err:  # reported by the main thread
            failures.append(err)
        finally:
            c.close()

    workers = [threading.Thread(target=client_loop, args=(t,)) for t in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=600)
        assert not w.is_alive(), "a memcached client did not finish"
    if failures:
        raise failures[0]
    return threads * ops


def run_one(c: Any, rng: random.Random, mine: dict[str, bytes], key: str) -> None:
    """One random command on key, checked against what this client stored (`mine`)."""
    roll = rng.random()
    if roll < 0.4:
        value = rng.randbytes(rng.randrange(1025))  # up to VALUE_MAX, any bytes
        assert c.set(key, value) is True
        mine[key] = value
    elif roll < 0.75:
        assert c.get(key) == mine.get(key), key
    elif roll < 0.85:
        keys = [key, *(k for k in list(mine)[:7])]
        assert c.get_many(keys) == {k: mine[k] for k in keys if k in mine}
    elif roll < 0.95:
        counter = key + "-n"
        if counter not in mine:
            assert c.set(counter, b"0") is True
            mine[counter] = b"0"
        new = int(mine[counter]) + 7
        assert c.incr(counter, 7) == new
        mine[counter] = str(new).encode()
    else:
        assert c.delete(key) is (key in mine)
        mine.pop(key, None)


def test_kv_keeps_serving_a_pymemcache_loop(start: Start) -> None:
    svc = start("kv", debug=False)
    memcached_loop(svc, threads=8, ops=1500, seed=1)
    assert_healthy(svc)
    wait_for(lambda: svc.stats()["live"] == 0)


def test_kv_memory_stays_flat_under_a_long_load(start: Start) -> None:
    svc = start("kv", debug=False)
    memcached_loop(svc, threads=8, ops=1000, seed=2)  # warm-up
    before = rss_kib(svc.proc.pid)
    done = memcached_loop(svc, threads=8, ops=MIN_REQUESTS // 8, seed=3)
    after = rss_kib(svc.proc.pid)
    assert after - before <= RSS_SLACK_KIB, f"RSS {before} -> {after} KiB over {done} commands"
    assert_healthy(svc)


# ---- past --sessions -------------------------------------------------------------------------


def refused_cleanly(svc: Service) -> bool:
    """A connection past the limit: the service closes it at once without a byte."""
    with svc.connect() as s:
        try:
            s.sendall(b"GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            return True  # closed even before the request went out
        return recv_until_closed(s) == b""


def test_connections_past_sessions_are_refused_and_memory_stays_flat(start: Start) -> None:
    sessions = 8
    svc = start("http", "--sessions", str(sessions), debug=False)
    held = [svc.connect() for _ in range(sessions)]
    for s in held:  # every session busy, waiting for the rest of its request
        s.sendall(b"GET /hello HTTP/1.1\r\n")
    wait_for(lambda: svc.stats()["live"] == sessions)
    for _ in range(200):  # warm-up
        assert refused_cleanly(svc)
    before = rss_kib(svc.proc.pid)
    for _ in range(2000):
        assert refused_cleanly(svc)
    after = rss_kib(svc.proc.pid)
    assert after - before <= RSS_SLACK_KIB, f"RSS {before} -> {after} KiB"
    counts = svc.stats()
    assert (counts["refused"], counts["live"]) == (2200, sessions), counts
    for s in held:  # the sessions that were in are served as if nothing happened
        s.sendall(b"Host: x\r\nConnection: close\r\n\r\n")
        reply = recv_until_closed(s)
        assert reply.startswith(b"HTTP/1.1 200 OK\r\n") and reply.endswith(b"Hello, world\n")
        s.close()
    wait_for(lambda: svc.stats()["live"] == 0)
    curl_hello(svc)  # a freed session takes the next client


def wait_for(condition: Callable[[], bool]) -> None:
    """Polls condition until it holds; fails after WAIT seconds."""
    deadline = time.monotonic() + WAIT
    while not condition():
        assert time.monotonic() < deadline, "condition not reached within the wait"
        time.sleep(0.05)
