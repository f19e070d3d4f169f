"""What a syntax error says: the tokens the parser could accept, and the token it found.

The acceptable tokens come from the LR tables: `acceptable` replays the parser from the state
stack it had when it read the offending token, once for every terminal, and keeps the terminals
it would shift. Long lists collapse into categories ("an expression", "a statement", ...).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .lexer import KEYWORDS, OPERATORS

END = "$end"

DISPLAY: dict[str, str] = {
    "NAME": "a name",
    "NUMBER": "an integer",
    "STRING": "a string",
    END: "end of file",
    **{kw.upper(): f"'{kw}'" for kw in KEYWORDS},
    **{name: f"'{text}'" for name, text in OPERATORS.items()},
}

EXPR_START = frozenset(
    {"NAME", "NUMBER", "STRING", "TRUE", "FALSE", "NONE", "EMBED", "MAX", "(", "[", "!", "-", "~"}
)
STMT_START = EXPR_START | {
    "LET", "VAR", "IF", "WHILE", "LOOP", "FOR", "BREAK", "CONTINUE", "RETURN", "CLOSE",
}  # fmt: skip
DECL_START = frozenset(
    {"LISTEN", "SESSIONS", "CONST", "STRUCT", "TABLE", "SHARED", "FN", "SESSION", "DATAGRAM"}
    | {"EVERY"}
)
TYPE_START = frozenset({"INT", "BOOL", "BYTES", "NAME", "["})
COMPARISONS = frozenset({"EQ", "NE", "<", "LE", ">", "GE"})
BINARY = COMPARISONS | {
    "OROR", "ANDAND", "|", "^", "&", "SHL", "SHR", "+", "-", "CONCAT", "*", "/", "%",
}  # fmt: skip
ASSIGNMENTS = frozenset({"=", "PLUS_ASSIGN", "MINUS_ASSIGN", "TIMES_ASSIGN", "CONCAT_ASSIGN"})
POSTFIX = frozenset({"(", "[", "."})
# Listed first, in this order, when they are among the acceptable tokens.
FIRST = [";", ",", ")", "]", "}"]

# (category, the tokens that must all be acceptable, the tokens it then stands for)
CATEGORIES: list[tuple[str, frozenset[str], frozenset[str]]] = [
    ("a statement", STMT_START, STMT_START),
    ("a declaration", DECL_START, DECL_START),
    ("an expression", EXPR_START, EXPR_START),
    ("a type", TYPE_START, TYPE_START),
    ("an operator", frozenset({"+", "*", "CONCAT"}), BINARY | ASSIGNMENTS | POSTFIX),
]


def acceptable(tables: Any, statestack: list[int]) -> set[str]:
    """The terminals the parser would shift (or accept) in the configuration `statestack`."""
    action = tables.lr_action
    terminals = {a for state in action.values() for a in state}
    return {t for t in terminals if t != "error" and _accepts(tables, statestack, t)}


def _accepts(tables: Any, statestack: list[int], terminal: str) -> bool:
    stack = list(statestack)
    productions = tables.grammar.Productions
    while True:
        act = tables.lr_action[stack[-1]].get(terminal)
        if act is None:
            return False
        if act >= 0:
            return True
        prod = productions[-act]
        if prod.len:
            del stack[-prod.len :]
        stack.append(tables.lr_goto[stack[-1]][prod.name])


def describe_expected(terminals: Iterable[str]) -> str:
    """`';'`, `';' or '}'`, `'}' or a statement`: the acceptable tokens, readably."""
    left = set(terminals)
    if "NAME" in left:
        left -= {"MS", "S"}  # names too, except after the period of `every`
    categories: list[str] = []
    for label, required, covers in CATEGORIES:
        if required <= left:
            categories.append(label)
            left -= covers
    first = [t for t in FIRST if t in left]
    rest = sorted((t for t in left if t not in FIRST), key=lambda t: (t == END, display(t)))
    return join_or([display(t) for t in first + rest] + categories)


def display(terminal: str) -> str:
    return DISPLAY.get(terminal, f"'{terminal}'")


def join_or(items: list[str]) -> str:
    if not items:
        return "nothing"
    if len(items) == 1:
        return items[0]
    return ", ".join(items[:-1]) + " or " + items[-1]


def describe_found(token: Any, text: str) -> str:
    """`'}'`, `end of file`, `name 'foo'`, `integer 12`: the token the parser met."""
    if token is None:
        return "end of file"
    raw = text[token.index : token.end]
    if token.type == "NAME":
        return f"name '{raw}'"
    if token.type == "NUMBER":
        return f"character {raw}" if raw.startswith("'") else f"integer {raw}"
    if token.type == "STRING":
        return f"string {raw if len(raw) <= 24 else raw[:20] + '...' + raw[-1]}"
    return display(token.type)
