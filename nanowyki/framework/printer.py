"""The printed form of every language, and a reader for it.

Trees print as s-expressions, one production per parenthesis, fields in declaration order::

    (Program
      (Let x (Int 1)
        (Prim + [(Var x) (Int 2)])))

Atoms: integers, `#t`/`#f`, `nil` (None), strings as bare symbols when they look like names and
as `"quoted"` otherwise, byte strings as `#"..."`, tuples as `[...]`. A node that fits in the
width prints on one line. The output is deterministic, so it serves dumps and golden files.

`read_tree(text, L)` reads the printed form back, guided by the declared field types, so a test
can start a pass from a few lines of hand-written IL. `;` starts a comment.
"""

from __future__ import annotations

import dataclasses
import re
import types
import typing
from typing import Any

from .errors import ReadError
from .language import Language
from .node import Node, field_hints

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
    """The deterministic printed form of `tree`, ending with a newline."""
    flat: dict[int, str] = {}

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

    def render(value: Any, indent: int, out: list[str]) -> None:
        text = one_line(value)
        if indent + len(text) <= width or not isinstance(value, (Node, tuple)) or not value:
            out.append(text)
            return
        pad = "\n" + " " * (indent + 2)
        if isinstance(value, tuple):
            out.append("[")
            for i, item in enumerate(value):
                if i:
                    out.append(pad[:-1])
                else:
                    pass
                render(item, indent + 1, out)
            out.append("]")
            return
        out.append("(" + type(value).__name__)
        for f in _printed_fields(value):
            out.append(pad)
            render(getattr(value, f), indent + 2, out)
        out.append(")")

    out: list[str] = []
    render(tree, 0, out)
    return "".join(out) + "\n"


# ---------------------------------------------------------------------------------------------
# Reading.

_TOKEN = re.compile(
    r"""
      (?P<space>\s+|;[^\n]*)
    | (?P<open>[(\[])
    | (?P<close>[)\]])
    | (?P<bytes>\#"(?:[^"\\]|\\.)*")
    | (?P<string>"(?:[^"\\]|\\.)*")
    | (?P<bool>\#[tf](?![^\s()\[\]]))
    | (?P<int>[-+]?\d+(?![^\s()\[\]]))
    | (?P<symbol>[^\s()\[\]";#][^\s()\[\]"]*)
    """,
    re.VERBOSE,
)


class _Atom:
    __slots__ = ("kind", "value", "line", "col")

    def __init__(self, kind: str, value: Any, line: int, col: int) -> None:
        self.kind, self.value, self.line, self.col = kind, value, line, col


class _List:
    __slots__ = ("bracket", "items", "line", "col")

    def __init__(self, bracket: str, line: int, col: int) -> None:
        self.bracket, self.items, self.line, self.col = bracket, [], line, col


def _unquote(body: str) -> str:
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
            out.append(chr(int(body[i + 2 : i + 4], 16)))
            i += 4
            continue
        out.append({"n": "\n", "r": "\r", "t": "\t", "0": "\0"}.get(nxt, nxt))
        i += 2
    return "".join(out)


def _parse(text: str, source: str) -> list[_Atom | _List]:
    stack: list[_List] = [_List("", 1, 1)]
    pos, line, line_start = 0, 1, 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        col = pos - line_start + 1
        if m is None:
            raise ReadError(f"unexpected character {text[pos]!r}", line, col, source)
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
        elif kind == "bytes":
            stack[-1].items.append(_Atom("bytes", _unquote(tok[2:-1]).encode("latin-1"), line, col))
        elif kind == "string":
            stack[-1].items.append(_Atom("string", _unquote(tok[1:-1]), line, col))
        elif kind == "bool":
            stack[-1].items.append(_Atom("bool", tok == "#t", line, col))
        elif kind == "int":
            stack[-1].items.append(_Atom("int", int(tok), line, col))
        elif kind == "symbol":
            stack[-1].items.append(_Atom("symbol", tok, line, col))
        newlines = tok.count("\n")
        if newlines:
            line += newlines
            line_start = pos + tok.rindex("\n") + 1
        pos = m.end()
    if len(stack) != 1:
        raise ReadError(f"'{stack[-1].bracket}' is never closed", stack[-1].line, stack[-1].col, source)
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


def _printed_fields(n: Node) -> list[str]:
    """The fields to print: all but trailing ones that hold their default value."""
    names = list(field_hints(type(n)))
    defaults = {
        f.name: f.default for f in dataclasses.fields(n) if f.default is not dataclasses.MISSING
    }
    while names and names[-1] in defaults and getattr(n, names[-1]) == defaults[names[-1]]:
        names.pop()
    return names


def read_tree(text: str, language: Language, *, source: str = "<il>") -> Node:
    """Read the printed form of a tree of `language` (its root production)."""
    items = _parse(text, source)
    if len(items) != 1:
        raise ReadError(f"expected one tree, found {len(items)}", 1, 1, source)
    return _convert(items[0], language.root, language, source)


def _convert(item: _Atom | _List, hint: Any, lang: Language, source: str) -> Any:
    def fail(message: str) -> ReadError:
        return ReadError(message, item.line, item.col, source)

    origin = typing.get_origin(hint)
    if isinstance(hint, types.UnionType) or origin is typing.Union:
        options = typing.get_args(hint)
        if isinstance(item, _Atom) and item.kind == "symbol" and item.value == "nil":
            if type(None) in options:
                return None
        errors = []
        for option in options:
            if option is type(None):
                continue
            try:
                return _convert(item, option, lang, source)
            except ReadError as err:
                errors.append(str(err))
        raise fail(f"expected {hint}: " + "; ".join(errors))
    if origin is tuple:
        if not isinstance(item, _List) or item.bracket != "[":
            raise fail("expected a [...] list")
        args = typing.get_args(hint)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_convert(x, args[0], lang, source) for x in item.items)
        if len(args) != len(item.items):
            raise fail(f"expected {len(args)} items, found {len(item.items)}")
        return tuple(_convert(x, a, lang, source) for x, a in zip(item.items, args, strict=True))
    if origin is typing.Literal:
        value = _convert(item, type(typing.get_args(hint)[0]), lang, source)
        if value not in typing.get_args(hint):
            raise fail(f"expected one of {typing.get_args(hint)}")
        return value
    if isinstance(hint, type) and issubclass(hint, Node):
        if not isinstance(item, _List) or item.bracket != "(" or not item.items:
            raise fail(f"expected a ({hint.__name__} ...) form")
        head = item.items[0]
        if not isinstance(head, _Atom) or head.kind != "symbol":
            raise fail("a form must start with a production name")
        cls = lang.production_named(head.value)
        if cls is None:
            raise fail(f"{head.value} is not a production of {lang.name}")
        if not issubclass(cls, hint):
            raise fail(f"{head.value} is not a {hint.__name__}")
        hints = lang.hints(cls)
        args_items = item.items[1:]
        required = _required_fields(cls)
        if not required <= len(args_items) <= len(hints):
            count = f"{required} to {len(hints)}" if required < len(hints) else str(len(hints))
            raise fail(f"{cls.__name__} takes {count} fields, found {len(args_items)}")
        values = {
            name: _convert(x, h, lang, source)
            for (name, h), x in zip(hints.items(), args_items, strict=False)
        }
        return cls(**values)
    if not isinstance(item, _Atom):
        raise fail(f"expected a {getattr(hint, '__name__', hint)}, found a list")
    if hint is bool:
        if item.kind != "bool":
            raise fail("expected #t or #f")
        return item.value
    if hint is int:
        if item.kind != "int":
            raise fail("expected an integer")
        return item.value
    if hint is str:
        if item.kind not in ("symbol", "string"):
            raise fail("expected a name or a string")
        return item.value
    if hint is bytes:
        if item.kind != "bytes":
            raise fail('expected a byte string #"..."')
        return item.value
    if hint is type(None):
        if item.kind == "symbol" and item.value == "nil":
            return None
        raise fail("expected nil")
    raise fail(f"cannot read a field of type {hint}")
