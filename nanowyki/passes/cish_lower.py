"""Statements and operations of `Placed` as C statements (support for convert-to-cish).

`Body` lowers one handler's or function's statements. Every operation that can fault becomes
a call returning 0 or a fault status, tested at once (`st = CALL; if (st != 0) return st;`);
the C operators left are those whose C meaning is WYKI's. A byte-string operand is passed as
its `data` and `len` members; a byte-string result is written through `data`, its capacity and
`&len`; an optional result through `&some` and its value; any other result through `&dest`.

A copy costs what the value holds, not its capacity: a byte string is copied by
`wyki_bytes_set` (its `len` bytes), and a struct, optional or small array that holds byte
strings by a generated `copy_TYPE(&dest, &src)` (`copier`), member by member; other values
(scalars, structs of scalars) by C's `=`.
"""

from __future__ import annotations

from collections.abc import Callable

from nanowyki.framework import InternalError, Node
from nanowyki.languages.cish import (
    CArrow,
    CAssign,
    CBinary,
    CBoolLit,
    CBoolT,
    CBytesLit,
    CCall,
    CCast,
    CExpr,
    CExprStmt,
    CIf,
    CIndex,
    CInt64,
    CIntLit,
    CMember,
    CName,
    CReturn,
    CStatus,
    CStmt,
    CUInt32,
    CUnary,
)
from nanowyki.languages.flat import Atom
from nanowyki.languages.iterated import Log, Narrow, Reply
from nanowyki.languages.linear import IsNone, Payload
from nanowyki.languages.placed import AppendInto, ConcatInto, SharedUpdate
from nanowyki.languages.resolved import CallBuiltin, CallFn, ConstRef, Local, SharedRef, TableCall
from nanowyki.languages.surface import (
    ArrayLit,
    ArrayRepeat,
    Assign,
    Binary,
    BoolLit,
    BytesLit,
    Expr,
    ExprStmt,
    Field,
    Index,
    IntLit,
    NoneLit,
    Slice,
    Stmt,
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
    TUnit,
    Type,
    show,
)

from .cish_types import c_type, field_name, var_name

CHECKED_BINARY = {"+": "wyki_add", "-": "wyki_sub", "*": "wyki_mul", "/": "wyki_div",
                  "%": "wyki_mod", "<<": "wyki_shl", ">>": "wyki_shr"}  # fmt: skip
PLAIN_BINARY = ("==", "!=", "<", "<=", ">", ">=", "&", "|", "^")
SHARED_UPDATE = {"+": "wyki_shared_add", "-": "wyki_shared_sub", "*": "wyki_shared_mul"}
UNROLLED_COPY_MAX = 16  # a larger array of byte strings is copied whole, by C's `=`
ST = CName("st")
ZERO = CIntLit(0, CStatus())


def i64(n: int) -> CIntLit:
    return CIntLit(n, CInt64())


def u32(n: int) -> CIntLit:
    return CIntLit(n, CUInt32())


def addr(e: CExpr) -> CExpr:
    """`&e`; `&*p` is `p`."""
    if isinstance(e, CUnary) and e.op == "*":
        return e.operand
    return CUnary("&", e)


def checked(call: CCall) -> list[CStmt]:
    """`st = call; if (st != 0) return st;`"""
    return [CAssign(ST, call), CIf(CBinary("!=", ST, ZERO), (CReturn(ST),), ())]


def fault(kind: str) -> CReturn:
    return CReturn(CCall("WYKI_FAULT_STATUS", (CName("WYKI_FAULT_" + kind.upper()),)))


def type_of(e: Expr) -> Type:
    t = getattr(e, "type", None)
    if not isinstance(t, Type):
        raise InternalError("convert-to-cish", f"{type(e).__name__} at {e.span} has no type")
    return t


class Body:
    """Lowers the statements of one C function. `is_frame(name)`: whether the variable lives in
    the session frame (`f->v_x`); `constant(name)`: the `CConstRef` of a WYKI `const`;
    `fields(struct)`: its fields' types; `fresh(type)`: a new C local of that type;
    `copier(type)`: the name of the `copy_TYPE` function of a type that `holds_bytes`."""

    def __init__(
        self,
        is_frame: Callable[[str], bool],
        constant: Callable[[str], CExpr],
        fields: Callable[[str], tuple[tuple[str, Type], ...]],
        fresh: Callable[[Type], str],
        context: str,
        copier: Callable[[Type], str],
    ) -> None:
        self.is_frame = is_frame
        self.constant = constant
        self.fields = fields
        self.fresh = fresh
        self.copier = copier
        self.context = context  # "session", "datagram", "timer" or "fn"
        self.pending: list[CStmt] = []  # statements a key or value operand needs first

    def fail(self, n: Node, message: str) -> InternalError:
        where = f" at {n.span}" if n.span else ""
        return InternalError("convert-to-cish", f"{type(n).__name__}{where}: {message}")

    # -- names and atoms -------------------------------------------------------------------------

    def var(self, name: str) -> CExpr:
        c = var_name(name)
        return _arrow(c) if self.is_frame(name) else CName(c)

    def atom(self, a: Expr) -> CExpr:
        match a:
            case IntLit(value):
                return i64(value)
            case BoolLit(value):
                return CBoolLit(value)
            case BytesLit(value):
                return CBytesLit(value)
            case Local(name):
                return self.var(name)
            case ConstRef(name):
                return self.constant(name)
            case NoneLit():
                raise self.fail(a, "not a C value here (none is stored, not read)")
            case _:
                raise self.fail(a, "not an atom")

    def args(self, a: Expr) -> list[CExpr]:
        """An operand as call arguments: a byte string as `data, len`, others as themselves."""
        t = type_of(a)
        v = self.atom(a)
        if isinstance(t, TBytes):
            return [CMember(v, "data"), CMember(v, "len")]
        return [v]

    def outs(self, dest: CExpr, t: Type) -> list[CExpr]:
        """Where a call writes a result of type `t` into `dest`."""
        match t:
            case TBytes(bound):
                return [CMember(dest, "data"), u32(bound), addr(CMember(dest, "len"))]
            case TOption(inner):
                return [addr(CMember(dest, "some")), *self.outs(CMember(dest, "value"), inner)]
            case _:
                return [addr(dest)]

    # -- storing -----------------------------------------------------------------------------

    def copy(self, dest: CExpr, dt: Type, src: Expr) -> list[CStmt]:
        """`dest = src` where `src` is an atom (`none` included)."""
        if isinstance(src, NoneLit):
            if not isinstance(dt, TOption):
                raise self.fail(src, f"none stored into a {show(dt)}")
            return [CAssign(CMember(dest, "some"), CBoolLit(False))]
        st = TBytes(len(src.value)) if isinstance(src, BytesLit) else type_of(src)
        return self.store(dest, dt, self.atom(src), st)  # a literal's data is of its length

    def store(self, dest: CExpr, dt: Type, src: CExpr, st: Type) -> list[CStmt]:
        """`dest = src` for C values; a value becomes an optional, bounds are widened."""
        if isinstance(dt, TOption) and not isinstance(st, TOption):
            return [CAssign(CMember(dest, "some"), CBoolLit(True)),
                    *self.store(CMember(dest, "value"), dt.inner, src, st)]  # fmt: skip
        if isinstance(dt, TBytes) and isinstance(st, TBytes) and dt.bound != st.bound:
            if st.bound > dt.bound:
                raise InternalError("convert-to-cish", f"{show(st)} stored into {show(dt)}")
            return self.copy_whole(dest, dt, src)
        if c_type(dt) == c_type(st):
            return self.copy_whole(dest, dt, src)
        # A wider type: element by element, or the flag and the (possibly stale) value.
        if isinstance(dt, TArray) and isinstance(st, TArray) and dt.size == st.size:
            return [x for k in range(dt.size) for x in self.store(
                CIndex(CMember(dest, "items"), i64(k)), dt.element,
                CIndex(CMember(src, "items"), i64(k)), st.element)]  # fmt: skip
        if isinstance(dt, TOption) and isinstance(st, TOption):
            return [CAssign(CMember(dest, "some"), CMember(src, "some")),
                    *self.store(CMember(dest, "value"), dt.inner, CMember(src, "value"),
                                st.inner)]  # fmt: skip
        raise InternalError("convert-to-cish", f"{show(st)} stored into {show(dt)}")

    def copy_whole(self, dest: CExpr, t: Type, src: CExpr) -> list[CStmt]:
        """`dest = src`, both of C type `t` (or byte strings, `src` of a bound that fits)."""
        if isinstance(t, TBytes):
            return [CExprStmt(CCall("wyki_bytes_set", (
                CMember(dest, "data"), addr(CMember(dest, "len")),
                CMember(src, "data"), CMember(src, "len"))))]  # fmt: skip
        if holds_bytes(t, self.fields):
            return [CExprStmt(CCall(self.copier(t), (addr(dest), addr(src))))]
        return [CAssign(dest, src)]

    def copy_members(self, t: Type) -> list[CStmt]:
        """The body of `copy_TYPE(dst, src)`: `*dst = *src` member by member; an optional's
        value only when it is there."""
        dst, src = CUnary("*", CName("dst")), CUnary("*", CName("src"))
        match t:
            case TStruct(name):
                return [x for n, ft in self.fields(name) for x in self.copy_whole(
                    CMember(dst, field_name(n)), ft, CMember(src, field_name(n)))]  # fmt: skip
            case TOption(inner):
                value = self.copy_whole(CMember(dst, "value"), inner, CMember(src, "value"))
                return [CAssign(CMember(dst, "some"), CMember(src, "some")),
                        CIf(CMember(src, "some"), tuple(value), ())]  # fmt: skip
            case TArray(element, size):
                return [x for k in range(size) for x in self.copy_whole(
                    CIndex(CMember(dst, "items"), i64(k)), element,
                    CIndex(CMember(src, "items"), i64(k)))]  # fmt: skip
            case _:
                raise InternalError("convert-to-cish", f"no member copy of a {show(t)}")

    def place(self, target: Expr) -> tuple[list[CStmt], CExpr]:
        """The C lvalue of an assignment target, after the checks it needs."""
        match target:
            case Local(name):
                return [], self.var(name)
            case Field(inner, name):
                return [], CMember(self.atom(inner), field_name(name))
            case Index(inner, index):
                it = type_of(inner)
                if not isinstance(it, TArray):
                    raise self.fail(target, f"cannot assign into a {show(it)}")
                check = CCall("wyki_check_index", (self.atom(index), i64(it.size)))
                return checked(check), CIndex(CMember(self.atom(inner), "items"), self.atom(index))
            case _:
                raise self.fail(target, "not a place")

    # -- statements ----------------------------------------------------------------------------

    def stmt(self, s: Stmt) -> list[CStmt]:
        """The C statements of `s`."""
        self.pending = []
        out = self._stmt(s)
        return self.pending + out

    def _stmt(self, s: Stmt) -> list[CStmt]:
        match s:
            case Assign(SharedRef(name) as target, _, value):  # an int or a bool, as int64_t
                tmp = self.fresh(type_of(target))
                out = self.assign(CName(tmp), type_of(target), value)
                store = CCall("wyki_atomic_store", (addr(CName("g_" + name)), CName(tmp)))
                return [*out, CExprStmt(store)]
            case Assign(target, _, value):
                pre, dest = self.place(target)
                return pre + self.assign(dest, type_of(target), value)
            case ExprStmt(expr):
                t = type_of(expr)
                if isinstance(t, TUnit):
                    return self.effect(expr)
                return self.assign(CName(self.fresh(t)), t, expr)
            case SharedUpdate(old, shared, op, operand):  # the old value left in `old`
                g = addr(CName("g_" + shared))
                update = CCall(SHARED_UPDATE[op], (g, self.atom(operand), addr(self.var(old))))
                return checked(update)
            case ConcatInto(buffer, left, right, capacity):
                return self.concat(buffer, self.args(left), right, capacity)
            case AppendInto(buffer, right, capacity):
                dest = self.var(buffer)
                return self.concat(buffer, [CMember(dest, "data"), CMember(dest, "len")], right,
                                   capacity)  # fmt: skip
            case Log(value):
                return [CExprStmt(self.text_call("wyki_log", [], value))]
            case Reply(value):
                return checked(self.text_call("wyki_reply", [CName("d")], value))
            case _:
                raise self.fail(s, "no C form for this statement")

    def text_call(self, stem: str, first: list[CExpr], value: Expr) -> CCall:
        """`stem_bytes(first, data, len)`, `stem_int(first, v)` or `stem_bool(first, v)`."""
        t = type_of(value)
        if isinstance(t, TInt | TBool):
            return CCall(f"{stem}_{'int' if isinstance(t, TInt) else 'bool'}",
                         (*first, self.atom(value)))  # fmt: skip
        return CCall(stem + "_bytes", (*first, *self.args(value)))

    def concat(self, buffer: str, left: list[CExpr], right: Expr, capacity: int) -> list[CStmt]:
        """A link of a concatenation chain: `left ++ right` into the local `buffer`, faulting
        when longer than `capacity` (when `left` is the buffer, `right` is appended in place)."""
        dest = self.var(buffer)
        call = CCall("wyki_concat", (*left, *self.args(right), *self.outs(dest, TBytes(capacity))))
        return checked(call)

    def build_result(self, result: Type, e: Expr) -> list[CStmt]:
        """`*out = e`: a function's result of type `result` computed in the caller's place."""
        self.pending = []
        out = self.assign(CUnary("*", CName("out")), result, e)
        return self.pending + out

    def effect(self, e: Expr) -> list[CStmt]:
        """An expression of type unit, run for its effect."""
        match e:
            case CallBuiltin("set_timeout", (ms,)):
                return [CExprStmt(CCall("wyki_set_timeout", (addr(_arrow("timeout_ms")),
                                                             self.atom(ms))))]  # fmt: skip
            case CallFn(func, args):
                return checked(CCall("fn_" + func, tuple(x for a in args for x in self.args(a))))
            case TableCall(table, "put", (k, v)):
                call = CCall("wyki_table_put", (CName("t_" + table), *self.key(k), *self.value(v)))
                return checked(CCall("wyki_table_status", (call,)))
            case TableCall(table, "clear", ()):
                return [CExprStmt(CCall("wyki_table_clear", (CName("t_" + table),)))]
            case _:
                raise self.fail(e, "no C form for this effect")

    def key(self, k: Expr) -> list[CExpr]:
        """A table key or value as `pointer, length`."""
        v = self.atom(k)
        t = type_of(k)
        if isinstance(t, TBytes):
            return [CMember(v, "data"), CMember(v, "len")]
        if isinstance(k, IntLit | BoolLit):
            tmp = CName(self.fresh(t))
            self.pending.append(CAssign(tmp, v))
            v = tmp
        return [addr(v), CCast(CUInt32(), CCall("sizeof", (v,)))]

    def value(self, v: Expr) -> list[CExpr]:
        """A table value as `pointer, length`: a struct whose last field is a byte string up to
        that string's length (a get then copies what the put stored), others as a key."""
        t = type_of(v)
        if isinstance(t, TStruct):
            last, last_type = self.fields(t.name)[-1]
            if isinstance(last_type, TBytes):
                s = self.atom(v)
                tail = CMember(s, field_name(last))
                used = CCall("wyki_used_size", (addr(s), CMember(tail, "data"),
                                                CMember(tail, "len")))  # fmt: skip
                return [addr(s), used]
        return self.key(v)

    def assign(self, dest: CExpr, dt: Type, e: Expr) -> list[CStmt]:
        return self._assign(dest, dt, e)

    def _assign(self, dest: CExpr, dt: Type, e: Expr) -> list[CStmt]:  # noqa: C901 - one case per form
        et = type_of(e)
        if not isinstance(e, Atom) and c_type(et) != c_type(dt):
            tmp = CName(self.fresh(et))
            return self._assign(tmp, et, e) + self.store(dest, dt, tmp, et)
        match e:
            case IntLit() | BoolLit() | BytesLit() | NoneLit() | Local() | ConstRef():
                return self.copy(dest, dt, e)
            case SharedRef(name):
                load: CExpr = CCall("wyki_atomic_load", (addr(CName("g_" + name)),))
                return [CAssign(dest, CCast(CBoolT(), load) if isinstance(et, TBool) else load)]
            case Unary("-", a):
                return checked(CCall("wyki_neg", (self.atom(a), addr(dest))))
            case Unary(op, a) if op in ("!", "~"):
                return [CAssign(dest, CUnary(op, self.atom(a)))]  # type: ignore[arg-type]
            case Binary(op, a, b) if op in CHECKED_BINARY:
                call = CCall(CHECKED_BINARY[op], (self.atom(a), self.atom(b), addr(dest)))
                return checked(call)
            case Binary("++", a, b):
                return checked(CCall("wyki_concat", (*self.args(a), *self.args(b),
                                                     *self.outs(dest, dt))))  # fmt: skip
            case Binary(op, a, b) if op in ("==", "!=") and isinstance(type_of(a), TBytes):
                eq = checked(CCall("wyki_bytes_eq", (*self.args(a), *self.args(b), addr(dest))))
                return eq if op == "==" else [*eq, CAssign(dest, CUnary("!", dest))]
            case Binary(op, a, b) if op in PLAIN_BINARY and isinstance(type_of(a), TInt | TBool):
                return [CAssign(dest, CBinary(op, self.atom(a), self.atom(b)))]  # type: ignore[arg-type]
            case Field(a, name):
                return self.store(dest, dt, CMember(self.atom(a), field_name(name)), et)
            case Index(a, i) if isinstance(type_of(a), TBytes):
                return checked(CCall("wyki_index", (*self.args(a), self.atom(i), addr(dest))))
            case Index(a, i):
                at = type_of(a)
                assert isinstance(at, TArray)
                pre = checked(CCall("wyki_check_index", (self.atom(i), i64(at.size))))
                return pre + self.store(dest, dt, CIndex(CMember(self.atom(a), "items"),
                                                         self.atom(i)), et)  # fmt: skip
            case Slice(a, i, j):
                return checked(CCall("wyki_slice", (*self.args(a), self.atom(i), self.atom(j),
                                                    *self.outs(dest, dt))))  # fmt: skip
            case StructValue(sname, fields):
                declared = dict(self.fields(sname))
                return [x for fi in fields for x in self.copy(
                    CMember(dest, field_name(fi.name)), declared[fi.name], fi.value)]
            case ArrayLit(items):
                return [s for k, x in enumerate(items)
                        for s in self.copy(CIndex(CMember(dest, "items"), i64(k)),
                                           _element(dt), x)]  # fmt: skip
            case ArrayRepeat(item, IntLit(count)):
                return [s for k in range(count)
                        for s in self.copy(CIndex(CMember(dest, "items"), i64(k)),
                                           _element(dt), item)]  # fmt: skip
            case Narrow(a):
                assert isinstance(dt, TBytes)
                return checked(CCall("wyki_bytes_copy", (*self.outs(dest, dt), *self.args(a))))
            case IsNone(a):
                return [CAssign(dest, CUnary("!", CMember(self.atom(a), "some")))]
            case Payload(a):
                return self.store(dest, dt, CMember(self.atom(a), "value"), et)
            case CallFn(func, args):
                return checked(CCall("fn_" + func, (*(x for a in args for x in self.args(a)),
                                                    addr(dest))))  # fmt: skip
            case CallBuiltin(func, args):
                return self.builtin(dest, dt, e, func, args)
            case TableCall(table, method, args):
                return self.table(dest, dt, e, table, method, args)
            case _:
                raise self.fail(e, "no C form for this expression")

    def builtin(self, dest: CExpr, dt: Type, e: Expr, func: str,
                args: tuple[Expr, ...]) -> list[CStmt]:  # fmt: skip
        match func, args:
            case "len", (a,):
                return [CAssign(dest, CCast(CInt64(), CMember(self.atom(a), "len")))]
            case "now_ms" | "unix_time", ():
                return [CAssign(dest, CCall("wyki_" + func, ()))]
            case "peer_closed", ():
                return [CAssign(dest, CCall("wyki_peer_closed_all", (CName("c"),)))]
            case "timed_out", ():
                return [CAssign(dest, _arrow("timed_out"))]
            case "fit", (a, n):
                assert isinstance(dt, TOption)
                some = CMember(dest, "some")
                fits = checked(CCall("wyki_fit", (*self.args(a), self.atom(n), addr(some))))
                copy = checked(CCall("wyki_bytes_copy", (*self.outs(CMember(dest, "value"),
                                                                   dt.inner), *self.args(a))))
                return [*fits, CIf(some, tuple(copy), ())]
            case _:
                call = CCall("wyki_" + func, (*(x for a in args for x in self.args(a)),
                                              *self.outs(dest, dt)))  # fmt: skip
                return checked(call)

    def table(self, dest: CExpr, dt: Type, e: Expr, table: str, method: str,
              args: tuple[Expr, ...]) -> list[CStmt]:  # fmt: skip
        t = CName("t_" + table)
        match method, args:
            case "get", (k,):
                assert isinstance(dt, TOption)
                if isinstance(dt.inner, TBytes):
                    get = CCall("wyki_table_get_bytes", (t, *self.key(k), *self.outs(dest, dt)))
                else:
                    value = CMember(dest, "value")
                    size = CCast(CUInt32(), CCall("sizeof", (value,)))
                    get = CCall("wyki_table_get_fixed",
                                (t, *self.key(k), addr(CMember(dest, "some")), addr(value), size))
                return checked(get)
            case "contains", (k,):
                return [CAssign(dest, CCall("wyki_table_contains", (t, *self.key(k))))]
            case "remove", (k,):
                call = CCall("wyki_table_remove", (t, *self.key(k)))
                return [CAssign(dest, CBinary("==", call, CName("WYKI_TABLE_OK")))]
            case "size", ():
                return [CAssign(dest, CCall("wyki_table_size", (t,)))]
            case _:
                raise self.fail(e, f"no C form for table method '{method}'")


def holds_bytes(t: Type, fields: Callable[[str], tuple[tuple[str, Type], ...]]) -> bool:
    """Whether a value of type `t` is copied member by member (`copy_TYPE`): it holds a byte
    string (an array, only when small enough to unroll)."""
    match t:
        case TBytes():
            return True
        case TStruct(name):
            return any(holds_bytes(ft, fields) for _, ft in fields(name))
        case TOption(inner):
            return holds_bytes(inner, fields)
        case TArray(element, size):
            return size <= UNROLLED_COPY_MAX and holds_bytes(element, fields)
        case _:
            return False


def _arrow(member: str) -> CExpr:
    return CArrow(CName("f"), member)


def _element(t: Type) -> Type:
    if not isinstance(t, TArray):
        raise TypeError(f"not an array: {show(t)}")
    return t.element


__all__ = ["Body", "TBool", "addr", "checked", "fault", "holds_bytes", "i64", "u32"]
