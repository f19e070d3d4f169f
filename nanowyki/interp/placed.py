"""`PlacedInterpreter`: the `Placed` IL, where some values are computed in their places.

It runs `Socketless` programs as `SocketlessInterpreter` does, and the forms `Placed` adds
exactly as the statements they replace:

- `SharedUpdate(old, n, op, b)`: `old` takes the shared variable's value, then `n` becomes
  `old op b` (checked: on a fault `old` is set and `n` unchanged, as after `t = n` and a
  faulting `n = t op b`); one step, as every statement is here;
- `ConcatInto(buffer, a, b, capacity)` and `AppendInto(buffer, b, capacity)`: the buffer
  becomes `a ++ b` or its own value `++ b`, and a result longer than the capacity faults
  `bounds`, as the link `t_k = ...` would in C (where `t_k`'s bound was the capacity);
- `BuildResult(e)` stores `e` as the function's result, which `RetBuilt` returns.
"""

from __future__ import annotations

from nanowyki import purefns
from nanowyki.languages.placed import AppendInto, BuildResult, ConcatInto, RetBuilt, SharedUpdate

from .base import InterpError
from .linear import Returned
from .socketless import SocketlessInterpreter
from .typed import Frame, Waits

RESULT = "(result)"  # the frame entry of a result built in place: no local has this name


class PlacedInterpreter(SocketlessInterpreter):
    language = "Placed"

    def SharedUpdate(self, s: SharedUpdate, f: Frame) -> Waits:
        old = self.shared[s.shared]
        f.vars[s.old] = old
        self.shared[s.shared] = purefns.BINARY_OPS[s.op](old, self.eval(s.operand, f))
        return ()

    def ConcatInto(self, s: ConcatInto, f: Frame) -> Waits:
        f.vars[s.buffer] = _fitting(self.eval(s.left, f) + self.eval(s.right, f), s.capacity)
        return ()

    def AppendInto(self, s: AppendInto, f: Frame) -> Waits:
        built = f.vars[s.buffer] + self.eval(s.right, f)
        f.vars[s.buffer] = _fitting(built, s.capacity)
        return ()

    def BuildResult(self, s: BuildResult, f: Frame) -> Waits:
        f.vars[RESULT] = self.eval(s.value, f)
        return ()

    def RetBuilt(self, x: RetBuilt, f: Frame) -> Returned:
        if RESULT not in f.vars:
            raise InterpError(f"RetBuilt at {x.span} without a BuildResult before it")
        return Returned(f.vars.pop(RESULT))


def _fitting(value: bytes, capacity: int) -> bytes:
    if len(value) > capacity:
        raise purefns.Fault("bounds")
    return value
