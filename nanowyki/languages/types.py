"""Semantic types: what check-types attaches to every expression.

Unlike `TypeExpr` (a type as written), a `Type` is resolved: bounds and sizes are numbers and
struct types carry their name (their fields are in the `StructTable` fact).
"""

from __future__ import annotations

from nanowyki.framework import Node, node


class TypeExpr(Node):
    """A type as written in the source (its productions are in `surface`)."""


class Type(TypeExpr):
    """A resolved type: a kind of type expression, the only kind left after check-types."""


@node
class TInt(Type):
    pass


@node
class TBool(Type):
    pass


@node
class TUnit(Type):
    pass


@node
class TBytes(Type):
    bound: int  # the most bytes a value of this type can hold


@node
class TStruct(Type):
    name: str


@node
class TArray(Type):
    element: Type
    size: int


@node
class TOption(Type):
    inner: Type


@node
class TTable(Type):
    key: Type
    value: Type
    capacity: int


TYPE_PRODUCTIONS: list[type[Node]] = [TInt, TBool, TUnit, TBytes, TStruct, TArray, TOption, TTable]


def show(t: Type) -> str:
    """A type as a programmer writes it: `bytes[20]`, `[int; 4]`, `int?`."""
    match t:
        case TInt():
            return "int"
        case TBool():
            return "bool"
        case TUnit():
            return "unit"
        case TBytes(bound):
            return f"bytes[{bound}]"
        case TStruct(name):
            return name
        case TArray(element, size):
            return f"[{show(element)}; {size}]"
        case TOption(inner):
            return f"{show(inner)}?"
        case TTable(key, value, capacity):
            return f"map<{show(key)}, {show(value)}>[{capacity}]"
    raise TypeError(f"not a type: {t!r}")
