"""Every example's transcripts, played against the reference interpreter (Typed IL).

One case per `tests/transcripts/NAME/*.tr`: the front end checks `examples/NAME.wyki`, then
`TypedInterpreter` serves the transcript's clients; the assertion message is the runner's
failure (transcript file:line, expected and received bytes) followed by the event log.

Some behaviours need a table to fill up, which at the shipped sizes takes thousands of steps:
`VARIANTS` are examples with one capacity constant made small, each with a transcript of what
happens when the table is full (test_transcripts_compiled.py plays them on the binary too).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from nanowyki.framework import Facts, Node
from nanowyki.interp import parse_transcript, read_transcript, run_transcript

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
TRANSCRIPTS = ROOT / "tests" / "transcripts"

CASES = sorted(TRANSCRIPTS.glob("*/*.tr"))


@functools.cache
def checked(example: Path) -> tuple[Node, Facts]:
    from nanowyki import pipeline

    result = pipeline.frontend().run(pipeline.source_tree(example))
    return result.tree, result.facts


@pytest.mark.parametrize("path", CASES, ids=[f"{p.parent.name}/{p.stem}" for p in CASES])
def test_transcript(path: Path) -> None:
    example = EXAMPLES / f"{path.parent.name}.wyki"
    assert example.exists(), f"{path}: no example {example.relative_to(ROOT)} to run it against"
    tree, facts = checked(example)
    result = run_transcript(tree, read_transcript(path), facts=facts)
    assert result.ok, result.report()


def test_there_are_transcripts() -> None:
    assert CASES, "no transcripts under tests/transcripts/"


# -- examples with a small table -----------------------------------------------------------------


def with_constant(example: str, name: str, value: int) -> str:
    """The source of examples/EXAMPLE.wyki with its line `const NAME = ...;` set to `value`."""
    path = EXAMPLES / f"{example}.wyki"
    line = re.compile(rf"^(\s*const {name}\s*=\s*)[^;]*;", re.MULTILINE)
    source, count = line.subn(rf"\g<1>{value};", path.read_text())
    if count != 1:
        raise ValueError(f"{path.name}: {count} lines `const {name} = ...;`, expected one")
    return source


@dataclass(frozen=True)
class Variant:
    """An example with one constant changed, and a transcript of what the change exposes."""

    example: str
    constant: str
    value: int
    transcript: str

    @property
    def name(self) -> str:
        return f"{self.example}_{self.constant.lower()}_{self.value}"

    def source(self) -> str:
        return with_constant(self.example, self.constant, self.value)


KV_FULL = r"""
# kv with CAPACITY = 2: no eviction; a store under a new key fails until a place is freed
open a
a > set k1 0 0 1\r\nx\r\n
a < STORED\r\n
a > set k2 0 0 1\r\n5\r\n
a < STORED\r\n
a > set k3 0 0 1\r\nz\r\n
a < SERVER_ERROR out of memory storing object\r\n
a > add k3 0 0 1\r\nz\r\n
a < SERVER_ERROR out of memory storing object\r\n
a > get k1 k2 k3\r\n
a < VALUE k1 0 1\r\nx\r\nVALUE k2 0 1\r\n5\r\nEND\r\n
# the keys stored may still change
a > set k1 0 0 2\r\nxx\r\n
a < STORED\r\n
a > append k1 0 0 1\r\n!\r\n
a < STORED\r\n
a > incr k2 1\r\n
a < 6\r\n
# noreply hides the error, as in memcached
a > set k3 0 0 1 noreply\r\nz\r\n
a > get k3\r\n
a < END\r\n
# delete frees a place
a > delete k2\r\n
a < DELETED\r\n
a > set k3 0 0 1\r\nz\r\n
a < STORED\r\n
# an expired item keeps its place until a command looks it up
a > set k1 0 1 1\r\nx\r\n
a < STORED\r\n
advance 1 s
a > set k4 0 0 1\r\ny\r\n
a < SERVER_ERROR out of memory storing object\r\n
a > get k1\r\n
a < END\r\n
a > set k4 0 0 1\r\ny\r\n
a < STORED\r\n
# flush_all frees every place
a > flush_all\r\n
a < OK\r\n
a > set k5 0 0 1\r\na\r\nset k6 0 0 1\r\nb\r\n
a < STORED\r\nSTORED\r\n
"""

RATELIMIT_FULL = r"""
# ratelimit with KEYS = 2: a hit on a third key in one window fails closed, without a fault
open a
a > HIT k1\r\n
a < OK 4\r\n
a > HIT k2\r\n
a < OK 4\r\n
a > HIT k3\r\n
a < LIMITED\r\n
# the keys counted go on as before
a > HIT k1\r\n
a < OK 3\r\n
a > STATS\r\n
a < STATS hits=4 limited=1 windows=0 keys=2\r\n
# the next window forgets every key
advance 1 s
a > HIT k3\r\n
a < OK 4\r\n
a > STATS\r\n
a < STATS hits=5 limited=1 windows=1 keys=1\r\n
"""

VARIANTS = (
    Variant("kv", "CAPACITY", 2, KV_FULL),
    Variant("ratelimit", "KEYS", 2, RATELIMIT_FULL),
)


@pytest.mark.parametrize("variant", VARIANTS, ids=[v.name for v in VARIANTS])
def test_full_table(variant: Variant) -> None:
    from nanowyki import pipeline

    transcript = parse_transcript(variant.transcript, f"{variant.name}.tr")
    front = pipeline.frontend().run(pipeline.source_tree(f"{variant.name}.wyki", variant.source()))
    result = run_transcript(front.tree, transcript, facts=front.facts)
    assert result.ok, result.report()
    # The transcript depends on the change: the example as shipped has room to spare.
    shipped, facts = checked(EXAMPLES / f"{variant.example}.wyki")
    assert not run_transcript(shipped, transcript, facts=facts).ok


def test_with_constant_needs_the_constant() -> None:
    assert "const CAPACITY = 2;" in with_constant("kv", "CAPACITY", 2)
    with pytest.raises(ValueError, match=r"kv.wyki: 0 lines `const NO_SUCH = \.\.\.;`"):
        with_constant("kv", "NO_SUCH", 2)
