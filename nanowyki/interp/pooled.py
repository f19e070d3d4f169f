"""`PooledInterpreter`: the `Pooled` IL, as `LinearInterpreter` with static slots.

- a `PooledCfg` starts by giving each of its slots the zero value of its type (0, false, an
  empty byte string, none, structs and arrays of those): its variables exist from the start of
  the body, as in the C runtime's zeroed frames. A function's parameters and a datagram
  handler's packet are bound by the caller, as before.
- an `Assign` to a `Local` (what a `Declare` became) updates the slot; its value may be a
  blocking receive, which waits as the `Declare` did.

Everything else is Linear's.
"""

from __future__ import annotations

from collections.abc import Generator

from nanowyki.framework import Facts, Node
from nanowyki.languages.linear import Graph
from nanowyki.languages.pooled import PooledCfg
from nanowyki.languages.resolved import CallBuiltin, Local
from nanowyki.languages.surface import Assign, Service, Struct
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
)

from .base import InterpError
from .linear import LinearInterpreter
from .scheduler import Wait
from .typed import BLOCKING, Frame, StructVal, Value, Waits


class PooledInterpreter(LinearInterpreter):
    language = "Pooled"

    def __init__(self, program: Node, facts: Facts | None = None) -> None:
        super().__init__(program, facts)
        assert isinstance(program, Service)
        self.struct_fields: dict[str, tuple[Type, ...]] = {
            d.name: tuple(f.declared for f in d.fields if isinstance(f.declared, Type))
            for d in program.decls
            if isinstance(d, Struct)
        }

    def enter(self, g: Graph, f: Frame) -> None:
        if not isinstance(g, PooledCfg):
            raise InterpError(f"expected a PooledCfg, got {type(g).__name__}")
        for slot in g.slots:
            f.vars[slot.name] = self.zero(slot.type)

    def zero(self, t: Type) -> Value:
        """The value of a fresh slot of type `t`."""
        match t:
            case TInt():
                return 0
            case TBool():
                return False
            case TBytes():
                return b""
            case TOption() | TUnit():
                return None
            case TStruct(name):
                return StructVal(name, tuple(self.zero(x) for x in self.struct_fields[name]))
            case TArray(element, size):
                return (self.zero(element),) * size
            case TTable():
                raise InterpError("a table in a slot")
            case _:
                raise InterpError(f"not a type: {t!r}")

    def Assign(self, s: Assign, f: Frame) -> Waits:
        value = s.value
        target = s.target
        if isinstance(target, Local) and isinstance(value, CallBuiltin) and value.func in BLOCKING:
            return self._receive_into(target.name, value, f)
        return super().Assign(s, f)

    def _receive_into(self, name: str, e: CallBuiltin, f: Frame) -> Generator[Wait, None, None]:
        f.vars[name] = yield from self.blocking(e, f)
