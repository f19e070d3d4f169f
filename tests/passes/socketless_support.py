"""Helpers for the tests of the passes into `Socketless` (lower-receives, lower-sends,
lower-waits): printed-IL builders and the real pipeline on source text up to `Evented`."""

from __future__ import annotations

from pathlib import Path

from nanowyki import pipeline
from nanowyki.framework import (
    CheckLevel,
    Facts,
    Language,
    Node,
    Pass,
    RunOptions,
    check,
    print_tree,
    read_tree,
)
from nanowyki.languages.socketless import Socketless
from nanowyki.passes.lower_receives import LowerReceives
from nanowyki.passes.lower_sends import LowerSends
from nanowyki.passes.lower_waits import LowerWaits

from .evented_support import BOOL, bb, lit, loc, machine, service, slot

MINE: list[type[Pass]] = [LowerReceives, LowerSends, LowerWaits]

__all__ = ["BOOL", "bb", "lit", "loc", "machine", "service", "slot"]


def run(p: type[Pass], text: str, language: Language) -> tuple[Node, Node]:
    """The input tree (read in `language`) and `p`'s output, checked in `p.output`."""
    tree = read_tree(text, language)
    out, _ = p().apply(tree, Facts())
    check(out, p.output)
    return tree, out


def same(text: str, language: Language = Socketless) -> str:
    """`text` as the printer prints it."""
    return print_tree(read_tree(text, language))


def lowered(path: Path, text: str | None = None, upto: type[Pass] | None = None
            ) -> tuple[Node, Facts]:
    """The program through the compiler to Evented, then my passes up to `upto` (included)."""
    result = pipeline.default().run(
        pipeline.source_tree(path, text),
        RunOptions(stop_after="lift-live-variables", check=CheckLevel.BOUNDARY),
    )
    tree, facts = result.tree, result.facts
    for p in MINE[: MINE.index(upto) + 1] if upto is not None else []:
        tree, facts = p().apply(tree, facts)
        check(tree, p.output)
    return tree, facts

