"""The workloads, and one measurement: a load generator against one server for a fixed time.

HTTP is driven by wrk (one thread, CONNECTIONS connections; pipelining through
bench/wrk/pipeline.lua), the memcached protocol by bench/loadgen/mcload.c.  Beside the rate,
a measurement records the server's CPU time per request and how much CPU the other tenants of
the machine used meanwhile (all CPUs' busy time from /proc/stat, minus the server's and the
load generator's), which is how disturbed rounds are recognised.
"""

from __future__ import annotations

import os
import re
import subprocess
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from bench.servers import LOAD_CPU, ROOT, TICKS_PER_SECOND, Server

CONNECTIONS = 64
KEYS = 10_000
VALUE_BYTES = 64
PIPELINE = ROOT / "bench" / "wrk" / "pipeline.lua"


@dataclass(frozen=True)
class Workload:
    name: str
    protocol: str  # "http" or "memcached"
    what: str  # a path for HTTP, "get" or "set" for memcached
    depth: int  # requests in flight per connection

    def describe(self) -> str:
        if self.protocol == "http":
            size = "13 B" if self.what == "/hello" else "4 KiB"
            pipelined = f", {self.depth} pipelined" if self.depth > 1 else ", keep-alive"
            return f"HTTP GET {self.what} ({size}{pipelined})"
        return f"memcached {self.what}, {self.depth} in flight"


WORKLOADS = [
    Workload("http-hello", "http", "/hello", 1),
    Workload("http-4k", "http", "/4k", 1),
    Workload("http-hello-p16", "http", "/hello", 16),
    Workload("mc-get-1", "memcached", "get", 1),
    Workload("mc-set-1", "memcached", "set", 1),
    Workload("mc-get-16", "memcached", "get", 16),
    Workload("mc-set-16", "memcached", "set", 16),
]


@dataclass(frozen=True)
class Measurement:
    round: int
    workload: str
    server: str
    requests: int
    errors: int
    seconds: float
    rate: float  # requests per second
    cpu_us_per_request: float  # the server's CPU time (user + system) per request
    others: float  # CPUs' worth of busy time that was neither the server nor the load generator

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def load_argv(workload: Workload, server: Server, duration: int, mcload: Path) -> list[str]:
    if workload.protocol == "http":
        url = f"http://127.0.0.1:{server.port}{workload.what}"
        argv = ["wrk", "-t1", f"-c{CONNECTIONS}", f"-d{duration}s", url]
        if workload.depth > 1:
            argv[-1:] = ["-s", str(PIPELINE), url, "--", str(workload.depth)]
        return argv
    return [
        str(mcload),
        "--port", str(server.port),
        "--conns", str(CONNECTIONS),
        "--depth", str(workload.depth),
        "--op", workload.what,
        "--keys", str(KEYS),
        "--value", str(VALUE_BYTES),
        "--duration", str(duration),
    ]  # fmt: skip


def run_rounds(
    servers: list[Server], rounds: int, duration: int, mcload: Path, started: float
) -> list[Measurement]:
    """Every workload against every server of its protocol, @rounds times over: within a round
    the servers take turns workload by workload, their order rotating from round to round.
    A progress line is printed per run (@started: when the whole benchmark started)."""
    total = rounds * sum(1 for w in WORKLOADS for s in servers if s.protocol == w.protocol)
    measurements: list[Measurement] = []
    for round_ in range(1, rounds + 1):
        for workload in WORKLOADS:
            turn = [s for s in servers if s.protocol == workload.protocol]
            if not turn:
                continue
            shift = (round_ - 1) % len(turn)
            for server in turn[shift:] + turn[:shift]:
                m = measure(workload, server, duration, mcload, round_)
                measurements.append(m)
                elapsed = time.monotonic() - started
                left = (total - len(measurements)) * (duration + 0.4)
                print(
                    f"[{len(measurements):3}/{total} round {round_}/{rounds}, {elapsed:4.0f} s, "
                    f"~{left:3.0f} s left] {workload.name:15} {server.name:13} "
                    f"{m.rate / 1000:8.1f}k req/s {m.cpu_us_per_request:6.2f} us CPU/req  "
                    f"others {m.others:4.2f} CPU" + (f"  ERRORS {m.errors}" if m.errors else ""),
                    flush=True,
                )
    return measurements


def prefill(server: Server, mcload: Path) -> None:
    """Stores every key the memcached workloads use, so that every get hits."""
    argv = [str(mcload), "--port", str(server.port), "--conns", "1", "--keys", str(KEYS)]
    argv += ["--value", str(VALUE_BYTES), "--duration", "0.1", "--prefill"]
    subprocess.run(argv, check=True, capture_output=True, timeout=60)


def measure(
    workload: Workload, server: Server, duration: int, mcload: Path, round_: int
) -> Measurement:
    argv = ["taskset", "-c", LOAD_CPU, *load_argv(workload, server, duration, mcload)]
    busy_before, server_before, load_before = _busy_seconds(), server.cpu_seconds(), _reaped_cpu()
    t0 = time.monotonic()
    done = subprocess.run(argv, capture_output=True, text=True, timeout=duration + 30, check=False)
    elapsed = time.monotonic() - t0
    server_cpu = server.cpu_seconds() - server_before
    load_cpu = _reaped_cpu() - load_before
    busy = _busy_seconds() - busy_before
    if done.returncode != 0:
        raise RuntimeError(
            f"{' '.join(argv)} failed ({done.returncode}):\n{done.stdout}{done.stderr}"
        )
    requests, errors, seconds = _parse(workload, done.stdout)
    return Measurement(
        round=round_,
        workload=workload.name,
        server=server.name,
        requests=requests,
        errors=errors,
        seconds=seconds,
        rate=requests / seconds,
        cpu_us_per_request=server_cpu / max(requests, 1) * 1e6,
        others=max(0.0, (busy - server_cpu - load_cpu) / elapsed),
    )


def _reaped_cpu() -> float:
    """CPU time (user + system) of this process's children that have been waited for."""
    times = os.times()
    return times.children_user + times.children_system


def _busy_seconds() -> float:
    """Busy time of every CPU so far (/proc/stat's first line: all but idle and iowait)."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]
    return (sum(values[:8]) - idle) / TICKS_PER_SECOND


def _parse(workload: Workload, stdout: str) -> tuple[int, int, float]:
    """(requests, errors, seconds) from wrk's or mcload's output."""
    if workload.protocol == "memcached":
        found = dict(re.findall(r"(\w+)=([\d.]+)", stdout))
        return int(found["requests"]), int(found["errors"]), float(found["seconds"])
    done = re.search(r"(\d+) requests in ([\d.]+)(m?s)", stdout)
    if not done:
        raise RuntimeError(f"unexpected wrk output:\n{stdout}")
    seconds = float(done[2]) / (1000 if done[3] == "ms" else 1)
    errors = 0
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", stdout)
    if non_2xx:
        errors += int(non_2xx[1])
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", stdout
    )
    if socket_errors:
        errors += sum(int(n) for n in socket_errors.groups())
    return int(done[1]), errors, seconds
