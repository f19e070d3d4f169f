"""The servers the benchmark compares: how to build, start, pin, watch and stop each one.

Every server runs as one worker pinned to SERVER_CPU (taskset); the load generators run on
LOAD_CPU.  A server's CPU time is read from /proc/PID/stat (utime + stime, all threads) of
the process and its children, so nginx's worker is counted under its master.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
SERVER_CPU = "1"
LOAD_CPU = "0"
TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK")
START_TIMEOUT = 15.0  # seconds for a server to accept connections


@dataclass
class Server:
    """One server under test: argv to start it (before pinning), and its running process."""

    name: str  # as the tables show it
    kind: str  # "wyki", "epoll" or "stock" (nginx, memcached)
    protocol: str  # "http" or "memcached"
    argv: list[str]
    port: int
    proc: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    def start(self, log: Path) -> None:
        with log.open("wb") as out:
            self.proc = subprocess.Popen(
                ["taskset", "-c", SERVER_CPU, *self.argv],
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited at start: {log.read_text()[-2000:]}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"{self.name} did not accept connections on port {self.port}")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()

    def cpu_seconds(self) -> float:
        """utime + stime of the server's process tree so far."""
        assert self.proc is not None
        return sum(_cpu_ticks(pid) for pid in _process_tree(self.proc.pid)) / TICKS_PER_SECOND


def _cpu_ticks(pid: int) -> int:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return 0
    fields = stat[stat.rindex(")") + 2 :].split()  # after "pid (comm) "; state is fields[0]
    return int(fields[11]) + int(fields[12])  # utime, stime (stat fields 14 and 15)


def _process_tree(pid: int) -> list[int]:
    tree = [pid]
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        for child in task.read_text().split():
            tree += _process_tree(int(child))
    return tree


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# ---- building ------------------------------------------------------------------------------


def build_all(out: Path) -> dict[str, Path]:
    """The WYKI examples (nanowyki build, release) and bench/'s C programs, built into out."""
    out.mkdir(parents=True, exist_ok=True)
    built = {}
    for example in ("http", "kv"):
        binary = out / example
        _run(["nanowyki", "build", str(EXAMPLES / f"{example}.wyki"), "-o", str(binary)])
        built[example] = binary
    _run(["make", "-s", "-C", str(ROOT / "bench"), f"O={out}"])
    for program in ("http_epoll", "kv_epoll", "mcload"):
        built[program] = out / program
    return built


def _run(argv: list[str]) -> None:
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed:\n{done.stdout}{done.stderr}")


def missing_tools() -> list[str]:
    """The Debian packages whose programs the benchmark needs and cannot find."""
    needs = {
        "taskset": "util-linux",
        "make": "make",
        "cc": "gcc",
        "wrk": "wrk",
        "nginx": "nginx-light",
        "memcached": "memcached",
    }
    return sorted({package for tool, package in needs.items() if shutil.which(tool) is None})


# ---- the servers ---------------------------------------------------------------------------


def nginx_config(prefix: Path, port: int) -> Path:
    """An nginx.conf serving /hello and /4k with http.wyki's bytes, tuned as BENCHMARKS.md says.

    /hello is served from memory with `return 200 "..."`, so nginx sends the same headers as
    http.wyki, in the same order (Server, Date, Content-Type, Content-Length, Connection).
    /4k is a file (a `return` string is limited to 4095 bytes): nginx adds Last-Modified to
    those headers (ETag and Accept-Ranges are turned off).  Both say "Server: nginx"
    (server_tokens off) for "Server: nanowyki".
    """
    www = prefix / "www"
    www.mkdir(exist_ok=True)
    shutil.copyfile(EXAMPLES / "www" / "4k.txt", www / "4k")
    conf = prefix / "nginx.conf"
    # As root, nginx's worker would run as nobody, which may not read files in a private
    # temporary directory: keep it as this user (a non-root nginx ignores the directive).
    user = pwd.getpwuid(os.geteuid()).pw_name if os.geteuid() == 0 else None
    conf.write_text(nginx_config_text(prefix, f"127.0.0.1:{port}", user))
    return conf


def nginx_config_text(prefix: Path, listen: str, user: str | None) -> str:
    """The text of nginx_config's nginx.conf: files under @prefix (/4k is @prefix/www/4k),
    listening on @listen ("address:port"), the worker running as @user if given."""
    return f"""\
{f"user {user};" if user else ""}
worker_processes 1;
pid {prefix}/nginx.pid;
error_log stderr warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    server_tokens off;
    keepalive_requests 1000000000;
    keepalive_timeout 30s;
    tcp_nodelay on;
    sendfile off;
    etag off;
    max_ranges 0;
    default_type text/plain;
    client_body_temp_path {prefix}/body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    server {{
        listen {listen} backlog=1024;
        root {prefix}/www;
        location = /hello {{ return 200 "Hello, world\\n"; }}
        location = /4k {{ }}
        location / {{ return 404 "404 Not Found\\n"; }}
    }}
}}
"""


def all_servers(built: dict[str, Path], scratch: Path) -> list[Server]:
    """The six servers, each on a free port, one worker each."""
    servers = []
    port = free_port()
    servers.append(
        Server(
            "http.wyki",
            "wyki",
            "http",
            [str(built["http"]), "--port", str(port), "--workers", "1"],
            port,
        )
    )
    port = free_port()
    four_k = str(EXAMPLES / "www" / "4k.txt")
    servers.append(
        Server(
            "http_epoll.c",
            "epoll",
            "http",
            [str(built["http_epoll"]), "--port", str(port), "--4k", four_k],
            port,
        )
    )
    port = free_port()
    prefix = scratch / "nginx"
    prefix.mkdir(parents=True, exist_ok=True)
    conf = nginx_config(prefix, port)
    servers.append(
        Server(
            "nginx",
            "stock",
            "http",
            ["nginx", "-e", "stderr", "-p", str(prefix), "-c", str(conf), "-g", "daemon off;"],
            port,
        )
    )
    port = free_port()
    servers.append(
        Server(
            "kv.wyki",
            "wyki",
            "memcached",
            [str(built["kv"]), "--port", str(port), "--workers", "1"],
            port,
        )
    )
    port = free_port()
    servers.append(
        Server(
            "kv_epoll.c", "epoll", "memcached", [str(built["kv_epoll"]), "--port", str(port)], port
        )
    )
    port = free_port()
    memcached = memcached_argv("127.0.0.1", port, as_root=os.geteuid() == 0)
    servers.append(Server("memcached", "stock", "memcached", memcached, port))
    return servers


def memcached_argv(address: str, port: int, as_root: bool) -> list[str]:
    """memcached with one worker thread, UDP off, on @address:@port."""
    argv = ["memcached", "-t", "1", "-p", str(port), "-U", "0", "-l", address]
    argv += ["-c", "4096", "-m", "64"]
    if as_root:
        argv += ["-u", "root"]  # memcached refuses to run as root without it
    return argv
