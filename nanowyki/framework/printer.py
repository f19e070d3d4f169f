"""The printed form of every language, and a reader for it.

Trees print as s-expressions, one production per parenthesis, fields in declaration order::

    (Program
      (Let x
        (Int 1)
        (Prim + [(Var x) (Int 2)])))

Atoms: integers, `#t`/`#f`, `nil` (None), strings as bare symbols when they look like names and
as `"quoted"` otherwise, byte strings as `#"..."`, tuples as `[...]`. A node that fits in the
width prints on one line; one that does not keeps its leading atoms on its first line and puts
every other field on a line of its own. Trailing fields that hold their default value are left
out. The output is deterministic, so it serves dumps and golden files.

`read_tree(text, L)` reads the printed form back, guided by the declared field types, so a test
can start a pass from a few lines of hand-written IL. `;` starts a comment. Errors name the
line and column.
"""

from __future__ import annotations

import dataclasses
import re
import types
import typing
from typing import Any

from .errors import ReadError
from .language import Language
from .node import Node, field_hints, hint_name

WIDTH = 100
_SYMBOL = re.compile(r"[A-Za-z_+\-*/%<>=!&|^~.$@?][A-Za-z0-9_+\-*/%<>=!&|^~.$@?:]*\Z")
_RESERVED = {"nil"}


def _quote(text: str, prefix: str) -> str:
    out = [prefix, '"']
    for ch in text:
        code = ord(ch)
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        elif code < 0x20 or code == 0x7F or (prefix and code > 0x7E):
            out.append(f"\\x{code:02x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def format_atom(value: Any) -> str:
    if value is None:
        return "nil"
    if value is True:
        return "#t"
    if value is False:
        return "#f"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        if _SYMBOL.match(value) and value not in _RESERVED and not _looks_numeric(value):
            return value
        return _quote(value, "")
    if isinstance(value, bytes):
        return _quote(value.decode("latin-1"), "#")
    raise TypeError(f"cannot print a {type(value).__name__} field value: {value!r}")


def _looks_numeric(text: str) -> bool:
    return bool(re.match(r"[-+]?\d", text))


def print_tree(tree: Node, width: int = WIDTH) -> str:
    """The deterministic printed form of `tree`, ending with a newline.

    No line is longer than `width` unless a single atom or form head is."""
    flat: dict[int, str] = {}  # one-line text per node, for this call only

    def one_line(value: Any) -> str:
        if isinstance(value, Node):
            key = id(value)
            text = flat.get(key)
            if text is None:
                parts = [type(value).__name__]
                parts += [one_line(getattr(value, f)) for f in _printed_fields(value)]
                text = "(" + " ".join(parts) + ")"
                flat[key] = text
            return text
        if isinstance(value, tuple):
            return "[" + " ".join(one_line(v) for v in value) + "]"
        return format_atom(value)

    def render(value: Any, indent: int, trail: int, out: list[str]) -> None:
        """Append `value` starting at column `indent`; `trail` closing brackets follow it."""
        text = one_line(value)
        fits = indent + len(text) + trail <= width
        if fits or not isinstance(value, Node | tuple) or not value:
            out.append(text)
            return
        if isinstance(value, tuple):
            out.append("[")
            for i, item in enumerate(value):
                if i:
                    out.append("\n" + " " * (indent + 1))
                render(item, indent + 1, trail + 1 if i == len(value) - 1 else 0, out)
            out.append("]")
            return
        names = _printed_fields(value)
        head = [type(value).__name__]
        while names and not isinstance(getattr(value, names[0]), Node | tuple):
            head.append(format_atom(getattr(value, names.pop(0))))
        out.append("(" + " ".join(head))
        for i, name in enumerate(names):
            out.append("\n" + " " * (indent + 2))
            render(getattr(value, name), indent + 2, trail + 1 if i == len(names) - 1 else 0, out)
        out.append(")")

    out: list[str] = []
    render(tree, 0, 0, out)
    return "".join(out) + "\n"


def _printed_fields(n: Node) -> list[str]:
    """The fields to print: all but trailing ones that hold their default value."""
    names = list(field_hints(type(n)))
    defaults = {
        f.name: f.default for f in dataclasses.fields(n) if f.default is not dataclasses.MISSING
    }
    while names and names[-1] in defaults and getattr(n, names[-1]) == defaults[names[-1]]:
        names.pop()
    return names


# ---------------------------------------------------------------------------------------------
# Reading.

_TOKEN = re.compile(
    r"""
      (?P<space>\s+|;[^\n]*)
    | (?P<open>[(\[])
    | (?P<close>[)\]])
    | (?P<bytes>\#"(?:[^"\\]|\\.)*")
    | (?P<string>"(?:[^"\\]|\\.)*")
    | (?P<bool>\#[tf](?![^\s()\[\];]))
    | (?P<int>[-+]?\d+(?![^\s()\[\];]))
    | (?P<symbol>[^\s()\[\]";#][^\s()\[\]";]*)
    """,
    re.VERBOSE | re.DOTALL,
)


class _Atom:
    __slots__ = ("col", "kind", "line", "value")

    def __init__(self, kind: str, value: Any, line: int, col: int) -> None:
        self.kind, self.value, self.line, self.col = kind, value, line, col


class _List:
    __slots__ = ("bracket", "col", "items", "line")

    def __init__(self, bracket: str, line: int, col: int) -> None:
        self.bracket, self.line, self.col = bracket, line, col
        self.items: list[_Atom | _List] = []


_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "0": "\0", '"': '"', "\\": "\\"}


def _unquote(body: str) -> str:
    """The text of a quoted string's body; ValueError for an unknown or bad escape."""
    out: list[str] = []
    i = 0
    while i < len(body):
        ch = body[i]
        if ch != "\\":
            out.append(ch)
            i += 1
            continue
        nxt = body[i + 1]
        if nxt == "x":
            digits = body[i + 2 : i + 4]
            if not re.fullmatch(r"[0-9a-fA-F]{2}", digits):
                raise ValueError(f"bad escape '\\x{digits}' (want two hex digits)")
            out.append(chr(int(digits, 16)))
            i += 4
            continue
        if nxt not in _ESCAPES:
            raise ValueError(f"unknown escape '\\{nxt}'")
        out.append(_ESCAPES[nxt])
        i += 2
    return "".join(out)


def _atom(kind: str, tok: str, line: int, col: int, source: str) -> _Atom:
    try:
        if kind == "bytes":
            try:
                return _Atom(kind, _unquote(tok[2:-1]).encode("latin-1"), line, col)
            except UnicodeEncodeError:
                raise ValueError("a byte string holds only characters up to \\xff") from None
        if kind == "string":
            return _Atom(kind, _unquote(tok[1:-1]), line, col)
    except ValueError as err:
        raise ReadError(str(err), line, col, source) from None
    if kind == "bool":
        return _Atom(kind, tok == "#t", line, col)
    if kind == "int":
        return _Atom(kind, int(tok), line, col)
    return _Atom(kind, tok, line, col)


def _parse(text: str, source: str) -> list[_Atom | _List]:
    stack: list[_List] = [_List("", 1, 1)]
    pos, line, line_start = 0, 1, 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        col = pos - line_start + 1
        if m is None:
            quoted = text.startswith(('"', '#"'), pos)
            what = "unterminated string" if quoted else f"unexpected character {text[pos]!r}"
            raise ReadError(what, line, col, source)
        kind = m.lastgroup
        tok = m.group()
        if kind == "open":
            stack.append(_List(tok, line, col))
        elif kind == "close":
            want = {"(": ")", "[": "]"}
            if len(stack) == 1 or want[stack[-1].bracket] != tok:
                raise ReadError(f"unbalanced '{tok}'", line, col, source)
            done = stack.pop()
            stack[-1].items.append(done)
        elif kind is not None and kind != "space":
            stack[-1].items.append(_atom(kind, tok, line, col, source))
        newlines = tok.count("\n")
        if newlines:
            line += newlines
            line_start = pos + tok.rindex("\n") + 1
        pos = m.end()
    if len(stack) != 1:
        top = stack[-1]
        raise ReadError(f"'{top.bracket}' is never closed", top.line, top.col, source)
    return stack[0].items


def _required_fields(cls: type[Node]) -> int:
    """How many leading fields have no default (the rest may be left out when printed)."""
    count = 0
    for f in dataclasses.fields(cls):
        if f.name == "span":
            continue
        if f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING:
            break
        count += 1
    return count


def read_tree(text: str, language: Language, *, source: str = "<il>") -> Node:
    """Read the printed form of a tree of `language` (its root production)."""
    items = _parse(text, source)
    if len(items) != 1:
        raise ReadError(f"expected one tree, found {len(items)}", 1, 1, source)
    tree = _Reader(language, source).convert(items[0], language.root)
    assert isinstance(tree, Node)
    return tree


class _Reader:
    """Turns parsed s-expressions into values of the declared field types."""

    def __init__(self, language: Language, source: str) -> None:
        self.lang = language
        self.source = source

    def fail(self, item: _Atom | _List, message: str) -> ReadError:
        return ReadError(message, item.line, item.col, self.source)

    def convert(self, item: _Atom | _List, hint: Any) -> Any:
        origin = typing.get_origin(hint)
        if isinstance(hint, types.UnionType) or origin is typing.Union:
            return self.union(item, hint)
        if origin is tuple:
            return self.tuple(item, hint)
        if origin is typing.Literal:
            choices = typing.get_args(hint)
            value = self.convert(item, type(choices[0]))
            if value not in choices:
                raise self.fail(item, f"expected {hint_name(hint)}")
            return value
        if isinstance(hint, type) and issubclass(hint, Node):
            return self.node(item, hint)
        if not isinstance(item, _Atom):
            raise self.fail(item, f"expected {hint_name(hint)}, found a list")
        return self.atom(item, hint)

    def union(self, item: _Atom | _List, hint: Any) -> Any:
        options = typing.get_args(hint)
        is_nil = isinstance(item, _Atom) and item.kind == "symbol" and item.value == "nil"
        if is_nil and type(None) in options:
            return None
        errors: list[ReadError] = []
        for option in options:
            if option is type(None):
                continue
            try:
                return self.convert(item, option)
            except ReadError as err:
                errors.append(err)
        # Report the error that got furthest into the item: the option it most likely meant.
        best = max(errors, key=lambda e: (e.line, e.col), default=None)
        if best is not None and (best.line, best.col) != (item.line, item.col):
            raise best
        raise self.fail(item, f"expected {hint_name(hint)}")

    def tuple(self, item: _Atom | _List, hint: Any) -> tuple[Any, ...]:
        if not isinstance(item, _List) or item.bracket != "[":
            raise self.fail(item, "expected a [...] list")
        args = typing.get_args(hint)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(self.convert(x, args[0]) for x in item.items)
        if len(args) != len(item.items):
            raise self.fail(item, f"expected {len(args)} items, found {len(item.items)}")
        return tuple(self.convert(x, a) for x, a in zip(item.items, args, strict=True))

    def node(self, item: _Atom | _List, hint: type[Node]) -> Node:
        if not isinstance(item, _List) or item.bracket != "(" or not item.items:
            raise self.fail(item, f"expected a ({hint.__name__} ...) form")
        head = item.items[0]
        if not isinstance(head, _Atom) or head.kind != "symbol":
            raise self.fail(head, "a form must start with a production name")
        cls = self.lang.production_named(head.value)
        if cls is None:
            raise self.fail(head, f"{head.value} is not a production of {self.lang.name}")
        if not issubclass(cls, hint):
            raise self.fail(head, f"{head.value} is not a {hint.__name__}")
        hints = self.lang.hints(cls)
        args = item.items[1:]
        required = _required_fields(cls)
        if not required <= len(args) <= len(hints):
            count = f"{required} to {len(hints)}" if required < len(hints) else str(len(hints))
            plural = "" if count == "1" else "s"
            raise self.fail(item, f"{cls.__name__} takes {count} field{plural}, found {len(args)}")
        values = {
            name: self.convert(x, h) for (name, h), x in zip(hints.items(), args, strict=False)
        }
        return cls(**values)

    def atom(self, item: _Atom, hint: Any) -> Any:
        wanted: dict[Any, tuple[tuple[str, ...], str]] = {
            bool: (("bool",), "expected #t or #f"),
            int: (("int",), "expected an integer"),
            str: (("symbol", "string"), "expected a name or a string"),
            bytes: (("bytes",), 'expected a byte string #"..."'),
        }
        if hint is type(None):
            if item.kind == "symbol" and item.value == "nil":
                return None
            raise self.fail(item, "expected nil")
        if hint not in wanted:
            raise self.fail(item, f"cannot read a field of type {hint_name(hint)}")
        kinds, message = wanted[hint]
        if item.kind not in kinds or (item.kind == "symbol" and item.value == "nil"):
            raise self.fail(item, message)  # a bare nil is None; the string prints "nil"
        return item.value
