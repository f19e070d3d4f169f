"""Constant evaluation: the value of an expression that must be known at compile time.

`evaluate(e, lookup)` computes a `Resolved` (or `Typed`) expression built from literals,
constants (`lookup` gives their values) and the pure builtins, with the exact run-time semantics
of `nanowyki.purefns`. It raises

- `NotConstant` when the expression needs something known only at run time (a local, a shared
  variable, a function call, a session builtin...): the error names the node and why;
- `ConstFault` when evaluating it faults (overflow, division by zero, out of bounds);
- `Unknown` when it is ill-typed or uses a constant that could not be computed: check-types (or
  an earlier diagnostic) explains it, so callers stay silent.

A value is an `int`, a `bool`, `bytes`, or a tuple of values (an array).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeAlias

from pyrsistent import PMap, pmap

from nanowyki import purefns
from nanowyki.framework import Diagnostic, Fact, Node
from nanowyki.languages.resolved import CallBuiltin, CallFn, ConstRef, Local, SharedRef, TableCall
from nanowyki.languages.surface import (
    ArrayLit,
    ArrayRepeat,
    Binary,
    BoolLit,
    BytesLit,
    Const,
    Embed,
    Expr,
    Field,
    Index,
    IntLit,
    NoneLit,
    Service,
    Slice,
    StructValue,
    Unary,
)

Value: TypeAlias = "int | bool | bytes | tuple[Value, ...]"
Lookup = Callable[[str], Value]
MAX_ARRAY = 65_536


@dataclass(frozen=True)
class ConstValues(Fact):
    """The value of every `const` of the service that could be computed, by name."""

    values: PMap[str, Value]

    @classmethod
    def derive(cls, tree: Node) -> ConstValues | None:
        """From the service's `const` declarations, which every language up to `Socketless`
        keeps (from inline-constants on, with their values as literals)."""
        if not isinstance(tree, Service):
            return None
        return Constants(tree).values()


class NotConstant(Exception):
    """`node` needs a value known only at run time; `why` says what it is (a hint)."""

    def __init__(self, node: Node, why: str) -> None:
        super().__init__(why)
        self.node = node
        self.why = why


class ConstFault(Exception):
    """Evaluating `node` faults with `kind` (see `purefns.Fault`)."""

    def __init__(self, node: Node, kind: str) -> None:
        super().__init__(kind)
        self.node = node
        self.kind = kind


class Unknown(Exception):
    """The value cannot be computed for a reason another diagnostic reports."""


FAULT_MESSAGES = {
    "overflow": "constant expression overflows",
    "division": "division by zero in a constant expression",
    "bounds": "out of bounds in a constant expression",
}


def fault_message(kind: str) -> str:
    return FAULT_MESSAGES.get(kind, f"constant expression faults '{kind}'")


Report = Callable[[Diagnostic], None]


class Constants:
    """The `const` declarations of a service, each computed on first use (`lookup`), so in
    dependency order: a constant may use constants declared after it. Why a constant has no
    value (it depends on itself, needs a run-time value, or faults) goes to `report`; an
    ill-typed constant is left out silently (check-types explains it)."""

    def __init__(self, service: Service, report: Report = lambda _: None) -> None:
        self.decls = {d.name: d for d in service.decls if isinstance(d, Const)}
        self.report = report
        self.computed: dict[str, Value] = {}
        self.failed: set[str] = set()
        self.active: list[str] = []

    def values(self) -> ConstValues:
        """Every constant that has a value."""
        for name in self.decls:
            with contextlib.suppress(Unknown):
                self.lookup(name)
        return ConstValues(pmap(self.computed))

    def lookup(self, name: str) -> Value:
        """The value of constant `name` (`Unknown` when it has none)."""
        if name in self.computed:
            return self.computed[name]
        decl = self.decls.get(name)
        if decl is None or name in self.failed:
            raise Unknown
        if name in self.active:
            self.failed.add(name)
            self.report(Diagnostic(decl.span, f"constant '{name}' depends on itself"))
            raise Unknown
        self.active.append(name)
        try:
            self.computed[name] = evaluate(decl.value, self.lookup)
        except NotConstant as err:
            message = f"constant '{name}' is not computable at compile time"
            self.report(Diagnostic(err.node.span, message, err.why))
        except ConstFault as err:
            self.report(Diagnostic(err.node.span, fault_message(err.kind)))
        except Unknown:
            pass
        finally:
            self.active.pop()
        if name not in self.computed:
            self.failed.add(name)
            raise Unknown
        return self.computed[name]


def source_name(unique: str) -> str:
    """The name the programmer wrote for a local renamed `x.N`."""
    return unique.split(".")[0]


def evaluate(e: Expr, lookup: Lookup) -> Value:
    """The value of constant expression `e` (see the module docstring for the errors)."""
    match e:
        case IntLit(value=v):
            if v > purefns.INT_MAX:
                raise Unknown  # check-types reports the literal
            return v
        case BoolLit(value=truth):
            return truth
        case BytesLit(value=s):
            return s
        case ConstRef(name=name):
            return lookup(name)
        case Local(name=name):
            raise NotConstant(e, f"'{source_name(name)}' is a local variable")
        case SharedRef(name=name):
            raise NotConstant(e, f"'{name}' is a shared variable, known only at run time")
        case CallFn(func=func):
            raise NotConstant(e, f"function '{func}' cannot be called at compile time")
        case TableCall(table=table):
            raise NotConstant(e, f"table '{table}' is known only at run time")
        case StructValue():
            raise NotConstant(e, "a constant cannot hold a struct value")
        case NoneLit():
            raise Unknown
        case Embed():
            raise NotConstant(e, "embed(...) was not expanded")
        case _:
            return _compound(e, lookup)


def _compound(e: Expr, lookup: Lookup) -> Value:
    match e:
        case CallBuiltin(func=func, args=args):
            return _builtin(e, func, args, lookup)
        case Unary(op=op, operand=operand):
            return _unary(e, op, evaluate(operand, lookup))
        case Binary(op=op, left=left, right=right):
            return _binary(e, op, left, right, lookup)
        case Index(target=target, index=index):
            return _index(e, evaluate(target, lookup), evaluate(index, lookup))
        case Slice(target=target, start=start, stop=stop):
            b, i, j = evaluate(target, lookup), evaluate(start, lookup), evaluate(stop, lookup)
            if type(b) is not bytes or type(i) is not int or type(j) is not int:
                raise Unknown
            return _call(e, purefns.slice_, b, i, j)
        case ArrayLit(items=items):
            if not items:
                raise Unknown
            return tuple(evaluate(item, lookup) for item in items)
        case ArrayRepeat(item=item, count=count):
            value, n = evaluate(item, lookup), evaluate(count, lookup)
            if type(n) is not int or not 1 <= n <= MAX_ARRAY:
                raise Unknown
            return (value,) * n
        case Field(target=target):
            evaluate(target, lookup)
            raise Unknown  # only structs have fields, and they are never constant
        case _:
            raise TypeError(f"cannot evaluate a {type(e).__name__}")


def _call(e: Node, fn: Callable[..., Value], *args: Value) -> Value:
    try:
        return fn(*args)
    except purefns.Fault as fault:
        raise ConstFault(e, fault.kind) from None


def _builtin(e: Node, func: str, args: tuple[Expr, ...], lookup: Lookup) -> Value:
    fn = purefns.PURE_BUILTINS.get(func)
    if fn is None:
        raise NotConstant(e, f"'{func}' can only be used at run time")
    values = [evaluate(a, lookup) for a in args]
    params = purefns.PURE_PARAMS[func]
    if len(values) != len(params):
        raise Unknown
    if any(type(v) is not t for v, t in zip(values, params, strict=True)):
        raise Unknown
    result = _call(e, fn, *values)
    if func in ("find", "parse_int", "fit"):
        raise Unknown  # an optional result: check-types rejects it in a constant
    return result


def _unary(e: Node, op: str, v: Value) -> Value:
    if op == "!" and type(v) is bool:
        return not v
    if op in purefns.UNARY_OPS and type(v) is int:
        return _call(e, purefns.UNARY_OPS[op], v)
    raise Unknown


_ORDER: dict[str, Callable[[int, int], bool]] = {
    "<": lambda a, b: a < b, "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b, ">=": lambda a, b: a >= b,
}  # fmt: skip


def _binary(e: Node, op: str, left: Expr, right: Expr, lookup: Lookup) -> Value:
    a = evaluate(left, lookup)
    if op in ("&&", "||"):
        if type(a) is not bool:
            raise Unknown
        if a == (op == "||"):
            return a  # short-circuit: the right operand is not evaluated
        b = evaluate(right, lookup)
        if type(b) is not bool:
            raise Unknown
        return b
    b = evaluate(right, lookup)
    if op in ("==", "!=") and type(a) is type(b) and type(a) in (int, bool, bytes):
        return (a == b) == (op == "==")
    if op in _ORDER and type(a) is int and type(b) is int:
        return _ORDER[op](a, b)
    if op == "++" and type(a) is bytes and type(b) is bytes:
        return a + b
    if op in purefns.BINARY_OPS and type(a) is int and type(b) is int:
        return _call(e, purefns.BINARY_OPS[op], a, b)
    raise Unknown


def _index(e: Node, target: Value, i: Value) -> Value:
    if type(i) is not int:
        raise Unknown
    if type(target) is bytes:
        return _call(e, purefns.index, target, i)
    if type(target) is tuple:
        if not 0 <= i < len(target):
            raise ConstFault(e, "bounds")
        return target[i]
    raise Unknown
