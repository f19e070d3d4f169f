"""Syntax error diagnostics: the LR "expected X, found Y" message with hints for common
mistakes, and the checks the grammar leaves to its actions (assignment places, method targets,
named arguments, embed paths).
"""

from __future__ import annotations

from typing import Any

from nanowyki.framework import Diagnostic
from nanowyki.languages import surface as S

from .expected import COMPARISONS, acceptable, describe_expected, describe_found, display
from .positions import SourceMap, SyntaxProblem

# Tokens that, met where a ';' could go, suggest that the ';' was forgotten.
STATEMENT_ENDS = frozenset(
    {"}", "LET", "VAR", "IF", "WHILE", "LOOP", "FOR", "BREAK", "CONTINUE", "RETURN", "CLOSE"}
)


def syntax_error(parser: Any, token: Any) -> SyntaxProblem:
    """The diagnostic for the parser meeting `token` (None at end of file) where it cannot."""
    source: SourceMap = parser.source
    previous = parser.previous
    symbols = parser.symstack
    if (
        token is not None
        and token.type in COMPARISONS
        and len(symbols) >= 3
        and [sym.type for sym in symbols[-3:]] == ["expr", symbols[-2].type, "expr"]
        and symbols[-2].type in COMPARISONS
    ):
        return source.problem(
            token.index,
            token.end,
            "comparison operators cannot be chained",
            f"combine the comparisons with '&&': a {symbols[-2].value} b && b {token.value} c",
        )
    expected = acceptable(parser._lrtable, parser.snapshot)
    message = f"expected {describe_expected(expected)}, found {describe_found(token, source.text)}"
    if token is not None:
        start, end = token.index, token.end
    elif previous is not None:  # end of file: just past the last token
        start, end = previous.end, previous.end + 1
    else:
        start, end = 0, 1
    hint = _hint(parser, token, expected)
    if ";" in expected and previous is not None:
        on_next_line = token is not None and _line(source, token) > _line(source, previous)
        if token is None or on_next_line or token.type in STATEMENT_ENDS:
            hint = "end the statement with ';'"
        if on_next_line:
            start, end = previous.end, previous.end + 1  # where the ';' belongs
    return SyntaxProblem(Diagnostic(source.span(start, end), message, hint))


def _line(source: SourceMap, token: Any) -> int:
    return source.line_col(token.index)[0]


def _hint(parser: Any, token: Any, expected: set[str]) -> str | None:
    kind = "$end" if token is None else token.type
    before = parser.previous.type if parser.previous is not None else None
    if kind == "$end" and "}" in expected:
        opening = _unclosed_brace(parser)
        if opening is not None:
            line, col = parser.source.line_col(opening.index)
            return f"the '{{' at {line}:{col} is never closed"
    if kind == "=" and "{" in expected:
        return "compare with '=='"
    if kind == ";" and before == "}":
        return "no ';' is needed after a '}' that ends a statement"
    if before in ("TCP", "UDP") and kind == ";":
        return f"give the port: 'listen {parser.previous.value} 8080;'"
    if (
        expected - {"MS", "S"} == {"NAME"}
        and kind.isupper()
        and kind.lower() == getattr(token, "value", "")
    ):
        return f"{display(kind)} is a keyword; choose another name"
    return None


def _unclosed_brace(parser: Any) -> Any:
    """The innermost '{' still open on the parser's stack."""
    closed = 0
    for sym in reversed(parser.symstack):
        if sym.type == "}":
            closed += 1
        elif sym.type == "{":
            if not closed:
                return sym
            closed -= 1
    return None


# -- checks made by grammar actions ---------------------------------------------------------------


def _at(source: SourceMap, n: Any, message: str, hint: str | None = None) -> SyntaxProblem:
    return SyntaxProblem(Diagnostic(n.span, message, hint))


def check_place(source: SourceMap, target: S.Expr) -> None:
    """Raise unless `target` is a place: a name, or a field or element of a place."""
    place: S.Expr = target
    while isinstance(place, (S.Field, S.Index)):
        place = place.target
    if not isinstance(place, S.Name):
        raise _at(
            source,
            target,
            "cannot assign to this expression",
            "assign to a variable, a field ('x.f = e;') or an element ('a[i] = e;')",
        )


def method_target(source: SourceMap, target: S.Expr, method: str) -> str:
    """The table name a method is called on; raise unless `target` is a plain name."""
    if not isinstance(target, S.Name):
        raise _at(
            source,
            target,
            f"method '{method}' must be called on a table name",
            "table methods are called as 't.get(k)', where 't' is a table",
        )
    return target.name


def positional(
    source: SourceMap, args: list[S.Expr | S.FieldInit], callee: str
) -> tuple[S.Expr, ...]:
    """The arguments of a call; raise if any is named: mixed with positional ones, or named
    where only a struct value names its fields."""
    named = [a for a in args if isinstance(a, S.FieldInit)]
    if not named:
        return tuple(a for a in args if not isinstance(a, S.FieldInit))
    if len(named) < len(args):
        first_named = isinstance(args[0], S.FieldInit)
        odd = next(a for a in args if isinstance(a, S.FieldInit) != first_named)
        raise _at(
            source,
            odd,
            "cannot mix named and positional arguments",
            "a struct value names every field, 'S(f: e, g: e)'; "
            "a call passes every argument by position",
        )
    raise _at(source, named[0], f"named arguments are only for struct values, not for {callee}")


def embed_path(source: SourceMap, path: bytes, token: Any) -> str:
    """The path of `embed("...")` as text."""
    try:
        return path.decode("utf-8")
    except UnicodeDecodeError:
        raise source.problem(token.index, token.end, "an embed path must be UTF-8 text") from None
