"""What resolve-names knows about a name: the service-level declarations and the locals in
scope, and the helpers that word its diagnostics."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any, TypeVar

from nanowyki.framework import Node, Span

N = TypeVar("N", bound=Node)


@dataclass(frozen=True, slots=True)
class Global:
    """A service-level declaration: what it is (`kind`, as a diagnostic names it) and where."""

    kind: str  # "constant" | "struct" | "table" | "shared variable" | "function"
    decl: Node
    span: Span | None


@dataclass(frozen=True, slots=True)
class LocalInfo:
    """A local in scope: its unique name, what binds it and where."""

    unique: str
    kind: str  # "let binding" | "var" | "parameter" | "loop variable" | "datagram packet"
    span: Span | None


def at(span: Span | None) -> str:
    """` at LINE:COL`, or nothing for a node without a position."""
    return f" at {span.line}:{span.col}" if span else ""


def name_span(n: Node, name: str) -> Span | None:
    """The span of `name` written at the start of node `n` (a call's function name)."""
    s = n.span
    if s is None:
        return None
    return Span(s.file, s.line, s.col, s.line, s.col + max(len(name), 1) - 1)


def suggest(name: str, candidates: Iterable[str]) -> str | None:
    """A 'did you mean' hint when a candidate is close to `name`."""
    close = difflib.get_close_matches(name, sorted(set(candidates)), n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else None


def arity_problem(what: str, lo: int, hi: int | None, given: int) -> str | None:
    """`'len' takes 1 argument, 2 given`, or None when `given` is within `lo ..= hi`."""
    if lo <= given and (hi is None or given <= hi):
        return None
    if hi is None:
        wanted = f"at least {lo}"
    elif lo == hi:
        wanted = str(lo)
    else:
        wanted = f"{lo} to {hi}"
    noun = "argument" if (hi if hi is not None else lo) == 1 else "arguments"
    return f"{what} takes {wanted} {noun}, {given} given"


def rebuild(n: N, **fields: Any) -> N:
    """`n` with `fields` replaced, or `n` itself when every new value is the old object."""
    if all(getattr(n, k) is v for k, v in fields.items()):
        return n
    return replace(n, **fields)


def same_tuple(old: tuple[Any, ...], new: list[Any]) -> tuple[Any, ...]:
    """`old` when `new` holds the very same objects, else `new` as a tuple."""
    if len(old) == len(new) and all(a is b for a, b in zip(old, new, strict=True)):
        return old
    return tuple(new)
