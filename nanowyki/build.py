"""`nanowyki build`: compile generated C with the userspace runtime into an executable; and
the build cache of `nanowyki run`.

The generated file is compiled on its own first (`-c`), so that a C error in it, which is a
compiler bug, is told apart from a problem with the toolchain or the runtime; then it is linked
with the runtime's sources (runtime_c/common/*.c and runtime_c/user/*.c) and `-pthread`.
"""

from __future__ import annotations

import hashlib
import os
import shlex
import shutil
import subprocess
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import nanowyki

# The C runtime ships inside the package (nanowyki/runtime_c, package data; in the checkout a
# symlink to the top-level runtime_c/), so an installed copy builds as the checkout does.
RUNTIME = (Path(__file__).parent / "runtime_c").resolve()
BASE_FLAGS = ("-std=c11", "-Wall", "-Wextra", "-Werror")
# -Wframe-larger-than: the kernel's limit, so that a C frame that would not build as a module
# (generated code keeps its aggregates in the worker's scratch) fails the ordinary build too.
# Not in the sanitizer build: ASan's red zones around every local grow frames past it (clang's
# step() of http: 5.5 KiB) without saying anything about the module.
RELEASE_FLAGS = ("-O2", "-Wframe-larger-than=2048")
DEBUG_FLAGS = ("-g", "-O0", "-fsanitize=address,undefined", "-fno-omit-frame-pointer")
COMPILE_TIMEOUT = 600  # seconds


class BuildError(Exception):
    """The toolchain or the runtime cannot build the service (one line; exit status 2)."""


class GeneratedCError(Exception):
    """The generated C does not compile: a bug in nanowyki (exit status 3)."""


@dataclass(frozen=True)
class BuildOptions:
    cc: tuple[str, ...]
    cflags: tuple[str, ...] = ()
    debug: bool = False

    @property
    def flags(self) -> tuple[str, ...]:
        return BASE_FLAGS + (DEBUG_FLAGS if self.debug else RELEASE_FLAGS) + self.cflags


def compiler(environ: dict[str, str] | None = None) -> tuple[str, ...]:
    """The C compiler command: `$CC` (may hold arguments, e.g. `ccache gcc`) or `cc`."""
    env = os.environ if environ is None else environ
    words = tuple(shlex.split(env.get("CC", "") or "cc"))
    if shutil.which(words[0]) is None:
        raise BuildError(f"no C compiler: '{words[0]}' was not found (set CC)")
    return words


def runtime_sources(runtime: Path = RUNTIME) -> list[Path]:
    """The userspace runtime's C files, in a fixed order."""
    if not (runtime / "include" / "wyki.h").is_file():
        raise BuildError(f"the C runtime was not found in '{runtime}'")
    return sorted((runtime / "common").glob("*.c")) + sorted((runtime / "user").glob("*.c"))


def _run(argv: list[str]) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(
            argv, capture_output=True, text=True, timeout=COMPILE_TIMEOUT, check=False
        )
    except FileNotFoundError:
        raise BuildError(f"no C compiler: cannot run '{argv[0]}'") from None
    except subprocess.TimeoutExpired:
        raise BuildError(f"'{argv[0]}' did not finish within {COMPILE_TIMEOUT} s") from None


def _first_error(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip()]
    for line in lines:
        if "error" in line:
            return line.strip()
    return lines[0].strip() if lines else "(no message)"


def build(
    c_file: Path, binary: Path, options: BuildOptions, source: str, runtime: Path = RUNTIME
) -> None:
    """Compile `c_file` (generated from `source`, which its #line directives name) and link it
    with the runtime into `binary`."""
    sources = runtime_sources(runtime)
    include = ["-I", str(runtime / "include"), "-I", str(runtime / "common")]
    obj = c_file.with_suffix(".o")
    done = _run([*options.cc, *options.flags, *include, "-c", "-o", str(obj), str(c_file)])
    if done.returncode != 0:
        message = done.stderr.strip() or done.stdout.strip()
        if str(c_file) not in message and source not in message:  # options or toolchain
            raise BuildError(f"'{shlex.join(options.cc)}' failed: {_first_error(message)}")
        raise GeneratedCError(message)
    link = [*options.cc, *options.flags, *include, "-o", str(binary), str(obj)]
    done = _run(link + [str(s) for s in sources] + ["-pthread"])
    if done.returncode != 0:
        raise BuildError(
            f"compiling the runtime with '{shlex.join(options.cc)}' failed: "
            f"{_first_error(done.stderr or done.stdout)}"
        )


# -- the build cache of `nanowyki run` ----------------------------------------------------------
#
# `nanowyki run FILE` builds into $XDG_CACHE_HOME/nanowyki (else ~/.cache/nanowyki), one
# directory per build: <stem>[-debug]-<where>-<key>, where <where> hashes the source's path and
# <key> everything the binary is made from: the program's text and path (its #line directives
# name the file), the files it embeds, nanowyki's own sources (an edited compiler rebuilds, even
# when the version is unchanged), the runtime's sources, the C compiler and the flags. Any
# change gives a new key, so a cached binary is never stale; the builds of older keys for the
# same file are removed once the new one is in place.

COMPILER_SOURCES = Path(__file__).resolve().parent
EMBED_MARK = "embed"  # a program whose text lacks this word embeds no file
BUILDING = ".building-"  # the prefix of a build in progress


def embedded_files(source: Path, text: str) -> list[Path]:
    """The files the program embeds, as the parser finds them (so an `embed` in a comment or a
    string does not count); the parser runs only when the text holds the word at all."""
    if EMBED_MARK not in text:
        return []
    from nanowyki import pipeline
    from nanowyki.framework import RunOptions, walk
    from nanowyki.languages.surface import Embed

    parsed = pipeline.frontend().run(
        pipeline.source_tree(source, text), RunOptions(stop_after="parse-source")
    )
    return [source.parent / n.path for n in walk(parsed.tree) if isinstance(n, Embed)]


def cache_root(environ: Mapping[str, str] | None = None) -> Path:
    env = os.environ if environ is None else environ
    base = env.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "nanowyki"


def _files(root: Path, patterns: tuple[str, ...]) -> list[Path]:
    return sorted(p for pattern in patterns for p in root.glob(pattern) if p.is_file())


def build_key(
    source: Path, text: str, embeds: Sequence[Path], options: BuildOptions, runtime: Path = RUNTIME
) -> str:
    """The hash naming the build of `source` (whose contents are `text`) with `options`."""
    digest = hashlib.sha256()

    def add(label: str, data: bytes) -> None:
        digest.update(f"{label}\0{len(data)}\0".encode() + data)

    add("nanowyki", nanowyki.__version__.encode())
    add("source", f"{source.resolve()}\0{text}".encode())
    for path in embeds:
        add(f"embed {path.resolve()}", path.read_bytes() if path.is_file() else b"\0missing")
    for path in _files(COMPILER_SOURCES, ("**/*.py",)):
        add(str(path.relative_to(COMPILER_SOURCES)), path.read_bytes())
    for path in _files(runtime, ("include/*.h", "common/*.[ch]", "user/*.[ch]")):
        add(str(path.relative_to(runtime)), path.read_bytes())
    cc = shutil.which(options.cc[0]) or options.cc[0]
    add("cc", "\0".join((cc, *options.cc[1:], *options.flags)).encode())
    return digest.hexdigest()


def cache_entry(source: Path, key: str, root: Path, debug: bool) -> Path:
    """The directory that holds (or will hold) the build of `source` with this key; the
    sanitizer build has its own, so that switching between the two does not rebuild."""
    where = hashlib.sha256(str(source.resolve()).encode()).hexdigest()
    variant = "-debug" if debug else ""
    return root / f"{source.stem}{variant}-{where[:8]}-{key[:16]}"


def new_build_dir(root: Path) -> Path:
    """A fresh directory to build in, inside the cache so that moving it into place is a
    rename; leftovers of runs killed mid-build (over a day old) are removed first."""
    root.mkdir(parents=True, exist_ok=True)
    day_ago = time.time() - 86400
    for old in root.glob(BUILDING + "*"):
        if old.stat().st_mtime < day_ago:
            shutil.rmtree(old, ignore_errors=True)
    return Path(tempfile.mkdtemp(prefix=BUILDING, dir=root))


def install_entry(built: Path, entry: Path) -> None:
    """Move the finished build directory `built` into place as `entry` (atomically: a
    concurrent run sees either no entry or a whole one), then drop the file's older builds."""
    try:
        built.rename(entry)
    except OSError:  # another run installed the same build first: keep that one
        shutil.rmtree(built, ignore_errors=True)
    prefix = entry.name.rsplit("-", 1)[0] + "-"
    for old in entry.parent.glob(prefix + "*"):
        if old != entry and old.is_dir():
            shutil.rmtree(old, ignore_errors=True)
