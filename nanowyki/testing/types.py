"""The generator's view of WYKI types and expressions: each generated expression carries its
source text, its type (with the exact static bound of a byte string, docs/language.md "Static
bounds"), its compile-time value when it is a constant, and the static range the checker gives
an int expression (`nanowyki.analysis.ranges`: used for slice bounds)."""

from __future__ import annotations

from dataclasses import dataclass

from nanowyki import purefns

Value = int | bool | bytes


@dataclass(frozen=True)
class IntT:
    pass


@dataclass(frozen=True)
class BoolT:
    pass


@dataclass(frozen=True)
class BytesT:
    bound: int


@dataclass(frozen=True)
class StructT:
    name: str


@dataclass(frozen=True)
class ArrayT:
    elem: Ty
    size: int


Ty = IntT | BoolT | BytesT | StructT | ArrayT

INT = IntT()
BOOL = BoolT()


def show(t: Ty) -> str:
    """`t` as the programmer writes it."""
    match t:
        case IntT():
            return "int"
        case BoolT():
            return "bool"
        case BytesT(bound=n):
            return f"bytes[{n}]"
        case StructT(name=name):
            return name
        case ArrayT(elem=elem, size=size):
            return f"[{show(elem)}; {size}]"


def fits(value: Ty, place: Ty) -> bool:
    """Whether a value of type `value` may be stored in a place of type `place` (rule 10)."""
    match value, place:
        case BytesT(bound=a), BytesT(bound=b):
            return a <= b
        case ArrayT(elem=e1, size=n1), ArrayT(elem=e2, size=n2):
            return n1 == n2 and fits(e1, e2)
        case _:
            return value == place


@dataclass(frozen=True)
class E:
    """A generated expression."""

    text: str
    ty: Ty
    const: Value | None = None  # its value, when the checker can compute it at compile time
    lo: int | None = None  # the checker's static lower bound of an int expression
    hi: int | None = None  # ... and upper bound

    @property
    def bound(self) -> int:
        assert isinstance(self.ty, BytesT)
        return self.ty.bound

    def room(self) -> int:
        """How many bytes a constant index or slice end may reach (rule 11)."""
        if isinstance(self.const, bytes):
            return len(self.const)
        return self.bound


def int_e(text: str, const: Value | None = None, lo: int | None = None, hi: int | None = None) -> E:
    if isinstance(const, int) and not isinstance(const, bool):
        return E(text, INT, const, const, const)
    return E(text, INT, None, lo, hi)


def int_lit(v: int) -> E:
    """An int literal: negative values are a negated literal, INT_MIN a subtraction."""
    if v == purefns.INT_MIN:
        return int_e(f"(-{purefns.INT_MAX} - 1)", v)
    return int_e(str(v) if v >= 0 else f"(-{-v})", v)


_ESCAPES = {0x0D: "\\r", 0x0A: "\\n", 0x09: "\\t", 0x00: "\\0", 0x5C: "\\\\", 0x22: '\\"'}


def string_lit(b: bytes) -> str:
    """`b` as a WYKI string literal."""
    out = []
    for c in b:
        if c in _ESCAPES:
            out.append(_ESCAPES[c])
        elif 0x20 <= c < 0x7F:
            out.append(chr(c))
        else:
            out.append(f"\\x{c:02x}")
    return '"' + "".join(out) + '"'


def bytes_lit(b: bytes) -> E:
    return E(string_lit(b), BytesT(len(b)), b)
