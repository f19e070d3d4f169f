"""The guest of `python3 -m bench --kernel` (bench/kernel.py): its initramfs carries nginx and
memcached in a state that runs.

The benchmark itself boots QEMU and takes minutes, so it is not run here (the kernel modules are
tested in a guest by tests/kernel).  This builds the benchmark's initramfs with stand-in module
files, unpacks it with cpio, and checks what the guest relies on: /init is valid shell with every
placeholder filled, and names programs the archive holds; nginx and memcached start from the
archive's own loader and libraries (`-v`, `-V`); nginx's configuration listens on the guest's
port with bench/servers.py's locations.  Without the Debian packages the test skips, naming them;
under CI it fails.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

from bench import kernel

WAIT = 30


def require_packages() -> None:
    missing = sorted(
        set(kernel.wyki_kernel.missing_packages()) - {"linux-headers-amd64", "build-essential"}
        | set(kernel.missing_host_tools())
        | ({"cpio"} if shutil.which("cpio") is None else set())
    )
    if missing:
        message = f"needs the Debian packages {' '.join(missing)}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


def unpacked_initramfs(tmp_path: Path) -> Path:
    kver = next(Path("/lib/modules").glob("*-amd64/modules.dep")).parent.name
    kos = {}
    for name in ("http", "kv"):
        kos[name] = tmp_path / f"wyki_{name}.ko"
        kos[name].write_bytes(b"stand-in for " + name.encode())
    archive = kernel.build_initramfs(kos, kver, 600, tmp_path / "initramfs.cpio")
    root = tmp_path / "root"
    root.mkdir()
    with archive.open("rb") as cpio_input:
        subprocess.run(["cpio", "-idm", "--quiet"], stdin=cpio_input, cwd=root, check=True,
                       timeout=WAIT)  # fmt: skip
    return root


def run_in(root: Path, argv: list[str], list_libraries: bool = False) -> str:
    """Run the archive's program @argv with the archive's loader, its libraries first."""
    loader = next((root / "lib64").glob("ld-linux-*.so.*"))
    libs = ":".join(sorted(str(d) for d in {p.parent for p in root.rglob("*.so*")}))
    options = ["--inhibit-cache", "--library-path", libs] + (["--list"] if list_libraries else [])
    program = str(root / argv[0].lstrip("/"))
    done = subprocess.run([str(loader), *options, program, *argv[1:]],
                          capture_output=True, text=True, timeout=WAIT, check=False)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout + done.stderr


def test_the_guest_initramfs_carries_runnable_nginx_and_memcached(tmp_path: Path) -> None:
    require_packages()
    root = unpacked_initramfs(tmp_path)

    init = (root / "init").read_text()
    assert not re.search(r"@[A-Z_]+@", init), "an unfilled placeholder in /init"
    syntax = subprocess.run([str(root / "bin" / "busybox"), "sh", "-n", str(root / "init")],
                            capture_output=True, text=True, timeout=WAIT, check=False)  # fmt: skip
    assert syntax.returncode == 0, syntax.stderr
    starts = [shlex.split(line.split(">", 1)[0]) for line in init.splitlines()
              if line.endswith("2>&1 &")]  # fmt: skip
    assert [Path(argv[0]).name for argv in starts] == ["nginx", "memcached"]
    memcached = " ".join(starts[1])
    assert " -t 1 " in memcached and " -p 11212 " in memcached and memcached.endswith("-u root")
    for ko in ("wyki_http.ko", "wyki_kv.ko"):
        assert (root / "modules" / ko).read_bytes().startswith(b"stand-in")

    for argv in starts:  # every library resolves inside the archive, and the program runs
        resolved = re.findall(r"=> (\S+)", run_in(root, argv[:1], list_libraries=True))
        assert resolved and all(path.startswith(f"{root}/") for path in resolved), resolved
    assert "nginx version" in run_in(root, [starts[0][0], "-v"])
    assert "memcached" in run_in(root, [starts[1][0], "-V"])

    conf = (root / "nginx" / "nginx.conf").read_text()
    assert "listen 0.0.0.0:8081 " in conf and "user root;" in conf
    assert "location = /hello" in conf and "root /nginx/www;" in conf
    assert (root / "nginx" / "www" / "4k").stat().st_size == 4096
    assert "root:x:0:0:" in (root / "etc" / "passwd").read_text()
