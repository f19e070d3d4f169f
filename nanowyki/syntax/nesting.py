"""The nesting limit: no path through a program holds more than `MAX_NESTING` statements,
expressions and types, each inside the one before.

Every pass walks the tree recursively, so a program nested a few hundred levels deep (200 nested
`if`s, a sum of 1000 terms) would exhaust Python's stack in the middle of the compiler. The
parser's tables need no stack, so `parse-source` checks the depth here, without recursion, and
reports the first construct one level too deep; tests/fuzz/test_fuzz_regressions.py compiles
programs at exactly the limit through every pass.
"""

from __future__ import annotations

from nanowyki.framework import Diagnostic, Node
from nanowyki.framework.node import children
from nanowyki.languages import surface as S
from nanowyki.languages.types import TypeExpr

MAX_NESTING = 64
_LEVELS = (S.Stmt, S.Expr, TypeExpr)  # what counts as one level


def too_deep(tree: Node) -> Diagnostic | None:
    """The diagnostic for the first construct (in source order) nested past the limit, if any."""
    stack: list[tuple[Node, int]] = [(tree, 0)]
    while stack:
        n, depth = stack.pop()
        if isinstance(n, _LEVELS):
            depth += 1
            if depth > MAX_NESTING and n.span is not None:
                return Diagnostic(
                    n.span,
                    f"this is nested too deeply: at most {MAX_NESTING} statements and "
                    "expressions may be nested inside one another",
                    "move the inner part into a function, or name a part with 'let'",
                )
        stack.extend((c, depth) for c in reversed(children(n)))
    return None
