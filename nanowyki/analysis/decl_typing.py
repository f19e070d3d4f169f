"""The declaration half of check-types: the types of structs, tables, shared variables,
function signatures and constants, and the resolution of written types (`bytes[N]`, `[T; N]`,
`map<K, V>[N]`, `T?`) to `Type`s with their bounds computed.

`DeclTyping` is a mixin of `nanowyki.passes.check_types.CheckTypes` (on top of the expression
half, `ExprTyping`), which owns the state it fills in and reads.
"""

from __future__ import annotations

import nanowyki.languages.surface as S
from nanowyki.analysis.expr_typing import ExprTyping, typ
from nanowyki.analysis.names import rebuild
from nanowyki.analysis.typing_rules import MAX_ARRAY, MAX_BYTES, TError, is_value
from nanowyki.languages.types import (
    TArray,
    TBool,
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


class DeclTyping(ExprTyping):
    """Declaration and written-type handlers (see the module docstring)."""

    consts: dict[str, S.Const]  # every constant declaration, by name
    typed_consts: dict[str, S.Const | None]  # the typed ones; None while being typed
    struct_names: set[str]
    fn: tuple[str, Type] | None  # the function being checked and its result type

    # -- declarations ------------------------------------------------------------------------

    def struct(self, d: S.Struct) -> S.Struct:
        fields = tuple(rebuild(f, declared=self.type_of(f.declared)) for f in d.fields)
        self.structs[d.name] = tuple((f.name, f.declared) for f in fields)  # type: ignore[misc]
        return rebuild(d, fields=fields)

    def check_struct_cycles(self, s: S.Service) -> None:
        def parts(t: Type) -> set[str]:
            if isinstance(t, TArray):
                return parts(t.element)
            return {t.name} if isinstance(t, TStruct) else set()

        for d in s.decls:
            if not isinstance(d, S.Struct):
                continue
            seen: set[str] = set()
            todo = [d.name]
            while todo:
                for _, t in self.structs.get(todo.pop(), ()):
                    for name in parts(t) - seen:
                        seen.add(name)
                        todo.append(name)
            if d.name in seen:
                self.error(d, f"struct '{d.name}' contains itself", "a struct has a fixed size")

    def signature(self, d: S.Table | S.Shared | S.Fn) -> S.Decl:
        match d:
            case S.Table():
                return self.table(d)
            case S.Shared():
                declared = self.type_of(d.declared)
                if not isinstance(declared, TInt | TBool | TError):
                    self.error(
                        d.declared, f"a shared variable must be int or bool, not {show(declared)}"
                    )
                self.shared[d.name] = declared
                return rebuild(d, declared=declared)
            case S.Fn():
                params = tuple(rebuild(p, declared=self.type_of(p.declared)) for p in d.params)
                result = TUnit() if d.result is None else self.type_of(d.result, option_ok=True)
                self.sigs[d.name] = (tuple(p.declared for p in params), result)  # type: ignore[misc]
                return rebuild(d, params=params, result=result)

    def table(self, d: S.Table) -> S.Table:
        key, value = self.type_of(d.key), self.type_of(d.value)
        if not isinstance(key, TInt | TBytes | TError):
            self.error(d.key, f"a table key must be int or bytes[N], not {show(key)}")
        capacity: S.Expr = S.IntLit(0, type=TInt())
        size: int | None = None
        if d.capacity is None:
            self.error(d, f"table '{d.name}' needs a capacity: write map<K, V>[N]")
        else:
            capacity, size = self.constant(d.capacity, "a table capacity", 1, MAX_BYTES)
        self.tables[d.name] = TTable(key, value, size or 1)
        return rebuild(d, key=key, value=value, capacity=capacity)

    def const_decl(self, name: str) -> S.Const | None:
        """The typed declaration of constant `name` (typed on first use: constants may be used
        before they are declared); None while it is being typed (a cycle, already reported)."""
        if name in self.typed_consts:
            return self.typed_consts[name]
        d = self.consts[name]
        self.typed_consts[name] = None
        saved, self.locals, self.fn = (self.locals, self.fn), {}, None
        declared = None if d.declared is None else self.type_of(d.declared)
        value: S.Expr = self.visit(d.value)
        t = typ(value)
        if isinstance(t, TOption):
            self.error(value, f"constant '{name}' cannot hold an optional value ({show(t)})")
        elif not is_value(t):
            self.error(value, f"expected a value, found {show(t)}")
        elif declared is not None:
            self.fits(value, declared)
        self.locals, self.fn = saved
        typed = rebuild(d, declared=declared if declared is not None else t, value=value)
        self.typed_consts[name] = typed
        return typed

    def const_type(self, name: str) -> Type:
        d = self.const_decl(name) if name in self.consts else None
        return d.declared if d is not None and isinstance(d.declared, Type) else TError()

    # -- written types -----------------------------------------------------------------------

    def type_of(self, t: TypeExpr, *, option_ok: bool = False) -> Type:
        """The resolved type of a type as written (an optional type only where `option_ok`)."""
        match t:
            case Type():
                return t
            case S.IntType():
                return TInt()
            case S.BoolType():
                return TBool()
            case S.BytesType(bound=None):
                self.error(t, "bytes needs a bound: write bytes[N]")
                return TError()
            case S.BytesType(bound=S.Expr() as bound):
                n = self.constant(bound, "a bytes bound", 1, MAX_BYTES)[1]
                return TError() if n is None else TBytes(n)
            case S.NamedType(name=name):
                return TStruct(name) if name in self.struct_names else TError()
            case S.ArrayType(element=element, size=size):
                inner = self.type_of(element)
                n = self.constant(size, "an array size", 1, MAX_ARRAY)[1]
                return TError() if n is None or isinstance(inner, TError) else TArray(inner, n)
            case S.OptionType(inner=inner):
                if not option_ok:
                    self.error(t, "an optional type is only allowed as a function's result type")
                    return TError()
                return TOption(self.type_of(inner))
            case _:
                raise self.fail(t, "not a type")
