"""The expression half of check-types: one handler per expression form, each returning the
expression rebuilt with its `type`, plus the helpers that report wrong types.

`ExprTyping` is a mixin of `nanowyki.passes.check_types.CheckTypes`, which owns the state it
reads (the service's structs, functions, tables, shared variables and the current locals).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Literal

from nanowyki import purefns
from nanowyki.analysis.constants import (
    ConstFault,
    NotConstant,
    Unknown,
    Value,
    evaluate,
    fault_message,
)
from nanowyki.analysis.names import suggest
from nanowyki.analysis.ranges import Ranges, lower, upper
from nanowyki.analysis.typing_rules import (
    HANDLE,
    MAX_ARRAY,
    MAX_BYTES,
    SIGNATURES,
    TError,
    assign_problem,
    is_value,
    join,
)
from nanowyki.builtins import TABLE_METHODS
from nanowyki.framework import Diagnostic, InternalError, Node
from nanowyki.languages.resolved import CallBuiltin, CallFn, ConstRef, Local, SharedRef, TableCall
from nanowyki.languages.surface import (
    ArrayLit,
    ArrayRepeat,
    Binary,
    BoolLit,
    BytesLit,
    Embed,
    Expr,
    Field,
    Index,
    IntLit,
    NoneLit,
    Slice,
    StructValue,
    Unary,
)
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
    show,
)

Kind = Literal["int", "bool", "bytes"]
_KIND_OK = {"int": (TInt,), "bool": (TBool,), "bytes": (TBytes,)}
_ARITH = {"+", "-", "*", "/", "%", "&", "|", "^", "<<", ">>"}


def typ(e: Expr) -> Type:
    t = getattr(e, "type", None)
    return t if isinstance(t, Type) else TError()


class ExprTyping:
    """Expression handlers and type-error helpers (see the module docstring)."""

    diags: list[Diagnostic]
    structs: dict[str, tuple[tuple[str, Type], ...]]
    sigs: dict[str, tuple[tuple[Type, ...], Type]]
    tables: dict[str, TTable]
    shared: dict[str, Type]
    locals: dict[str, Type]
    values: Mapping[str, Value]  # every constant's value (the `ConstValues` fact)
    ranges: Ranges  # the range of each enclosing `for` variable with a static range

    if TYPE_CHECKING:

        def visit(self, n: Node, *ctx: Any) -> Any: ...

        def fail(self, n: Node, message: str) -> InternalError: ...

    def const_type(self, name: str) -> Type:
        raise NotImplementedError

    def const_value(self, name: str) -> Any:
        raise NotImplementedError

    # -- helpers -----------------------------------------------------------------------------

    def error(self, n: Node, message: str, hint: str | None = None) -> None:
        self.diags.append(Diagnostic(n.span, message, hint))

    def need(self, e: Expr, kind: Kind, *also: Kind, hint: str | None = None) -> bool:
        """Report unless `e` has one of the kinds of type (an int, a bool, any byte string)."""
        t = typ(e)
        kinds = (kind, *also)
        if isinstance(t, TError) or any(isinstance(t, _KIND_OK[k]) for k in kinds):
            return not isinstance(t, TError)
        wanted = " or ".join(kinds)
        hint = HANDLE if isinstance(t, TOption) else hint
        self.error(e, f"expected {wanted}, found {show(t)}", hint)
        return False

    def fits(self, e: Expr, dst: Type) -> None:
        """Report unless the value of `e` may be stored in a place of type `dst` (rule 10)."""
        problem = assign_problem(typ(e), dst)
        if problem:
            self.error(e, *problem)

    def value(self, e: Expr) -> Expr:
        """Type `e`, which must give a storable value (not unit, not an optional)."""
        out: Expr = self.visit(e)
        t = typ(out)
        if not is_value(t):
            hint = HANDLE if isinstance(t, TOption) else None
            self.error(out, f"expected a value, found {show(t)}", hint)
            return replace(out, type=TError())  # type: ignore[call-arg]
        return out

    def constant(self, e: Expr, what: str, lo: int, hi: int) -> tuple[Expr, int | None]:
        """Type `e` as an int known at compile time within `lo ..= hi`: its value, or None."""
        out: Expr = self.visit(e)
        if not self.need(out, "int"):
            return out, None
        try:
            v = evaluate(out, self.const_value)
        except NotConstant as err:
            self.error(err.node, f"{what} must be a constant", err.why)
            return out, None
        except ConstFault as err:
            self.error(err.node, fault_message(err.kind))
            return out, None
        except Unknown:
            return out, None
        if not isinstance(v, int):
            return out, None
        if not lo <= v <= hi:
            self.error(out, f"{what} must be in {lo} ..= {hi}, not {v}")
            return out, None
        return out, v

    # -- atoms -------------------------------------------------------------------------------

    def IntLit(self, e: IntLit) -> Expr:
        if e.value > purefns.INT_MAX:
            self.error(e, f"integer literal {e.value} is out of range")
        return replace(e, type=TInt())

    def BoolLit(self, e: BoolLit) -> Expr:
        return replace(e, type=TBool())

    def BytesLit(self, e: BytesLit) -> Expr:
        return replace(e, type=TBytes(len(e.value)))

    def NoneLit(self, e: NoneLit) -> Expr:
        self.error(e, "'none' can only be returned from a function whose result is optional")
        return replace(e, type=TError())

    def Local(self, e: Local) -> Expr:
        return replace(e, type=self.locals.get(e.name, TError()))

    def ConstRef(self, e: ConstRef) -> Expr:
        return replace(e, type=self.const_type(e.name))

    def SharedRef(self, e: SharedRef) -> Expr:
        return replace(e, type=self.shared.get(e.name, TError()))

    def Embed(self, e: Embed) -> Expr:
        raise self.fail(e, "embed(...) must be expanded before check-types (expand-embeds)")

    # -- operators ---------------------------------------------------------------------------

    def Unary(self, e: Unary) -> Expr:
        operand: Expr = self.visit(e.operand)
        if e.op == "!":
            self.need(operand, "bool")
            return replace(e, operand=operand, type=TBool())
        self.need(operand, "int")
        return replace(e, operand=operand, type=TInt())

    def Binary(self, e: Binary) -> Expr:
        left: Expr = self.visit(e.left)
        right: Expr = self.visit(e.right)
        t: Type = TInt()
        if e.op in ("&&", "||"):
            self.need(left, "bool")
            self.need(right, "bool")
            t = TBool()
        elif e.op in ("==", "!="):
            if self.need(left, "int", "bool", "bytes"):
                lt = typ(left)
                kind: Kind = "bytes" if isinstance(lt, TBytes) else "int"
                self.need(right, "bool" if isinstance(lt, TBool) else kind)
            t = TBool()
        elif e.op in ("<", "<=", ">", ">="):
            self.need(left, "int")
            self.need(right, "int")
            t = TBool()
        elif e.op == "++":
            ok = self.need(left, "bytes")
            if ok or type(typ(left)) is not type(typ(right)):
                ok = self.need(right, "bytes") and ok
            lt, rt = typ(left), typ(right)
            if ok and isinstance(lt, TBytes) and isinstance(rt, TBytes):
                t = TBytes(lt.bound + rt.bound)
            else:
                t = TError()
        elif e.op in _ARITH:
            hint = "'++' concatenates byte strings" if e.op == "+" else None
            # the right operand is reported too unless it is wrong in the same way
            if self.need(left, "int", hint=hint) or type(typ(left)) is not type(typ(right)):
                self.need(right, "int", hint=hint)
        else:
            raise self.fail(e, f"unknown operator {e.op!r}")
        return replace(e, left=left, right=right, type=t)

    # -- calls -------------------------------------------------------------------------------

    def CallFn(self, e: CallFn) -> Expr:
        args = tuple(self.visit(a) for a in e.args)
        sig = self.sigs.get(e.func)
        if sig is None or len(sig[0]) != len(args):
            return replace(e, args=args, type=TError())
        for a, want in zip(args, sig[0], strict=True):
            self.fits(a, want)
        return replace(e, args=args, type=sig[1])

    def CallBuiltin(self, e: CallBuiltin) -> Expr:
        params, result = SIGNATURES[e.func]
        if params is None:
            args = tuple(self.visit(a) for a in e.args)
            for a in args:
                self.need(a, "bytes", "int")
            return replace(e, args=args, type=TUnit())
        if len(params) != len(e.args):
            return replace(e, args=tuple(self.visit(a) for a in e.args), type=TError())
        typed: list[Expr] = []
        bound: int | None = None
        for a, kind in zip(e.args, params, strict=True):
            if kind == "bound":
                out, bound = self.constant(a, f"the bound of '{e.func}'", 1, MAX_BYTES)
            else:
                out = self.visit(a)
                self.need(out, kind)
            typed.append(out)
        t: Type
        if result == "same":
            first = typ(typed[0])
            t = TBytes(first.bound) if isinstance(first, TBytes) else TError()
        elif result == "recv":
            t = TOption(TBytes(bound)) if bound is not None else TError()
        else:
            t = result
        return replace(e, args=tuple(typed), type=t)

    def TableCall(self, e: TableCall) -> Expr:
        args = tuple(self.visit(a) for a in e.args)
        table = self.tables.get(e.table)
        arity = TABLE_METHODS.get(e.method)
        if table is None or arity is None or not arity[0] <= len(args) <= arity[1]:
            return replace(e, args=args, type=TError())
        if e.method == "put":
            self.fits(args[0], table.key)
            self.fits(args[1], table.value)
        elif args:  # a key to look up: any byte string will do, a longer one is just absent
            self.need(args[0], "int" if isinstance(table.key, TInt) else "bytes")
        results: dict[str, Type] = {
            "get": TOption(table.value), "contains": TBool(), "put": TUnit(),
            "remove": TBool(), "clear": TUnit(), "size": TInt(),
        }  # fmt: skip
        return replace(e, args=args, type=results[e.method])

    # -- structured values -------------------------------------------------------------------

    def StructValue(self, e: StructValue) -> Expr:
        declared = dict(self.structs.get(e.name, ()))
        fields = []
        for f in e.fields:
            value = self.value(f.value)
            if f.name in declared:
                self.fits(value, declared[f.name])
            fields.append(replace(f, value=value))
        return replace(e, fields=tuple(fields), type=TStruct(e.name))

    def Field(self, e: Field) -> Expr:
        target: Expr = self.visit(e.target)
        t = typ(target)
        if isinstance(t, TError):
            return replace(e, target=target, type=TError())
        fields = dict(self.structs.get(t.name, ())) if isinstance(t, TStruct) else {}
        if e.name not in fields:
            hint = suggest(e.name, fields) if fields else None
            what = f"struct '{t.name}'" if isinstance(t, TStruct) else show(t)
            self.error(e, f"{what} has no field '{e.name}'", hint)
            return replace(e, target=target, type=TError())
        return replace(e, target=target, type=fields[e.name])

    def Index(self, e: Index) -> Expr:
        target: Expr = self.visit(e.target)
        index: Expr = self.visit(e.index)
        self.need(index, "int")
        t = typ(target)
        if isinstance(t, TBytes):
            return replace(e, target=target, index=index, type=TInt())
        if isinstance(t, TArray):
            return replace(e, target=target, index=index, type=t.element)
        if not isinstance(t, TError):
            self.error(target, f"expected bytes or an array, found {show(t)}")
        return replace(e, target=target, index=index, type=TError())

    def Slice(self, e: Slice) -> Expr:
        target: Expr = self.visit(e.target)
        start: Expr = self.visit(e.start)
        stop: Expr = self.visit(e.stop)
        self.need(start, "int")
        self.need(stop, "int")
        t: Type = TError()
        if self.need(target, "bytes"):
            t = TBytes(self.slice_bound(typ(target).bound, start, stop))  # type: ignore[attr-defined]
        return replace(e, target=target, start=start, stop=stop, type=t)

    def slice_bound(self, bound: int, start: Expr, stop: Expr) -> int:
        """The static bound of `b[start..stop]`, `b` of bound `bound`: the slice faults unless
        0 <= start <= stop <= len(b), so it holds at most min(bound, upper(stop)) - lower(start)
        bytes (`nanowyki.analysis.ranges`; an unknown or negative lower bound counts as 0)."""
        hi = upper(stop, self.ranges, self.values)
        lo = lower(start, self.ranges, self.values)
        return max(0, min(bound, bound if hi is None else hi) - max(0, lo or 0))

    def ArrayLit(self, e: ArrayLit) -> Expr:
        items = tuple(self.value(item) for item in e.items)
        if not items:
            self.error(e, "an array needs at least one element")
            return replace(e, items=items, type=TError())
        if len(items) > MAX_ARRAY:
            self.error(e, f"an array size must be in 1 ..= {MAX_ARRAY}, not {len(items)}")
        element: Type | None = typ(items[0])
        for item in items[1:]:
            joined = join(element, typ(item)) if element is not None else None
            if joined is None and element is not None:
                self.error(item, f"expected {show(element)}, found {show(typ(item))}")
            element = joined
        t = TArray(element, len(items)) if element is not None else TError()
        return replace(e, items=items, type=t)

    def ArrayRepeat(self, e: ArrayRepeat) -> Expr:
        item = self.value(e.item)
        count, n = self.constant(e.count, "an array length", 1, MAX_ARRAY)
        t = TArray(typ(item), n) if n is not None else TError()
        return replace(e, item=item, count=count, type=t)
