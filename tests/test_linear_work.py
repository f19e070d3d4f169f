"""The compiler's work grows linearly with the program, pass by pass.

No clock: work is counted. A program made of `k` copies of one function and one session branch
is compiled at `k` and `4k`; each pass must run at most 4 times (plus a margin) as many lines of
Python (counted by a trace function, so every loop of the pass and of the framework counts) and
build at most 4 times as many nodes. Work that grows with the square of the program runs 16
times the lines at `4k`: a pass with such a part fails once it is a fair share of the pass's
work (a deliberately quadratic loop in uncover-step-bounds makes 6.5 times). Loops inside C
builtins, a `sorted` or an `in` on a list, are not seen.
"""

from __future__ import annotations

import sys
from types import FrameType
from typing import Any

import pytest

from nanowyki import pipeline
from nanowyki.framework import Facts, Node, RunOptions

SMALL, SCALE = 5, 4
MARGIN = 1.25  # for the parts that do not grow with k (the service header, the loop around)


def program(k: int) -> str:
    """A service with `k` functions, each calling the one before, and a session whose loop has
    `k` command branches that parse, call, store, receive and send."""
    fns = ["    fn f0(x: int) -> int { return x + 1; }"]
    branches = []
    for i in range(1, k + 1):
        fns.append(f"""\
    fn f{i}(x: int) -> int {{
        var total = f{i - 1}(x);
        for j in 0..4 {{ total = total + j * {i}; }}
        if total > 100 {{ total = total - {i}; }}
        return total;
    }}""")
        branches.append(f"""\
            if cmd == "c{i}" {{
                let n = parse_int(field(line, 1)) else {{ send("bad\\r\\n"); continue; }};
                hits += f{i}(n);
                store.put("k{i}", itoa(n));
                let body = recv_exact(4, 16) else {{ close; }};
                send("ok ", itoa(n), " ", body, "\\r\\n");
                continue;
            }}""")
    return "\n".join([
        "service scale {",
        "    listen tcp 7000;",
        "    sessions 64;",
        "    shared hits: int = 0;",
        "    table store: map<bytes[16], bytes[64]>[256];",
        *fns,
        "    session {",
        "        loop {",
        "            let line = recv_line(64) else { close; };",
        "            let cmd = field(line, 0);",
        *branches,
        '            send("unknown\\r\\n");',
        "        }",
        "    }",
        "}",
    ]) + "\n"  # fmt: skip


class LineCounter:
    """A trace function counting the Python lines run (and calls and returns) while set."""

    def __init__(self) -> None:
        self.events = 0

    def __call__(self, frame: FrameType, event: str, arg: Any) -> LineCounter:
        self.events += 1
        return self


def work(k: int) -> dict[str, tuple[int, int]]:
    """`(Python lines run, nodes built)` by each pass compiling `program(k)`."""
    p = pipeline.default()
    tree: Node = pipeline.source_tree(f"scale{k}.wyki", program(k))
    facts = Facts()
    counted = {}
    for name in p.names:
        lines, before = LineCounter(), sys.gettrace()  # (a coverage tool's, say)
        sys.settrace(lines)
        try:
            result = p.run(tree, RunOptions(start_at=name, stop_after=name), facts)
        finally:
            sys.settrace(before)
        counted[name] = (lines.events, result.trace[0].nodes_built)
        tree, facts = result.tree, result.facts
    return counted


@pytest.fixture(scope="module")
def small_and_large() -> tuple[dict[str, tuple[int, int]], dict[str, tuple[int, int]]]:
    work(2)  # fill the framework's caches (dispatch, field tests) before counting
    return work(SMALL), work(SMALL * SCALE)


def test_the_program_grows_linearly_with_k() -> None:
    lines = {k: program(k).count("\n") for k in (1, 2, SMALL, SMALL * SCALE)}
    per_copy = lines[2] - lines[1]
    assert per_copy > 10
    assert all(n == lines[1] + per_copy * (k - 1) for k, n in lines.items())


@pytest.mark.parametrize("pass_", pipeline.default().names)
def test_each_pass_does_linear_work(
    small_and_large: tuple[dict[str, tuple[int, int]], dict[str, tuple[int, int]]], pass_: str
) -> None:
    small, large = small_and_large
    (lines, built), (more_lines, more_built) = small[pass_], large[pass_]
    assert more_lines <= SCALE * MARGIN * lines, (
        f"{lines} lines run at k={SMALL}, {more_lines} at 4k"
    )
    assert more_built <= SCALE * MARGIN * built, f"{built} nodes built at k={SMALL}, {more_built}"


def test_the_whole_pipeline_does_linear_work(
    small_and_large: tuple[dict[str, tuple[int, int]], dict[str, tuple[int, int]]],
) -> None:
    small, large = small_and_large
    lines = sum(n for n, _ in small.values())
    more = sum(n for n, _ in large.values())
    assert more <= SCALE * MARGIN * lines
    assert more >= SCALE / MARGIN * lines  # the count does measure the program
