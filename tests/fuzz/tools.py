"""Tools the fuzz tests need from the machine: missing, a test skips naming the Debian package,
and fails when the environment variable CI is set (.ci/run installs them)."""

from __future__ import annotations

import os
import shutil

import pytest


def require_tool(command: str, package: str) -> str:
    """The path of `command`, or skip (fail under CI) naming the package that provides it."""
    found = shutil.which(command)
    if found is None:
        message = f"needs '{command}': apt-get install {package}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return found
