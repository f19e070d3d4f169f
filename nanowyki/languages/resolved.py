"""In `Resolved`, every name says what it refers to, and no two locals share a name.

resolve-names replaces the bare `Name`, `Call` and `MethodCall` of `Surface` by references that
say what they denote: a local variable (renamed `x.N` where two locals of one function or handler
share a name, so no scopes are left), a constant, a shared variable, a function, a builtin or a
table. Struct values list every field in declaration order.

    - Expr ::= (Name name) | (Call func args) | (MethodCall target method args)
    + Expr ::= (Local name) | (ConstRef name) | (SharedRef name)
             | (CallFn func args) | (CallBuiltin func args) | (TableCall table method args)
"""

from __future__ import annotations

from nanowyki.framework import node

from .surface import Call, Expr, MethodCall, Name, Surface
from .types import Type


@node
class Local(Expr):
    name: str
    type: Type | None = None


@node
class ConstRef(Expr):
    name: str
    type: Type | None = None


@node
class SharedRef(Expr):
    name: str
    type: Type | None = None


@node
class CallFn(Expr):
    func: str
    args: tuple[Expr, ...]
    type: Type | None = None


@node
class CallBuiltin(Expr):
    func: str
    args: tuple[Expr, ...]
    type: Type | None = None


@node
class TableCall(Expr):
    table: str
    method: str
    args: tuple[Expr, ...]
    type: Type | None = None


Resolved = Surface.extend(
    "Resolved",
    remove=[Name, Call, MethodCall],
    add=[Local, ConstRef, SharedRef, CallFn, CallBuiltin, TableCall],
    doc=__doc__ or "",
)
