"""`run-passes --start-at P` resumes the WYKI pipeline from the dump of the pass before P.

Every example is compiled once with a dump after every pass; then the run is started again at
a pass P from the dump of the pass before it (read as `nanowyki run-passes FILE --start-at P`
reads it) and must end with the same Cish, and the same C but for the `#line` directives
(a printed tree has no source positions). The facts the resumed run needs come back from the
dump: computed again from its tree (`Fact.derive`, or the providing analysis run again), or
read from its `; fact` lines when its language no longer holds them; the fresh-name counter
from its header.

Cost (2 cores, ~35 s): echo and ratelimit are resumed at every pass; http, kv and dns, the
slow ones, each at every third pass, in turn, so that every pass is resumed on one of them too.
"""

from __future__ import annotations

import functools
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from nanowyki import pipeline
from nanowyki.emit_c import emit_c
from nanowyki.framework import CheckLevel, Node, RunOptions, print_tree
from nanowyki.languages.cish import CUnit

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
EVERY_PASS = ("echo", "ratelimit")
SAMPLED = ("http", "kv", "dns")  # example k is resumed at the passes numbered k modulo 3
NAMES = pipeline.default().names


@dataclass(frozen=True)
class Compiled:
    dumps: Path  # NN-pass.il after every pass
    cish: str
    c: str


def c_text(tree: Node) -> str:
    """The C of a Cish unit without its `#line` directives."""
    assert isinstance(tree, CUnit)
    return "".join(line for line in emit_c(tree).splitlines(True) if not line.startswith("#line"))


@functools.cache
def compiled(example: str) -> Compiled:
    dumps = Path(tempfile.mkdtemp(prefix=f"nanowyki-resume-{example}-"))
    source = pipeline.source_tree(EXAMPLES / f"{example}.wyki")
    tree = pipeline.default().run(source, RunOptions(dump_after="all", dump_dir=dumps)).tree
    return Compiled(dumps, print_tree(tree), c_text(tree))


def resume(example: str, start_at: str) -> Node:
    """The final tree of a run started at `start_at` from the dump of the pass before it."""
    p = pipeline.default()
    index = p.index(start_at)
    dump = compiled(example).dumps / f"{index:02d}-{NAMES[index - 1]}.il"
    tree, facts = p.read_input(dump.read_text(), start_at, source=str(dump))
    return p.run(tree, RunOptions(start_at=start_at, check=CheckLevel.OFF), facts).tree


def cases() -> list[tuple[str, str]]:
    found = [(example, name) for example in EVERY_PASS for name in NAMES[1:]]
    for k, example in enumerate(SAMPLED):
        found += [(example, name) for i, name in enumerate(NAMES[1:], 1) if i % 3 == k]
    return found


@pytest.mark.parametrize(("example", "start_at"), cases())
def test_resuming_from_a_dump_ends_as_the_whole_run(
    example: str, start_at: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A printed tree has no source file: expand-embeds reads embed("path") from the current
    # directory (the example's files are beside it).
    monkeypatch.chdir(EXAMPLES)
    whole = compiled(example)
    tree = resume(example, start_at)
    assert print_tree(tree) == whole.cish
    assert c_text(tree) == whole.c
