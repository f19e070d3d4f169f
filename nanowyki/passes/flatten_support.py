"""Helpers of remove-complex-operands: turning one expression into statements and an atom.

`Flattener` evaluates an expression the way the Typed interpreter does (operands left to
right, `&&` and `||` short-circuiting) and appends to `out` the statements that compute its
parts, returning either an atom (`atom`) or an operation on atoms (`operation`).
"""

from __future__ import annotations

from collections.abc import Callable

from pyrsistent import PMap

from nanowyki.analysis.constants import ConstFault, NotConstant, Unknown, evaluate
from nanowyki.analysis.constants import Value as ConstValue
from nanowyki.framework import InternalError
from nanowyki.languages.iterated import Declare, Narrow
from nanowyki.languages.resolved import CallBuiltin, CallFn, ConstRef, Local, SharedRef, TableCall
from nanowyki.languages.surface import (
    ArrayLit,
    ArrayRepeat,
    Assign,
    Binary,
    Block,
    BoolLit,
    BytesLit,
    Expr,
    Field,
    FieldInit,
    If,
    Index,
    IntLit,
    NoneLit,
    Slice,
    Stmt,
    StructValue,
    Unary,
)
from nanowyki.languages.types import TArray, TBool, TBytes, TInt, Type

ATOMS = (IntLit, BoolLit, BytesLit, NoneLit, Local, ConstRef)


def is_atom(e: Expr) -> bool:
    return isinstance(e, ATOMS)


def expr_type(e: Expr) -> Type:
    t = getattr(e, "type", None)
    if not isinstance(t, Type):
        raise InternalError("remove-complex-operands", f"{type(e).__name__} has no type")
    return t


class Flattener:
    """Flattens expressions, naming temporaries with `fresh` (a pass's `fresh`)."""

    def __init__(self, fresh: Callable[[str], str]) -> None:
        self.fresh = fresh

    def temp(self, value: Expr, t: Type, out: list[Stmt]) -> Local:
        name = self.fresh("t")
        out.append(Declare(name, t, value, span=value.span))
        return Local(name, t, span=value.span)

    def atom(self, e: Expr, out: list[Stmt]) -> Expr:
        """An atom holding the value of `e`, after the statements appended to `out`."""
        if is_atom(e):
            return e
        if isinstance(e, Binary) and e.op in ("&&", "||"):
            return self.short_circuit(e, out)
        return self.temp(self.operation(e, out), expr_type(e), out)

    def atoms(self, es: tuple[Expr, ...], out: list[Stmt]) -> tuple[Expr, ...]:
        return tuple(self.atom(e, out) for e in es)  # in order: left to right

    def short_circuit(self, e: Binary, out: list[Stmt]) -> Local:
        """`var t = a; if t { t = b; }` for `a && b`; `if t {} else { t = b; }` for `a || b`."""
        t = self.temp(self.atom(e.left, out), TBool(), out)
        inner: list[Stmt] = []
        inner.append(Assign(t, "=", self.operation(e.right, inner), span=e.right.span))
        later = Block(tuple(inner), span=e.right.span)
        if e.op == "&&":
            out.append(If(t, later, None, span=e.span))
        else:
            out.append(If(t, Block((), span=e.span), later, span=e.span))
        return t

    def operation(self, e: Expr, out: list[Stmt]) -> Expr:
        """`e` as one operation on atoms (or an atom, or a shared read); `e` itself when it
        already is one."""
        made = self._operation(e, out)
        return e if made == e else made

    def _operation(self, e: Expr, out: list[Stmt]) -> Expr:
        match e:
            case IntLit() | BoolLit() | BytesLit() | NoneLit() | Local() | ConstRef():
                return e
            case SharedRef():
                return e  # a read of shared state: an operation, the value of a Declare
            case Binary(op="&&" | "||"):
                return self.short_circuit(e, out)
            case _:
                return self._compound(e, out)

    def _compound(self, e: Expr, out: list[Stmt]) -> Expr:
        match e:
            case Unary(op, operand, t):
                return Unary(op, self.atom(operand, out), t, span=e.span)
            case Binary(op, left, right, t):
                a = self.atom(left, out)
                return Binary(op, a, self.atom(right, out), t, span=e.span)
            case CallFn(func, args, t):
                return CallFn(func, self.atoms(args, out), t, span=e.span)
            case CallBuiltin(func, args, t):
                return CallBuiltin(func, self.atoms(args, out), t, span=e.span)
            case TableCall(table, method, args, t):
                return TableCall(table, method, self.atoms(args, out), t, span=e.span)
            case StructValue(name, fields, t):
                inits = tuple(
                    FieldInit(fi.name, self.atom(fi.value, out), span=fi.span) for fi in fields
                )
                return StructValue(name, inits, t, span=e.span)
            case Field(target, name, t):
                return Field(self.atom(target, out), name, t, span=e.span)
            case Index(target, index, t):
                a = self.atom(target, out)
                return Index(a, self.atom(index, out), t, span=e.span)
            case Slice(target, start, stop, t):
                a = self.atom(target, out)
                i = self.atom(start, out)
                return Slice(a, i, self.atom(stop, out), t, span=e.span)
            case ArrayLit(items, t):
                return ArrayLit(self.atoms(items, out), t, span=e.span)
            case ArrayRepeat(item, count, t):
                a = self.atom(item, out)
                return ArrayRepeat(a, self.atom(count, out), t, span=e.span)
            case Narrow(value, t):
                return Narrow(self.atom(value, out), t, span=e.span)
            case _:
                raise InternalError(
                    "remove-complex-operands", f"cannot flatten {type(e).__name__} at {e.span}"
                )


def constant_literal(e: Expr, values: PMap[str, ConstValue]) -> Expr:
    """A service-level constant expression (a const's value, a port...) as one literal
    (an `ArrayLit` of literals for an array), computed as uncover-constants did."""
    if is_atom(e):
        return e

    def lookup(name: str) -> ConstValue:
        if name not in values:
            raise Unknown
        return values[name]

    try:
        value = evaluate(e, lookup)
    except (NotConstant, ConstFault, Unknown):
        raise InternalError(
            "remove-complex-operands", f"not a constant expression at {e.span}"
        ) from None
    return _literal(value, expr_type(e), e)


def _literal(value: ConstValue, t: Type, like: Expr) -> Expr:
    match t:
        case TBool() if isinstance(value, bool):
            return BoolLit(value, t, span=like.span)
        case TInt() if isinstance(value, int) and not isinstance(value, bool):
            return IntLit(value, t, span=like.span)
        case TBytes() if isinstance(value, bytes):
            return BytesLit(value, t, span=like.span)
        case TArray(element) if isinstance(value, tuple) and not isinstance(element, TArray):
            items = tuple(_literal(v, element, like) for v in value)
            return ArrayLit(items, t, span=like.span)
        case _:
            raise InternalError(
                "remove-complex-operands", f"no flat literal for a constant at {like.span}"
            )
