"""require-handled-results: every optional result is handled at once, every value is used
(rule 6 and the expression-statement rule)."""

from __future__ import annotations

from collections.abc import Iterable

from nanowyki.framework import Check, Diagnostic, Node, Visitor
from nanowyki.languages import surface
from nanowyki.languages.resolved import CallBuiltin, CallFn, TableCall
from nanowyki.languages.surface import Expr, ExprStmt, Fn, Let, NoneLit, Return, Service
from nanowyki.languages.typed import Typed
from nanowyki.languages.types import TOption, TUnit, Type, show

HANDLE = "handle it: let x = ... else { ... };"


def describe(e: Expr, t: Type) -> str:
    """How a message names an optional expression."""
    match e:
        case CallBuiltin(func) | CallFn(func):
            return f"'{func}' returns {show(t)}"
        case TableCall(table, method):
            return f"'{table}.{method}' returns {show(t)}"
        case NoneLit():
            return f"'none' has type {show(t)}"
        case _:
            return f"this value has type {show(t)}"


class _Results(Visitor):
    """Expression handlers take `ok`: whether an optional value may stand there."""

    def __init__(self) -> None:
        self.diagnostics: list[Diagnostic] = []
        self.returns_option = False  # in a function whose result is `T?`

    def Fn(self, d: Fn, ok: bool) -> None:
        self.returns_option = isinstance(d.result, TOption)
        self.visit_children(d, False)
        self.returns_option = False

    def Let(self, s: Let, ok: bool) -> None:
        self.visit(s.value, s.else_ is not None)
        if s.else_ is not None:
            self.visit(s.else_, False)

    def Return(self, s: Return, ok: bool) -> None:
        if s.value is not None:
            self.visit(s.value, self.returns_option)

    def ExprStmt(self, s: ExprStmt, ok: bool) -> None:
        e = s.expr
        t = getattr(e, "type", None)
        if isinstance(t, TOption):
            self.unhandled(e, t)
        elif t is not None and not isinstance(t, TUnit):
            self.diagnostics.append(
                Diagnostic(
                    e.span,
                    f"value of type {show(t)} is discarded; bind it with 'let _ = ...'",
                    "an expression statement must be a call without a result",
                )
            )
        elif not isinstance(e, CallBuiltin | CallFn | TableCall):
            self.diagnostics.append(Diagnostic(e.span, "this expression statement has no effect"))
        self.visit_children(e, False)

    def Expr(self, e: Expr, ok: bool) -> None:
        t = getattr(e, "type", None)
        if isinstance(t, TOption) and not ok:
            self.unhandled(e, t)
        self.visit_children(e, False)

    def unhandled(self, e: surface.Expr, t: Type) -> None:
        self.diagnostics.append(Diagnostic(e.span, f"unhandled result: {describe(e, t)}", HANDLE))


class RequireHandledResults(Check):
    """Typed -> Typed: reject an optional value that is not handled, or a value that is dropped.

    Establishes: an expression of type `T?` stands only as the value of a `let ... else`, or of a
    `return` in a function whose result is optional; every expression statement is a call whose
    result is unit. So no failure goes unnoticed and no result is thrown away by accident.
    Assumes: every expression has its type (check-types).

        let line = recv_line(64);        -> unhandled result: 'recv_line' returns bytes[64]?
                                            hint: handle it: let x = ... else { ... };
        len(line);                       -> value of type int is discarded; bind it with
                                            'let _ = ...'
        let line = recv_line(64) else { close; };     (accepted)
    """

    name = "require-handled-results"
    input = Typed
    output = Typed

    def diagnose(self, tree: Node) -> Iterable[Diagnostic]:
        if not isinstance(tree, Service):
            raise self.fail(tree, "expected a Service")
        results = _Results()
        results.visit(tree, False)
        return results.diagnostics
