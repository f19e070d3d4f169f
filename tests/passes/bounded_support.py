"""Helpers for the tests of the passes into `Bounded` (bound-loops, insert-yield-points,
uncover-step-bounds): printed-IL builders and the real pipeline on source text."""

from __future__ import annotations

from pathlib import Path

from nanowyki.framework import CheckLevel, Facts, Node, Pipeline, RunOptions, RunResult

EXAMPLES = sorted((Path(__file__).resolve().parents[2] / "examples").glob("*.wyki"))

INT, BOOL, UNIT = "(TInt)", "(TBool)", "(TUnit)"
TRUE = "(BoolLit #t (TBool))"


def service(*decls: str, listen: str = "(Listen tcp (IntLit 7 (TInt)))") -> str:
    return f"(Service s [{listen} {' '.join(decls)}])"


def block(*stmts: str) -> str:
    return f"(Block [{' '.join(stmts)}])"


def session(*stmts: str) -> str:
    return f"(Session {block(*stmts)})"


def fn(name: str, *stmts: str, result: str = UNIT) -> str:
    return f"(Fn {name} [] {result} {block(*stmts)})"


def lit(n: int) -> str:
    return f"(IntLit {n} (TInt))"


def log(text: str = "x") -> str:
    """A simple statement: costs 1 step."""
    return f'(Log (BytesLit #"{text}" (TBytes {len(text)})))'


def send(text: str = "x") -> str:
    """A yield point costing 1 step."""
    return f'(Send (BytesLit #"{text}" (TBytes {len(text)})))'


def call(f: str) -> str:
    return f"(ExprStmt (CallFn {f} [] {UNIT}))"


def chain() -> Pipeline:
    """The compiler through uncover-step-bounds."""
    from nanowyki import pipeline

    whole = pipeline.default()
    return Pipeline(whole.slice(None, "uncover-step-bounds"), name="to-bounded")


def lower(source: str, stop_after: str, tmp: Path | None = None) -> RunResult:
    """Run `source` (WYKI text) through the compiler up to and including `stop_after`."""
    from nanowyki import pipeline

    name = str((tmp or Path(".")) / "test.wyki")
    tree = pipeline.source_tree(name, source)
    return chain().run(tree, RunOptions(stop_after=stop_after, check=CheckLevel.BOUNDARY))


def lower_example(path: Path, stop_after: str) -> RunResult:
    from nanowyki import pipeline

    return chain().run(
        pipeline.source_tree(path), RunOptions(stop_after=stop_after, check=CheckLevel.BOUNDARY)
    )


def apply(p: type, tree: Node, facts: Facts | None = None) -> tuple[Node, Facts]:
    out: tuple[Node, Facts] = p().apply(tree, facts or Facts())
    return out
