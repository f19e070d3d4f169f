"""python3 -m bench --kernel: the http and kv kernel modules against nginx and memcached, all
four in one QEMU guest (issue #7).

It builds examples/http.wyki and examples/kv.wyki as modules (scripts/kernel/wyki_kernel.py,
as `nanowyki build --target kernel` does) and one initramfs: busybox as /init
(bench/kernel_init.sh), the virtio NIC modules, both WYKI modules, and nginx (nginx-light) and
memcached with the shared libraries ldd names and bench/servers.py's configuration.  It boots
Debian's kernel once, with a host port on 127.0.0.1 forwarded to each server's guest port.
/init starts nginx and memcached; the WYKI modules are loaded one at a time (a second one
cannot create /proc/wyki, docs/kernel.md): http.ko's rounds against nginx, then kv.ko's
against memcached, the servers taking turns as in the userspace benchmark (bench/loads.py),
driven by wrk and mcload from the host.  Each module's stretch of the console is then judged
as scripts/kernel-test judges it (no Oops, BUG or WARNING; 0 allocations outstanding).

The accelerator is KVM when it works (/dev/kvm and vmx/svm), else TCG, and every table says
which.  Under TCG QEMU emulates the guest's CPUs in software: the numbers show the servers
working under load, not their speed.  The CPU figure is the host CPU time of the QEMU process
(every vCPU and the user-mode network) per request.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import re
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench import report
from bench.loads import (
    CONNECTIONS,
    KEYS,
    VALUE_BYTES,
    WORKLOADS,
    Measurement,
    measure,
    prefill,
    run_rounds,
)
from bench.servers import EXAMPLES, ROOT, Server, memcached_argv, nginx_config_text

sys.path.insert(0, str(ROOT / "scripts" / "kernel"))

import wyki_kernel

INIT_TEMPLATE = Path(__file__).resolve().parent / "kernel_init.sh"
SESSIONS = 256  # the modules' sessions=: 64 connections, plus those still closing from a run
NGINX_PREFIX = Path("/nginx")  # in the guest
STOCK_START_TIMEOUT = 60.0  # boot to nginx and memcached answering (TCG: slow)
PROBE_TIMEOUT = 5.0
WARM_UP_SECONDS = 1  # an untimed run of each workload on each server before the rounds


@dataclass(frozen=True)
class GuestServer:
    """A server in the guest: its name in the tables, kind and protocol as bench.servers.Server
    has them, and the port it listens on in the guest."""

    name: str
    kind: str
    protocol: str
    guest_port: int
    module: str | None = None  # the WYKI service whose module this is; None: started by /init

    @property
    def probe(self) -> tuple[bytes, bytes]:
        """A request, and how its answer starts."""
        if self.protocol == "http":
            return b"GET /hello HTTP/1.1\r\nHost: x\r\n\r\n", b"HTTP/1.1 200 OK\r\n"
        return b"version\r\n", b"VERSION "


SERVERS = [
    GuestServer("http.ko", "wyki", "http", 8080, module="http"),
    GuestServer("nginx", "stock", "http", 8081),
    GuestServer("kv.ko", "wyki", "memcached", 11211, module="kv"),
    GuestServer("memcached", "stock", "memcached", 11212),
]


def run(args: argparse.Namespace) -> int:
    """The whole benchmark: 0 when it ran cleanly, 1 on a failure, 2 when packages are missing."""
    missing = wyki_kernel.missing_packages() + missing_host_tools()
    if missing:
        print(f"bench --kernel: needs the Debian packages {' '.join(missing)}; the kernel "
              f"test's are installed with\n  {wyki_kernel.APT_LINE}", file=sys.stderr)  # fmt: skip
        return 2
    try:
        with tempfile.TemporaryDirectory(prefix="nanowyki-bench-kernel-") as scratch:
            return measure_in_guest(args, Path(scratch))
    except wyki_kernel.MissingPackages as e:
        print(f"bench --kernel: {e}", file=sys.stderr)
        return 2
    except (wyki_kernel.KernelTestError, RuntimeError, OSError, subprocess.SubprocessError) as e:
        print(f"bench --kernel: error: {e}", file=sys.stderr)
        return 1


def missing_host_tools() -> list[str]:
    needs = {"wrk": "wrk", "nginx": "nginx-light", "memcached": "memcached", "ldd": "libc-bin"}
    return sorted({package for tool, package in needs.items() if shutil.which(tool) is None})


def say(line: str) -> None:
    print(line, flush=True)


def measure_in_guest(args: argparse.Namespace, scratch: Path) -> int:
    started = time.monotonic()
    build, kver = wyki_kernel.find_kdir(None)
    modules = [wyki_kernel.SERVICES[s.module] for s in SERVERS if s.module]
    say(f"building {', '.join(f'wyki_{m.name}.ko' for m in modules)} against {kver}, and mcload")
    subprocess.run(["make", "-s", "-C", str(ROOT / "bench"), f"O={scratch}", f"{scratch}/mcload"],
                   check=True, capture_output=True, timeout=120)  # fmt: skip
    kos = wyki_kernel.build_modules(modules, scratch, build, say)
    # /init powers off after this long without a command: longer than a module's rounds.
    silence = 600 + 2 * args.rounds * len(SERVERS) * 4 * (args.duration + 5)
    initrd = build_initramfs(kos, kver, silence, scratch / "initramfs.cpio")
    say(f"initramfs: {initrd.stat().st_size >> 20} MiB (busybox, NIC, modules, nginx, memcached)")
    host_ports = {s.name: wyki_kernel.free_port(socket.SOCK_STREAM) for s in SERVERS}
    forwards = ",".join(f"hostfwd=tcp:127.0.0.1:{host_ports[s.name]}-:{s.guest_port}"
                        for s in SERVERS)  # fmt: skip
    kernel = Path(f"/boot/vmlinuz-{kver}")
    guest, accel = boot(kernel, initrd, forwards, args.accel, scratch)
    cpus = guest_cpus(guest.console())
    say(f"guest ready after {time.monotonic() - guest.started:.1f} s: {accel}, {cpus} CPUs")
    measurements, problems = run_guest(guest, host_ports, args, scratch / "mcload", started)

    kinds = {s.name: s.kind for s in SERVERS}
    cells = report.cells(measurements, kinds, args.quiet)
    header = describe_run(args, accel, cpus, kver, time.monotonic() - started)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "kernel-latest.md").write_text(markdown(cells, header, problems))
    meta = {"header": header, "servers": kinds, "quiet": args.quiet, "accel": accel,
            "guest_cpus": cpus, "guest_kernel": kver, "problems": problems}  # fmt: skip
    report.write_json(args.out / "kernel-latest.json", measurements, meta)

    print()
    print("\n".join(header[:3]))
    print()
    print(report.table(cells, cpu=CPU_LABEL))
    print()
    print("\n".join(report.ratio_lines(report.ratios(cells))))
    for problem in problems:
        print(f"PROBLEM: {problem}")
    took = time.monotonic() - started
    print(f"\nwrote {args.out}/kernel-latest.md, kernel-latest.json in {took:.0f} s")
    return 1 if problems else 0


def run_guest(
    guest: wyki_kernel.Guest,
    host_ports: dict[str, int],
    args: argparse.Namespace,
    mcload: Path,
    started: float,
) -> tuple[list[Measurement], list[str]]:
    """In the booted @guest (each server reached on its port of @host_ports): wait for nginx
    and memcached, then each module's rounds; power off.  The measurements, and every problem
    seen (the console log is kept when there is one, or when this raises)."""
    # Server.cpu_seconds() reads the QEMU process's CPU time: the whole guest's.
    servers = {s.name: Server(s.name, s.kind, s.protocol, [], host_ports[s.name], guest.proc)
               for s in SERVERS}  # fmt: skip
    measurements: list[Measurement] = []
    problems: list[str] = []
    finished = False
    try:
        for s in SERVERS:
            if not s.module:
                wait_answers(s, servers[s.name].port, STOCK_START_TIMEOUT)
        prefill(servers["memcached"], mcload)
        say(f"nginx and memcached answer; memcached holds {KEYS} keys")
        for module in (s for s in SERVERS if s.module):
            rivals = [servers[s.name] for s in SERVERS if s.protocol == module.protocol]
            found, trouble = rounds_with_module(guest, module, rivals, args, mcload, started)
            measurements += found
            problems += trouble
        guest.send("poweroff")
        if guest.wait_for("WYKI-POWEROFF", timeout=wyki_kernel.POWEROFF_TIMEOUT) is None:
            problems.append("the guest did not power off")
        finished = True
    finally:
        guest.send("poweroff")
        guest.finish(wyki_kernel.POWEROFF_TIMEOUT)
        console = guest.console()
        if not finished:
            say(f"console log: {keep(console)}")
    first, last = console.find("WYKI-BEGIN "), console.rfind("WYKI-DONE ")
    problems += wyki_kernel.kernel_problems(console[:first] + console[last:])  # boot, shutdown
    if problems:
        problems.append(f"console log: {keep(console)}")
    return measurements, problems


def keep(console: str) -> Path:
    """A copy of @console that outlives the scratch directory."""
    fd, name = tempfile.mkstemp(prefix="nanowyki-bench-kernel-", suffix=".log")
    with os.fdopen(fd, "w") as out:
        out.write(console)
    return Path(name)


# ---- the guest ---------------------------------------------------------------------------


def build_initramfs(kos: dict[str, Path], kver: str, silence: int, out: Path) -> Path:
    """Write @out: scripts/kernel's initramfs (busybox, NIC modules, /modules/wyki_NAME.ko)
    with bench/kernel_init.sh as /init, plus nginx, memcached, their shared libraries, the
    nginx prefix and the /etc files their `user root` needs."""
    nics = wyki_kernel.nic_modules(kver)
    nginx, memcached = shutil.which("nginx"), shutil.which("memcached")
    assert nginx and memcached  # missing_host_tools() said so
    nginx_argv = [nginx, "-e", "stderr", "-p", str(NGINX_PREFIX), "-c",
                  str(NGINX_PREFIX / "nginx.conf"), "-g", "daemon off;"]  # fmt: skip
    memcached_port = next(s.guest_port for s in SERVERS if s.name == "memcached")
    nginx_port = next(s.guest_port for s in SERVERS if s.name == "nginx")
    fill = {
        "@CONTROL_TIMEOUT@": str(silence),
        "@NIC_MODULES@": " ".join(f"/lib/modules/{_bare(m)}" for m in nics),
        "@NGINX@": shlex.join(nginx_argv),
        "@MEMCACHED@": shlex.join(
            [memcached, *memcached_argv("0.0.0.0", memcached_port, True)[1:]]
        ),
    }
    init = INIT_TEMPLATE.read_text()
    for placeholder, value in fill.items():
        init = init.replace(placeholder, value)

    cpio = wyki_kernel._Cpio()
    files: dict[str, tuple[bytes, int]] = {
        "init": (init.encode(), 0o755),
        "bin/busybox": (Path("/bin/busybox").read_bytes(), 0o755),
        "etc/passwd": (b"root:x:0:0:root:/:/bin/sh\n", 0o644),
        "etc/group": (b"root:x:0:\n", 0o644),
        "etc/nsswitch.conf": (b"passwd: files\ngroup: files\n", 0o644),
        f"{NGINX_PREFIX.name}/nginx.conf": (
            nginx_config_text(NGINX_PREFIX, f"0.0.0.0:{nginx_port}", "root").encode(), 0o644),
        f"{NGINX_PREFIX.name}/www/4k": ((EXAMPLES / "www" / "4k.txt").read_bytes(), 0o644),
    }  # fmt: skip
    for m in nics:
        files[f"lib/modules/{_bare(m)}"] = (wyki_kernel._module_bytes(m), 0o644)
    for name, ko in kos.items():
        files[f"modules/wyki_{name}.ko"] = (ko.read_bytes(), 0o644)
    for program in (nginx, memcached):
        for path in [program, *shared_libraries(program)]:
            files[path.lstrip("/")] = (Path(path).resolve().read_bytes(), 0o755)
    dirs = {"dev", "proc", "sys", "tmp"}
    for name in files:
        parts = Path(name).parts
        dirs.update("/".join(parts[:i]) for i in range(1, len(parts)))
    for d in sorted(dirs):
        cpio.dir(d)
    cpio.chardev("dev/console", 5, 1)
    cpio.chardev("dev/null", 1, 3)
    cpio.symlink("bin/sh", "busybox")
    for name, (body, mode) in files.items():
        cpio.file(name, body, mode)
    out.write_bytes(cpio.finish())
    return out


def _bare(module: Path) -> str:
    return module.name.removesuffix(".xz")


def shared_libraries(program: str) -> list[str]:
    """The paths of @program's shared libraries and its loader, as ldd names them."""
    done = subprocess.run(["ldd", program], capture_output=True, text=True, check=True, timeout=30)
    return re.findall(r"(?:=> |^\s+)(/\S+) \(0x", done.stdout, re.MULTILINE)


def boot(
    kernel: Path, initrd: Path, forwards: str, requested: str, scratch: Path
) -> tuple[wyki_kernel.Guest, str]:
    """The guest, booted and ready, and its accelerator: KVM when it works, else TCG (a KVM boot
    that does not get ready in time is retried under TCG, as scripts/kernel-test does)."""
    accel = wyki_kernel.choose_accel(requested, say)
    say(f"booting {kernel.name} under {accel}")
    guest = wyki_kernel.Guest(kernel, initrd, accel, forwards, scratch / f"console-{accel}.log")
    kvm = accel == "kvm"
    timeout = wyki_kernel.READY_TIMEOUT_KVM if kvm else wyki_kernel.READY_TIMEOUT_TCG
    if guest.wait_for("WYKI-GUEST-READY", timeout=timeout) is not None:
        return guest, accel
    guest.proc.kill()
    guest.finish(10)
    if kvm and requested == "auto":
        say(f"the KVM boot was not ready within {timeout:.0f} s: booting again under TCG")
        return boot(kernel, initrd, forwards, "tcg", scratch)
    tail = guest.console()[-3000:]
    raise wyki_kernel.KernelTestError(f"no WYKI-GUEST-READY within {timeout:.0f} s; tail:\n{tail}")


def guest_cpus(console: str) -> int:
    found = re.search(r"WYKI-CPUS (\d+)", console)
    if not found:
        raise wyki_kernel.KernelTestError("the guest did not say how many CPUs it has")
    return int(found[1])


def wait_answers(server: GuestServer, port: int, timeout: float) -> None:
    """Until @server answers its probe on host @port.  A forwarded port accepts connections
    whether or not anything listens in the guest, so a connection alone proves nothing."""
    request, answer = server.probe
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=PROBE_TIMEOUT) as s:
                s.settimeout(PROBE_TIMEOUT)
                s.sendall(request)
                if s.recv(len(answer), socket.MSG_WAITALL) == answer:
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise wyki_kernel.KernelTestError(
                f"{server.name} did not answer on guest port {server.guest_port} "
                f"within {timeout:.0f} s"
            )
        time.sleep(0.5)


def rounds_with_module(
    guest: wyki_kernel.Guest,
    module: GuestServer,
    rivals: list[Server],
    args: argparse.Namespace,
    mcload: Path,
    started: float,
) -> tuple[list[Measurement], list[str]]:
    """Load @module's service, run the rounds of its protocol against it and the stock server
    (@rivals: both), unload it.  Its measurements, and what is wrong with its stretch of the
    console (insmod, rmmod, Oops/BUG/WARNING, allocations outstanding)."""
    assert module.module is not None
    name = module.module
    since = guest.mark()
    guest.send(f"load {name} port={module.guest_port} sessions={SESSIONS}")
    found = guest.wait_for(f"WYKI-READY {name}", f"WYKI-INSMOD-FAILED {name}",
                           timeout=wyki_kernel.LOAD_TIMEOUT, since=since)  # fmt: skip
    if found != f"WYKI-READY {name}":
        raise wyki_kernel.KernelTestError(f"insmod wyki_{name}.ko: {found or 'no answer'}")
    measurements: list[Measurement] = []
    try:
        wait_answers(module, next(s.port for s in rivals if s.name == module.name), 30.0)
        if module.protocol == "memcached":
            prefill(next(s for s in rivals if s.name == module.name), mcload)
        warm_up(rivals, mcload)
        say(f"loaded wyki_{name}.ko (sessions={SESSIONS}); rounds against "
            f"{', '.join(s.name for s in rivals if s.name != module.name)}")  # fmt: skip
        measurements = run_rounds(rivals, args.rounds, args.duration, mcload, started)
    finally:
        guest.send(f"unload {name}")
        done = guest.wait_for(f"WYKI-DONE {name}", timeout=wyki_kernel.UNLOAD_TIMEOUT, since=since)
    stretch = guest.console()[since:]
    problems = [f"{module.name}: {p}" for p in wyki_kernel.analyse_console(stretch, name)]
    if done is None:
        problems.insert(0, f"{module.name}: no WYKI-DONE after unload")
    stats = wyki_kernel.parse_stats(stretch)
    faults = sum(int(v) for k, v in stats.items() if k.startswith("fault_"))
    counters = f"accepted {stats.get('accepted')}, refused {stats.get('refused')}, faults {faults}"
    verdict = "; ".join(problems) or "clean, 0 allocations outstanding"
    say(f"unloaded wyki_{name}.ko: {verdict} (/proc/wyki/{name}: {counters})")
    return measurements, problems


def warm_up(servers: list[Server], mcload: Path) -> None:
    """One untimed short run of every workload against every server: under TCG, the first run
    of a code path pays for its translation."""
    for workload in WORKLOADS:
        for server in servers:
            if server.protocol == workload.protocol:
                measure(workload, server, WARM_UP_SECONDS, mcload, 0)


# ---- the report ------------------------------------------------------------------------

CPU_LABEL = "QEMU CPU µs/req"
ACCELERATORS = {
    "tcg": "TCG (QEMU emulates the guest's CPUs in software: these numbers show the servers "
    "working under load, they are not a speed claim)",
    "kvm": "KVM (hardware virtualisation: the numbers compare the servers' speed in this guest, "
    "behind QEMU's user-mode network)",
}


def describe_run(
    args: argparse.Namespace, accel: str, cpus: int, kver: str, seconds: float
) -> list[str]:
    when = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return [
        f"{when}, in a QEMU guest under {accel.upper()} with {cpus} CPUs and 512 MiB, "
        f"Linux {kver} (Debian's kernel)",
        f"- accelerator: {ACCELERATORS[accel]}",
        f"- host: {platform.machine()}, {os.cpu_count()} CPUs, Linux {platform.release()}; "
        "QEMU's user-mode network forwards a port of 127.0.0.1 to each server",
        f"- servers: http.ko and kv.ko (`nanowyki build --target kernel`, sessions={SESSIONS}, "
        "one WYKI module loaded at a time), nginx (nginx-light, bench/servers.py's config) and "
        "memcached -t 1, all in the guest",
        f"- loads from the host: {CONNECTIONS} connections; wrk -t1; mcload over {KEYS} keys of "
        f"{VALUE_BYTES} B values",
        f"- {args.rounds} rounds of {args.duration:g} s per server and workload, interleaved; "
        f"runs during which other tenants used more than {args.quiet:g} CPU are dropped, unless "
        "that leaves fewer than half of a cell's rounds ('(all)')",
        f"- before the rounds, one untimed {WARM_UP_SECONDS} s run of each workload on each "
        "server (TCG translates a code path the first time it runs)",
        f"- {CPU_LABEL}: host CPU time of the QEMU process (every vCPU and the user-mode "
        "network) per request",
        f"- the whole run took {seconds:.0f} s",
    ]


def markdown(
    cells: dict[tuple[str, str], report.Cell], header: list[str], problems: list[str]
) -> str:
    parts = [
        "# Benchmark results in the QEMU guest: kernel modules vs nginx and memcached",
        "",
        *header,
        "",
        report.table(cells, cpu=CPU_LABEL),
        "",
        "## Ratios (WYKI module over the stock server)",
        "",
        "```",
        *report.ratio_lines(report.ratios(cells)),
        "```",
        "",
        "## Kernel problems seen on the console",
        "",
        *(
            [f"- {p}" for p in problems]
            or ["None: no Oops, BUG or WARNING; 0 allocations outstanding at each unload."]
        ),
        "",
    ]
    return "\n".join(parts)
