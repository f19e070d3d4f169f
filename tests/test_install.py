"""An installed copy works without the checkout: the README's `pip install .` (not editable) into
a fresh virtual environment, then, from a directory outside the checkout, `nanowyki build`
makes a binary that echoes, `nanowyki build --target kernel` a module, and scripts/demo serves.

The project is installed from a copy of what a wheel is built from (so the build leaves nothing
in the checkout), with its dependencies fetched from the package index as for any user: about
20 s, then about 40 s of C and module builds. The tools it needs (Python's venv, a C compiler,
Debian's kernel headers) skip the tests with the package to install, and fail them in CI, whose
.ci/run installs them. Every wait is bounded; nothing measures time.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from nanowyki import kernel_build
from tests.runtime.conftest import Service, assert_stops_cleanly, recv_exactly

ROOT = Path(__file__).resolve().parent.parent
# what `pip install .` reads: the metadata (README.md is the long description) and the package,
# whose nanowyki/runtime_c is a symlink to the top-level runtime_c/
WHEEL_SOURCES = ("pyproject.toml", "README.md", "nanowyki", "runtime_c")
TIMEOUT = 600  # seconds, for any one command: pip, a build, the demo


def require(ok: bool, message: str) -> None:
    """Skip naming what to install; in CI, whose .ci/run installs it, fail instead."""
    if not ok:
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


def run(argv: list[str | Path], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(a) for a in argv],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )


class Installed:
    """nanowyki installed in the virtual environment `venv`; commands run in `elsewhere`, a
    directory outside the checkout, with the environment's bin/ first on PATH (as after
    `. venv/bin/activate`) and no PYTHONPATH."""

    def __init__(self, venv: Path, elsewhere: Path) -> None:
        self.venv = venv
        self.elsewhere = elsewhere
        self.env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
        self.env["VIRTUAL_ENV"] = str(venv)
        self.env["PATH"] = f"{venv / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}"

    def run(self, *argv: str | Path) -> subprocess.CompletedProcess[str]:
        return run(list(argv), self.elsewhere, self.env)


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    tmp = tmp_path_factory.mktemp("install")
    source = tmp / "source"
    source.mkdir()
    for name in WHEEL_SOURCES:
        if (ROOT / name).is_dir():
            ignore = shutil.ignore_patterns("__pycache__", "*.egg-info")
            shutil.copytree(ROOT / name, source / name, symlinks=True, ignore=ignore)
        else:
            shutil.copy(ROOT / name, source / name)
    venv = tmp / "venv"
    made = run([sys.executable, "-m", "venv", venv], tmp, dict(os.environ))
    why = (made.stdout + made.stderr).strip()
    require(made.returncode == 0, f"`python3 -m venv` fails (Debian package python3-venv): {why}")
    elsewhere = tmp / "elsewhere"
    elsewhere.mkdir()
    env = Installed(venv, elsewhere)
    done = run([venv / "bin" / "python", "-m", "pip", "install", "."], source, env.env)
    assert done.returncode == 0, done.stdout + done.stderr
    return env


@pytest.fixture(scope="module")
def cc() -> None:
    require(shutil.which("cc") is not None, "needs a C compiler: apt-get install build-essential")


@pytest.fixture(scope="module")
def kernel_headers() -> None:
    try:
        kernel_build.find_kdir()
    except kernel_build.MissingPackage as e:
        require(False, str(e))


def test_the_installed_copy_carries_the_runtime(installed: Installed) -> None:
    done = installed.run("python", "-c", "import nanowyki.build as b; print(b.RUNTIME)")
    assert done.returncode == 0, done.stderr
    runtime = Path(done.stdout.strip())
    assert runtime.is_relative_to(installed.venv), runtime  # not the checkout's
    for part in ("include/wyki.h", "common/table.c", "user/main.c", "kernel/Kbuild"):
        assert (runtime / part).is_file(), part


def test_build_outside_the_checkout_echoes(cc: None, installed: Installed) -> None:
    shutil.copy(ROOT / "examples" / "echo.wyki", installed.elsewhere / "echo.wyki")
    done = installed.run("nanowyki", "build", "echo.wyki", "-o", "echo")
    assert done.returncode == 0, done.stderr
    svc = Service(installed.elsewhere / "echo", "--workers", "1")
    try:
        with svc.connect() as s:
            s.sendall(b"hello, installed copy\n")
            assert recv_exactly(s, 22) == b"hello, installed copy\n"
    finally:
        assert_stops_cleanly(svc)


def test_build_target_kernel_outside_the_checkout(
    cc: None, kernel_headers: None, installed: Installed
) -> None:
    shutil.copy(ROOT / "examples" / "echo.wyki", installed.elsewhere / "echo.wyki")
    done = installed.run("nanowyki", "build", "--target", "kernel", "echo.wyki", "-o", "km")
    assert done.returncode == 0, done.stderr
    tree = installed.elsewhere / "km"
    for obj in re.findall(r"(\w+/\w+)\.o", (tree / "Kbuild").read_text()):
        assert (tree / f"{obj}.c").is_file(), obj  # every object's source came with the copy
    assert (tree / "wyki_echo.ko").is_file()


def test_demo_runs_from_any_directory(cc: None, installed: Installed) -> None:
    """The README's main job, `pip install . && scripts/demo`, with the shell elsewhere."""
    done = subprocess.run(
        [ROOT / "scripts" / "demo"],
        cwd=installed.elsewhere,
        env=installed.env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "$ nanowyki build " in done.stdout
    assert "HTTP/1.1 200 OK" in done.stdout
    assert done.stdout.endswith("Hello, world\n")
