"""In `Surface`, every node is as the programmer wrote it, with its source span.

The parsed program: names are unresolved (`Name`, `Call`, `MethodCall`), types are as written
(`TypeExpr`), and every expression's `type` field is still empty (`nil`). See docs/language.md
for the concrete syntax each production comes from.
"""

from __future__ import annotations

from nanowyki.framework import Language, Node, node

from .types import Type, TypeExpr

# -- nonterminals --------------------------------------------------------------------------------


class Prog(Node):
    """A whole program (one service)."""


class Decl(Node):
    """A service-level declaration."""


class Body(Node):
    """A `{ ... }` block."""


class Stmt(Node):
    """A statement."""


class Expr(Node):
    """An expression. Its last field, `type`, is filled in by check-types."""


class Member(Node):
    """A struct field declaration, a function parameter or a named struct-value field."""


# -- program and declarations --------------------------------------------------------------------


@node
class Service(Prog):
    name: str
    decls: tuple[Decl, ...]


@node
class Listen(Decl):
    proto: str  # "tcp" | "udp"
    port: Expr


@node
class Sessions(Decl):
    count: Expr


@node
class Const(Decl):
    name: str
    declared: TypeExpr | None
    value: Expr


@node
class FieldDecl(Member):
    name: str
    declared: TypeExpr


@node
class Struct(Decl):
    name: str
    fields: tuple[FieldDecl, ...]


@node
class Table(Decl):
    name: str
    key: TypeExpr
    value: TypeExpr
    capacity: Expr | None  # None: written without `[CAP]`, which the checker rejects


@node
class Shared(Decl):
    name: str
    declared: TypeExpr
    value: Expr


@node
class Param(Member):
    name: str
    declared: TypeExpr


@node
class Fn(Decl):
    name: str
    params: tuple[Param, ...]
    result: TypeExpr | None
    body: Block


@node
class Session(Decl):
    body: Block


@node
class Datagram(Decl):
    name: str
    declared: TypeExpr
    body: Block


@node
class Every(Decl):
    period: Expr
    unit: str  # "ms" | "s"
    body: Block


# -- types as written ----------------------------------------------------------------------------


@node
class IntType(TypeExpr):
    pass


@node
class BoolType(TypeExpr):
    pass


@node
class BytesType(TypeExpr):
    bound: Expr | None  # None: `bytes` without `[N]`, which the checker rejects


@node
class NamedType(TypeExpr):
    name: str


@node
class ArrayType(TypeExpr):
    element: TypeExpr
    size: Expr


@node
class OptionType(TypeExpr):
    inner: TypeExpr


# -- statements ----------------------------------------------------------------------------------


@node
class Block(Body):
    stmts: tuple[Stmt, ...]


@node
class Let(Stmt):
    name: str
    declared: TypeExpr | None
    value: Expr
    else_: Block | None


@node
class Var(Stmt):
    name: str
    declared: TypeExpr | None
    value: Expr


@node
class Assign(Stmt):
    target: Expr  # a place: a name, a field or an index
    op: str  # "=" | "+=" | "-=" | "*=" | "++="
    value: Expr


@node
class If(Stmt):
    cond: Expr
    then: Block
    else_: Block | None  # `else if` is an else block holding one If


@node
class While(Stmt):
    cond: Expr
    limit: Expr | None  # `max N`
    body: Block


@node
class Loop(Stmt):
    limit: Expr | None
    body: Block


@node
class For(Stmt):
    var: str
    start: Expr
    stop: Expr
    body: Block


@node
class Break(Stmt):
    pass


@node
class Continue(Stmt):
    pass


@node
class Return(Stmt):
    value: Expr | None


@node
class Close(Stmt):
    pass


@node
class ExprStmt(Stmt):
    expr: Expr


# -- expressions ---------------------------------------------------------------------------------


@node
class IntLit(Expr):
    value: int
    type: Type | None = None


@node
class BoolLit(Expr):
    value: bool
    type: Type | None = None


@node
class BytesLit(Expr):
    value: bytes
    type: Type | None = None


@node
class NoneLit(Expr):
    type: Type | None = None


@node
class Name(Expr):
    name: str
    type: Type | None = None


@node
class Unary(Expr):
    op: str  # "!" | "-" | "~"
    operand: Expr
    type: Type | None = None


@node
class Binary(Expr):
    op: str
    left: Expr
    right: Expr
    type: Type | None = None


@node
class Call(Expr):
    func: str
    args: tuple[Expr, ...]
    type: Type | None = None


@node
class MethodCall(Expr):
    target: str
    method: str
    args: tuple[Expr, ...]
    type: Type | None = None


@node
class FieldInit(Member):
    name: str
    value: Expr


@node
class StructValue(Expr):
    name: str
    fields: tuple[FieldInit, ...]
    type: Type | None = None


@node
class Field(Expr):
    target: Expr
    name: str
    type: Type | None = None


@node
class Index(Expr):
    target: Expr
    index: Expr
    type: Type | None = None


@node
class Slice(Expr):
    target: Expr
    start: Expr
    stop: Expr
    type: Type | None = None


@node
class ArrayLit(Expr):
    items: tuple[Expr, ...]
    type: Type | None = None


@node
class ArrayRepeat(Expr):
    item: Expr
    count: Expr
    type: Type | None = None


@node
class Embed(Expr):
    path: str
    type: Type | None = None


Surface = Language(
    "Surface",
    [
        Service, Listen, Sessions, Const, Struct, FieldDecl, Table, Shared, Param, Fn, Session,
        Datagram, Every,
        IntType, BoolType, BytesType, NamedType, ArrayType, OptionType,
        Block, Let, Var, Assign, If, While, Loop, For, Break, Continue, Return, Close, ExprStmt,
        IntLit, BoolLit, BytesLit, NoneLit, Name, Unary, Binary, Call, MethodCall, FieldInit,
        StructValue, Field, Index, Slice, ArrayLit, ArrayRepeat, Embed,
    ],
    root=Service,
    doc=__doc__ or "",
    refine={Expr: {"type": type(None)}},
)  # fmt: skip
