"""The runtime's C unit tests (buffers, tables, arena, timer wheel, builtins, receives), built
with -fsanitize=address,undefined -Wall -Wextra -Werror, and the header's stand-alone compile."""

from __future__ import annotations

import re
from pathlib import Path

from tests.runtime.conftest import make, requires_toolchain


@requires_toolchain
def test_c_unit_tests_pass(tmp_path: Path) -> None:
    result = make(tmp_path, "test")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    summaries = re.findall(r"^(\d+) passed, (\d+) failed$", result.stdout, re.MULTILINE)
    # test_buf, test_table, test_arena, test_wheel, test_builtins, test_receive
    assert len(summaries) == 6, output
    assert all(int(passed) > 0 and failed == "0" for passed, failed in summaries), output


@requires_toolchain
def test_header_compiles_alone_in_c11(tmp_path: Path) -> None:
    result = make(tmp_path, "check-header")
    assert result.returncode == 0, result.stdout + result.stderr


@requires_toolchain
def test_release_build_is_warning_free(tmp_path: Path) -> None:
    result = make(tmp_path, "release")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "warning" not in result.stderr
    for name in ("echo", "kvlite", "udpecho"):
        assert (tmp_path / name).is_file()
