"""In `Linear`, no structured control flow is left: every handler and function body is a
control-flow graph of basic blocks.

explicate-control turns `if`, loops, `break`, `continue`, `return`, `close` and `let ... else`
into basic blocks that end in an explicit exit: a jump, a two-way branch on an atom, a return,
a close, or a fault. A `BoundedLoop`'s limit becomes an explicit counter and a `FaultExit` of
kind `fuel`; a `let x = e else {...}` becomes a test of the optional value (`IsNone`) and its
payload (`Payload`). Blocking operations are still ordinary statements inside blocks.

    - Decl ::= (Session body) | (Fn ...) | (Datagram ...) | (Every ...)
    + Decl ::= (SessionGraph body) | (FnGraph name params result body)
             | (DatagramGraph name declared body) | (TimerGraph period unit body)
    - Body ::= (Block stmts)
    - Stmt ::= (If ...) | (BoundedLoop ...) | (FueledLoop ...) | (Break) | (Continue)
             | (Return value) | (Close) | (Unwrap ...)
    + Graph ::= (Cfg entry blocks)         BasicBlock ::= (BasicBlock label stmts exit)
    + Exit ::= (Goto target) | (Branch cond then else_) | (Ret value) | (CloseExit)
             | (FaultExit kind)
    + Expr ::= (IsNone value) | (Payload value)
"""

from __future__ import annotations

from nanowyki.framework import Node, node

from .bounded import BoundedLoop, FueledLoop
from .flat import Atom, Flat
from .iterated import Unwrap
from .surface import (
    Block,
    Break,
    Close,
    Continue,
    Datagram,
    Decl,
    Every,
    Expr,
    Fn,
    If,
    Param,
    Return,
    Session,
    Stmt,
)
from .types import Type, TypeExpr


class Graph(Node):
    """A control-flow graph."""


class BlockNode(Node):
    """A basic block."""


class Exit(Node):
    """How a basic block ends."""


@node
class BasicBlock(BlockNode):
    label: str
    stmts: tuple[Stmt, ...]
    exit: Exit


@node
class Cfg(Graph):
    entry: str
    blocks: tuple[BasicBlock, ...]


@node
class Goto(Exit):
    target: str


@node
class Branch(Exit):
    cond: Atom
    then: str
    else_: str


@node
class Ret(Exit):
    """Return from a function (with its value), or end a datagram or timer run."""

    value: Atom | None


@node
class CloseExit(Exit):
    """Close the session's connection (flushing its output) and end the session."""


@node
class FaultExit(Exit):
    """Fault with this kind (a loop limit passed: `fuel`)."""

    kind: str


@node
class IsNone(Expr):
    value: Atom
    type: Type | None = None


@node
class Payload(Expr):
    """The value inside an optional known not to be none."""

    value: Atom
    type: Type | None = None


@node
class SessionGraph(Decl):
    body: Graph


@node
class FnGraph(Decl):
    name: str
    params: tuple[Param, ...]
    result: TypeExpr
    body: Graph


@node
class DatagramGraph(Decl):
    name: str
    declared: TypeExpr
    body: Graph


@node
class TimerGraph(Decl):
    period: Expr
    unit: str
    body: Graph


Linear = Flat.extend(
    "Linear",
    remove=[
        Session, Fn, Datagram, Every, Block,
        If, BoundedLoop, FueledLoop, Break, Continue, Return, Close, Unwrap,
    ],
    add=[
        SessionGraph, FnGraph, DatagramGraph, TimerGraph, Cfg, BasicBlock,
        Goto, Branch, Ret, CloseExit, FaultExit, IsNone, Payload,
    ],
    refine={FnGraph: {"result": Type}, DatagramGraph: {"declared": Type}},
    doc=__doc__ or "",
)  # fmt: skip
