"""Which expressions a lowering pass may evaluate twice, or later than written.

An expression is *stable* when evaluating it has no effect, cannot fault, and gives the same
value at any point of the statement it is in: a literal, a constant, a local (only its own
statements assign it), a field of a stable struct, and `len` or `itoa` of a stable operand. A
shared variable is not stable (a called function or another session may change it), nor an
index (it may fault), nor any call of a function.
"""

from __future__ import annotations

from nanowyki.framework import Node
from nanowyki.languages.resolved import CallBuiltin, ConstRef, Local
from nanowyki.languages.surface import BoolLit, BytesLit, Field, IntLit, NoneLit

_TOTAL_BUILTINS = frozenset({"len", "itoa"})  # never fault, depend only on their operand


def is_stable(e: Node) -> bool:
    """Whether `e` may be evaluated twice, or moved later in its statement, with no change."""
    match e:
        case Local() | ConstRef() | IntLit() | BoolLit() | BytesLit() | NoneLit():
            return True
        case Field(target):
            return is_stable(target)
        case CallBuiltin(func, args) if func in _TOTAL_BUILTINS:
            return all(is_stable(a) for a in args)
        case _:
            return False
