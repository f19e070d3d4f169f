"""The WYKI lexer (SLY): keywords, names, integer and byte string literals, operators.

Token values: `NUMBER` an `int` (decimal, hexadecimal or a character literal, kept exactly even
when out of range: check-types rejects it), `STRING` the `bytes` after escapes, `NAME` the name;
every other token's value is its text. Comments and white space are skipped. A bad literal, an
unterminated string or comment, or a character that starts no token raises a `SyntaxProblem` at
its exact position.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, TypeVar

from sly import Lexer

from . import escapes
from .positions import SourceMap

if TYPE_CHECKING:
    F = TypeVar("F", bound=Callable[..., Any])

    def _(pattern: str, *extra: str) -> Callable[[F], F]: ...


KEYWORDS = (
    "service", "listen", "tcp", "udp", "sessions", "const", "struct", "table", "map", "shared",
    "fn", "session", "datagram", "every", "let", "var", "if", "else", "while", "loop", "max",
    "for", "in", "break", "continue", "return", "close", "true", "false", "none", "int", "bool",
    "bytes", "embed", "ms", "s",
)  # fmt: skip

# Operators of more than one character, as token name -> text.
OPERATORS = {
    "OROR": "||",
    "ANDAND": "&&",
    "EQ": "==",
    "NE": "!=",
    "LE": "<=",
    "GE": ">=",
    "SHL": "<<",
    "SHR": ">>",
    "CONCAT_ASSIGN": "++=",
    "CONCAT": "++",
    "PLUS_ASSIGN": "+=",
    "MINUS_ASSIGN": "-=",
    "TIMES_ASSIGN": "*=",
    "ARROW": "->",
    "DOTDOT": "..",
}

_KEYWORD_SET = frozenset(KEYWORDS)

LITERALS = frozenset("{}()[];:,.=<>+-*/%!~&|^?")
_LITERALS = set(LITERALS)
_TOKENS = {"NAME", "NUMBER", "STRING", *(kw.upper() for kw in KEYWORDS), *OPERATORS}

_DECIMAL = re.compile(r"[0-9]+(_[0-9]+)*\Z")
_HEX = re.compile(r"0[xX][0-9a-fA-F]+(_[0-9a-fA-F]+)*\Z")
_UNIT_SUFFIX = re.compile(r"([0-9][0-9_]*)(ms|s)\Z")


class WykiLexer(Lexer):  # type: ignore[misc]
    # (Upper-case names in a SLY class body are token names, so the tables come in by `_` names.)
    tokens = _TOKENS
    literals = _LITERALS
    ignore = " \t\r\f"

    ignore_line_comment = r"//[^\n]*"
    ignore_block_comment = r"/\*[\s\S]*?\*/"
    ignore_newline = r"\n+"

    # Longest operators first: SLY tries the patterns in the order they are written.
    OROR = r"\|\|"
    ANDAND = r"&&"
    EQ = r"=="
    NE = r"!="
    LE = r"<="
    GE = r">="
    SHL = r"<<"
    SHR = r">>"
    CONCAT_ASSIGN = r"\+\+="
    CONCAT = r"\+\+"
    PLUS_ASSIGN = r"\+="
    MINUS_ASSIGN = r"-="
    TIMES_ASSIGN = r"\*="
    ARROW = r"->"
    DOTDOT = r"\.\."

    def __init__(self, source: SourceMap) -> None:
        self.source = source

    def tokens_of(self) -> Iterator[Any]:
        """The tokens of the whole source text, lazily (a leading byte order mark is skipped)."""
        text = self.source.text
        return iter(self.tokenize(text, index=1 if text.startswith("\ufeff") else 0))

    @_(r"[A-Za-z_][A-Za-z0-9_]*")
    def NAME(self, t: Any) -> Any:
        if t.value in _KEYWORD_SET:
            t.type = t.value.upper()
        return t

    @_(r"[0-9][0-9A-Za-z_]*")
    def NUMBER(self, t: Any) -> Any:
        text: str = t.value
        if _DECIMAL.match(text):
            t.value = int(text.replace("_", ""))
        elif _HEX.match(text):
            t.value = int(text[2:].replace("_", ""), 16)
        else:
            unit = _UNIT_SUFFIX.match(text)
            hint = f"separate the number from its unit: '{unit[1]} {unit[2]}'" if unit else None
            raise self.source.problem(t.index, t.end, f"invalid integer literal '{text}'", hint)
        return t

    @_(r"'([^'\\\n]|\\.)*'")
    def CHAR(self, t: Any) -> Any:
        value = escapes.decode(self.source, t.index + 1, t.end - 1)
        if len(value) != 1:
            what = "is empty" if not value else f"holds {len(value)} bytes"
            raise self.source.problem(
                t.index,
                t.end,
                f"a character literal stands for one byte, but {t.value} {what}",
                'write several bytes as a string: "..."' if value else None,
            )
        t.type = "NUMBER"
        t.value = value[0]
        return t

    @_(r'"([^"\\\n]|\\.)*"')
    def STRING(self, t: Any) -> Any:
        t.value = escapes.decode(self.source, t.index + 1, t.end - 1)
        return t

    @_(r"\"")
    def UNTERMINATED_STRING(self, t: Any) -> Any:
        raise self.source.problem(
            t.index,
            t.end,
            "unterminated string literal",
            "a string ends with '\"' on the same line; write a line break as \\n",
        )

    @_(r"'")
    def UNTERMINATED_CHAR(self, t: Any) -> Any:
        raise self.source.problem(t.index, t.end, "unterminated character literal")

    @_(r"/\*")
    def UNTERMINATED_COMMENT(self, t: Any) -> Any:
        raise self.source.problem(
            t.index, t.end, "unterminated comment", "end the comment with '*/'"
        )

    def error(self, t: Any) -> Any:
        ch: str = t.value[0]
        if " " < ch <= "~":
            shown = f"'{ch}'"
        elif ord(ch) > 0x7F and ch.isprintable():
            shown = f"'{ch}' (U+{ord(ch):04X})"
        else:
            shown = f"U+{ord(ch):04X}"
        raise self.source.problem(self.index, self.index + 1, f"unexpected character {shown}")
