"""Typed expression generation for the program generator (`genprog`).

`ExprGen` builds int, bool and byte-string expressions over the variables in scope, the
service's constants, shared variables, table, structs and already-generated functions. Every
expression is well typed by construction; constant operands are folded with the exact
semantics (`nanowyki.purefns`) so that no operation on constants always faults (rules 11 and
12), and byte-string bounds follow docs/language.md "Static bounds" exactly, so stores fit
(rule 10). Run-time faults (division by a variable zero, a slice past the end...) are allowed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from nanowyki import purefns

from .choice import Chooser
from .types import (
    BOOL,
    INT,
    ArrayT,
    BoolT,
    BytesT,
    E,
    IntT,
    StructT,
    Ty,
    Value,
    bytes_lit,
    fits,
    int_e,
    int_lit,
)

INT_LITERALS = (
    0,
    1,
    2,
    3,
    7,
    10,
    16,
    48,
    63,
    64,
    100,
    255,
    256,
    1000,
    65535,
    65536,
    2**31,
    2**32,
    2**62,
    purefns.INT_MAX,
)
WORDS = (
    b"get",
    b"set",
    b"a",
    b"ok",
    b"OK",
    b"x",
    b"42",
    b"-7",
    b"0",
    b"hello world",
    b" ",
    b"\r\n",
    b"A b",
    b"  sp  ",
    b"\t",
    b"z\x00\xff",
    b"",
    b"1 2 3",
    b"GET",
    b"end",
)
CHARS = (("'a'", 97), ("'z'", 122), ("' '", 32), ("'0'", 48), ("'\\n'", 10), ("'\\r'", 13))
ARITH = ("+", "-", "*", "/", "%", "&", "|", "^", "<<", ">>")
ORDER = ("<", "<=", ">", ">=", "==", "!=")
MAX_BOUND = 4096  # byte strings larger than this are not concatenated further


@dataclass(frozen=True)
class Var:
    name: str
    ty: Ty
    mutable: bool = False
    const: Value | None = None  # a service constant's value
    loop: bool = False  # a `for` variable
    lo: int | None = None  # a `for` variable's static range, as the checker knows it
    hi: int | None = None


@dataclass(frozen=True)
class Fn:
    name: str
    params: tuple[Var, ...]
    result: Ty | None  # None: unit
    optional: bool  # the result is `T?`
    cost: int  # about how many steps a call runs


@dataclass
class Table:
    name: str
    key: Ty  # INT or BytesT
    value: Ty
    capacity: int


@dataclass
class Scope:
    """What expressions may refer to."""

    consts: list[Var] = field(default_factory=list)
    shared: list[Var] = field(default_factory=list)
    structs: dict[str, tuple[tuple[str, Ty], ...]] = field(default_factory=dict)
    table: Table | None = None
    fns: list[Fn] = field(default_factory=list)
    locals: list[list[Var]] = field(default_factory=lambda: [[]])
    mult: int = 1  # how many times the code being generated may run per line of input
    cost: int = 0  # the cost of the function being generated so far
    call_budget: int = 4000
    runtime: bool = False  # not in a constant: the clock may be read
    session: bool = False  # in the session: `peer_closed()` may be called
    clock: bool = False  # ... and `timed_out()`

    def visible(self, want: Callable[[Var], bool]) -> list[Var]:
        found = [v for frame in self.locals for v in frame if want(v)]
        return found + [v for v in self.consts + self.shared if want(v)]


def _fold(fn: Callable[..., Value | None], *args: E) -> tuple[bool, Value | None]:
    """(ok, value): the constant value of `fn(args)` when every argument is constant; ok is
    False when that constant computation faults (the checker would reject it)."""
    if any(a.const is None for a in args):
        return True, None
    try:
        return True, fn(*(a.const for a in args))
    except purefns.Fault:
        return False, None


class ExprGen:
    def __init__(self, ch: Chooser, scope: Scope) -> None:
        self.ch = ch
        self.scope = scope

    # -- entry points ---------------------------------------------------------------------------

    def of(self, ty: Ty, depth: int = 2) -> E:
        """An expression whose value fits a place of type `ty`."""
        match ty:
            case IntT():
                return self.int_expr(depth)
            case BoolT():
                return self.bool_expr(depth)
            case BytesT(bound=n):
                return self.narrow(self.bytes_expr(depth), n)
            case StructT():
                return self.struct(ty, depth)
            case ArrayT():
                return self.array(ty, depth)

    def var_of(self, ty: Ty) -> E | None:
        found = self.scope.visible(lambda v: fits(v.ty, ty))
        if not found:
            return None
        v = self.ch.pick(found)
        return self.name(v)

    def name(self, v: Var) -> E:
        if isinstance(v.ty, IntT):
            return int_e(v.name, v.const, v.lo, v.hi)
        return E(v.name, v.ty, v.const)

    # -- ints -----------------------------------------------------------------------------------

    def int_expr(self, depth: int) -> E:
        if depth <= 0 or self.ch.chance(30):
            return self.int_leaf()
        k = self.ch.integer(0, 11)
        d = depth - 1
        if k <= 3:
            return self.binop(self.ch.pick(ARITH), self.int_expr(d), self.int_expr(d))
        if k == 4:
            return self.unary(self.ch.pick(("-", "~")), self.int_expr(d))
        if k == 5:
            return self.call_int(self.ch.pick(("min", "max")), self.int_expr(d), self.int_expr(d))
        if k == 6:
            return self.call_int("abs", self.int_expr(d))
        if k == 7:
            b = self.bytes_expr(d)
            return self.call_int(self.ch.pick(("len", "nfields", "hash")), b)
        if k == 8:
            return self.index(self.bytes_expr(d), self.small_int(d))
        if k == 9:
            return self.call_int("u16", self.bytes_expr(d), self.small_int(d))
        if k == 10:
            return self.element(INT, d) or self.int_leaf()
        return self.call_fn(INT, d) or self.table_int() or self.int_leaf()

    def int_leaf(self) -> E:
        k = self.ch.integer(0, 5)
        if k <= 1:
            found = self.var_of(INT)
            if found is not None:
                return found
        if k == 2:
            v = self.ch.pick(INT_LITERALS)
            return int_lit(-v if self.ch.chance(25) else v)
        if k == 3:
            text, c = self.ch.pick(CHARS)
            return int_e(text, c)
        if k == 4:
            found = self.var_of(BytesT(1 << 20))
            if found is not None:
                return self.call_int("len", found)
        if k == 5 and self.scope.runtime and self.ch.chance(20):
            return int_e(self.ch.pick(("now_ms()", "unix_time()")))
        return int_lit(self.ch.integer(0, 9))

    def binop(self, op: str, a: E, b: E) -> E:
        if op in ("/", "%") and b.const == 0:
            b = int_lit(7)
        if op in ("<<", ">>") and isinstance(b.const, int) and not 0 <= b.const <= 63:
            b = int_lit(b.const & 63)
        elif op in ("<<", ">>") and b.const is None and self.ch.chance(70):
            b = self.binop("&", b, int_lit(63))  # a variable amount, mostly in range
        ok, value = _fold(purefns.BINARY_OPS[op], a, b)
        if not ok:
            return a
        lo = hi = None
        if op == "+":
            lo = _both(a.lo, b.lo, int.__add__)
            hi = _both(a.hi, b.hi, int.__add__)
        elif op == "-":
            lo = _both(a.lo, b.hi, int.__sub__)
            hi = _both(a.hi, b.lo, int.__sub__)
        return int_e(f"({a.text} {op} {b.text})", value, lo, hi)

    def unary(self, op: str, a: E) -> E:
        ok, value = _fold(purefns.UNARY_OPS[op], a)
        if not ok:
            return a
        return int_e(f"({op}{a.text})", value)

    def call_int(self, func: str, *args: E) -> E:
        """A pure builtin with an int result."""
        ok, value = _fold(purefns.PURE_BUILTINS[func], *args)
        if not ok:
            return args[0] if isinstance(args[0].ty, IntT) else int_lit(0)
        text = f"{func}({', '.join(a.text for a in args)})"
        lo = hi = None
        if func == "len":
            lo, hi = 0, args[0].bound
        elif func == "min" and len(args) == 2:
            known = [x.hi for x in args if x.hi is not None]
            hi = min(known) if known else None
            lo = _both(args[0].lo, args[1].lo, min)
        elif func == "max" and len(args) == 2:
            known = [x.lo for x in args if x.lo is not None]
            lo = max(known) if known else None
            hi = _both(args[0].hi, args[1].hi, max)
        return int_e(text, value, lo, hi)

    def index(self, b: E, i: E) -> E:
        """`b[i]`; a constant index lies inside `b`'s room."""
        if i.const is not None:
            room = b.room()
            if room == 0:
                return self.call_int("len", b)
            if not 0 <= int(i.const) < room:
                i = int_lit(self.ch.integer(0, room - 1))
        ok, value = _fold(purefns.index, b, i)
        if not ok:
            return int_lit(0)
        return int_e(f"{b.text}[{i.text}]", value)

    def table_int(self) -> E | None:
        t = self.scope.table
        if t is None or not self.ch.chance(50):
            return None
        return int_e(f"{t.name}.size()")

    # -- bools ----------------------------------------------------------------------------------

    def bool_expr(self, depth: int) -> E:
        if depth <= 0 or self.ch.chance(20):
            return self.bool_leaf()
        k = self.ch.integer(0, 7)
        d = depth - 1
        if k <= 2:
            return self.compare(self.ch.pick(ORDER), self.int_expr(d), self.int_expr(d))
        if k == 3:
            a, b = self.bool_expr(d), self.bool_expr(d)
            op = self.ch.pick(("&&", "||"))
            value = _logic(op, a.const, b.const)
            return E(f"({a.text} {op} {b.text})", BOOL, value)
        if k == 4:
            a = self.bool_expr(d)
            return E(f"(!{a.text})", BOOL, None if a.const is None else not a.const)
        if k == 5:
            a, b = self.bytes_expr(d), self.bytes_expr(d)
            op = self.ch.pick(("==", "!="))
            value = (
                None if a.const is None or b.const is None else (a.const == b.const) == (op == "==")
            )
            return E(f"({a.text} {op} {b.text})", BOOL, value)
        if k == 6:
            func = self.ch.pick(("starts_with", "ends_with", "eq_nocase"))
            a, b = self.bytes_expr(d), self.bytes_expr(d)
            _, folded = _fold(purefns.PURE_BUILTINS[func], a, b)
            return E(f"{func}({a.text}, {b.text})", BOOL, folded)
        return self.call_fn(BOOL, d) or self.contains(d) or self.bool_leaf()

    def bool_leaf(self) -> E:
        if self.scope.session and self.ch.chance(5):
            if self.scope.clock and self.ch.chance(50):
                return E("timed_out()", BOOL)
            return E("peer_closed()", BOOL)
        found = self.var_of(BOOL) if self.ch.chance(60) else None
        if found is not None:
            return found
        v = self.ch.chance(50)
        return E("true" if v else "false", BOOL, v)

    def compare(self, op: str, a: E, b: E) -> E:
        value = None
        if isinstance(a.const, int) and isinstance(b.const, int):
            x, y = a.const, b.const
            value = {
                "<": x < y,
                "<=": x <= y,
                ">": x > y,
                ">=": x >= y,
                "==": x == y,
                "!=": x != y,
            }[op]
        return E(f"({a.text} {op} {b.text})", BOOL, value)

    def contains(self, depth: int) -> E | None:
        t = self.scope.table
        if t is None:
            return None
        return E(f"{t.name}.contains({self.key(t, depth, lookup=True).text})", BOOL)

    def key(self, t: Table, depth: int, *, lookup: bool) -> E:
        if isinstance(t.key, IntT):
            return self.int_expr(depth) if self.ch.chance(50) else int_lit(self.ch.integer(0, 5))
        if self.ch.chance(50):
            return bytes_lit(self.ch.pick(WORDS[:6]))
        b = self.bytes_expr(depth)
        return b if lookup else self.narrow(b, t.key.bound)  # type: ignore[union-attr]

    # -- byte strings ---------------------------------------------------------------------------

    def bytes_expr(self, depth: int) -> E:
        if depth <= 0 or self.ch.chance(30):
            return self.bytes_leaf()
        k = self.ch.integer(0, 9)
        d = depth - 1
        if k <= 1:
            a, b = self.bytes_expr(d), self.bytes_expr(d)
            if a.bound + b.bound > MAX_BOUND:
                return a
            value = None if a.const is None or b.const is None else a.const + b.const  # type: ignore[operator]
            return E(f"({a.text} ++ {b.text})", BytesT(a.bound + b.bound), value)
        if k == 2:
            return self.slice(self.bytes_expr(d), d)
        if k == 3:
            b = self.bytes_expr(d)
            return self.call_bytes("field", b.bound, b, self.small_int(d))
        if k == 4:
            b = self.bytes_expr(d)
            return self.call_bytes(self.ch.pick(("lower", "upper", "trim")), b.bound, b)
        if k == 5:
            return self.call_bytes("itoa", 20, self.int_expr(d))
        if k == 6:
            func, bound, mask = self.ch.pick(
                (
                    ("byte", 1, 255),
                    ("be16", 2, 65535),
                    ("be32", 4, 2**32 - 1),
                    ("hex", 16, purefns.INT_MAX),
                )
            )
            arg = self.int_expr(d)
            if arg.const is not None or self.ch.chance(60):
                arg = self.binop("&", arg, int_lit(mask))
            return self.call_bytes(func, bound, arg)
        if k == 7:
            return self.element(BytesT(MAX_BOUND), d) or self.bytes_leaf()
        return self.call_fn(BytesT(MAX_BOUND), d) or self.bytes_leaf()

    def bytes_leaf(self) -> E:
        if self.ch.chance(65):
            found = self.var_of(BytesT(MAX_BOUND))
            if found is not None:
                return found
        return bytes_lit(self.ch.pick(WORDS))

    def small_int(self, depth: int) -> E:
        return int_lit(self.ch.integer(0, 3)) if self.ch.chance(60) else self.int_expr(depth)

    def call_bytes(self, func: str, bound: int, *args: E) -> E:
        ok, value = _fold(purefns.PURE_BUILTINS[func], *args)
        if not ok:
            return bytes_lit(b"!")
        return E(f"{func}({', '.join(a.text for a in args)})", BytesT(bound), value)

    def slice(self, b: E, depth: int) -> E:
        """`b[i..j]` in one of the shapes programs use; constant bounds stay inside `b`'s room."""
        room = b.room()
        k = self.ch.integer(0, 3)
        if k == 0:  # constant bounds: may fault at run time when b is shorter
            j = self.ch.integer(0, min(room, 8))
            i = int_lit(self.ch.integer(0, j))
            stop = int_lit(j)
        elif k == 1:  # never faults
            i = int_lit(0)
            stop = self.call_int("min", self.call_int("len", b), int_lit(self.ch.integer(0, 8)))
        elif k == 2:
            i = self.int_expr(depth)
            stop = self.call_int("len", b)
        else:
            i, stop = self.int_expr(depth), self.int_expr(depth)
        i, stop = self.safe_slice(i, stop, room)
        ok, value = _fold(purefns.slice_, b, i, stop)
        if not ok:
            return b
        hi = b.bound if stop.hi is None else min(b.bound, stop.hi)
        bound = max(0, hi - max(0, i.lo or 0))
        return E(f"{b.text}[{i.text}..{stop.text}]", BytesT(bound), value)

    def safe_slice(self, i: E, j: E, room: int) -> tuple[E, E]:
        """Bounds the checker accepts: rule 11 on the constant ones."""
        if isinstance(j.const, int) and not 0 <= j.const <= room:
            j = int_lit(room)
        if isinstance(i.const, int) and not 0 <= i.const <= room:
            i = int_lit(0)
        if isinstance(i.const, int) and isinstance(j.const, int) and i.const > j.const:
            i = int_lit(j.const)
        return i, j

    def narrow(self, b: E, n: int) -> E:
        """`b`, sliced to a bound of at most `n` if it is larger."""
        if b.bound <= n:
            return b
        if isinstance(b.const, bytes) and len(b.const) <= n:
            return bytes_lit(b.const)
        if len(b.text) < 80 or self.ch.chance(50):
            stop = self.call_int("min", self.call_int("len", b), int_lit(n))
            return self.sliced(b, int_lit(0), stop)
        # a constant slice: it faults at run time when b is shorter than n
        return self.sliced(b, int_lit(0), int_lit(min(n, b.room())))

    def sliced(self, b: E, i: E, j: E) -> E:
        ok, value = _fold(purefns.slice_, b, i, j)
        hi = b.bound if j.hi is None else min(b.bound, j.hi)
        bound = max(0, hi - max(0, i.lo or 0))
        if not ok:
            return bytes_lit(b"")
        return E(f"{b.text}[{i.text}..{j.text}]", BytesT(bound), value)

    # -- structs, arrays, calls -----------------------------------------------------------------

    def struct(self, ty: StructT, depth: int) -> E:
        found = self.var_of(ty) if self.ch.chance(50) else None
        if found is not None:
            return found
        fields = self.scope.structs[ty.name]
        args = ", ".join(f"{f}: {self.of(t, depth - 1).text}" for f, t in fields)
        return E(f"{ty.name}({args})", ty)

    def array(self, ty: ArrayT, depth: int) -> E:
        found = self.var_of(ty) if self.ch.chance(40) else None
        if found is not None:
            return found
        if self.ch.chance(50) or ty.size > 4:
            item = self.of(ty.elem, depth - 1)
            return E(f"[{item.text}; {ty.size}]", ArrayT(item.ty, ty.size))
        items = [self.of(ty.elem, depth - 1) for _ in range(ty.size)]
        elem = items[0].ty
        if isinstance(ty.elem, BytesT):
            elem = BytesT(max(x.bound for x in items))
        return E("[" + ", ".join(x.text for x in items) + "]", ArrayT(elem, ty.size))

    def element(self, want: Ty, depth: int) -> E | None:
        """A struct field or an array element of a type that fits `want`."""
        holders = self.scope.visible(lambda v: isinstance(v.ty, (StructT, ArrayT)))
        options: list[E] = []
        for v in holders:
            if isinstance(v.ty, StructT):
                options += [
                    E(f"{v.name}.{f}", t) for f, t in self.scope.structs[v.ty.name] if fits(t, want)
                ]
            elif isinstance(v.ty, ArrayT) and fits(v.ty.elem, want):
                i = (
                    self.int_expr(depth - 1)
                    if self.ch.chance(40)
                    else int_lit(self.ch.integer(0, v.ty.size - 1))
                )
                if isinstance(i.const, int) and not 0 <= i.const < v.ty.size:
                    i = int_lit(0)
                options.append(E(f"{v.name}[{i.text}]", v.ty.elem))
        if not options:
            return None
        got = self.ch.pick(options)
        return int_e(got.text) if isinstance(got.ty, IntT) else got

    def call_fn(self, want: Ty, depth: int, *, optional: bool = False) -> E | None:
        """A call of an earlier function whose result fits `want` (within the cost budget)."""
        sc = self.scope
        fns = [
            f
            for f in sc.fns
            if f.result is not None
            and f.optional == optional
            and fits(f.result, want)
            and sc.mult * f.cost <= sc.call_budget
        ]
        if not fns:
            return None
        f = self.ch.pick(fns)
        sc.cost += sc.mult * f.cost
        args = ", ".join(self.of(p.ty, depth - 1).text for p in f.params)
        assert f.result is not None
        text = f"{f.name}({args})"
        return int_e(text) if isinstance(f.result, IntT) else E(text, f.result)

    def args(self, params: Sequence[Var], depth: int) -> str:
        return ", ".join(self.of(p.ty, depth).text for p in params)


def _both(a: int | None, b: int | None, op: Callable[[int, int], int]) -> int | None:
    return None if a is None or b is None else op(a, b)


def _logic(op: str, a: Value | None, b: Value | None) -> bool | None:
    """The checker's folding of `&&` / `||`: short-circuit on a constant left operand."""
    if not isinstance(a, bool):
        return None
    if a == (op == "||"):
        return a
    return b if isinstance(b, bool) else None
