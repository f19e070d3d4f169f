"""In `Typed`, every expression carries its type, and every type is resolved.

check-types fills the `type` field of every expression and replaces every type as written
(`TypeExpr`) by a resolved `Type`: byte-string bounds and array sizes are numbers, a `let` or
`var` without a declared type gets its value's type, a function without a result type has
result `unit`.

    - TypeExpr ::= (IntType) | (BoolType) | (BytesType bound) | (NamedType name)
                 | (ArrayType element size) | (OptionType inner)
    + Type ::= (TInt) | (TBool) | (TUnit) | (TBytes bound) | (TStruct name)
             | (TArray element size) | (TOption inner) | (TTable key value capacity)
    ~ every Expr: type: Type;   every declared type: Type
"""

from __future__ import annotations

from .resolved import Resolved
from .surface import (
    ArrayType,
    BoolType,
    BytesType,
    Const,
    Datagram,
    Expr,
    FieldDecl,
    Fn,
    IntType,
    Let,
    NamedType,
    OptionType,
    Param,
    Shared,
    Table,
    Var,
)
from .types import TYPE_PRODUCTIONS, Type

Typed = Resolved.extend(
    "Typed",
    remove=[IntType, BoolType, BytesType, NamedType, ArrayType, OptionType],
    add=TYPE_PRODUCTIONS,
    refine={
        Expr: {"type": Type},
        Let: {"declared": Type},
        Var: {"declared": Type},
        Const: {"declared": Type},
        Shared: {"declared": Type},
        FieldDecl: {"declared": Type},
        Param: {"declared": Type},
        Fn: {"result": Type},
        Datagram: {"declared": Type},
        Table: {"key": Type, "value": Type, "capacity": Expr},
    },
    doc=__doc__ or "",
)
