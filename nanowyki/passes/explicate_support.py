"""The graph builder of explicate-control: Flat statements into basic blocks."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from nanowyki.framework import Node
from nanowyki.languages.bounded import BoundedLoop, Checkpoint, FueledLoop
from nanowyki.languages.flat import Atom
from nanowyki.languages.iterated import Declare, Log, Reply, Send, Unwrap
from nanowyki.languages.linear import (
    BasicBlock,
    Branch,
    CloseExit,
    Exit,
    FaultExit,
    Goto,
    IsNone,
    Payload,
    Ret,
)
from nanowyki.languages.resolved import ConstRef, Local
from nanowyki.languages.surface import (
    Assign,
    Binary,
    BoolLit,
    Break,
    BytesLit,
    Close,
    Continue,
    Expr,
    ExprStmt,
    If,
    IntLit,
    NoneLit,
    Return,
    Stmt,
)
from nanowyki.languages.types import TBool, TInt, TOption


@dataclass
class Loop:
    step: str  # where `continue` goes
    exit: str | None = None  # where `break` goes (made at the first `break`)


@dataclass
class Builder:
    """Builds the blocks of one graph: `open` says whether a block is being filled."""

    fresh: Callable[[str], str]
    fail: Callable[[Node, str], Exception]
    done: list[BasicBlock] = field(default_factory=list)
    label: str = ""
    pending: list[Stmt] = field(default_factory=list)
    open: bool = False

    def __post_init__(self) -> None:
        self.start(self.fresh("b"))

    def start(self, label: str) -> None:
        self.label, self.pending, self.open = label, [], True

    def end(self, exit: Exit) -> None:
        self.done.append(BasicBlock(self.label, tuple(self.pending), exit))
        self.open = False

    def jump(self, target: str) -> None:
        self.end(Goto(target))

    def stmts(self, stmts: tuple[Stmt, ...], loop: Loop | None) -> None:
        for s in stmts:
            if not self.open:
                return  # the rest is unreachable
            self.stmt(s, loop)

    def stmt(self, s: Stmt, loop: Loop | None) -> None:
        match s:
            case Declare() | Assign() | ExprStmt() | Send() | Reply() | Log() | Checkpoint():
                self.pending.append(s)
            case If():
                self.if_(s, loop)
            case BoundedLoop() | FueledLoop():
                self.loop(s)
            case Unwrap():
                self.unwrap(s, loop)
            case Break():
                if loop is None:
                    raise self.fail(s, "'break' outside a loop")
                loop.exit = loop.exit or self.fresh("b")
                self.jump(loop.exit)
            case Continue():
                if loop is None:
                    raise self.fail(s, "'continue' outside a loop")
                self.jump(loop.step)
            case Return(value):
                self.end(Ret(None if value is None else self.atom(value), span=s.span))
            case Close():
                self.end(CloseExit(span=s.span))
            case _:
                raise self.fail(s, f"unexpected statement {type(s).__name__} in Flat")

    def atom(self, e: Expr) -> Atom:
        if not isinstance(e, IntLit | BoolLit | BytesLit | NoneLit | Local | ConstRef):
            raise self.fail(e, f"{type(e).__name__} where Flat has an atom")
        return e

    def if_(self, s: If, loop: Loop | None) -> None:
        then = self.fresh("b")
        join = None if s.else_ is not None else self.fresh("b")
        other = self.fresh("b") if s.else_ is not None else join
        assert other is not None
        self.end(Branch(self.atom(s.cond), then, other, span=s.span))
        for label, block in ((then, s.then), (other, s.else_)):
            if block is None:
                continue
            self.start(label)
            self.stmts(block.stmts, loop)
            if self.open:
                join = join or self.fresh("b")
                self.jump(join)
        if join is not None:
            self.start(join)

    def loop(self, s: BoundedLoop | FueledLoop) -> None:
        if s.cond != BoolLit(True, TBool()):
            raise self.fail(s, "a loop condition is not 'true' in Flat")
        head = self.fresh("b")
        ctx = Loop(self.fresh("b"))
        turn = Local(self.fresh("turn"), TInt()) if isinstance(s, BoundedLoop) else None
        if turn is not None:
            self.pending.append(Declare(turn.name, TInt(), IntLit(0, TInt()), span=s.span))
        self.jump(head)
        self.start(head)
        if s.test is not None:
            self.stmts(s.test.stmts, ctx)
        if isinstance(s, BoundedLoop) and turn is not None and self.open:
            self.count(s, turn)
        self.stmts(s.body.stmts, ctx)
        if self.open:
            self.jump(ctx.step)
        self.start(ctx.step)
        self.stmts(s.step.stmts, ctx)
        if self.open:
            self.jump(head)
        if ctx.exit is not None:
            self.start(ctx.exit)

    def count(self, s: BoundedLoop, turn: Local) -> None:
        """Enter one more iteration of `s`: past its limit, fault."""
        more = Binary("+", turn, IntLit(1, TInt()), TInt())
        self.pending.append(Assign(turn, "=", more, span=s.span))
        over = Local(self.fresh("t"), TBool())
        past = Binary(">", turn, IntLit(s.limit, TInt()), TBool())
        self.pending.append(Declare(over.name, TBool(), past, span=s.span))
        fault, body = self.fresh("b"), self.fresh("b")
        self.end(Branch(over, fault, body, span=s.span))
        self.start(fault)
        self.end(FaultExit("fuel", span=s.span))
        self.start(body)

    def unwrap(self, s: Unwrap, loop: Loop | None) -> None:
        opt_type = TOption(s.declared)
        opt = Local(self.fresh("o"), opt_type)
        self.pending.append(Declare(opt.name, opt_type, s.value, span=s.span))
        none = Local(self.fresh("t"), TBool())
        self.pending.append(Declare(none.name, TBool(), IsNone(opt, TBool()), span=s.span))
        other, rest = self.fresh("b"), self.fresh("b")
        self.end(Branch(none, other, rest, span=s.span))
        self.start(other)
        self.stmts(s.else_.stmts, loop)
        if self.open:
            raise self.fail(s, "the else block of a 'let ... else' falls through")
        self.start(rest)
        payload = Payload(opt, s.declared)
        self.pending.append(Declare(s.name, s.declared, payload, span=s.span))
