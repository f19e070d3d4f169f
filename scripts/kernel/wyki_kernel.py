"""Build WYKI services as Linux kernel modules and test them in Debian's kernel under QEMU.

Used by scripts/kernel-build, scripts/kernel-test and tests/kernel/. Everything here is
bounded: every subprocess and every wait has a timeout, and QEMU is killed by its pid when it
does not power off by itself.

The set: the five compiled examples (examples/*.wyki through `nanowyki build --target kernel`,
i.e. nanowyki.kernel_build). ONE guest serves the whole set: Debian's own kernel
(/boot/vmlinuz-<ver>, the newest *-amd64 under /lib/modules, never `uname -r`), an initramfs
written here (busybox-static as /init, the virtio NIC modules, every service's module), and
user-mode networking with a host port on 127.0.0.1 forwarded to each service's port. The
control channel is the serial console itself: /init prints markers (WYKI-GUEST-READY,
WYKI-READY <svc>, WYKI-DONE <svc>, ...) and reads one command per line: `load SVC PARAMS`,
`unload SVC` (print /proc/wyki/SVC, rmmod, dump and clear dmesg), `poweroff`. If the host stops
talking, /init unloads what is loaded and powers off after a timeout, so the guest always ends.
Each service is loaded, checked from the host (checks.py), left with two live sessions,
unloaded, and judged on its own stretch of the console. Then every transcript of
tests/transcripts/<service>/ is replayed (nanowyki/replay.py) against a fresh load of the
module with control=1 (runtime_c/kernel/control.c: a virtual clock, and
/proc/wyki/<service>.control), its commands relayed by /init: `ctl SVC COMMAND` on the console,
`WYKI-CTL <answer>` back.
"""

from __future__ import annotations

import concurrent.futures
import io
import lzma
import os
import random
import re
import shutil
import socket
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import service_checks as checks  # noqa: E402

from nanowyki import kernel_build  # noqa: E402
from nanowyki.interp import read_transcript  # noqa: E402
from nanowyki.replay import ClientTotals, ControlError, LineControl, Replay  # noqa: E402
from nanowyki.testing import hostile  # noqa: E402

RUNTIME = ROOT / "runtime_c"
INIT_TEMPLATE = Path(__file__).resolve().parent / "init.sh"

PACKAGES = [
    "linux-headers-amd64",
    "linux-image-amd64",
    "qemu-system-x86",
    "busybox-static",
    "kmod",
    "cpio",
]
APT_LINE = "apt-get install -y -o DPkg::Lock::Timeout=900 " + " ".join(PACKAGES)

READY_TIMEOUT_TCG = 120.0  # QEMU start to WYKI-GUEST-READY; 7-25 s measured
READY_TIMEOUT_KVM = 20.0
HOSTILE_SEEDS = (0,)  # attack rounds per module (each runs every attack of its protocol once)
LOAD_TIMEOUT = 60.0  # `load` to WYKI-READY (insmod allocates and zeroes the arena)
UNLOAD_TIMEOUT = 60.0
POWEROFF_TIMEOUT = 60.0
SESSION_FREE_TIMEOUT = 20.0  # sessions of closed clients are freed after their FIN arrives
GUEST_CONTROL_TIMEOUT = 300  # /init powers off by itself if the host says nothing this long
CTL_TIMEOUT = 40.0  # one control command; the module gives up settling after 10 s
# After `quiet`, what the service sent may still be inside QEMU's user-mode network on its way
# to the client: `silent`, `open?`, `close` and the end of a transcript wait this long before
# they conclude that nothing came. SLIRP forwards within milliseconds; 0.1 s leaves room for a
# busy host, and costs ~1 s per transcript at most (a few such steps each).
SLIRP_DRAIN = 0.1
TRANSCRIPTS = ROOT / "tests" / "transcripts"
BUILD_JOBS = 2  # modules built at once (each `make` is mostly serial)

FAIL_PATTERNS = [
    r"Oops",
    r"BUG:",
    r"WARNING:",
    r"Call Trace",
    r"Kernel panic",
    r"general protection fault",
    r"unable to handle",
    r"RIP: ",
    r"WYKI-INSMOD-FAILED",
    r"WYKI-RMMOD-FAILED",
]

KernelTestError = kernel_build.KernelBuildError
MissingPackages = kernel_build.MissingPackage
find_kdir = kernel_build.find_kdir


def missing_packages() -> list[str]:
    """Packages of PACKAGES whose files are absent (checked by their files, not dpkg)."""
    missing = []
    has_headers = any(Path("/lib/modules").glob("*-amd64/build/Makefile"))
    if not has_headers:
        missing.append("linux-headers-amd64")
    if not any(Path("/boot").glob("vmlinuz-*-amd64")):
        missing.append("linux-image-amd64")
    if shutil.which("qemu-system-x86_64") is None:
        missing.append("qemu-system-x86")
    if not Path("/bin/busybox").is_file():
        missing.append("busybox-static")
    if shutil.which("modprobe") is None and not Path("/sbin/modprobe").exists():
        missing.append("kmod")
    if shutil.which("make") is None or shutil.which("gcc") is None:
        missing.append("build-essential")
    return missing


# ---- the services ----------------------------------------------------------------------


@dataclass(frozen=True)
class Service:
    name: str  # the service's name: module wyki_NAME.ko, /proc/wyki/NAME
    proto: str
    port: int  # the port it listens on in the guest (its default)
    params: str  # insmod parameters
    probe: bytes  # a request every session answers (TCP), to find a free session
    check: Callable[[int, checks.Say], None]

    @property
    def source(self) -> Path:
        return ROOT / "examples" / f"{self.name}.wyki"


SESSIONS = "sessions=64"  # small arenas in a 512 MiB guest; echo's check fills the pool
SERVICES = {
    s.name: s
    for s in (
        Service("echo", "tcp", 7, SESSIONS, b"x", checks.check_echo),
        Service(
            "http",
            "tcp",
            8080,
            SESSIONS,
            b"GET /hello HTTP/1.1\r\nHost: x\r\n\r\n",
            checks.check_http,
        ),
        Service("kv", "tcp", 11211, SESSIONS, b"get nothing\r\n", checks.check_kv),
        Service("dns", "udp", 5353, "", b"", checks.check_dns),
        Service("ratelimit", "tcp", 7070, SESSIONS, b"STATS\r\n", checks.check_ratelimit),
    )
}


# ---- building ------------------------------------------------------------------------


def build_module(
    source: str | os.PathLike[str],
    outdir: str | os.PathLike[str],
    kdir: str | os.PathLike[str] | None = None,
    name: str | None = None,
) -> Path:
    """Build a service as OUTDIR/wyki_<name>.ko: a .wyki program is compiled first (as
    `nanowyki build --target kernel` does), a .c file is taken as generated C."""
    source = Path(source).resolve()
    outdir = Path(outdir).resolve()
    if source.suffix == ".wyki":
        from nanowyki import pipeline
        from nanowyki.emit_c import emit_c

        unit = pipeline.default().run(pipeline.source_tree(source)).tree
        outdir.mkdir(parents=True, exist_ok=True)
        (outdir / "service.c").write_text(emit_c(unit, c_file="service.c"))  # type: ignore[arg-type]
        name = name or getattr(unit, "name", source.stem)
        source = outdir / "service.c"
    return kernel_build.build_module(source, outdir, kdir, name)


def build_modules(
    services: list[Service], workdir: Path, kdir: str | os.PathLike[str] | None,
    say: Callable[[str], None],
) -> dict[str, Path]:  # fmt: skip
    """Every service's module, BUILD_JOBS at a time."""
    with concurrent.futures.ThreadPoolExecutor(BUILD_JOBS) as pool:
        futures = {
            s.name: pool.submit(build_module, s.source, workdir / f"build-{s.name}", kdir, s.name)
            for s in services
        }
        kos = {name: f.result() for name, f in futures.items()}
    say(f"built {', '.join(ko.name for ko in kos.values())}")
    return kos


# ---- the initramfs -------------------------------------------------------------------

# ---- the initramfs -------------------------------------------------------------------


class _Cpio:
    """A newc cpio archive written directly (device nodes need no root this way)."""

    def __init__(self) -> None:
        self.data = bytearray()
        self.ino = 1

    def _entry(
        self, name: str, mode: int, body: bytes = b"", rdev: tuple[int, int] = (0, 0)
    ) -> None:
        namez = name.encode() + b"\0"
        fields = [
            self.ino,
            mode,
            0,
            0,
            1,
            0,
            len(body),
            0,
            0,
            rdev[0],
            rdev[1],
            len(namez),
            0,
        ]
        self.ino += 1
        hdr = b"070701" + b"".join(b"%08X" % f for f in fields)
        self.data += hdr + namez
        self.data += b"\0" * (-len(self.data) % 4)
        self.data += body
        self.data += b"\0" * (-len(self.data) % 4)

    def dir(self, name: str) -> None:
        self._entry(name, stat.S_IFDIR | 0o755)

    def file(self, name: str, body: bytes, mode: int = 0o644) -> None:
        self._entry(name, stat.S_IFREG | mode, body)

    def symlink(self, name: str, target: str) -> None:
        self._entry(name, stat.S_IFLNK | 0o777, target.encode())

    def chardev(self, name: str, major: int, minor: int) -> None:
        self._entry(name, stat.S_IFCHR | 0o600, rdev=(major, minor))

    def finish(self) -> bytes:
        self._entry("TRAILER!!!", 0)
        self.data += b"\0" * (-len(self.data) % 512)
        return bytes(self.data)


def nic_modules(kver: str) -> list[Path]:
    """virtio_pci and virtio_net with their dependencies, in load order (from modprobe)."""
    modprobe = shutil.which("modprobe") or "/sbin/modprobe"
    order: list[Path] = []
    for mod in ("virtio_pci", "virtio_net"):
        proc = subprocess.run(
            [modprobe, "-S", kver, "--show-depends", mod],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        if proc.returncode != 0:
            raise MissingPackages(
                f"modprobe --show-depends {mod} failed for {kver} (packages kmod and "
                f"linux-image-amd64): {proc.stderr.strip()}"
            )
        for line in proc.stdout.splitlines():
            parts = line.split()
            if len(parts) >= 2 and parts[0] == "insmod":
                path = Path(parts[1])
                if path not in order:
                    order.append(path)
    return order


def _module_bytes(path: Path) -> bytes:
    data = path.read_bytes()
    if path.suffix == ".xz":
        data = lzma.decompress(data)
    return data


# ---- QEMU ------------------------------------------------------------------------------


def free_port(kind: int) -> int:
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def kvm_usable() -> tuple[bool, str]:
    """KVM only with /dev/kvm usable AND hardware virtualisation flags (kernel-lab.md)."""
    if not os.access("/dev/kvm", os.R_OK | os.W_OK):
        return False, "/dev/kvm is absent or not accessible"
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        flags = ""
    if not re.search(r"^flags\s*:.*\b(vmx|svm)\b", flags, re.MULTILINE):
        return False, "/dev/kvm exists but the CPU shows no vmx/svm (a paravirtual hypervisor)"
    return True, "vmx/svm present"


class Guest:
    """One QEMU run: the console is collected by a thread; markers are waited for."""

    def __init__(self, kernel: Path, initrd: Path, accel: str, fwd: str, log_path: Path) -> None:
        accel_args = (
            ["-accel", "kvm", "-cpu", "host"] if accel == "kvm" else ["-accel", "tcg,thread=multi"]
        )
        self.cmd = [
            "qemu-system-x86_64",
            *accel_args,
            "-m",
            "512M",
            "-smp",
            "2",
            "-display",
            "none",
            "-vga",
            "none",
            "-monitor",
            "none",
            "-serial",
            "stdio",
            "-no-reboot",
            "-kernel",
            str(kernel),
            "-initrd",
            str(initrd),
            "-append",
            "console=ttyS0 quiet panic=-1",
            "-netdev",
            f"user,id=n0,{fwd}",
            "-device",
            "virtio-net-pci,netdev=n0",
        ]
        self.log_path = log_path
        self.text = ""
        self.cond = threading.Condition()
        self.started = time.monotonic()
        self.proc = subprocess.Popen(
            self.cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        stdout = self.proc.stdout
        assert isinstance(stdout, io.BufferedReader)
        with open(self.log_path, "wb") as log:
            while True:
                chunk = stdout.read1(65536)
                if not chunk:
                    break
                log.write(chunk)
                log.flush()
                with self.cond:
                    self.text += chunk.decode("utf-8", "replace").replace("\r", "")
                    self.cond.notify_all()
        with self.cond:
            self.cond.notify_all()

    def mark(self) -> int:
        """Where the console is now: wait_for(..., since=mark) looks only at what follows."""
        with self.cond:
            return len(self.text)

    def wait_for(self, *markers: str, timeout: float, since: int = 0) -> str | None:
        """The first of @markers to appear on the console after @since, or None on timeout
        or when QEMU has exited."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                found = [(self.text.find(m, since), m) for m in markers]
                found = [(at, m) for at, m in found if at >= 0]
                if found:
                    return min(found)[1]
                left = deadline - time.monotonic()
                if left <= 0 or (self.proc.poll() is not None and not self.reader.is_alive()):
                    return None
                self.cond.wait(min(left, 0.5))

    def request(self, line: str, timeout: float) -> str:
        """Send a `ctl` line; the rest of the `WYKI-CTL ...` line that answers it."""
        since = self.mark()
        answer = re.compile(r"WYKI-CTL ([^\n]*)\n")
        self.send(line)
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                if m := answer.search(self.text, since):
                    return m.group(1)
                left = deadline - time.monotonic()
                if left <= 0 or (self.proc.poll() is not None and not self.reader.is_alive()):
                    raise ControlError(f"no answer to '{line}' within {timeout:.0f} s")
                self.cond.wait(min(left, 0.5))

    def send(self, line: str) -> None:
        assert self.proc.stdin is not None
        try:
            self.proc.stdin.write(line.encode() + b"\n")
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError):
            pass

    def finish(self, timeout: float) -> None:
        """Wait for QEMU to exit; kill it by its pid if it does not."""
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)
        self.reader.join(timeout=10)
        with self.cond:
            pass

    def console(self) -> str:
        with self.cond:
            return self.text


def build_initramfs(kos: dict[str, Path], kver: str, out: Path) -> Path:
    """Write @out: busybox /init that loads the NIC, then serves the console's commands;
    every service's module is /modules/wyki_NAME.ko."""
    mods = nic_modules(kver)
    init = INIT_TEMPLATE.read_text()
    init = init.replace("@CONTROL_TIMEOUT@", str(GUEST_CONTROL_TIMEOUT)).replace(
        "@NIC_MODULES@", " ".join(f"/lib/modules/{m.name.removesuffix('.xz')}" for m in mods)
    )
    c = _Cpio()
    for d in ("bin", "dev", "proc", "sys", "lib", "lib/modules", "modules", "tmp"):
        c.dir(d)
    c.chardev("dev/console", 5, 1)
    c.chardev("dev/null", 1, 3)
    c.file("bin/busybox", Path("/bin/busybox").read_bytes(), 0o755)
    c.symlink("bin/sh", "busybox")
    c.file("init", init.encode(), 0o755)
    for m in mods:
        c.file(f"lib/modules/{m.name.removesuffix('.xz')}", _module_bytes(m))
    for name, ko in kos.items():
        c.file(f"modules/wyki_{name}.ko", ko.read_bytes())
    out.write_bytes(c.finish())
    return out


# ---- judging a service's stretch of the console -----------------------------------------


@dataclass
class Result:
    service: str
    ok: bool
    seconds: float
    accel: str
    console_log: Path
    message: str
    stats: dict[str, str]
    transcripts: dict[str, str] = field(default_factory=dict)  # name -> "ok" or the failure


def parse_stats(console: str) -> dict[str, str]:
    m = re.search(r"WYKI-STATS-BEGIN \S+\n(.*?)WYKI-STATS-END", console, re.DOTALL)
    stats: dict[str, str] = {}
    if m:
        for line in m.group(1).splitlines():
            parts = line.split()
            if len(parts) == 2:
                stats[parts[0]] = parts[1]
    return stats


def kernel_problems(console: str) -> list[str]:
    """Every Oops, BUG, WARNING, panic... line of @console (first of each kind)."""
    problems = []
    for pat in FAIL_PATTERNS:
        for m in re.finditer(pat, console):
            line_start = console.rfind("\n", 0, m.start()) + 1
            line_end = console.find("\n", m.end())
            problems.append(
                f"console: {console[line_start : line_end if line_end >= 0 else None].strip()}"
            )
            break
    return problems


def analyse_console(console: str, service: str) -> list[str]:
    """Everything wrong with a service's stretch of the console (empty when clean)."""
    problems = []
    if f"WYKI-READY {service}" not in console:
        problems.append("no WYKI-READY marker")
    problems += kernel_problems(console)
    unloads = re.findall(r"wyki: (\S+) unloaded, (-?\d+) allocations outstanding", console)
    if not unloads:
        problems.append("no 'unloaded, N allocations outstanding' line")
    for name, n in unloads:
        if int(n) != 0:
            problems.append(f"{name} unloaded with {n} allocations outstanding")
    if f"WYKI-UNLOADED {service}" not in console:
        problems.append("no WYKI-UNLOADED marker (rmmod did not succeed)")
    return problems


# ---- the run ---------------------------------------------------------------------------


def run_set(
    names: list[str],
    workdir: Path,
    accel: str = "tcg",
    kdir: str | None = None,
    say: Callable[[str], None] = print,
) -> list[Result]:
    """Build every named service, boot one guest, and load, check and unload each in turn.
    One Result per service, plus one named `guest` when the boot or the shutdown went wrong."""
    t0 = time.monotonic()
    build, kver = find_kdir(kdir)
    kernel = Path(f"/boot/vmlinuz-{kver}")
    if not kernel.is_file():
        raise MissingPackages(f"{kernel} is missing: install linux-image-amd64 ({APT_LINE})")
    services = [SERVICES[n] for n in names]
    say(f"building {len(services)} modules against {kver}")
    kos = build_modules(services, workdir, build, say)
    initrd = build_initramfs(kos, kver, workdir / "initramfs.cpio")
    ports: dict[tuple[str, int], int] = {}
    for s in services:
        kind = socket.SOCK_STREAM if s.proto == "tcp" else socket.SOCK_DGRAM
        ports.setdefault((s.proto, s.port), free_port(kind))
    fwd = ",".join(f"hostfwd={proto}:127.0.0.1:{host}-:{port}"
                   for (proto, port), host in ports.items())  # fmt: skip
    log_path = workdir / "console.log"
    say(f"booting {kver} under {accel} ({len(ports)} forwarded ports)")
    guest = Guest(kernel, initrd, accel, fwd, log_path)
    results: list[Result] = []
    problems: list[str] = []
    try:
        timeout = READY_TIMEOUT_KVM if accel == "kvm" else READY_TIMEOUT_TCG
        if guest.wait_for("WYKI-GUEST-READY", timeout=timeout) is None:
            tail = guest.console()[-3000:]
            raise KernelTestError(f"no WYKI-GUEST-READY within {timeout:.0f} s; tail:\n{tail}")
        say(f"guest ready after {time.monotonic() - guest.started:.1f} s")
        for s in services:
            results.append(run_service(guest, s, ports[(s.proto, s.port)], accel, say))
        guest.send("poweroff")
        if guest.wait_for("WYKI-POWEROFF", timeout=POWEROFF_TIMEOUT) is None:
            problems.append(f"the guest did not power off within {POWEROFF_TIMEOUT:.0f} s")
    except KernelTestError as e:
        problems.append(str(e))
    finally:
        guest.send("poweroff")  # harmless if already stopping
        guest.finish(POWEROFF_TIMEOUT if not problems else 15.0)
    console = guest.console()
    first = console.find("WYKI-BEGIN ")
    last = console.rfind("WYKI-DONE ")
    outside = console[: first if first >= 0 else None]
    if last >= 0:
        outside += console[console.find("\n", last) + 1 :]
    problems += kernel_problems(outside)  # the boot, and after the last service
    if problems or len(results) < len(services):
        done = {r.service for r in results}
        missed = [s.name for s in services if s.name not in done]
        text = "; ".join(problems + ([f"not run: {', '.join(missed)}"] if missed else []))
        results.append(Result("guest", False, time.monotonic() - t0, accel, log_path, text, {}))
    say(f"guest powered off ({time.monotonic() - t0:.0f} s in all)")
    return results


def run_service(
    guest: Guest, svc: Service, port: int, accel: str, say: Callable[[str], None]
) -> Result:
    """Load @svc in the running guest, check it on host @port, unload it, judge its stretch."""
    t0 = time.monotonic()
    since = guest.mark()
    message = ""
    live: list[socket.socket] = []
    try:
        guest.send(f"load {svc.name} {svc.params}".strip())
        found = guest.wait_for(f"WYKI-READY {svc.name}", f"WYKI-INSMOD-FAILED {svc.name}",
                               timeout=LOAD_TIMEOUT, since=since)  # fmt: skip
        if found != f"WYKI-READY {svc.name}":
            raise KernelTestError(f"insmod: {found or 'no answer'}")
        say(f"[{svc.name}] loaded ({svc.proto} 127.0.0.1:{port} -> guest :{svc.port})")
        say(f"[{svc.name}] testing")
        svc.check(port, lambda line: say(f"[{svc.name}]   {line}"))
        for seed in HOSTILE_SEEDS:
            attacks = hostile.attack_round(
                "127.0.0.1", port, hostile.PROTOCOLS[svc.name], random.Random(seed)
            )
            say(f"[{svc.name}]   hostile round {seed}: {len(attacks)} attacks, then a valid "
                "request answered")  # fmt: skip
        if svc.proto == "tcp":
            live = open_live_sessions(svc, port)
            say(f"[{svc.name}]   2 sessions left open for the unload "
                "(one idle, one with its transmit buffer full)")  # fmt: skip
    except (KernelTestError, checks.CheckFailed, hostile.ServiceFailed) as e:
        message = str(e)
    except OSError as e:
        message = f"{type(e).__name__}: {e}"
    finally:
        say(f"[{svc.name}] unloading")
        guest.send(f"unload {svc.name}")
        if guest.wait_for(f"WYKI-DONE {svc.name}", timeout=UNLOAD_TIMEOUT, since=since) is None:
            message = message or f"no WYKI-DONE within {UNLOAD_TIMEOUT:.0f} s of unload"
        for sock in live:
            sock.close()
    stretch = guest.console()[since:]
    problems = analyse_console(stretch, svc.name)
    if message:
        problems.insert(0, message)
    stats = parse_stats(stretch)
    if svc.proto == "tcp" and not message and stats.get("live") != "2":
        problems.append(f"expected 2 live sessions at unload, /proc says live={stats.get('live')}")
    say(f"[{svc.name}] transcripts, each against a fresh load with control=1")
    transcripts, kernel_side = run_transcripts(guest, svc, port, say)
    problems += kernel_side
    problems += [f"transcript {name}: {outcome}"
                 for name, outcome in transcripts.items() if outcome != "ok"]  # fmt: skip
    seconds = time.monotonic() - t0
    if problems:
        say(f"[{svc.name}] FAIL: {'; '.join(problems)}")
        return Result(svc.name, False, seconds, accel, guest.log_path, "; ".join(problems),
                      stats, transcripts)  # fmt: skip
    say(f"[{svc.name}] clean: checks and {len(transcripts)} transcripts passed, every unload "
        f"left 0 allocations outstanding ({seconds:.1f} s)")  # fmt: skip
    return Result(svc.name, True, seconds, accel, guest.log_path, "ok", stats, transcripts)


# ---- transcripts ---------------------------------------------------------------------


class GuestControl(LineControl):
    """The `Control` of a module loaded with control=1: each command goes over the console
    to /init, which writes it to /proc/wyki/<service>.control and prints the answer."""

    drain = SLIRP_DRAIN

    def __init__(self, guest: Guest, svc: Service, port: int, since: int) -> None:
        self.guest = guest
        self.service = svc.name
        self.host = "127.0.0.1"
        self.port = port
        self.proto = svc.proto
        self.since = since

    def request(self, line: str) -> str:
        return self.guest.request(f"ctl {self.service} {line}", CTL_TIMEOUT)

    def quiet(self, done: ClientTotals | None = None) -> None:
        self._ok(f"quiet {done.words()}" if done is not None else "quiet")

    def log(self) -> str:
        return self.guest.console()[self.since :][-4000:]


def run_transcripts(
    guest: Guest, svc: Service, port: int, say: Callable[[str], None]
) -> tuple[dict[str, str], list[str]]:
    """Replay every transcript of @svc against a fresh control=1 load of its module. The
    outcome of each, and what is wrong with the kernel's side of this stretch."""
    outcomes: dict[str, str] = {}
    problems: list[str] = []
    since = guest.mark()
    t0 = time.monotonic()
    paths = sorted((TRANSCRIPTS / svc.name).glob("*.tr"))
    params = " ".join(p for p in (svc.params, "control=1") if p)
    for path in paths:
        mark = guest.mark()
        guest.send(f"load {svc.name} {params}")
        found = guest.wait_for(f"WYKI-READY {svc.name}", f"WYKI-INSMOD-FAILED {svc.name}",
                               timeout=LOAD_TIMEOUT, since=mark)  # fmt: skip
        if found != f"WYKI-READY {svc.name}":
            outcomes[path.stem] = f"insmod control=1: {found or 'no answer'}"
            break
        try:
            control = GuestControl(guest, svc, port, mark)
            control.quiet()
            result = Replay(read_transcript(path), control).run()
            outcomes[path.stem] = "ok" if result.ok else result.report()
            if path == paths[0]:
                problems += control_errors(control)
        except ControlError as e:
            outcomes[path.stem] = f"{path}: ControlError: {e}"
        finally:
            guest.send(f"unload {svc.name}")
            if guest.wait_for(f"WYKI-DONE {svc.name}", timeout=UNLOAD_TIMEOUT, since=mark) is None:
                outcomes[path.stem] = f"no WYKI-DONE within {UNLOAD_TIMEOUT:.0f} s of unload"
        if outcomes[path.stem] != "ok":
            say(f"[{svc.name}]   transcript {path.stem}: FAIL")
    passed = sum(o == "ok" for o in outcomes.values())
    say(f"[{svc.name}]   transcripts: {passed} of {len(paths)} passed "
        f"({time.monotonic() - t0:.1f} s with a load and an unload each)")  # fmt: skip
    stretch = guest.console()[since:]
    problems += kernel_problems(stretch)
    unloads = re.findall(r"wyki: \S+ unloaded, (-?\d+) allocations outstanding", stretch)
    problems += [f"unloaded with {n} allocations outstanding" for n in unloads if n != "0"]
    if len(unloads) != len(outcomes):
        problems.append(f"{len(outcomes)} loads but {len(unloads)} clean unloads")
    return outcomes, problems


# A command and the answer the module must give it (a regular expression).
CONTROL_ERRORS = {
    "advance -1": r"error advance needs milliseconds, 0\.\.4503599627370496",
    "advance": r"error unknown command 'advance' \(known: quiet, advance MS, stats\)",
    "quiet 1": r"error quiet needs OPENED DATAGRAMS \[BYTES\[\+\] \.\.\.\] \(at most 128\)",
    "quiet 1 0 5x": r"error quiet needs OPENED DATAGRAMS .*",
    "advance 0": r"ok now=\d+",
}


def control_errors(control: GuestControl) -> list[str]:
    """What is wrong with the module's answers to bad commands (empty when right). For the
    datagram service (once in the set: it takes the module's 10 s), also a `quiet` that cannot
    settle: the clients claim datagrams that were never sent."""
    wrong = []
    answers = dict(CONTROL_ERRORS)
    if control.proto == "udp":
        answers["quiet 0 1000000"] = (
            r"error quiet: not settled after 10000 ms: \d+ of 1000000 datagrams arrived"
        )
    for line, expected in answers.items():
        got = control.request(line)
        if not re.fullmatch(expected, got):
            wrong.append(f"control '{line}' answered {got!r}, expected /{expected}/")
    return wrong


def open_live_sessions(svc: Service, port: int) -> list[socket.socket]:
    """Two sessions that are alive when rmmod runs: one idle after a reply, one whose
    transmit buffer is full because the client stopped reading (rmmod must close both)."""
    socks = [_served_connection(svc, port), _served_connection(svc, port)]
    flood = socks[1]
    flood.setblocking(False)
    sent = 0
    try:
        while sent < (4 << 20):
            sent += flood.send(svc.probe * 1024)
    except BlockingIOError:
        pass
    return socks


def _served_connection(svc: Service, port: int) -> socket.socket:
    """A connection the service answers. Right after a test that filled the session pool,
    the guest may still be processing the clients' FINs (slowly, under TCG), and a new
    connection is then refused as it should be; try again until a session is free."""
    deadline = time.monotonic() + SESSION_FREE_TIMEOUT
    while True:
        s = checks.connect(port)
        try:
            s.sendall(svc.probe)
            if s.recv(64):
                return s
        except OSError:
            pass
        s.close()
        if time.monotonic() > deadline:
            raise KernelTestError(
                f"no session became free within {SESSION_FREE_TIMEOUT:.0f} s "
                "(every new connection was closed by the server)"
            )
        time.sleep(0.25)


def choose_accel(requested: str, say: Callable[[str], None] = print) -> str:
    if requested in ("tcg", "kvm"):
        return requested
    ok, why = kvm_usable()
    say(f"accelerator: {'kvm' if ok else 'tcg'} ({why})")
    return "kvm" if ok else "tcg"
