"""parse-source: the WYKI parser as a pass."""

from __future__ import annotations

from nanowyki.framework import CompileError, Source, SourceText, Transform
from nanowyki.languages import surface as S
from nanowyki.syntax import SyntaxProblem, parse
from nanowyki.syntax.nesting import too_deep


class ParseSource(Transform):
    """Source -> Surface: parse WYKI source text.

    Establishes: the tree is the program exactly as written (docs/language.md, Grammar), with a
    span on every node; `else if` is an else block holding one `If`; a call whose arguments are
    all named is a `StructValue`; `embed("path")` is an `Embed` still to be read.
    Assumes: nothing; a lexical or syntax error is reported as one diagnostic (the first), and
    so is a program nested too deeply for the passes (`syntax.nesting`).

        service s { listen tcp 7; }   =>   (Service s [(Listen tcp (IntLit 7))])
    """

    name = "parse-source"
    input = Source
    output = S.Surface

    def SourceText(self, s: SourceText) -> S.Service:
        try:
            tree = parse(s.name, s.text)
        except SyntaxProblem as problem:
            raise CompileError([problem.diagnostic]) from None
        deep = too_deep(tree)  # before any pass recurses that deep
        if deep is not None:
            raise CompileError([deep])
        return tree
