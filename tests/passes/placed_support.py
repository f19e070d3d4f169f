"""Helpers for the tests of the passes into `Placed` (fuse-shared-updates,
build-results-in-place, build-concat-chains-in-place): printed-IL builders, a pass run on
printed IL, and the real pipeline on source text up to one of them."""

from __future__ import annotations

from pathlib import Path

from nanowyki import pipeline
from nanowyki.framework import (
    CheckLevel,
    Facts,
    Node,
    Pass,
    RunOptions,
    check,
    print_tree,
    read_tree,
)
from nanowyki.languages.placed import Placed

from .evented_support import BOOL, INT, b, bb, lit, loc, machine, service, slot

__all__ = ["BOOL", "INT", "b", "bb", "fn", "lit", "loc", "machine", "service", "slot"]


def fn(name: str, result: str, slots: list[str], blocks: list[str], entry: str = "b.1") -> str:
    """A function of one `int` parameter `k` (Pooled graph)."""
    return (f"(FnGraph {name} [(Param k (TInt))] {result} "
            f"(PooledCfg {entry} [{' '.join(slots)}] [{' '.join(blocks)}]))")  # fmt: skip


def run(p: type[Pass], text: str) -> tuple[Node, Node]:
    """The input tree (read in `p`'s input language) and `p`'s output, checked."""
    tree = read_tree(text, p.input)
    out, _ = p().apply(tree, Facts())
    check(out, p.output)
    return tree, out


def rewritten(p: type[Pass], text: str) -> str:
    """`p`'s output on `text`, printed."""
    return print_tree(run(p, text)[1])


def same(text: str) -> str:
    """`text` (Placed) as the printer prints it."""
    return print_tree(read_tree(text, Placed))


def compiled(path: Path, source: str, upto: str) -> Node:
    """The program through the compiler up to and including pass `upto`, checked at boundaries."""
    result = pipeline.default().run(
        pipeline.source_tree(path, source),
        RunOptions(stop_after=upto, check=CheckLevel.BOUNDARY),
    )
    return result.tree
