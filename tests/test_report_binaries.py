"""`nanowyki check --report`'s memory is what the built binaries really use.

Every example is built (release flags, as a user builds it); then
- a probe compiled with the generated C prints `sizeof(struct frame)` and
  `sizeof(struct scratch)`: the report's "session frames" and "worker scratch" rows must say
  the same;
- the binary, started with --workers 1 and 2, prints the arena it carved ("N bytes used") and
  mapped ("arena M MiB"): the report's "arena (bytes used)" must equal the bytes exactly, its
  superpages x 2 the MiB;
- a probe compiled with the runtime's own sources prints the struct sizes and layout functions
  that `nanowyki.analysis.arena` copies (`sizeof(struct conn)`, `wyki_table_mem_size`, ...).

Needs a C compiler (Debian: gcc): skipped without one, failed when CI is set. About 30 s.
"""

from __future__ import annotations

import contextlib
import functools
import io
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from nanowyki.analysis import arena
from nanowyki.build import compiler
from nanowyki.cli import main
from tests.runtime.conftest import Service, assert_stops_cleanly

ROOT = Path(__file__).resolve().parent.parent
RUNTIME = ROOT / "runtime_c"
EXAMPLES = ["dns", "echo", "http", "kv", "ratelimit"]
INCLUDES = [f"-I{RUNTIME / d}" for d in ("include", "common", "user")]
# unreferenced sections dropped: a probe links without the runtime the generated code calls
PROBE_FLAGS = ["-std=c11", "-O0", "-ffunction-sections", "-fdata-sections", "-Wl,--gc-sections"]


def have_cc() -> bool:
    return shutil.which(os.environ.get("CC", "").split(" ")[0] or "cc") is not None


@pytest.fixture(scope="module", autouse=True)
def needs_cc() -> None:
    if have_cc():
        return
    if os.environ.get("CI"):
        pytest.fail("no C compiler (cc); install the Debian package gcc")
    pytest.skip("needs a C compiler (cc): the Debian package gcc")


def nanowyki(*args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "nanowyki", *args],
        capture_output=True, text=True, cwd=ROOT, timeout=600, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every example built into OUT/NAME, its generated C in OUT/NAME.d/NAME.c."""
    out = tmp_path_factory.mktemp("report_binaries")
    for name in EXAMPLES:
        nanowyki("build", f"examples/{name}.wyki", "-o", str(out / name),
                 "--build-dir", str(out / f"{name}.d"))  # fmt: skip
    return out


def probe(out: Path, name: str, source: str, *includes: str) -> list[int]:
    """Compile and run a C program; the numbers it prints."""
    c_file = out / f"{name}.c"
    c_file.write_text(source)
    binary = out / name
    cc = subprocess.run([*compiler(), *PROBE_FLAGS, *INCLUDES, *includes, "-o", str(binary),
                         str(c_file)], capture_output=True, text=True, check=False)  # fmt: skip
    assert cc.returncode == 0, cc.stderr
    done = subprocess.run([str(binary)], capture_output=True, text=True, check=True)
    return [int(n) for n in done.stdout.split()]


def memory_rows(report: str) -> dict[str, list[int]]:
    """The memory table of a report: row name -> its numbers."""
    lines = report.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("memory of"))
    rows = {}
    for line in lines[start + 2 :]:
        if not line.strip() or line.startswith("Each "):
            break
        name, *cells = re.split(r"\s{2,}", line.strip())
        rows[name] = [int(c.replace(",", "")) for c in cells]
    return rows


@functools.cache
def report(name: str, workers: int) -> str:
    """`nanowyki check --report --workers N examples/NAME.wyki`, in this process."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["check", "--report", "--workers", str(workers), str(ROOT / "examples" /
                     f"{name}.wyki")]) == 0  # fmt: skip
    return out.getvalue()


@pytest.mark.parametrize("name", EXAMPLES)
def test_frame_and_scratch_are_the_c_sizes(name: str, built: Path) -> None:
    rows = memory_rows(report(name, 1))
    expected = {"session frames": "frame", "worker scratch": "scratch"}
    shown = {row: struct for row, struct in expected.items() if row in rows}
    assert shown  # dns has no sessions, echo no scratch
    source = "#include <stdio.h>\n" + f'#include "{name}.c"\n' + "int main(void)\n{\n"
    for struct in shown.values():
        source += f'\tprintf("%zu\\n", sizeof(struct {struct}));\n'
    sizes = probe(built, f"{name}_sizes", source + "    return 0;\n}\n", f"-I{built / f'{name}.d'}")
    assert [rows[row][1] for row in shown] == sizes  # [count, bytes each, bytes]


@pytest.mark.parametrize("name", EXAMPLES)
@pytest.mark.parametrize("workers", [1, 2])
def test_arena_is_what_the_binary_maps(name: str, workers: int, built: Path) -> None:
    rows = memory_rows(report(name, workers))
    svc = Service(built / name, "--workers", str(workers), udp=name == "dns")
    ready = svc.wait_for_line(" ready on ")
    assert_stops_cleanly(svc)
    found = re.search(r"arena (\d+) MiB in [^,]+, (\d+) bytes used\)", ready)
    assert found, ready
    mib, used = int(found[1]), int(found[2])
    assert rows["arena (bytes used)"] == [used]
    superpages, superpage, total = rows["superpages (2 MiB)"]
    assert (superpages * 2, superpage, total) == (mib, arena.SUPERPAGE, mib << 20)


RUNTIME_PROBE = """\
#define _GNU_SOURCE
#include <stdio.h>
#include "internal.h"
#include "table.c"
#include "udp.c"

int main(void)
{
    struct wyki_service svc = { .max_datagram = 0, .reply_size = 0 };
    static const uint32_t tables[][3] = { { 1, 1, 1 }, { 8, 8, 100 }, { 250, 1080, 16384 },
                                          { 3, 0, 300 }, { 0, 9, 5000 } };

    printf("%d %zu %zu %zu\\n", WYKI_CACHELINE, sizeof(struct conn), sizeof(struct worker),
           udp_state_size(&svc) - UDP_BATCH);
    printf("%d %zu %zu %u %zu\\n", UDP_BATCH, WYKI_ALIGN_UP(sizeof(struct wyki_table),
           (size_t)WYKI_CACHELINE), sizeof(struct stripe), MAX_STRIPES, sizeof(struct entry));
    for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++)
        printf("%zu\\n", wyki_table_mem_size(tables[i][0], tables[i][1], tables[i][2]));
    return 0;
}
"""


def test_the_runtime_constants_are_the_c_ones(tmp_path: Path) -> None:
    """If this fails, the runtime's structs changed: update nanowyki/analysis/arena.py."""
    numbers = probe(tmp_path, "runtime_sizes", RUNTIME_PROBE)
    expected = [
        arena.CACHELINE, arena.CONN_BYTES, arena.WORKER_BYTES, arena.UDP_STATE_BYTES,
        arena.UDP_BATCH, arena.TABLE_HEADER_BYTES, arena.TABLE_STRIPE_BYTES,
        arena.TABLE_MAX_STRIPES, arena.TABLE_ENTRY_HEADER_BYTES,
    ]  # fmt: skip
    tables = [(1, 1, 1), (8, 8, 100), (250, 1080, 16384), (3, 0, 300), (0, 9, 5000)]
    expected += [arena.table_bytes(arena.TableDecl("t", *t)) for t in tables]
    assert numbers == expected
