"""Facts as text: a dump's `; fact` lines read back as the facts, and as nothing else."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from pyrsistent import PMap, pmap

from nanowyki.framework.facttext import fact_line, read_facts
from tests.framework.arith import Int, VariableCount


@dataclass(frozen=True)
class Place:
    name: str
    at: int


@dataclass(frozen=True)
class Layout:
    """A fact of nested dataclasses, tuples, a pmap, bytes, a negative int and an IL node."""

    places: tuple[Place, ...]
    sizes: PMap[str, int]
    magic: bytes
    low: int
    node: Int


def test_a_dataclass_fact_reads_back_equal() -> None:
    fact = Layout((Place("a", 0), Place("b", 8)), pmap({"a": 8}), b"\x00'\n", -3, Int(7))
    line = fact_line(fact)
    assert line is not None and line.startswith("; fact Layout(places=(Place(name='a', at=0)")
    assert line.count("\n") == 1
    assert read_facts(f"(Program)\n{line}", [Layout]) == [fact]


def test_a_fact_that_is_no_dataclass_is_not_carried() -> None:
    assert fact_line(VariableCount(3)) is None


@pytest.mark.parametrize(
    "text",
    [
        "; fact Other(x=1)",  # not a kind of this pipeline
        "; fact Layout(places=__import__('os').system('true'))",  # a call of something else
        "; fact Layout(places=(Place(name=print('x'), at=0),))",
        "; fact Layout(places=[p for p in ()])",
        "; fact Layout(",
    ],
)
def test_nothing_but_the_facts_classes_is_called(text: str) -> None:
    with pytest.raises(ValueError):
        read_facts(text, [Layout])
