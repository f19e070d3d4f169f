"""The README's main job: scripts/demo compiles the HTTP example, runs the binary and gets a 200
for /hello."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_demo_serves_hello() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "demo")],
        capture_output=True, text=True, timeout=120, cwd=ROOT,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "ready on tcp port" in done.stdout
    if shutil.which("cc"):  # compiled, not interpreted, wherever a C compiler exists
        assert "$ nanowyki build " in done.stdout
        assert "reference interpreter" not in done.stdout
    assert "HTTP/1.1 200 OK" in done.stdout
    assert done.stdout.endswith("Hello, world\n")
