"""In `Iterated`, every loop is an `Iterate`: a condition, an optional limit, a body and a step.

unify-loops rewrites `for`, `while` and `loop` into one form, so that later passes reason
about one kind of loop. A `for` loop's variable and end become declared locals, its increment
the `step` (run after the body and on `continue`), and its static trip bound (from
require-loop-bounds) its limit. The statement forms of `Core` (`Declare`, `Unwrap`, `Send`,
`Reply`, `Log`) are also available here, for the passes between `Iterated` and `Core` to
produce.

    - Stmt ::= (For var start stop body) | (While cond limit body) | (Loop limit body)
    + Stmt ::= (Iterate cond limit body step)
             | (Declare name declared value) | (Unwrap name declared value else_)
             | (Send value) | (Reply value) | (Log value)
    + Expr ::= (Narrow value type)
"""

from __future__ import annotations

from nanowyki.framework import node

from .surface import Block, Expr, For, Loop, Stmt, While
from .typed import Typed
from .types import Type


@node
class Iterate(Stmt):
    """Repeat `body` then `step` while `cond` holds; `limit`: at most that many iterations (a
    fault past it), None: no static limit (only in sessions)."""

    cond: Expr
    limit: Expr | None
    body: Block
    step: Block


@node
class Declare(Stmt):
    """A local (from `let` or `var`; mutability was checked already)."""

    name: str
    declared: Type
    value: Expr


@node
class Unwrap(Stmt):
    """`let name = value else { else_ }`: `value` is optional; `else_` diverges."""

    name: str
    declared: Type
    value: Expr
    else_: Block


@node
class Send(Stmt):
    """Queue one byte string for the peer (a session only; may wait for output room)."""

    value: Expr


@node
class Reply(Stmt):
    """Send one datagram back to the sender (a datagram handler only)."""

    value: Expr


@node
class Log(Stmt):
    """Write one line to the service log."""

    value: Expr


@node
class Narrow(Expr):
    """`value` as a byte string of at most `type.bound` bytes: faults `bounds` if longer.
    (What `x ++= e` becomes: `x = Narrow(x ++ e)`.)"""

    value: Expr
    type: Type | None = None


Iterated = Typed.extend(
    "Iterated",
    remove=[For, While, Loop],
    add=[Iterate, Declare, Unwrap, Send, Reply, Log, Narrow],
    doc=__doc__ or "",
)
