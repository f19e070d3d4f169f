"""The kernel backend: each hand-written service built as a module and run in Debian's kernel.

Each test boots Debian's kernel under QEMU (TCG here: kernel-lab.md), loads the service's
module, checks it from the host through a forwarded port, unloads it and inspects the guest's
console (no Oops/BUG/WARNING, "0 allocations outstanding"). Everything is driven by
scripts/kernel/wyki_kernel.py, the library behind scripts/kernel-test. Without the packages the
tests skip, naming them (in CI, where .ci/run installs them, they fail). No test asserts
anything about speed.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts" / "kernel"))

import wyki_kernel  # noqa: E402


def _require_packages() -> None:
    missing = wyki_kernel.missing_packages()
    if missing:
        message = f"needs {', '.join(missing)}: {wyki_kernel.APT_LINE}"
        if os.environ.get("CI"):  # .ci/run installs them: missing there is a failure
            pytest.fail(message)
        pytest.skip(message)


def test_missing_headers_message_names_the_package(tmp_path: Path) -> None:
    with pytest.raises(wyki_kernel.MissingPackages, match="linux-headers-amd64"):
        wyki_kernel.find_kdir(tmp_path / "no-such-build-dir")


def test_console_analysis_catches_problems() -> None:
    clean = "WYKI-READY echo\nwyki: echo unloaded, 0 allocations outstanding\nWYKI-UNLOADED\n"
    assert wyki_kernel.analyse_console(clean, "echo") == []
    leaky = clean.replace(", 0 allocations", ", 3 allocations")
    assert any("3 allocations" in p for p in wyki_kernel.analyse_console(leaky, "echo"))
    warned = clean + "[ 1.0] WARNING: CPU: 0 PID: 1 at net/core/sock.c:1 x\n"
    assert any("WARNING" in p for p in wyki_kernel.analyse_console(warned, "echo"))
    assert "no WYKI-READY marker" in wyki_kernel.analyse_console("", "echo")


@pytest.mark.parametrize("name", sorted(wyki_kernel.SERVICES))
def test_module_builds_warning_free(name: str, tmp_path: Path) -> None:
    _require_packages()
    svc = wyki_kernel.SERVICES[name]
    ko = wyki_kernel.build_module(wyki_kernel.RUNTIME / svc.source, tmp_path / name)
    assert ko.name == f"wyki_{name}.ko"
    assert "warning:" not in (tmp_path / name / "build.log").read_text().lower()


@pytest.fixture(scope="module")
def accel() -> str:
    return wyki_kernel.choose_accel("auto", say=lambda _s: None)


@pytest.mark.parametrize("name", sorted(wyki_kernel.SERVICES))
def test_service_in_booted_kernel(name: str, tmp_path: Path, accel: str) -> None:
    _require_packages()
    svc = wyki_kernel.SERVICES[name]
    lines: list[str] = []
    result = wyki_kernel.run_service(svc, tmp_path, accel, say=lines.append)
    if not result.ok and accel == "kvm" and "no WYKI-READY" in result.message:
        result = wyki_kernel.run_service(svc, tmp_path / "tcg", "tcg", say=lines.append)
    console = result.console_log.read_text(errors="replace")
    assert result.ok, f"{result.message}\n" + "\n".join(lines) + "\n" + console[-4000:]
    assert f"wyki: {name} unloaded, 0 allocations outstanding" in console
    if svc.proto == "tcp":
        assert int(result.stats["accepted"]) >= 2
        assert result.stats["live"] == "2"  # rmmod closed two live sessions
    else:
        assert int(result.stats["datagrams"]) >= 4
        assert int(result.stats["timer_runs"]) >= 1
