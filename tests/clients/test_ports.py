"""A compiled service refuses to start on a port that is already taken, even by another instance
of itself.

Regression: each worker's socket sets SO_REUSEPORT, which lets every socket of the same user
join the port, so a second instance used to bind, print "ready" and silently take a share of
the first one's clients (found when wrk against one service got replies from another).
"""

from __future__ import annotations

import subprocess

import pytest

from tests.clients.conftest import Builds, Start
from tests.runtime.conftest import WAIT


@pytest.mark.parametrize("name", ["http", "dns"])  # a TCP service and a UDP one
def test_a_second_instance_on_a_taken_port_fails(name: str, start: Start, builds: Builds) -> None:
    first = start(name)
    argv = [str(builds.binary(name, debug=True)), "--port", str(first.port), "--workers", "2"]
    second = subprocess.run(argv, capture_output=True, text=True, timeout=WAIT, check=False)
    assert second.returncode == 1, second.stderr
    assert f"cannot listen on port {first.port}: Address already in use" in second.stderr
    assert " ready on " not in second.stderr
    assert first.proc.poll() is None  # the first one is untouched and still serving
    assert first.stats()["live"] == 0
