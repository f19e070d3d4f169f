"""`SocketlessInterpreter`: the `Buffered` and `Socketless` ILs, where a receive or a send is a
test of the connection's buffers and a state that cannot go on `Suspend`s.

A session is a `SocketlessTask`: a `MachineTask` that also keeps the session's runtime state
(not program variables): the receive deadline (`RxBegin`), the receive that was last
attempted and not ready (its `Need`: what the session waits for), the wake-up time
(`SleepBegin`) and the progress of a partial send (`TxWrite`); the fuel and the timeout are
the `SessionTask`'s. The statements reproduce `EventedInterpreter`'s operations exactly:

- `RxBegin`: the deadline is now plus the session's timeout (none if the timeout is 0);
- `RxLine` / `RxUntil` / `RxExact` / `RxSome`: `receive.attempt` on the receive buffer; if it
  completes, the bytes are taken, `timed_out()` is cleared and the value stored; else if the
  deadline has passed, `none` is stored and `timed_out()` set; in both cases `ready` is set.
  Otherwise nothing changes, `ready` is cleared and the need is recorded;
- `TxWrite`: what fits of the rest of the value is queued; `done` when all of it is (then the
  progress is reset);
- `SleepBegin` / `SleepDone`: the wake-up time; `done` when the clock has reached it;
- `FuelSpend`: one unit of fuel, as a checkpoint spends it; `ok` is cleared when it was the
  last (the fuel is then refilled, and again at the next resume).

`Suspend(reason, resume)` drops the locals (only the frame slots survive: the liveness proof,
as at an `Await`), sets the state to `resume` and returns the `Wait`: "input" ->
`WaitInput(need, deadline)`, "output" -> `WaitOutput()`, "time" -> `WaitTime(wake-up time)`,
"yield" -> `Yield()`. The scheduler then writes the queued output in one write. `Buffered`
programs, which still hold `Await`s, run them as `EventedInterpreter` does.
"""

from __future__ import annotations

from nanowyki.framework import Node
from nanowyki.languages.evented import StateMachine
from nanowyki.languages.linear import BasicBlock
from nanowyki.languages.socketless import (
    FuelSpend,
    RxBegin,
    RxExact,
    RxLine,
    RxSome,
    RxUntil,
    SleepBegin,
    SleepDone,
    Suspend,
    TxWrite,
)

from .base import InterpError
from .evented import EventedInterpreter, MachineTask
from .receive import Exact, Line, Need, Some, Until, attempt
from .scheduler import YIELD, Task, Wait, WaitInput, WaitOutput, WaitTime
from .typed import Frame, Value, Waits, _text
from .world import Connection


class SocketlessTask(MachineTask):
    """A session machine and its runtime state beside the frame."""

    def __init__(self, interp: EventedInterpreter, machine: StateMachine, conn: Connection,
                 fuel: int) -> None:
        super().__init__(interp, machine, conn, fuel)
        self.deadline: int | None = None  # of the current receive
        self.need: Need | None = None  # the receive last attempted and not ready
        self.wake = 0  # of the current sleep
        self.sent = 0  # bytes of the current send already queued


class SuspendSignal(Exception):
    """A `Suspend` exit was taken: the wait to return and the state to enter next."""

    def __init__(self, wait: Wait, resume: str) -> None:
        super().__init__(resume)
        self.wait = wait
        self.resume = resume


class SocketlessInterpreter(EventedInterpreter):
    language = "Socketless"

    def session(self, conn: Connection) -> Task:
        if not isinstance(self.machine, StateMachine):
            raise InterpError("a TCP connection to a service without a session machine")
        return SocketlessTask(self, self.machine, conn, self.fuel)

    def run_block(self, task: MachineTask, b: BasicBlock) -> Wait | None:
        try:
            return super().run_block(task, b)
        except SuspendSignal as s:
            task.state = s.resume
            return s.wait

    def task(self, f: Frame, n: Node) -> SocketlessTask:
        t = f.task
        if not isinstance(t, SocketlessTask):
            raise InterpError(f"{type(n).__name__} at {n.span} outside a session machine")
        return t

    # -- exits ---------------------------------------------------------------------------------

    def Suspend(self, x: Suspend, f: Frame) -> str:
        task = self.task(f, x)
        wait: Wait
        match x.reason:
            case "input":
                if task.need is None:
                    raise InterpError(f"a Suspend for input at {x.span} without a receive that "
                                      "was not ready")
                wait = WaitInput(task.need, task.deadline)
            case "output":
                wait = WaitOutput()
            case "time":
                wait = WaitTime(task.wake)
            case "yield":
                wait = YIELD
            case _:
                raise InterpError(f"unknown Suspend reason '{x.reason}' at {x.span}")
        task.drop_locals()
        raise SuspendSignal(wait, x.resume)

    # -- receives ------------------------------------------------------------------------------

    def RxBegin(self, s: RxBegin, f: Frame) -> Waits:
        task = self.task(f, s)
        timeout = task.timeout_ms
        task.deadline = self.world.now_ms + timeout if timeout > 0 else None
        return ()

    def RxLine(self, s: RxLine, f: Frame) -> Waits:
        return self.receive_into(s, Line(self.eval(s.limit, f)), s.dest, s.ready, f)

    def RxUntil(self, s: RxUntil, f: Frame) -> Waits:
        need = Until(self.eval(s.delim, f), self.eval(s.limit, f))
        return self.receive_into(s, need, s.dest, s.ready, f)

    def RxExact(self, s: RxExact, f: Frame) -> Waits:
        need = Exact(self.eval(s.count, f), self.eval(s.limit, f))
        return self.receive_into(s, need, s.dest, s.ready, f)

    def RxSome(self, s: RxSome, f: Frame) -> Waits:
        return self.receive_into(s, Some(self.eval(s.limit, f)), s.dest, s.ready, f)

    def receive_into(self, s: Node, need: Need, dest: str, ready: str, f: Frame) -> Waits:
        task = self.task(f, s)
        conn = task.connection
        value: Value = None
        out = attempt(need, conn.inbox, conn.eof)
        if out is not None:
            del conn.inbox[: out.consumed]
            task.timed_out, value = False, out.value
        elif task.deadline is not None and self.world.now_ms >= task.deadline:
            task.timed_out = True
        else:
            task.need = need
            f.vars[ready] = False
            return ()
        task.need = None
        f.vars[dest] = value
        f.vars[ready] = True
        return ()

    # -- sends, sleeps, fuel -------------------------------------------------------------------

    def TxWrite(self, s: TxWrite, f: Frame) -> Waits:
        task = self.task(f, s)
        conn = task.connection
        rest = _text(self.eval(s.value, f))[task.sent :]
        room = self.world.room(conn)
        if room is not None and room < len(rest):
            self.world.write(conn, rest[:room])
            task.sent += room
            f.vars[s.done] = False
        else:
            self.world.write(conn, rest)
            task.sent = 0
            f.vars[s.done] = True
        return ()

    def SleepBegin(self, s: SleepBegin, f: Frame) -> Waits:
        self.task(f, s).wake = self.world.now_ms + self.eval(s.ms, f)
        return ()

    def SleepDone(self, s: SleepDone, f: Frame) -> Waits:
        f.vars[s.done] = self.world.now_ms >= self.task(f, s).wake
        return ()

    def FuelSpend(self, s: FuelSpend, f: Frame) -> Waits:
        f.vars[s.ok] = not self.out_of_fuel(f)
        return ()
