"""check-control-flow: jumps only where they have a target, `else` blocks diverge, functions
with a result return one (rules 7, 14 and 15)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from nanowyki.framework import Check, Diagnostic, InternalError, Node, Span, Visitor
from nanowyki.languages.surface import (
    Assign,
    Block,
    Break,
    Close,
    Continue,
    Datagram,
    Decl,
    Every,
    ExprStmt,
    Fn,
    For,
    If,
    Let,
    Loop,
    Return,
    Service,
    Session,
    Stmt,
    Var,
    While,
)
from nanowyki.languages.typed import Typed
from nanowyki.languages.types import TUnit


def completes(s: Stmt) -> bool:
    """Whether control can reach the end of `s` and go on to the next statement."""
    match s:
        case Return() | Close() | Break() | Continue():
            return False
        case If(_, then, else_):
            return else_ is None or block_completes(then) or block_completes(else_)
        case Loop(_, body):
            # `loop` ends only by `break` (or a fault when its `max` runs out).
            return breaks_out(body)
        case While() | For() | Let() | Var() | Assign() | ExprStmt():
            # `while true` counts as able to end: conditions are not evaluated here.
            return True
        case _:
            raise InternalError("check-control-flow", f"unknown statement {type(s).__name__}")


def block_completes(b: Block) -> bool:
    return all(completes(s) for s in b.stmts)


def breaks_out(b: Block) -> bool:
    """Whether `b` holds a `break` that leaves the loop whose body it is (not an inner loop)."""
    for s in b.stmts:
        match s:
            case Break():
                return True
            case If(_, then, else_):
                if breaks_out(then) or (else_ is not None and breaks_out(else_)):
                    return True
            case Let(else_=Block() as else_) if breaks_out(else_):
                return True
            case _:
                pass
    return False


@dataclass(frozen=True)
class _Where:
    kind: str  # "session" | "function" | "datagram handler" | "timer" | "constant"
    in_loop: bool


class _Flow(Visitor):
    def __init__(self) -> None:
        self.diagnostics: list[Diagnostic] = []

    def report(self, n: Node | Span | None, message: str, hint: str | None = None) -> None:
        span = n.span if isinstance(n, Node) else n
        self.diagnostics.append(Diagnostic(span, message, hint))

    def While(self, s: While, where: _Where) -> None:
        self.visit_children(s, _Where(where.kind, True))

    def Loop(self, s: Loop, where: _Where) -> None:
        self.visit_children(s, _Where(where.kind, True))

    def For(self, s: For, where: _Where) -> None:
        self.visit_children(s, _Where(where.kind, True))

    def Break(self, s: Break, where: _Where) -> None:
        if not where.in_loop:
            self.report(s, "'break' outside a loop")

    def Continue(self, s: Continue, where: _Where) -> None:
        if not where.in_loop:
            self.report(s, "'continue' outside a loop")

    def Return(self, s: Return, where: _Where) -> None:
        if where.kind == "session":
            self.report(s, "'return' outside a function", "to end the session, use 'close'")
        elif where.kind != "function" and s.value is not None:
            self.report(
                s,
                f"a {where.kind} cannot return a value",
                f"'return;' ends this run of the {where.kind}",
            )
        self.visit_children(s, where)

    def Let(self, s: Let, where: _Where) -> None:
        if s.else_ is not None and block_completes(s.else_):
            self.report(
                s.else_,
                "the else block must not fall through: end it with return, break, continue "
                "or close",
            )
        self.visit_children(s, where)

    def Fn(self, d: Fn, where: _Where) -> None:
        self.visit_children(d, where)
        if not isinstance(d.result, TUnit) and block_completes(d.body):
            self.report(
                _closing_brace(d.body) or d,
                f"function '{d.name}' can reach its end without returning a value",
                "every path through a function with a result type must end with 'return'",
            )


def _closing_brace(b: Block) -> Span | None:
    """The span of a block's `}`: where control falls off its end."""
    s = b.span
    return Span(s.file, s.end_line, s.end_col, s.end_line, s.end_col) if s else None


def _kind(d: Decl) -> str:
    match d:
        case Session():
            return "session"
        case Fn():
            return "function"
        case Datagram():
            return "datagram handler"
        case Every():
            return "timer"
        case _:
            return "constant"


class CheckControlFlow(Check):
    """Typed -> Typed: check that every jump has a target and no path falls where it must not.

    Establishes: `break`/`continue` occur only inside a loop (they leave or restart the
    innermost one); `return` is not used in the session (which ends with `close`), and in a
    datagram handler or timer only without a value (`return;` ends that run); and
    - the `else` block of a `let ... else` cannot complete normally (it ends in `return`,
      `break`, `continue`, `close`, an `if`/`else` whose branches all diverge, or a `loop`
      without a `break`);
    - a function whose result is not unit cannot reach the end of its body; that error
      points at the body's closing `}`.
    `while` is assumed able to end whatever its condition (`while true { return 1; }` at the
    end of a function is an error: write `loop`). (`close` outside a session is
    reject-misplaced-effects' error.)
    Assumes: the tree is well typed (a unit-result function has result `TUnit`).

        fn sign(n: int) -> int { if n < 0 { return -1; } }
        -> 1:50: function 'sign' can reach its end without returning a value
        let x = recv(8) else { log("eof"); };
        -> the else block must not fall through: end it with return, break, continue or close
    """

    name = "check-control-flow"
    input = Typed
    output = Typed

    def diagnose(self, tree: Node) -> Iterable[Diagnostic]:
        if not isinstance(tree, Service):
            raise self.fail(tree, "expected a Service")
        flow = _Flow()
        for d in tree.decls:
            flow.visit(d, _Where(_kind(d), False))
        return flow.diagnostics
