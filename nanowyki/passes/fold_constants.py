"""fold-constants: compute operations whose operands are all literals."""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

from nanowyki import purefns
from nanowyki.framework import Transform
from nanowyki.languages.bounded import Bounded
from nanowyki.languages.iterated import Narrow
from nanowyki.languages.resolved import CallBuiltin
from nanowyki.languages.surface import (
    Binary,
    BoolLit,
    BytesLit,
    Expr,
    If,
    Index,
    IntLit,
    Slice,
    Stmt,
    Unary,
)
from nanowyki.languages.types import TBool, TBytes, TInt, TOption, Type

Literal = IntLit | BoolLit | BytesLit

COMPARISONS: dict[str, Callable[[Any, Any], bool]] = {
    "==": operator.eq, "!=": operator.ne, "<": operator.lt,
    "<=": operator.le, ">": operator.gt, ">=": operator.ge,
}  # fmt: skip


def _literal(value: object, t: Type | None, like: Expr) -> Expr | None:
    """The literal for `value` with type `t` (the folded expression's own type), or None when
    the value has no literal of that type."""
    if isinstance(value, bool) and isinstance(t, TBool):
        return BoolLit(value, t, span=like.span)
    if isinstance(value, int) and not isinstance(value, bool) and isinstance(t, TInt):
        return IntLit(value, t, span=like.span)
    if isinstance(value, bytes) and isinstance(t, TBytes) and len(value) <= t.bound:
        return BytesLit(value, t, span=like.span)
    return None


def _fold(e: Expr, compute: Callable[[], object]) -> Expr:
    """`e` replaced by the literal of `compute()`, or `e` itself when computing it faults (the
    fault must still happen at run time) or gives no literal."""
    try:
        value = compute()
    except purefns.Fault:
        return e
    return _literal(value, getattr(e, "type", None), e) or e


class FoldConstants(Transform):
    """Bounded -> Bounded: replace each operation on literals by its result.

    Establishes: no `Unary`, `Binary`, `Index`, `Slice`, `Narrow` or pure `CallBuiltin` whose
    operands are all literals is left, unless computing it faults (overflow, division by zero,
    out of bounds: the fault must still happen, at run time) or its result is optional; `&&` and
    `||` with a literal left operand become their result or their right operand; an `if` on a
    literal is replaced by the statements of the branch taken. The values are those of
    `nanowyki.purefns`, exactly what the program would compute. Each folded literal keeps the
    type of the expression it replaces (a folded `"ab" ++ "c"` of type `bytes[3]` stays
    `bytes[3]`; a folded `trim(s)` keeps its bound), so no static bound downstream changes.
    A program with nothing to fold comes back as the very same tree.

    Assumes: names are unique (resolve-names), so a branch's statements can join the enclosing
    block. Best after inline-constants, which turns scalar constants into literals.

        (Binary * (IntLit 6 (TInt)) (IntLit 7 (TInt)) (TInt))  ->  (IntLit 42 (TInt))
        (If (BoolLit #f (TBool)) (Block [a]) (Block [b]))       ->  b   (spliced)
    """

    name = "fold-constants"
    input = Bounded
    output = Bounded

    def Unary(self, e: Unary) -> Expr:
        e = self.visit_children(e)  # type: ignore[assignment]
        x = e.operand
        if e.op == "!" and isinstance(x, BoolLit):
            return _fold(e, lambda: not x.value)
        if e.op in purefns.UNARY_OPS and isinstance(x, IntLit):
            return _fold(e, lambda: purefns.UNARY_OPS[e.op](x.value))
        return e

    def Binary(self, e: Binary) -> Expr:
        e = self.visit_children(e)  # type: ignore[assignment]
        a, b = e.left, e.right
        if e.op in ("&&", "||") and isinstance(a, BoolLit):
            # `false && b` is false and `true || b` true without evaluating b; otherwise b.
            return a if a.value == (e.op == "||") else b
        if not (isinstance(a, Literal) and isinstance(b, Literal)) or type(a) is not type(b):
            return e
        x, y = a.value, b.value
        if e.op in COMPARISONS:
            if e.op in ("==", "!=") or isinstance(a, IntLit):
                return _fold(e, lambda: COMPARISONS[e.op](x, y))
            return e
        if e.op == "++" and isinstance(a, BytesLit):
            return _fold(e, lambda: x + y)  # type: ignore[operator]
        if e.op in purefns.BINARY_OPS and isinstance(a, IntLit) and isinstance(b, IntLit):
            i, j = a.value, b.value
            return _fold(e, lambda: purefns.BINARY_OPS[e.op](i, j))
        return e

    def Index(self, e: Index) -> Expr:
        e = self.visit_children(e)  # type: ignore[assignment]
        t, i = e.target, e.index
        if isinstance(t, BytesLit) and isinstance(i, IntLit):
            return _fold(e, lambda: purefns.index(t.value, i.value))
        return e

    def Slice(self, e: Slice) -> Expr:
        e = self.visit_children(e)  # type: ignore[assignment]
        t, i, j = e.target, e.start, e.stop
        if isinstance(t, BytesLit) and isinstance(i, IntLit) and isinstance(j, IntLit):
            return _fold(e, lambda: purefns.slice_(t.value, i.value, j.value))
        return e

    def Narrow(self, e: Narrow) -> Expr:
        e = self.visit_children(e)  # type: ignore[assignment]
        v = e.value
        if isinstance(v, BytesLit) and isinstance(e.type, TBytes):
            bound = e.type.bound
            return _fold(e, lambda: _narrow(v.value, bound))
        return e

    def CallBuiltin(self, e: CallBuiltin) -> Expr:
        e = self.visit_children(e)  # type: ignore[assignment]
        fn = purefns.PURE_BUILTINS.get(e.func)
        params = purefns.PURE_PARAMS.get(e.func)
        if fn is None or params is None or isinstance(e.type, TOption):
            return e  # not pure, or an optional result (only an `Unwrap` can take it)
        if len(params) != len(e.args):
            return e
        args: list[object] = []
        for arg, want in zip(e.args, params, strict=True):
            if not isinstance(arg, Literal) or type(arg.value) is not want:
                return e
            args.append(arg.value)
        return _fold(e, lambda: fn(*args))

    def If(self, s: If) -> Stmt | tuple[Stmt, ...]:
        s = self.visit_children(s)  # type: ignore[assignment]
        if not isinstance(s.cond, BoolLit):
            return s
        if s.cond.value:
            return s.then.stmts
        return s.else_.stmts if s.else_ is not None else ()


def _narrow(b: bytes, bound: int) -> bytes:
    if len(b) > bound:
        raise purefns.Fault("bounds")
    return b
