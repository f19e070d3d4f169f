"""The typing rules of WYKI that are data or pure functions of types: the builtins' signatures,
assignability (rule 10) and the join of array items. check-types applies them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pyrsistent import PMap

from nanowyki.framework import node
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

MAX_BYTES = 1_048_576  # the largest bound of bytes[N], table capacity, recv bound
MAX_ARRAY = 65_536
MAX_SESSIONS = 1_048_576
DAY_MS = 86_400_000
HANDLE = "handle it: let x = ... else { ... };"


@node
class TError(Type):
    """The type of an expression whose type could not be found (a diagnostic says why). Rules
    accept it silently so one mistake gives one message; it never leaves check-types."""


@dataclass(frozen=True)
class StructTable:
    """Every struct's fields, in declaration order, with their resolved types."""

    fields: PMap[str, tuple[tuple[str, Type], ...]]

    def field_type(self, struct: str, name: str) -> Type | None:
        for field_name, t in self.fields.get(struct, ()):
            if field_name == name:
                return t
        return None


# A parameter kind: "int", "bytes" (any bound), "bound" (a constant int, the N of bytes[N]).
Param = Literal["int", "bytes", "bound"]
# A result: a type, "same" (the bound of the first argument), "recv" (bytes[N]? for the bound N:
# the receives and `fit`).
Result = Type | Literal["same", "recv"]
VARIADIC = None  # any number of byte strings or ints (send, reply, log)

SIGNATURES: dict[str, tuple[tuple[Param, ...] | None, Result]] = {
    "len": (("bytes",), TInt()),
    "find": (("bytes", "bytes"), TOption(TInt())),
    "field": (("bytes", "int"), "same"),
    "nfields": (("bytes",), TInt()),
    "starts_with": (("bytes", "bytes"), TBool()),
    "ends_with": (("bytes", "bytes"), TBool()),
    "eq_nocase": (("bytes", "bytes"), TBool()),
    "lower": (("bytes",), "same"),
    "upper": (("bytes",), "same"),
    "trim": (("bytes",), "same"),
    "parse_int": (("bytes",), TOption(TInt())),
    "itoa": (("int",), TBytes(20)),
    "hex": (("int",), TBytes(16)),
    "hash": (("bytes",), TInt()),
    "min": (("int", "int"), TInt()),
    "max": (("int", "int"), TInt()),
    "abs": (("int",), TInt()),
    "byte": (("int",), TBytes(1)),
    "be16": (("int",), TBytes(2)),
    "be32": (("int",), TBytes(4)),
    "u16": (("bytes", "int"), TInt()),
    "u32": (("bytes", "int"), TInt()),
    "fit": (("bytes", "bound"), "recv"),
    "now_ms": ((), TInt()),
    "unix_time": ((), TInt()),
    "log": (VARIADIC, TUnit()),
    "recv_line": (("bound",), "recv"),
    "recv_until": (("bytes", "bound"), "recv"),
    "recv_exact": (("int", "bound"), "recv"),
    "recv": (("bound",), "recv"),
    "send": (VARIADIC, TUnit()),
    "sleep": (("int",), TUnit()),
    "peer_closed": ((), TBool()),
    "set_timeout": (("int",), TUnit()),
    "timed_out": ((), TBool()),
    "reply": (VARIADIC, TUnit()),
}


def is_value(t: Type) -> bool:
    """Whether `t` can be stored (in a variable, a field, an array, a table)."""
    return isinstance(t, (TInt, TBool, TBytes, TStruct, TArray, TError))


def assign_problem(src: Type, dst: Type) -> tuple[str, str | None] | None:
    """Why a value of type `src` cannot be stored in a place of type `dst` (message, hint), or
    None when it can: bytes[M] fits bytes[N] iff M <= N, arrays element by element with the
    same size, everything else by equality."""
    if isinstance(src, TError) or isinstance(dst, TError):
        return None
    if isinstance(src, TBytes) and isinstance(dst, TBytes):
        if src.bound <= dst.bound:
            return None
        return (
            f"value of up to {src.bound} bytes does not fit in {show(dst)}",
            f"slice it to at most {dst.bound} bytes, e.g. x[0..{dst.bound}]",
        )
    if isinstance(src, TArray) and isinstance(dst, TArray) and src.size == dst.size:
        inner = assign_problem(src.element, dst.element)
        if inner is None or "does not fit" in inner[0]:
            return inner
    elif src == dst:
        return None
    hint = HANDLE if isinstance(src, TOption) else None
    return f"expected {show(dst)}, found {show(src)}", hint


def join(a: Type, b: Type) -> Type | None:
    """The type of an array holding items of types `a` and `b` (the larger bytes bound), or
    None when they do not mix."""
    if isinstance(a, TError):
        return b
    if isinstance(b, TError):
        return a
    if isinstance(a, TBytes) and isinstance(b, TBytes):
        return TBytes(max(a.bound, b.bound))
    if isinstance(a, TArray) and isinstance(b, TArray) and a.size == b.size:
        inner = join(a.element, b.element)
        return None if inner is None else TArray(inner, a.size)
    return a if a == b else None


def describe(t: Type) -> str:
    """A type in a message; TError never reaches one, but name it sensibly."""
    return "an erroneous type" if isinstance(t, TError) else show(t)
