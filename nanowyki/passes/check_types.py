"""Resolved -> Typed: give every expression its type and resolve every written type.

Establishes: every expression has its `type`; every written type is a `Type` with its bounds
computed (`bytes[N]`, `[T; N]`, table capacities; rule 9) and no value takes more than
`MAX_VALUE_BYTES` (nested arrays multiply; rule 9); a `let`/`var` has its declared type
(the value's when none is written, the inner type after `let ... else`), a function without a
result type has result `unit`. Every operand, argument, condition and stored value has the type
its position needs (rule 3) and fits the bound of the place it is stored in (rule 10); integer
literals are in range (rule 12). Provides `StructTable`.

Assumes: names are resolved (each local name unique in its function) and arities checked
(resolve-names); constants computed (the `ConstValues` fact of uncover-constants). An optional
value bound by a `let`/`var` without `else`, or left in an expression statement, keeps its
type `T?` here: require-handled-results reports it ("unhandled result").

    (Let n nil (CallBuiltin len [(Local line)]) nil)
 => (Let n (TInt) (CallBuiltin len [(Local line (TBytes 64))] (TInt)) nil)
"""

from __future__ import annotations

from typing import Any

from pyrsistent import pmap

import nanowyki.languages.surface as S
from nanowyki.analysis.constants import ConstValues, Unknown
from nanowyki.analysis.decl_typing import DeclTyping
from nanowyki.analysis.expr_typing import typ
from nanowyki.analysis.memory import size_of
from nanowyki.analysis.names import rebuild
from nanowyki.analysis.ranges import lower, upper
from nanowyki.analysis.typing_rules import HANDLE, StructTable, TError, assign_problem
from nanowyki.framework import (
    CompileError,
    Diagnostic,
    Node,
    Transform,
    find_all,
    iter_children,
    walk,
)
from nanowyki.languages.resolved import Resolved
from nanowyki.languages.typed import Typed
from nanowyki.languages.types import (
    TArray,
    TBytes,
    TInt,
    TOption,
    TStruct,
    TTable,
    TUnit,
    Type,
    TypeExpr,
    show,
)

MAX_VALUE_BYTES = 16 * 1024 * 1024  # one value's static size: frames and scratch stay sane


# The declarations and written types are typed by `DeclTyping` (analysis/decl_typing.py), the
# expressions by `ExprTyping` (analysis/expr_typing.py); the statements are typed here.
class CheckTypes(DeclTyping, Transform):
    """Resolved -> Typed: give every expression its type and resolve every written type."""

    name = "check-types"
    input = Resolved
    output = Typed
    requires = (ConstValues,)
    provides = (StructTable,)

    def transform(self, tree: Node) -> Node:
        found = self.facts.find(ConstValues)
        self.values = found.values if found else pmap()
        self.diags: list[Diagnostic] = []
        self.structs, self.sigs, self.tables, self.shared = {}, {}, {}, {}
        self.locals: dict[str, Type] = {}
        self.ranges = pmap()
        self.fn = None
        out = self.visit(tree)
        if not self.diags:
            self.check_value_sizes(out)
        if self.diags:
            raise CompileError(self.diags)
        self.provide(StructTable(pmap(self.structs)))
        return out  # type: ignore[no-any-return]

    def check_value_sizes(self, tree: Node) -> None:
        """Report each type of value bigger than `MAX_VALUE_BYTES`, once, where it first
        appears: every bound is in range, but nested arrays multiply (`[[int; 65536]; 65536]`
        is 32 GiB), and every value needs a slot of its static size."""

        def fields(name: str) -> tuple[Type, ...]:
            return tuple(t for _, t in self.structs[name])

        seen: set[Type] = set()
        for n in walk(tree):
            if isinstance(n, Type) and not isinstance(n, TTable):  # a table's value: checked
                continue
            for _, t in iter_children(n):
                if not isinstance(t, TArray | TStruct | TBytes | TOption) or t in seen:
                    continue
                seen.add(t)
                size = size_of(t, fields)
                if size > MAX_VALUE_BYTES:
                    seen.update(find_all(t, (Type,)))  # its parts are reported with it
                    self.error(
                        n,
                        f"a value of type {show(t)} takes {size} bytes; "
                        f"a value takes at most {MAX_VALUE_BYTES} bytes",
                        "keep large data in a table, or split it into smaller values",
                    )

    def const_value(self, name: str) -> Any:
        if name in self.values:
            return self.values[name]
        raise Unknown

    # -- the service -------------------------------------------------------------------------

    def Service(self, s: S.Service) -> Node:
        self.consts = {d.name: d for d in s.decls if isinstance(d, S.Const)}
        self.typed_consts = {}
        self.struct_names = {d.name for d in s.decls if isinstance(d, S.Struct)}
        done: dict[str, S.Decl] = {}
        for d in s.decls:
            if isinstance(d, S.Struct):
                done[d.name] = self.struct(d)
        self.check_struct_cycles(s)
        for d in s.decls:
            if isinstance(d, S.Table | S.Shared | S.Fn):
                done[d.name] = self.signature(d)
        decls: list[S.Decl] = []
        for d in s.decls:
            match d:
                case S.Const(name=name):
                    decls.append(self.const_decl(name) or d)
                case S.Struct(name=name) | S.Table(name=name):
                    decls.append(done[name])
                case S.Shared(name=name):
                    shared = done[name]
                    assert isinstance(shared, S.Shared)
                    value = self.value(d.value)
                    self.fits(value, shared.declared)  # type: ignore[arg-type]
                    decls.append(rebuild(shared, value=value))
                case S.Fn(name=name):
                    decls.append(self.function(done[name]))
                case _:
                    self.locals = {}
                    decls.append(self.visit(d))
        return rebuild(s, decls=tuple(decls))

    def function(self, d: S.Decl) -> S.Decl:
        assert isinstance(d, S.Fn) and isinstance(d.result, Type)
        self.locals = {p.name: p.declared for p in d.params}  # type: ignore[misc]
        self.fn = (d.name, d.result)
        body = self.visit(d.body)
        self.fn = None
        return rebuild(d, body=body)

    def Datagram(self, d: S.Datagram) -> Node:
        declared = self.type_of(d.declared)
        self.locals[d.name] = declared
        return rebuild(d, declared=declared, body=self.visit(d.body))

    def Listen(self, d: S.Listen) -> Node:
        return rebuild(d, port=self.int_expr(d.port))  # its value: check-service-shape

    def Sessions(self, d: S.Sessions) -> Node:
        return rebuild(d, count=self.int_expr(d.count))

    def Every(self, d: S.Every) -> Node:
        return rebuild(d, period=self.int_expr(d.period), body=self.visit(d.body))

    def int_expr(self, e: S.Expr) -> S.Expr:
        out: S.Expr = self.visit(e)
        self.need(out, "int")
        return out

    # -- statements --------------------------------------------------------------------------

    def Let(self, s: S.Let) -> Node:
        value: S.Expr = self.visit(s.value)
        t = typ(value)
        else_ = None
        if s.else_ is not None:
            if isinstance(t, TOption):
                t = t.inner
            elif not isinstance(t, TError):
                self.error(value, f"'else' needs an optional value, found {show(t)}")
            else_ = self.visit(s.else_)
        declared = self.bind(s.name, s.declared, value, t)
        return rebuild(s, declared=declared, value=value, else_=else_)

    def Var(self, s: S.Var) -> Node:
        value: S.Expr = self.visit(s.value)
        return rebuild(s, declared=self.bind(s.name, s.declared, value, typ(value)), value=value)

    def bind(self, name: str, written: TypeExpr | None, value: S.Expr, t: Type) -> Type:
        """The type of local `name` bound to `value` (of type `t`), checked against `written`."""
        if written is not None:
            declared = self.type_of(written)
            problem = assign_problem(t, declared)
            if problem:
                self.error(value, *problem)
        elif isinstance(t, TUnit):
            self.error(value, "expected a value, found unit")
            declared = TError()
        else:
            declared = t  # an optional stays optional: require-handled-results reports it
        if name != "_":
            self.locals[name] = declared
        return declared

    def Assign(self, s: S.Assign) -> Node:
        target: S.Expr = self.visit(s.target)
        value: S.Expr = self.visit(s.value)
        if isinstance(target, S.Index) and isinstance(typ(target.target), TBytes):
            self.error(target, "cannot assign to a byte: byte strings are immutable values")
        elif s.op == "=":
            self.fits(value, typ(target))
        elif s.op == "++=":
            self.need(target, "bytes")
            self.need(value, "bytes")
        else:
            self.need(target, "int")
            self.need(value, "int")
        return rebuild(s, target=target, value=value)

    def If(self, s: S.If) -> Node:
        cond: S.Expr = self.visit(s.cond)
        self.need(cond, "bool")
        return rebuild(s, cond=cond, then=self.visit(s.then), else_=self.optional(s.else_))

    def While(self, s: S.While) -> Node:
        cond: S.Expr = self.visit(s.cond)
        self.need(cond, "bool")
        return rebuild(s, cond=cond, limit=self.limit(s.limit), body=self.visit(s.body))

    def Loop(self, s: S.Loop) -> Node:
        return rebuild(s, limit=self.limit(s.limit), body=self.visit(s.body))

    def limit(self, e: S.Expr | None) -> S.Expr | None:
        return None if e is None else self.int_expr(e)  # its value: require-loop-bounds

    def optional(self, n: Node | None) -> Any:
        return None if n is None else self.visit(n)

    def For(self, s: S.For) -> Node:
        start: S.Expr = self.visit(s.start)
        stop: S.Expr = self.visit(s.stop)
        self.need(start, "int")
        self.need(stop, "int")
        self.locals[s.var] = TInt()
        outer = self.ranges  # the variable's range, for the bounds of slices in the body
        lo, hi = lower(start, outer, self.values), upper(stop, outer, self.values)
        if lo is not None and hi is not None:
            self.ranges = outer.set(s.var, (lo, hi - 1))
        body = self.visit(s.body)
        self.ranges = outer
        return rebuild(s, start=start, stop=stop, body=body)

    def Return(self, s: S.Return) -> Node:
        if self.fn is None:  # misplaced: check-control-flow reports it
            if isinstance(s.value, S.NoneLit):
                return rebuild(s, value=rebuild(s.value, type=TOption(TUnit())))
            return rebuild(s, value=self.optional(s.value))
        fn, result = self.fn
        if s.value is None:
            if not isinstance(result, TUnit):
                self.error(s, f"'{fn}' must return a value of type {show(result)}")
            return s
        if isinstance(s.value, S.NoneLit):
            if not isinstance(result, TOption):
                self.error(s.value, f"'{fn}' cannot return none: its result type is {show(result)}")
            return rebuild(s, value=rebuild(s.value, type=result))
        value: S.Expr = self.visit(s.value)
        t = typ(value)
        if isinstance(result, TUnit):
            self.error(value, f"'{fn}' has no result type: return without a value")
        elif isinstance(result, TOption):
            problem = assign_problem(t.inner if isinstance(t, TOption) else t, result.inner)
            if problem:
                self.error(value, problem[0], problem[1])
        else:
            self.fits(value, result)
        return rebuild(s, value=value)

    def Expr(self, e: S.Expr) -> Node:
        raise self.fail(e, "no typing rule for this expression")

    def TypeExpr(self, t: TypeExpr) -> Node:
        return self.type_of(t)


__all__ = ["HANDLE", "CheckTypes", "StructTable"]
