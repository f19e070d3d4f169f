"""`nanowyki build`: compile generated C with the userspace runtime into an executable.

The generated file is compiled on its own first (`-c`), so that a C error in it, which is a
compiler bug, is told apart from a problem with the toolchain or the runtime; then it is linked
with the runtime's sources (runtime_c/common/*.c and runtime_c/user/*.c) and `-pthread`.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

RUNTIME = Path(__file__).resolve().parent.parent / "runtime_c"
BASE_FLAGS = ("-std=c11", "-Wall", "-Wextra", "-Werror")
RELEASE_FLAGS = ("-O2",)
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
