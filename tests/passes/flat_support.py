"""Helpers for the tests of the passes into `Flat` (inline-constants, fold-constants,
lift-loop-conditions, remove-complex-operands): printed-IL builders, the real pipeline on
source text, and the example transcripts run with an IL's interpreter."""

from __future__ import annotations

from pathlib import Path

from nanowyki.framework import Facts, Language, Node, print_tree, read_tree
from nanowyki.interp import read_transcript, run_transcript
from nanowyki.interp.registry import interpreter_for
from nanowyki.passes.fold_constants import FoldConstants
from nanowyki.passes.inline_constants import InlineConstants
from nanowyki.passes.lift_loop_conditions import LiftLoopConditions
from nanowyki.passes.remove_complex_operands import RemoveComplexOperands

from .bounded_support import EXAMPLES, chain

ROOT = Path(__file__).resolve().parents[2]
MINE: list[type] = [InlineConstants, FoldConstants, LiftLoopConditions, RemoveComplexOperands]

INT, BOOL, UNIT = "(TInt)", "(TBool)", "(TUnit)"
TRUE = "(BoolLit #t (TBool))"

__all__ = ["BOOL", "EXAMPLES", "INT", "MINE", "TRUE", "UNIT"]


def bounded_chain() -> list[type]:
    """The passes from source text to `Bounded`, before mine."""
    return [p for p in chain().passes if p not in MINE and p.name != "uncover-step-bounds"]


def to_pass(source_path: Path, text: str | None, last: type) -> tuple[Node, Facts]:
    """Run a program (the file, or `text` under its name) through the compiler up to and
    including my pass `last`."""
    from nanowyki import pipeline

    result = pipeline.frontend().run(pipeline.source_tree(source_path, text))
    tree, facts = result.tree, result.facts
    for p in [p for p in bounded_chain() if p not in pipeline.FRONTEND]:
        tree, facts = p().apply(tree, facts)
    for p in MINE[: MINE.index(last) + 1]:
        tree, facts = p().apply(tree, facts)
    return tree, facts


def transcripts_fail(example: Path, tree: Node, facts: Facts, language: str) -> list[str]:
    interp = interpreter_for(language)
    assert interp is not None
    bad = []
    for path in sorted((ROOT / "tests" / "transcripts" / example.stem).glob("*.tr")):
        played = run_transcript(interp(tree, facts), read_transcript(path))
        if not played.ok:
            bad.append(f"{path.name}: {played.report()}")
    return bad


def service(*decls: str) -> str:
    return f"(Service s [(Listen tcp (IntLit 7 (TInt))) {' '.join(decls)}])"


def block(*stmts: str) -> str:
    return f"(Block [{' '.join(stmts)}])"


def fn(*stmts: str, result: str = UNIT, params: str = "") -> str:
    return f"(Fn f [{params}] {result} {block(*stmts)})"


def lit(n: int) -> str:
    return f"(IntLit {n} (TInt))"


def bool_(b: bool) -> str:
    return f"(BoolLit {'#t' if b else '#f'} (TBool))"


def bytes_(s: str, bound: int | None = None) -> str:
    return f'(BytesLit #"{s}" (TBytes {len(s) if bound is None else bound}))'


def local(name: str, t: str = INT) -> str:
    return f"(Local {name} {t})"


def log(x: str) -> str:
    return f"(Log {x})"


def same(text: str, language: Language) -> str:
    return print_tree(read_tree(text, language))
