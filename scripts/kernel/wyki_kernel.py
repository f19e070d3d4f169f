"""Build WYKI services as Linux kernel modules and test them in Debian's kernel under QEMU.

Used by scripts/kernel-build, scripts/kernel-test and tests/kernel/. Everything here is
bounded: every subprocess and every wait has a timeout, and QEMU is killed by its pid when it
does not power off by itself.

The guest: Debian's own kernel (/boot/vmlinuz-<ver>, the newest *-amd64 under /lib/modules,
never `uname -r`), an initramfs written here (busybox-static as /init, the virtio NIC modules,
the service module), user-mode networking with one host port on 127.0.0.1 forwarded to the
service port. The control channel is the serial console itself: /init prints markers
(WYKI-READY, WYKI-UNLOADED...) and, once the host has run its checks, reads the line
`stop` from the console, prints /proc/wyki/<service>, rmmods the module, dumps dmesg and
powers off. If the host never writes, /init gives up waiting after a timeout and unloads
anyway, so the guest always ends.
"""

from __future__ import annotations

import contextlib
import lzma
import os
import re
import shutil
import socket
import stat
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
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

BUILD_TIMEOUT = 300
READY_TIMEOUT_TCG = 120.0  # QEMU start to WYKI-READY; 7-11 s measured, generous for loaded hosts
READY_TIMEOUT_KVM = 20.0
POWEROFF_TIMEOUT = 60.0
IO_TIMEOUT = 15.0  # any single socket operation of a check
SESSION_FREE_TIMEOUT = 20.0  # sessions of closed clients are freed after their FIN arrives
GUEST_CONTROL_TIMEOUT = 300  # /init unloads by itself if the host never says `stop`

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


class KernelTestError(Exception):
    """A build, boot or check failed."""


class MissingPackages(KernelTestError):
    """A package this needs is not installed; the message names it."""


# ---- finding things --------------------------------------------------------------------


def _version_key(name: str) -> list[object]:
    return [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", name)]


def find_kdir(kdir: str | os.PathLike[str] | None = None) -> tuple[Path, str]:
    """The kernel build directory and its version: newest /lib/modules/*-amd64/build."""
    if kdir is not None:
        path = Path(kdir)
        if not (path / "Makefile").is_file():
            raise MissingPackages(
                f"{path} is not a kernel build directory (no Makefile); Debian's is "
                "/lib/modules/<version>/build from the package linux-headers-amd64"
            )
        for mod in Path("/lib/modules").glob("*"):
            build = mod / "build"
            if build.exists() and build.resolve() == path.resolve():
                return path, mod.name
        release = path / "include" / "config" / "kernel.release"
        return path, release.read_text().strip() if release.is_file() else path.name
    found = [
        d for d in Path("/lib/modules").glob("*-amd64") if (d / "build" / "Makefile").is_file()
    ]
    if not found:
        raise MissingPackages(
            "no kernel headers under /lib/modules/*-amd64/build: install the Debian package "
            f"linux-headers-amd64 ({APT_LINE})"
        )
    newest = max(found, key=lambda d: _version_key(d.name))
    return newest / "build", newest.name


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


def service_name(source: Path) -> str:
    """echo_service.c -> echo; the module is wyki_<name>.ko."""
    name = source.name
    for suffix in (".c", "_service"):
        if name.endswith(suffix):
            name = name[: -len(suffix)]
    name = re.sub(r"[^a-z0-9_]", "_", name.lower())
    if not name:
        raise KernelTestError(f"cannot derive a module name from {source}")
    return name


# ---- building ------------------------------------------------------------------------


def write_tree(source: Path, outdir: Path, name: str) -> None:
    """Lay out a Kbuild tree: Kbuild, wyki.mk, service.c, include/, common/, kernel/."""
    outdir.mkdir(parents=True, exist_ok=True)
    shutil.copy(RUNTIME / "kernel" / "Kbuild", outdir / "Kbuild")
    (outdir / "wyki.mk").write_text(f"WYKI_NAME := {name}\n")
    (outdir / "Makefile").write_text(
        "# Build with: make -C <kernel build dir> M=$(CURDIR) modules (see Kbuild)\n"
        "KDIR ?= /lib/modules/$(shell ls /lib/modules | grep -- -amd64 | sort -V | tail -1)/build\n"
        "all:\n\t$(MAKE) -C $(KDIR) M=$(CURDIR) modules\n"
        "clean:\n\t$(MAKE) -C $(KDIR) M=$(CURDIR) clean\n"
    )
    shutil.copy(source, outdir / "service.c")
    for sub, patterns in (
        ("include", ["*.h"]),
        ("common", ["*.c", "*.h"]),
        ("kernel", ["*.c", "*.h"]),
    ):
        (outdir / sub).mkdir(exist_ok=True)
        for pattern in patterns:
            for f in (RUNTIME / sub).glob(pattern):
                shutil.copy(f, outdir / sub / f.name)


def build_module(
    source: str | os.PathLike[str],
    outdir: str | os.PathLike[str],
    kdir: str | os.PathLike[str] | None = None,
    name: str | None = None,
) -> Path:
    """Build one service as wyki_<name>.ko in @outdir; warnings are errors."""
    source = Path(source).resolve()
    outdir = Path(outdir).resolve()
    if not source.is_file():
        raise KernelTestError(f"no such service source: {source}")
    build, _ver = find_kdir(kdir)
    if shutil.which("make") is None or shutil.which("gcc") is None:
        raise MissingPackages("make and gcc are needed: apt-get install build-essential")
    name = name or service_name(source)
    write_tree(source, outdir, name)
    proc = subprocess.run(
        ["make", "-C", str(build), f"M={outdir}", "modules"],
        capture_output=True,
        text=True,
        timeout=BUILD_TIMEOUT,
        check=False,
    )
    output = proc.stdout + proc.stderr
    (outdir / "build.log").write_text(output)
    if proc.returncode != 0:
        raise KernelTestError(f"module build failed (make exit {proc.returncode}):\n{output}")
    if re.search(r"warning:", output, re.IGNORECASE):
        raise KernelTestError(f"module build is not warning-free:\n{output}")
    ko = outdir / f"wyki_{name}.ko"
    if not ko.is_file():
        raise KernelTestError(f"build succeeded but {ko} is missing:\n{output}")
    return ko


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


def build_initramfs(ko: Path, kver: str, service: str, params: str, out: Path) -> Path:
    """Write @out: busybox /init that loads the NIC and @ko, and the control loop."""
    mods = nic_modules(kver)
    init = INIT_TEMPLATE.read_text()
    init = (
        init.replace("@SERVICE@", service)
        .replace("@PARAMS@", params)
        .replace("@CONTROL_TIMEOUT@", str(GUEST_CONTROL_TIMEOUT))
        .replace(
            "@NIC_MODULES@", " ".join(f"/lib/modules/{m.name.removesuffix('.xz')}" for m in mods)
        )
    )
    c = _Cpio()
    for d in ("bin", "dev", "proc", "sys", "lib", "lib/modules", "tmp"):
        c.dir(d)
    c.chardev("dev/console", 5, 1)
    c.chardev("dev/null", 1, 3)
    c.file("bin/busybox", Path("/bin/busybox").read_bytes(), 0o755)
    c.symlink("bin/sh", "busybox")
    c.file("init", init.encode(), 0o755)
    for m in mods:
        c.file(f"lib/modules/{m.name.removesuffix('.xz')}", _module_bytes(m))
    c.file("wyki.ko", ko.read_bytes())
    out.write_bytes(c.finish())
    return out


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
        assert self.proc.stdout is not None
        with open(self.log_path, "wb") as log:
            while True:
                chunk = self.proc.stdout.read1(65536)
                if not chunk:
                    break
                log.write(chunk)
                log.flush()
                with self.cond:
                    self.text += chunk.decode("utf-8", "replace").replace("\r", "")
                    self.cond.notify_all()
        with self.cond:
            self.cond.notify_all()

    def wait_for(self, marker: str, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        with self.cond:
            while marker not in self.text:
                left = deadline - time.monotonic()
                if left <= 0 or (self.proc.poll() is not None and not self.reader.is_alive()):
                    return marker in self.text
                self.cond.wait(min(left, 0.5))
            return True

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


# ---- the services and their checks ------------------------------------------------------


def _recv_exact(s: socket.socket, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = s.recv(n - len(data))
        if not chunk:
            break
        data += chunk
    return data


def _connect(port: int) -> socket.socket:
    s = socket.create_connection(("127.0.0.1", port), timeout=IO_TIMEOUT)
    s.settimeout(IO_TIMEOUT)
    return s


def check_echo(port: int, say: Callable[[str], None]) -> dict[str, int]:
    """Several connections at once; small messages, then a payload larger than rx and tx."""
    conns = [_connect(port) for _ in range(4)]
    try:
        for i, s in enumerate(conns):
            s.sendall(b"hello %d\n" % i)
        for i, s in enumerate(conns):
            want = b"hello %d\n" % i
            got = _recv_exact(s, len(want))
            if got != want:
                raise KernelTestError(f"echo: connection {i} got {got!r}, want {want!r}")
        big = bytes(range(256)) * 100  # 25600 bytes: more than rx (8 KiB) and tx (8 KiB)
        errors: list[str] = []

        def pump(s: socket.socket) -> None:
            try:
                s.sendall(big)
                got = _recv_exact(s, len(big))
                if got != big:
                    errors.append(f"echo: big payload came back as {len(got)} bytes, differing")
            except OSError as e:
                errors.append(f"echo: big payload: {e}")

        threads = [threading.Thread(target=pump, args=(s,)) for s in conns]
        for t in threads:
            t.start()
        for t in threads:
            t.join(IO_TIMEOUT * 3)
        if errors:
            raise KernelTestError("; ".join(errors))
        for i, s in enumerate(conns):
            s.shutdown(socket.SHUT_WR)
            if s.recv(1) != b"":
                raise KernelTestError(f"echo: connection {i} not closed by the server after EOF")
        say(f"echo: 4 connections, {4 * (len(big) + 8)} bytes echoed, server closed after EOF")
    finally:
        for s in conns:
            s.close()
    return _check_echo_refusal(port, say)


def _check_echo_refusal(port: int, say: Callable[[str], None]) -> dict[str, int]:
    """The module was loaded with sessions=64: of 67 connections open at once, 64 are served
    and 3 are accepted and closed at once (counted `refused`)."""
    many = [_connect(port) for _ in range(67)]
    served = refused = 0
    try:
        for s in many:
            with contextlib.suppress(OSError):
                s.sendall(b"x")
        for s in many:
            try:
                got = s.recv(1)
            except OSError:
                got = b""
            if got == b"x":
                served += 1
            else:
                refused += 1
    finally:
        for s in many:
            s.close()
    if (served, refused) != (64, 3):
        raise KernelTestError(
            f"echo: sessions=64 with 67 connections: {served} served, {refused} refused"
        )
    say("echo: sessions=64 bound: 67 connections at once -> 64 served, 3 refused")
    return {"connections": 71, "refused": 3}


def check_kvlite(port: int, say: Callable[[str], None]) -> dict[str, int]:
    s = _connect(port)
    try:
        s.sendall(b"SET k1 v1\r\nSET k2 hello\r\nGET k1\r\nGET k2\r\nGET nope\r\n")
        want = b"OK\r\nOK\r\nv1\r\nhello\r\nNONE\r\n"
        got = _recv_exact(s, len(want))
        if got != want:
            raise KernelTestError(f"kvlite: pipelined SET/GET got {got!r}, want {want!r}")
        batch = b"".join(b"SET key%d value%d\r\n" % (i, i) for i in range(100))
        batch += b"".join(b"GET key%d\r\n" % i for i in range(100))
        want = b"OK\r\n" * 100 + b"".join(b"value%d\r\n" % i for i in range(100))
        s.sendall(batch)
        got = _recv_exact(s, len(want))
        if got != want:
            raise KernelTestError(f"kvlite: 200 pipelined requests: got {got[:80]!r}...")
        s.sendall(b"BOGUS\r\n")
        got = _recv_exact(s, 7)
        if got != b"ERROR\r\n" or s.recv(1) != b"":
            raise KernelTestError(f"kvlite: BOGUS got {got!r} and no close")
    finally:
        s.close()
    s = _connect(port)  # the table is shared across sessions
    try:
        s.sendall(b"GET key42\r\n")
        got = _recv_exact(s, 9)
        if got != b"value42\r\n":
            raise KernelTestError(f"kvlite: second session GET key42 got {got!r}")
    finally:
        s.close()
    say(
        "kvlite: 205 pipelined requests answered in order, ERROR closes, "
        "table shared across sessions"
    )
    return {"connections": 2}


def check_udpecho(port: int, say: Callable[[str], None]) -> dict[str, int]:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(2.0)
    try:

        def ask(payload: bytes) -> bytes:
            for _ in range(int(IO_TIMEOUT / 2)):  # UDP: retry a lost datagram, bounded
                s.sendto(payload, ("127.0.0.1", port))
                try:
                    data, _ = s.recvfrom(2048)
                    return data
                except TimeoutError:
                    continue
            raise KernelTestError(f"udpecho: no reply to {payload!r}")

        got = ask(b"ping")
        if got != b"ping":
            raise KernelTestError(f"udpecho: ping came back as {got!r}")
        first = ask(b"TICKS")
        if not first.isdigit():
            raise KernelTestError(f"udpecho: TICKS answered {first!r}")
        payload = bytes(range(200)) * 2
        if ask(payload) != payload:
            raise KernelTestError("udpecho: 400-byte datagram did not come back intact")
        second = ask(b"TICKS")
        deadline = time.monotonic() + IO_TIMEOUT  # liveness of the timer, not its speed
        while second.isdigit() and int(second) <= int(first) and time.monotonic() < deadline:
            time.sleep(0.2)
            second = ask(b"TICKS")
        if not second.isdigit() or int(second) <= int(first):
            raise KernelTestError(f"udpecho: TICKS did not grow: {first!r} then {second!r}")
        say(
            f"udpecho: datagrams echoed; the `every 10 ms` timer ran "
            f"({first.decode()} -> {second.decode()} ticks)"
        )
        return {"datagrams": 4}
    finally:
        s.close()


@dataclass(frozen=True)
class Service:
    name: str
    source: str  # relative to runtime_c/
    proto: str  # "tcp" or "udp"
    port: int  # the port inside the guest
    params: str  # module parameters given to insmod
    probe: bytes  # a request answered without closing: proves a session is live
    check: Callable[[int, Callable[[str], None]], dict[str, int]]


SERVICES: dict[str, Service] = {
    "echo": Service(
        "echo", "examples/echo_service.c", "tcp", 7, "sessions=64", b"hi\n", check_echo
    ),
    "kvlite": Service(
        "kvlite", "examples/kvlite_service.c", "tcp", 7070, "", b"GET key1\r\n", check_kvlite
    ),
    "udpecho": Service(
        "udpecho", "examples/udpecho_service.c", "udp", 7171, "port=7171", b"", check_udpecho
    ),
}


# ---- one service end to end ------------------------------------------------------------


@dataclass
class Result:
    service: str
    ok: bool
    seconds: float
    accel: str
    console_log: Path
    message: str
    stats: dict[str, str]


def parse_stats(console: str) -> dict[str, str]:
    m = re.search(r"WYKI-STATS-BEGIN\n(.*?)WYKI-STATS-END", console, re.DOTALL)
    stats: dict[str, str] = {}
    if m:
        for line in m.group(1).splitlines():
            parts = line.split()
            if len(parts) == 2:
                stats[parts[0]] = parts[1]
    return stats


def analyse_console(console: str, service: str) -> list[str]:
    """Everything wrong with a guest's console log (empty when clean)."""
    problems = []
    if f"WYKI-READY {service}" not in console:
        problems.append("no WYKI-READY marker")
    for pat in FAIL_PATTERNS:
        for m in re.finditer(pat, console):
            line_start = console.rfind("\n", 0, m.start()) + 1
            line_end = console.find("\n", m.end())
            problems.append(
                f"console: {console[line_start : line_end if line_end >= 0 else None].strip()}"
            )
            break
    unloads = re.findall(r"wyki: (\S+) unloaded, (-?\d+) allocations outstanding", console)
    if not unloads:
        problems.append("no 'unloaded, N allocations outstanding' line")
    for name, n in unloads:
        if int(n) != 0:
            problems.append(f"{name} unloaded with {n} allocations outstanding")
    if "WYKI-UNLOADED" not in console:
        problems.append("no WYKI-UNLOADED marker (rmmod did not succeed)")
    return problems


def run_service(
    svc: Service,
    workdir: Path,
    accel: str = "tcg",
    kdir: str | None = None,
    say: Callable[[str], None] = print,
) -> Result:
    t0 = time.monotonic()
    build, kver = find_kdir(kdir)
    kernel = Path(f"/boot/vmlinuz-{kver}")
    if not kernel.is_file():
        raise MissingPackages(f"{kernel} is missing: install linux-image-amd64 ({APT_LINE})")
    say(f"[{svc.name}] building wyki_{svc.name}.ko against {kver}")
    ko = build_module(RUNTIME / svc.source, workdir / f"build-{svc.name}", build)
    initrd = build_initramfs(ko, kver, svc.name, svc.params, workdir / f"initramfs-{svc.name}.cpio")
    kind = socket.SOCK_STREAM if svc.proto == "tcp" else socket.SOCK_DGRAM
    host_port = free_port(kind)
    fwd = f"hostfwd={svc.proto}:127.0.0.1:{host_port}-:{svc.port}"
    log_path = workdir / f"console-{svc.name}.log"
    say(
        f"[{svc.name}] booting {kver} under {accel} "
        f"({svc.proto} 127.0.0.1:{host_port} -> guest :{svc.port})"
    )
    guest = Guest(kernel, initrd, accel, fwd, log_path)
    message = ""
    live: list[socket.socket] = []
    try:
        ready_timeout = READY_TIMEOUT_KVM if accel == "kvm" else READY_TIMEOUT_TCG
        if not guest.wait_for(f"WYKI-READY {svc.name}", ready_timeout):
            tail = guest.console()[-3000:]
            raise KernelTestError(
                f"no WYKI-READY within {ready_timeout:.0f} s; console tail:\n{tail}"
            )
        say(f"[{svc.name}] loaded after {time.monotonic() - guest.started:.1f} s")
        say(f"[{svc.name}] testing")
        svc.check(host_port, lambda s: say(f"[{svc.name}]   {s}"))
        if svc.proto == "tcp":
            live = open_live_sessions(svc, host_port)
            say(
                f"[{svc.name}]   2 sessions left open for the unload "
                "(one idle, one with its transmit buffer full)"
            )
        say(f"[{svc.name}] unloading")
        guest.send("stop")
        if not guest.wait_for("WYKI-POWEROFF", POWEROFF_TIMEOUT):
            raise KernelTestError(f"guest did not reach poweroff within {POWEROFF_TIMEOUT:.0f} s")
    except KernelTestError as e:
        message = str(e)
    except OSError as e:
        message = f"{type(e).__name__}: {e}"
    finally:
        guest.send("stop")  # harmless if already stopping; unblocks /init otherwise
        guest.finish(POWEROFF_TIMEOUT if not message else 15.0)
        for sock in live:
            sock.close()
    console = guest.console()
    problems = analyse_console(console, svc.name)
    if message:
        problems.insert(0, message)
    stats = parse_stats(console)
    if svc.proto == "tcp" and not message and stats.get("live") != "2":
        problems.append(f"expected 2 live sessions at unload, /proc says live={stats.get('live')}")
    seconds = time.monotonic() - t0
    if problems:
        return Result(svc.name, False, seconds, accel, log_path, "; ".join(problems), stats)
    unload = re.search(r"wyki: \S+ unloaded, 0 allocations outstanding", console)
    say(f"[{svc.name}] clean: {unload.group(0) if unload else ''} ({seconds:.1f} s)")
    return Result(svc.name, True, seconds, accel, log_path, "ok", stats)


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
        s = _connect(port)
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
