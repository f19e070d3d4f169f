"""Fixtures for the real-client tests: the examples compiled once per test run, started on free
ports of 127.0.0.1, and the client tools each test needs.

Functional tests run the sanitizer builds (`nanowyki build --debug`), so a memory error a real
client provokes fails the test; load and memory tests run the release builds (-O2), whose RSS
means something.  A missing tool (curl, wrk, dig) or client library (pymemcache, dnspython)
skips the test with the package to install, and fails it when the environment variable CI is
set, since .ci/run installs them all.  Every wait is bounded; nothing asserts a speed.
"""

from __future__ import annotations

import importlib
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType

import pytest

from tests.runtime.conftest import Service, assert_stops_cleanly

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
BUILD_TIMEOUT = 600

Start = Callable[..., Service]


def _missing(message: str) -> None:
    if os.environ.get("CI"):  # .ci/run installs every tool: missing there is a failure
        pytest.fail(message)
    pytest.skip(message)


def require_tool(tool: str, package: str) -> str:
    """The path of `tool`; skips (fails under CI) naming the Debian package that has it."""
    path = shutil.which(tool)
    if path is None:
        _missing(f"needs {tool}: apt-get install {package}")
    assert path is not None
    return path


def require_module(module: str, package: str) -> ModuleType:
    """The imported Python module; skips (fails under CI) naming the pip package."""
    try:
        return importlib.import_module(module)
    except ImportError:
        _missing(f"needs the Python package {package}: pip install {package} (the test extra)")
        raise


class Builds:
    """Each example compiled on first use, per variant (debug or release, C compiler), kept for
    the whole run."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.built: dict[tuple[str, bool, str], Path] = {}

    def binary(self, name: str, *, debug: bool, cc: str = "cc") -> Path:
        key = (name, debug, cc)
        if key not in self.built:
            require_tool(cc, "clang" if cc == "clang" else "gcc")
            binary = self.out / f"{name}{'-debug' if debug else ''}-{cc}"
            argv = [sys.executable, "-m", "nanowyki", "build", str(EXAMPLES / f"{name}.wyki")]
            argv += ["-o", str(binary), *(["--debug"] if debug else [])]
            done = subprocess.run(
                argv,
                capture_output=True,
                text=True,
                timeout=BUILD_TIMEOUT,
                check=False,
                env=dict(os.environ, CC=cc),
            )
            assert done.returncode == 0, done.stderr
            self.built[key] = binary
        return self.built[key]


@pytest.fixture(scope="session")
def builds(tmp_path_factory: pytest.TempPathFactory) -> Builds:
    return Builds(tmp_path_factory.mktemp("clients"))


@pytest.fixture
def start(builds: Builds) -> Iterator[Start]:
    """start(name, *options, debug=True, cc="cc"): the compiled example on a free port.

    Every service started is stopped at the end of the test with SIGTERM, and must exit 0
    without a sanitizer report.
    """
    started: list[Service] = []

    def run(name: str, *options: str, debug: bool = True, cc: str = "cc") -> Service:
        binary = builds.binary(name, debug=debug, cc=cc)
        svc = Service(binary, "--workers", "2", *options, udp=name == "dns")
        started.append(svc)
        return svc

    yield run
    for svc in started:
        stop_cleanly(svc)


def stop_cleanly(svc: Service) -> None:
    """SIGTERM: exit status 0 and no sanitizer report (a no-op for one already stopped)."""
    if svc.proc.poll() is not None and svc.proc.returncode == 0:
        return
    assert_stops_cleanly(svc)


def rss_kib(pid: int) -> int:
    """The resident set size of process pid, in KiB (VmRSS of /proc/PID/status)."""
    status = Path(f"/proc/{pid}/status").read_text()
    found = re.search(r"^VmRSS:\s+(\d+) kB$", status, re.MULTILINE)
    assert found, status
    return int(found.group(1))
