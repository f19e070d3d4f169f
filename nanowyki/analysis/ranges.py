"""Static ranges of integer expressions: the bounds of `for` loops (require-loop-bounds) and of
byte-string slices (check-types: `b[i..j]` holds at most `upper(j) - lower(i)` bytes).

`upper(e, env)` is a number no value of `e` exceeds, `lower(e, env)` one no value is below, or
None when the checker cannot tell. They know constants, `len` (bounded by its operand's static
bound, so `e`'s operands must be typed), `min`, `max`, `+`, `-`, and the variables of enclosing
`for` loops (`env`: name -> (lowest, highest) value). `source_text(e)` writes a simple
expression back as source, for messages.
"""

from __future__ import annotations

from collections.abc import Mapping

from pyrsistent import PMap

from nanowyki.analysis.constants import Value
from nanowyki.languages.resolved import CallBuiltin, CallFn, ConstRef, Local
from nanowyki.languages.surface import Binary, Expr, Field, IntLit, Unary
from nanowyki.languages.types import TArray, TBytes
from nanowyki.static_eval import fold_int

Ranges = PMap[str, tuple[int, int]]


def upper(e: Expr, env: Ranges, consts: Mapping[str, Value]) -> int | None:
    v = fold_int(e, consts)
    if v is not None:
        return v
    match e:
        case Local(name) if name in env:
            return env[name][1]
        case CallBuiltin("len", (arg,)):
            t = getattr(arg, "type", None)
            if isinstance(t, TBytes):
                return t.bound
            return t.size if isinstance(t, TArray) else None
        case CallBuiltin("min", (a, b)):
            known = [u for u in (upper(a, env, consts), upper(b, env, consts)) if u is not None]
            return min(known) if known else None
        case CallBuiltin("max", (a, b)):
            return _both(max, upper(a, env, consts), upper(b, env, consts))
        case Binary("+", a, b):
            return _both(int.__add__, upper(a, env, consts), upper(b, env, consts))
        case Binary("-", a, b):
            return _both(int.__sub__, upper(a, env, consts), lower(b, env, consts))
        case _:
            return None


def lower(e: Expr, env: Ranges, consts: Mapping[str, Value]) -> int | None:
    v = fold_int(e, consts)
    if v is not None:
        return v
    match e:
        case Local(name) if name in env:
            return env[name][0]
        case CallBuiltin("len", (_,)):
            return 0
        case CallBuiltin("max", (a, b)):
            known = [lo for lo in (lower(a, env, consts), lower(b, env, consts)) if lo is not None]
            return max(known) if known else None
        case CallBuiltin("min", (a, b)):
            return _both(min, lower(a, env, consts), lower(b, env, consts))
        case Binary("+", a, b):
            return _both(int.__add__, lower(a, env, consts), lower(b, env, consts))
        case Binary("-", a, b):
            return _both(int.__sub__, lower(a, env, consts), upper(b, env, consts))
        case _:
            return None


def _both(op: object, a: int | None, b: int | None) -> int | None:
    if a is None or b is None:
        return None
    return op(a, b)  # type: ignore[operator,no-any-return]


def source_text(e: Expr) -> str | None:
    """`e` as the programmer wrote it, for simple expressions; None for the others."""
    match e:
        case Local(name) | ConstRef(name):
            return name.split(".")[0]  # resolve-names renames clashing locals to `x.N`
        case IntLit(value):
            return str(value)
        case Field(target, name):
            inner = source_text(target)
            return f"{inner}.{name}" if inner else None
        case CallBuiltin(func, args) | CallFn(func, args):
            texts = [source_text(a) for a in args]
            if any(t is None for t in texts):
                return None
            return f"{func}({', '.join(t for t in texts if t)})"
        case Unary(op, operand):
            inner = source_text(operand)
            return f"{op}{inner}" if inner else None
        case Binary(op, left, right):
            lt, rt = source_text(left), source_text(right)
            return f"{lt} {op} {rt}" if lt and rt else None
        case _:
            return None
