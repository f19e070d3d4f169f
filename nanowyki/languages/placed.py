"""In `Placed`, every value that has a place of its own is computed there: a shared update
is one atomic step, a chain of concatenations is built in its result's buffer, and a
function's aggregate result in the caller's.

Three rewrites of `Socketless` that the C translation would otherwise decide while printing:

- fuse-shared-updates: the read and the write of `n op= b` on a shared `n` (`t = n;
  n = t op b`, nothing in between) become one `SharedUpdate`: `t` takes the old value and `n`
  becomes `t op b` (checked; it faults as `t op b` would), with no other worker's update in
  between;
- build-results-in-place: a function block ending `t = e; return t;`, where the aggregate `t`
  is read nowhere else, becomes `BuildResult(e)` and `RetBuilt`: `e` is computed straight into
  the caller's destination and no local `t` exists;
- build-concat-chains-in-place: `t1 = a ++ b; t2 = t1 ++ c` (each intermediate read once, by
  the next link) becomes `ConcatInto(t2, a, b, 8)` and `AppendInto(t2, c, 12)`: one copy per
  operand instead of one per prefix. Each link keeps the bound of the temporary it replaces as
  its `capacity`, so it faults `bounds` exactly where `t_k = ...` would.

    + Stmt ::= (SharedUpdate old shared op operand)
             | (ConcatInto buffer left right capacity) | (AppendInto buffer right capacity)
             | (BuildResult value)
    + Exit ::= (RetBuilt)
"""

from __future__ import annotations

from typing import Literal

from nanowyki.framework import Node, node

from .flat import Atom
from .linear import Exit
from .socketless import Socketless
from .surface import Expr, Stmt


@node
class SharedUpdate(Stmt):
    """`old = shared; shared = old op operand` as one atomic read-modify-write."""

    old: str
    shared: str
    op: Literal["+", "-", "*"]
    operand: Atom


@node
class ConcatInto(Stmt):
    """`buffer = left ++ right`, faulting `bounds` when the result is longer than `capacity`
    (at most the buffer's bound)."""

    buffer: str
    left: Atom
    right: Atom
    capacity: int


@node
class AppendInto(Stmt):
    """`buffer = buffer ++ right` in place (only `right` is copied), faulting `bounds` when the
    result is longer than `capacity` (at most the buffer's bound)."""

    buffer: str
    right: Atom
    capacity: int


@node
class BuildResult(Stmt):
    """In a function: compute `value` (an operation on atoms, as an `Assign`'s value) straight
    into the function's result, the caller's destination."""

    value: Expr


@node
class RetBuilt(Exit):
    """Return from a function whose result a `BuildResult` has built."""


PLACED_FORMS: list[type[Node]] = [SharedUpdate, ConcatInto, AppendInto, BuildResult, RetBuilt]

Placed = Socketless.extend("Placed", add=PLACED_FORMS, doc=__doc__ or "")
