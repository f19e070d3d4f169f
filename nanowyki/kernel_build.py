"""`nanowyki build --target kernel`: a service's generated C as a Linux kernel module.

    from nanowyki.kernel_build import build_module
    ko = build_module(c_file, outdir)          # -> outdir/wyki_NAME.ko

`write_tree` lays out a self-contained Kbuild tree in OUTDIR: `Kbuild` (runtime_c/kernel's),
`wyki.mk` (the module's name), a `Makefile` for `make` by hand, `service.c` (the generated C),
and copies of runtime_c's `include/`, `common/` and `kernel/`. `build_module` then runs
`make -C KDIR M=OUTDIR modules`, whose product is `OUTDIR/wyki_NAME.ko`. KDIR defaults to the
newest installed Debian kernel build tree, `/lib/modules/*-amd64/build` (never `uname -r`: the
kernel running the build need not be one we have headers for). The module must build
warning-free (Kbuild's `-Werror`, and the kernel's `-Wframe-larger-than=2048`).
Used by the CLI and by scripts/kernel/wyki_kernel.py (scripts/kernel-build, kernel-test).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

from nanowyki.build import RUNTIME

HEADERS_PACKAGE = "linux-headers-amd64"
BUILD_TIMEOUT = 600  # seconds; a module builds in 3-25 s here
# the runtime directories a tree carries, and which of their files
RUNTIME_PARTS = (("include", ("*.h",)), ("common", ("*.c", "*.h")), ("kernel", ("*.c", "*.h")))


class KernelBuildError(Exception):
    """The module cannot be built (one message)."""


class MissingPackage(KernelBuildError):
    """Something to build with is not installed; the message names the Debian package."""


class GeneratedCModuleError(KernelBuildError):
    """The generated C does not compile as part of a module: a bug in nanowyki."""


def _version_key(name: str) -> list[object]:
    return [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", name)]


def find_kdir(kdir: str | os.PathLike[str] | None = None) -> tuple[Path, str]:
    """The kernel build directory and its kernel version: @kdir, else the newest
    /lib/modules/*-amd64/build."""
    if kdir is not None:
        path = Path(kdir)
        if not (path / "Makefile").is_file():
            raise MissingPackage(
                f"{path} is not a kernel build directory (no Makefile); Debian's is "
                f"/lib/modules/<version>/build, from the package {HEADERS_PACKAGE}"
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
        raise MissingPackage(
            "no kernel headers under /lib/modules/*-amd64/build: install the Debian package "
            f"{HEADERS_PACKAGE} (apt-get install {HEADERS_PACKAGE}), or name a kernel build "
            "directory with --kdir"
        )
    newest = max(found, key=lambda d: _version_key(d.name))
    return newest / "build", newest.name


def module_name(name: str) -> str:
    """A service name as a module name suffix: wyki_<this>.ko."""
    cleaned = re.sub(r"[^a-z0-9_]", "_", name.lower())
    if not cleaned:
        raise KernelBuildError(f"cannot derive a module name from '{name}'")
    return cleaned


def write_tree(c_file: Path, outdir: Path, name: str, runtime: Path = RUNTIME) -> None:
    """Lay out the Kbuild tree of the module wyki_@name in @outdir (see the module doc)."""
    if not (runtime / "kernel" / "Kbuild").is_file():
        raise KernelBuildError(f"the kernel runtime was not found in '{runtime}'")
    outdir.mkdir(parents=True, exist_ok=True)
    shutil.copy(runtime / "kernel" / "Kbuild", outdir / "Kbuild")
    (outdir / "wyki.mk").write_text(f"WYKI_NAME := {name}\n")
    (outdir / "Makefile").write_text(
        "# Build with: make -C <kernel build dir> M=$(CURDIR) modules (see Kbuild)\n"
        "KDIR ?= /lib/modules/$(shell ls /lib/modules | grep -- -amd64 | sort -V | tail -1)/build\n"
        "all:\n\t$(MAKE) -C $(KDIR) M=$(CURDIR) modules\n"
        "clean:\n\t$(MAKE) -C $(KDIR) M=$(CURDIR) clean\n"
    )
    if c_file.resolve() != (outdir / "service.c").resolve():
        shutil.copy(c_file, outdir / "service.c")
    for sub, patterns in RUNTIME_PARTS:
        (outdir / sub).mkdir(exist_ok=True)
        for pattern in patterns:
            for f in sorted((runtime / sub).glob(pattern)):
                shutil.copy(f, outdir / sub / f.name)


def build_module(
    c_file: str | os.PathLike[str],
    outdir: str | os.PathLike[str],
    kdir: str | os.PathLike[str] | None = None,
    name: str | None = None,
    *,
    source: str | None = None,
) -> Path:
    """Build @c_file as OUTDIR/wyki_<name>.ko (name: the file's stem) against @kdir; warnings
    are errors, and the make output is kept in OUTDIR/build.log. @source, the .wyki file the
    C came from, tells a generated-C error (GeneratedCModuleError) from any other."""
    c_path = Path(c_file).resolve()
    out = Path(outdir).resolve()
    if not c_path.is_file():
        raise KernelBuildError(f"no such C file: {c_path}")
    build, _version = find_kdir(kdir)
    for tool, package in (("make", "make"), ("gcc", "gcc")):
        if shutil.which(tool) is None:
            raise MissingPackage(f"'{tool}' is needed to build a module: install {package}")
    name = module_name(name or c_path.stem.removesuffix("_service"))
    write_tree(c_path, out, name)
    try:
        done = subprocess.run(
            ["make", "-C", str(build), f"M={out}", "modules"],
            capture_output=True,
            text=True,
            timeout=BUILD_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise KernelBuildError(
            f"the module build did not finish within {BUILD_TIMEOUT} s"
        ) from None
    output = done.stdout + done.stderr
    (out / "build.log").write_text(output)
    if done.returncode != 0 or re.search(r"warning:", output, re.IGNORECASE):
        what = "failed" if done.returncode else "is not warning-free"
        message = f"the module build {what} (make -C {build} M={out} modules):\n{output}"
        generated = [line for line in output.splitlines() if "service.c:" in line
                     or (source is not None and f"{source}:" in line)]  # fmt: skip
        if generated:
            raise GeneratedCModuleError(message)
        raise KernelBuildError(message)
    ko = out / f"wyki_{name}.ko"
    if not ko.is_file():
        raise KernelBuildError(f"make succeeded but {ko} is missing:\n{output}")
    return ko
