"""`CoreInterpreter`: the `Iterated` and `Core` ILs, as `TypedInterpreter` plus their new forms.

- `Iterate(cond, limit, body, step)`: while `cond` holds, run `body` then `step` (`continue`
  runs the step too, `break` skips it). The limit is evaluated once, before the first test of
  the condition. Without a limit (sessions only) each iteration spends one unit of the
  session's fuel and yields when it is spent, as Typed's unbounded `while`/`loop`; with limit
  N, entering iteration N+1 faults `fuel`, as `max N`.
- `Declare` binds a local (its value may be a blocking receive); `Unwrap` binds the value of
  an optional, or runs its diverging else block on `none`.
- `Send`, `Reply`, `Log` take one byte string each: what `send`, `reply` and `log` did with the
  concatenation of their arguments (`Reply` faults `bounds` past 65 507 bytes).
- `Narrow(value, bytes[N])` faults `bounds` when `value` is longer than N bytes.

Everything else (including the `Let`, `Var`, compound `Assign` and effect calls still present
in `Iterated`) is Typed's.
"""

from __future__ import annotations

from collections.abc import Generator

from nanowyki import purefns
from nanowyki.languages.iterated import Declare, Iterate, Log, Narrow, Reply, Send, Unwrap
from nanowyki.languages.types import TBytes

from .base import InterpError
from .scheduler import YIELD, Wait
from .typed import (
    BreakSignal,
    ContinueSignal,
    DatagramTask,
    Frame,
    TypedInterpreter,
    Value,
    Waits,
)
from .world import MAX_REPLY


def _bytes(v: Value, what: str) -> bytes:
    if not isinstance(v, bytes):
        raise InterpError(f"{what} of a {type(v).__name__}, not a byte string")
    return v


class CoreInterpreter(TypedInterpreter):
    language = "Core"

    # -- loops ---------------------------------------------------------------------------------

    def Iterate(self, s: Iterate, f: Frame) -> Generator[Wait, None, None]:
        limit = None if s.limit is None else self.eval(s.limit, f)
        turns = 0
        while self.eval(s.cond, f):
            if limit is None:
                if self.out_of_fuel(f):
                    yield YIELD
            elif turns == limit:
                raise purefns.Fault("fuel")
            turns += 1
            try:
                yield from self.Block(s.body, f)
            except BreakSignal:
                break
            except ContinueSignal:
                pass
            yield from self.Block(s.step, f)

    # -- bindings ------------------------------------------------------------------------------

    def Declare(self, s: Declare, f: Frame) -> Generator[Wait, None, None]:
        f.vars[s.name] = yield from self.value(s.value, f)

    def Unwrap(self, s: Unwrap, f: Frame) -> Generator[Wait, None, None]:
        v = yield from self.value(s.value, f)
        if v is None:
            yield from self.Block(s.else_, f)
            raise InterpError(f"an 'else' block fell through at {s.span}")
        f.vars[s.name] = v

    # -- effects -------------------------------------------------------------------------------

    def Send(self, s: Send, f: Frame) -> Generator[Wait, None, None]:
        yield from self.send(_bytes(self.eval(s.value, f), "a Send"), f)

    def Reply(self, s: Reply, f: Frame) -> Waits:
        data = _bytes(self.eval(s.value, f), "a Reply")
        if len(data) > MAX_REPLY:
            raise purefns.Fault("bounds")
        task = f.task
        if not isinstance(task, DatagramTask):
            raise InterpError("a Reply outside a datagram handler")
        self.world.reply(task.client, data)
        return ()

    def Log(self, s: Log, f: Frame) -> Waits:
        self.world.log_line(_bytes(self.eval(s.value, f), "a Log"))
        return ()

    # -- expressions ---------------------------------------------------------------------------

    def Narrow(self, e: Narrow, f: Frame) -> Value:
        v = _bytes(self.eval(e.value, f), "a Narrow")
        if not isinstance(e.type, TBytes):
            raise InterpError(f"a Narrow to {e.type!r} at {e.span}")
        if len(v) > e.type.bound:
            raise purefns.Fault("bounds")
        return v
