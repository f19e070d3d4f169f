"""Helpers for the tests of the safety checks (the `Check` passes on `Typed`).

`diagnose_il(P, text)` runs check `P` on a `Typed` tree written in the printed IL (no spans:
messages only). `diagnose_source(P, source)` runs the real front end up to check-types on WYKI
source and then `P`, so positions can be tested too. Both give `(line, col, message)` triples
(line and col 0 without a span) plus the facts the check provided.
"""

from __future__ import annotations

from pathlib import Path

from nanowyki.framework import CompileError, Diagnostic, Facts, Pass, read_tree
from nanowyki.languages.typed import Typed

Found = list[tuple[int, int, str]]


def _triples(diags: list[Diagnostic]) -> Found:
    return [(d.span.line if d.span else 0, d.span.col if d.span else 0, d.message) for d in diags]


def run_il(check: type[Pass], text: str) -> tuple[list[Diagnostic], Facts]:
    tree = read_tree(text, Typed)
    try:
        _, facts = check().apply(tree, Facts())
    except CompileError as err:
        return list(err.diagnostics), Facts()
    return [], facts


def diagnose_il(check: type[Pass], text: str) -> list[str]:
    """The messages `check` gives for the printed `Typed` tree `text`."""
    return [d.message for d in run_il(check, text)[0]]


def service(*decls: str, listen: str = "(Listen tcp (IntLit 7 (TInt)))") -> str:
    """A printed service holding `listen` and `decls`."""
    return f"(Service s [{listen} {' '.join(decls)}])"


def session(*stmts: str) -> str:
    return f"(Session (Block [{' '.join(stmts)}]))"


def fn(name: str, *stmts: str, result: str = "(TUnit)", params: str = "") -> str:
    return f"(Fn {name} [{params}] {result} (Block [{' '.join(stmts)}]))"


def run_source(check: type[Pass], source: str) -> tuple[list[Diagnostic], Facts]:
    """Parse and type `source` with the real front end, then run `check` alone."""
    from nanowyki import pipeline
    from nanowyki.framework import RunOptions

    tree = pipeline.source_tree("test.wyki", source)
    result = pipeline.frontend().run(tree, RunOptions(stop_after="check-types"))
    try:
        _, facts = check().apply(result.tree, result.facts)
    except CompileError as err:
        return list(err.diagnostics), Facts()
    return [], facts


def diagnose_source(check: type[Pass], source: str) -> Found:
    return _triples(run_source(check, source)[0])


EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def run_example(check: type[Pass], name: str) -> tuple[list[Diagnostic], Facts]:
    """Run the front end up to check-types on examples/NAME.wyki, then `check`."""
    from nanowyki import pipeline
    from nanowyki.framework import RunOptions

    tree = pipeline.source_tree(EXAMPLES / f"{name}.wyki")
    result = pipeline.frontend().run(tree, RunOptions(stop_after="check-types"))
    try:
        _, facts = check().apply(result.tree, result.facts)
    except CompileError as err:
        return list(err.diagnostics), Facts()
    return [], facts


def example_names() -> list[str]:
    return sorted(p.stem for p in EXAMPLES.glob("*.wyki"))
