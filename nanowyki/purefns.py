"""The pure WYKI builtins and the checked integer arithmetic, on Python values.

One function per builtin (the ones usable anywhere, docs/language.md "Pure builtins") and one per
integer operator, with WYKI's exact semantics: an `int` is a Python `int` in the 64-bit signed
range, a `bool` a Python `bool`, a byte string `bytes`; an optional result is `None` for `none`.
A run-time fault raises `Fault(kind)`, `kind` one of `nanowyki.builtins.FAULT_KINDS`.

Both the constant evaluator (uncover-constants) and the interpreters use this module, so that a
constant folds to exactly what the program would compute.

Functions whose WYKI name is also a Python builtin carry a trailing underscore (`len_`, `hex_`,
`hash_`, `min_`, `max_`, `abs_`); `PURE_BUILTINS` maps every WYKI name to its function and
`BINARY_OPS` / `UNARY_OPS` map the operator symbols of the integer operators.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

INT_MIN = -(2**63)
INT_MAX = 2**63 - 1


class Fault(Exception):
    """A WYKI run-time fault: `kind` is 'bounds', 'overflow', 'division', 'fuel' or
    'table_full'."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


def _checked(n: int) -> int:
    if n < INT_MIN or n > INT_MAX:
        raise Fault("overflow")
    return n


def _wrap(n: int) -> int:
    """The 64-bit two's-complement value of `n`."""
    n &= 0xFFFF_FFFF_FFFF_FFFF
    return n - 2**64 if n >= 2**63 else n


# -- integer operators ---------------------------------------------------------------------------


def add(a: int, b: int) -> int:
    return _checked(a + b)


def sub(a: int, b: int) -> int:
    return _checked(a - b)


def mul(a: int, b: int) -> int:
    return _checked(a * b)


def div(a: int, b: int) -> int:
    """Truncating division; fault `division` on zero, `overflow` on MIN / -1."""
    if b == 0:
        raise Fault("division")
    q = abs(a) // abs(b)
    return _checked(q if (a < 0) == (b < 0) else -q)


def mod(a: int, b: int) -> int:
    """The remainder of truncating division (the sign of `a`); fault `division` on zero.
    MIN % -1 is 0."""
    if b == 0:
        raise Fault("division")
    r = abs(a) % abs(b)
    return -r if a < 0 else r


def neg(a: int) -> int:
    return _checked(-a)


def shl(a: int, n: int) -> int:
    """Shift the 64 bits left, dropping the bits shifted out; fault `bounds` unless 0 <= n <= 63."""
    if not 0 <= n <= 63:
        raise Fault("bounds")
    return _wrap(a << n)


def shr(a: int, n: int) -> int:
    """Arithmetic (sign-extending) shift right; fault `bounds` unless 0 <= n <= 63."""
    if not 0 <= n <= 63:
        raise Fault("bounds")
    return a >> n


def and_(a: int, b: int) -> int:
    return a & b


def or_(a: int, b: int) -> int:
    return a | b


def xor(a: int, b: int) -> int:
    return a ^ b


def not_(a: int) -> int:
    return ~a


BINARY_OPS: dict[str, Callable[[int, int], int]] = {
    "+": add, "-": sub, "*": mul, "/": div, "%": mod,
    "<<": shl, ">>": shr, "&": and_, "|": or_, "^": xor,
}  # fmt: skip
UNARY_OPS: dict[str, Callable[[int], int]] = {"-": neg, "~": not_}


# -- byte strings --------------------------------------------------------------------------------


def len_(b: bytes) -> int:
    return len(b)


def index(b: bytes, i: int) -> int:
    """`b[i]`: the byte at `i`; fault `bounds` outside 0..len(b)."""
    if not 0 <= i < len(b):
        raise Fault("bounds")
    return b[i]


def slice_(b: bytes, i: int, j: int) -> bytes:
    """`b[i..j]`; fault `bounds` unless 0 <= i <= j <= len(b)."""
    if not 0 <= i <= j <= len(b):
        raise Fault("bounds")
    return b[i:j]


def find(b: bytes, pat: bytes) -> int | None:
    at = b.find(pat)
    return None if at < 0 else at


def _fields(b: bytes) -> list[bytes]:
    return [f for f in b.split(b" ") if f]


def field(b: bytes, i: int) -> bytes:
    """The `i`-th field (from 0) of `b` split on runs of spaces; empty if absent."""
    fields = _fields(b)
    return fields[i] if 0 <= i < len(fields) else b""


def nfields(b: bytes) -> int:
    return len(_fields(b))


def starts_with(b: bytes, p: bytes) -> bool:
    return b.startswith(p)


def ends_with(b: bytes, p: bytes) -> bool:
    return b.endswith(p)


def lower(b: bytes) -> bytes:
    return b.lower()  # bytes.lower folds ASCII letters only


def upper(b: bytes) -> bytes:
    return b.upper()


def eq_nocase(a: bytes, b: bytes) -> bool:
    return a.lower() == b.lower()


def trim(b: bytes) -> bytes:
    return b.strip(b" \t")


def parse_int(b: bytes) -> int | None:
    """Decimal with an optional '-'; None if empty, not a number or out of range."""
    digits = b[1:] if b.startswith(b"-") else b
    if not digits or any(not 48 <= c <= 57 for c in digits):
        return None
    # Leading zeros cannot change the value; only a number of at most 20 significant digits
    # can be in range (Python's int() also refuses very long digit strings).
    significant = digits.lstrip(b"0") or b"0"
    if len(significant) > 20:
        return None
    n = int(significant)
    n = -n if b.startswith(b"-") else n
    return n if INT_MIN <= n <= INT_MAX else None


def itoa(n: int) -> bytes:
    return str(n).encode("ascii")


def hex_(n: int) -> bytes:
    """Lowercase hexadecimal; fault `bounds` if negative."""
    if n < 0:
        raise Fault("bounds")
    return f"{n:x}".encode("ascii")


def hash_(b: bytes) -> int:
    """64-bit FNV-1a, as a two's-complement int."""
    h = 0xCBF29CE484222325
    for c in b:
        h = ((h ^ c) * 0x100000001B3) & 0xFFFF_FFFF_FFFF_FFFF
    return _wrap(h)


def min_(a: int, b: int) -> int:
    return a if a <= b else b


def max_(a: int, b: int) -> int:
    return a if a >= b else b


def abs_(a: int) -> int:
    return _checked(abs(a))


def byte(n: int) -> bytes:
    if not 0 <= n <= 0xFF:
        raise Fault("bounds")
    return bytes([n])


def be16(n: int) -> bytes:
    if not 0 <= n <= 0xFFFF:
        raise Fault("bounds")
    return n.to_bytes(2, "big")


def be32(n: int) -> bytes:
    if not 0 <= n <= 0xFFFF_FFFF:
        raise Fault("bounds")
    return n.to_bytes(4, "big")


def _read(b: bytes, i: int, width: int) -> int:
    if i < 0 or i + width > len(b):
        raise Fault("bounds")
    return int.from_bytes(b[i : i + width], "big")


def u16(b: bytes, i: int) -> int:
    return _read(b, i, 2)


def u32(b: bytes, i: int) -> int:
    return _read(b, i, 4)


def fit(b: bytes, n: int) -> bytes | None:
    """`b` if it has at most `n` bytes, else None (`none`): narrows a value to `bytes[n]`."""
    return b if len(b) <= n else None


# Every builtin of `nanowyki.builtins` with `Where.ANYWHERE`, by its WYKI name.
PURE_BUILTINS: dict[str, Callable[..., Any]] = {
    "len": len_, "find": find, "field": field, "nfields": nfields,
    "starts_with": starts_with, "ends_with": ends_with, "eq_nocase": eq_nocase,
    "lower": lower, "upper": upper, "trim": trim, "parse_int": parse_int, "itoa": itoa,
    "hex": hex_, "hash": hash_, "min": min_, "max": max_, "abs": abs_, "byte": byte,
    "be16": be16, "be32": be32, "u16": u16, "u32": u32, "fit": fit,
}  # fmt: skip

# The Python type of each parameter of each pure builtin, for callers that must check values.
PURE_PARAMS: dict[str, tuple[type, ...]] = {
    "len": (bytes,), "find": (bytes, bytes), "field": (bytes, int), "nfields": (bytes,),
    "starts_with": (bytes, bytes), "ends_with": (bytes, bytes), "eq_nocase": (bytes, bytes),
    "lower": (bytes,), "upper": (bytes,), "trim": (bytes,), "parse_int": (bytes,),
    "itoa": (int,), "hex": (int,), "hash": (bytes,), "min": (int, int), "max": (int, int),
    "abs": (int,), "byte": (int,), "be16": (int,), "be32": (int,), "u16": (bytes, int),
    "u32": (bytes, int), "fit": (bytes, int),
}  # fmt: skip
