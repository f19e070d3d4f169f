"""Helpers for the tests of explicate-control, hoist-locals, uncover-memory-layout and the
Linear and Pooled interpreters: printed-IL builders and the real pipeline on source text."""

from __future__ import annotations

from pathlib import Path

from nanowyki import pipeline
from nanowyki.framework import CheckLevel, Facts, Node, RunOptions, RunResult

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples").glob("*.wyki"))

INT, BOOL, UNIT = "(TInt)", "(TBool)", "(TUnit)"
TRUE = "(BoolLit #t (TBool))"


def service(*decls: str, listen: str = "(Listen tcp (IntLit 7 (TInt)))") -> str:
    return f"(Service s [{listen} {' '.join(decls)}])"


def block(*stmts: str) -> str:
    return f"(Block [{' '.join(stmts)}])"


def session(*stmts: str) -> str:
    return f"(Session {block(*stmts)})"


def fn(name: str, *stmts: str, result: str = UNIT, params: str = "") -> str:
    return f"(Fn {name} [{params}] {result} {block(*stmts)})"


def lit(n: int) -> str:
    return f"(IntLit {n} (TInt))"


def local(name: str, t: str = INT) -> str:
    return f"(Local {name} {t})"


def log(text: str = "x") -> str:
    return f'(Log (BytesLit #"{text}" (TBytes {len(text)})))'


def send(text: str = "x") -> str:
    return f'(Send (BytesLit #"{text}" (TBytes {len(text)})))'


def run(source: str, stop_after: str, tmp: Path) -> RunResult:
    """Run WYKI `source` through the compiler up to and including `stop_after`, checking the
    output of every pass against its language."""
    path = tmp / "t.wyki"
    path.write_text(source, encoding="utf-8")
    return pipeline.default().run(
        pipeline.source_tree(path), RunOptions(stop_after=stop_after, check=CheckLevel.BOUNDARY)
    )


def run_example(path: Path, stop_after: str) -> RunResult:
    return pipeline.default().run(
        pipeline.source_tree(path), RunOptions(stop_after=stop_after, check=CheckLevel.BOUNDARY)
    )


def apply(p: type, tree: Node, facts: Facts | None = None) -> tuple[Node, Facts]:
    out: tuple[Node, Facts] = p().apply(tree, facts or Facts())
    return out
