"""The kernel backend: every example compiled as a module and run in Debian's kernel.

`nanowyki build --target kernel` writes a Kbuild tree and builds the module; then ONE guest
(Debian's kernel under QEMU: TCG here, kernel-lab.md) loads the five examples' modules one
after another, each checked from the host with real clients through a forwarded port, left
with two live sessions, and unloaded; then every transcript of tests/transcripts/<example>/ is
replayed against a fresh load with control=1 (a virtual clock and a control file relayed by the
guest's /init). Every stretch of the console must show no Oops/BUG/WARNING and "0 allocations
outstanding". Everything is driven by
scripts/kernel/wyki_kernel.py, the library behind scripts/kernel-test. Without the packages the
tests skip, naming them (in CI, where .ci/run installs them, they fail). No test asserts
anything about speed.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import pytest

from nanowyki import kernel_build
from nanowyki.cli import main

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


def test_build_target_kernel_names_the_headers_package_when_kdir_is_wrong(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status = main(["build", "--target", "kernel", str(ROOT / "examples" / "echo.wyki"),
                   "-o", str(tmp_path / "ko"), "--kdir", str(tmp_path / "nothing")])  # fmt: skip
    assert status == 2
    err = capsys.readouterr().err
    assert "linux-headers-amd64" in err and "Traceback" not in err


def test_kdir_without_target_kernel_is_a_usage_error(tmp_path: Path) -> None:
    echo = str(ROOT / "examples" / "echo.wyki")
    assert main(["build", echo, "-o", str(tmp_path / "e"), "--kdir", str(tmp_path)]) == 2


def test_the_kbuild_tree_is_self_contained(tmp_path: Path) -> None:
    """Laid out without any kernel headers: everything the module needs is inside the tree."""
    c_file = tmp_path / "kv.c"
    c_file.write_text("/* generated */\n")
    out = tmp_path / "tree"
    kernel_build.write_tree(c_file, out, kernel_build.module_name("kv"))
    assert (out / "wyki.mk").read_text() == "WYKI_NAME := kv\n"
    assert (out / "service.c").read_text() == "/* generated */\n"
    kbuild = (out / "Kbuild").read_text()
    for obj in re.findall(r"(\w+/\w+)\.o", kbuild):  # every object's source is in the tree
        assert (out / f"{obj}.c").is_file(), obj
    assert (out / "include" / "wyki.h").is_file() and (out / "kernel" / "internal.h").is_file()
    assert kernel_build.module_name("Rate-Limit") == "rate_limit"


def test_console_analysis_catches_problems() -> None:
    clean = "WYKI-READY echo\nwyki: echo unloaded, 0 allocations outstanding\nWYKI-UNLOADED echo\n"
    assert wyki_kernel.analyse_console(clean, "echo") == []
    leaky = clean.replace(", 0 allocations", ", 3 allocations")
    assert any("3 allocations" in p for p in wyki_kernel.analyse_console(leaky, "echo"))
    warned = clean + "[ 1.0] WARNING: CPU: 0 PID: 1 at net/core/sock.c:1 x\n"
    assert any("WARNING" in p for p in wyki_kernel.analyse_console(warned, "echo"))
    assert "no WYKI-READY marker" in wyki_kernel.analyse_console("", "echo")
    other = clean.replace("WYKI-UNLOADED echo", "WYKI-UNLOADED http")
    assert any("rmmod" in p for p in wyki_kernel.analyse_console(other, "echo"))


def test_build_target_kernel_writes_a_kbuild_tree_and_a_module(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _require_packages()
    out = tmp_path / "ko"
    status = main(["build", "--target", "kernel", str(ROOT / "examples" / "ratelimit.wyki"),
                   "-o", str(out)])  # fmt: skip
    assert status == 0, capsys.readouterr().err
    assert capsys.readouterr().out.strip() == str(out / "wyki_ratelimit.ko")
    for part in ("Kbuild", "Makefile", "wyki.mk", "service.c", "include/wyki.h",
                 "common/table.c", "kernel/main.c", "wyki_ratelimit.ko"):  # fmt: skip
        assert (out / part).is_file(), part
    assert "warning:" not in (out / "build.log").read_text().lower()


@pytest.fixture(scope="module")
def guest_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, wyki_kernel.Result]:
    """The whole set in one booted guest, once for every test below."""
    _require_packages()
    accel = wyki_kernel.choose_accel("auto", say=lambda _s: None)
    workdir = tmp_path_factory.mktemp("kernel")
    lines: list[str] = []
    results = wyki_kernel.run_set(list(wyki_kernel.SERVICES), workdir, accel, say=lines.append)
    if accel == "kvm" and any("no WYKI-GUEST-READY" in r.message for r in results):
        results = wyki_kernel.run_set(
            list(wyki_kernel.SERVICES), workdir / "tcg", "tcg", say=lines.append
        )
    by_name = {r.service: r for r in results}
    by_name["progress"] = wyki_kernel.Result("progress", True, 0, accel, workdir,
                                             "\n".join(lines), {})  # fmt: skip
    return by_name


def test_the_guest_boots_and_powers_off_cleanly(guest_run: dict[str, wyki_kernel.Result]) -> None:
    guest = guest_run.get("guest")
    assert guest is None, f"{guest.message}\n{guest_run['progress'].message}"


@pytest.mark.parametrize("name", list(wyki_kernel.SERVICES))
def test_example_in_booted_kernel(name: str, guest_run: dict[str, wyki_kernel.Result]) -> None:
    result = guest_run.get(name)
    progress = guest_run["progress"].message
    assert result is not None, f"{name} was not run:\n{progress}"
    console = result.console_log.read_text(errors="replace")
    assert result.ok, f"{result.message}\n{progress}\n{console[-4000:]}"
    assert f"wyki: {name} unloaded, 0 allocations outstanding" in console
    if wyki_kernel.SERVICES[name].proto == "tcp":
        assert int(result.stats["accepted"]) >= 2
        assert result.stats["live"] == "2"  # rmmod closed two live sessions
    else:
        assert int(result.stats["datagrams"]) >= 4


@pytest.mark.parametrize("name", list(wyki_kernel.SERVICES))
def test_example_transcripts_in_booted_kernel(
    name: str, guest_run: dict[str, wyki_kernel.Result]
) -> None:
    result = guest_run.get(name)
    assert result is not None, f"{name} was not run:\n{guest_run['progress'].message}"
    expected = sorted(p.stem for p in (ROOT / "tests" / "transcripts" / name).glob("*.tr"))
    assert expected and sorted(result.transcripts) == expected, result.message
    failed = {t: outcome for t, outcome in result.transcripts.items() if outcome != "ok"}
    assert not failed, "\n\n".join(f"{t}: {outcome}" for t, outcome in failed.items())


def test_a_guest_control_sends_what_the_clients_did() -> None:
    """`quiet` carries the replay's totals to the module: OPENED DATAGRAMS BYTES[+] ..."""
    sent: list[str] = []

    class FakeGuest:
        def request(self, line: str, timeout: float) -> str:
            sent.append(line)
            return "ok"

        def console(self) -> str:
            return ""

    svc = wyki_kernel.SERVICES["kv"]
    control = wyki_kernel.GuestControl(FakeGuest(), svc, 4242, 0)  # type: ignore[arg-type]
    control.quiet()
    control.quiet(wyki_kernel.ClientTotals(3, 0, ((12, True), (0, False), (7, False))))
    control.advance(250)
    assert sent == ["ctl kv quiet", "ctl kv quiet 3 0 12+ 0 7", "ctl kv advance 250"]
    assert control.drain > 0 and (control.host, control.port, control.proto) == (
        "127.0.0.1",
        4242,
        "tcp",
    )
