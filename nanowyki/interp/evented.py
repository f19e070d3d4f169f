"""`EventedInterpreter`: the `Evented` IL, where a session is a state machine, not a thread.

A session is a `MachineTask`: its current `state` (a block label), its `frame` (the variables
that live there) and, while it waits, the `Await` it waits at. `resume()` runs blocks from the
state until an `Await`, then tries the operation at once (as the Typed interpreter does: a
receive whose bytes are there, a send with room, a `sleep(0)`, a checkpoint with fuel left
complete without waiting); if it cannot complete, `resume()` returns the operation's `Wait`:

- a receive: `WaitInput(need, deadline)`, with `receive.attempt` and the session's timeout
  exactly as in `TypedInterpreter.receive` (the deadline is fixed when the receive starts;
  a timeout gives `none` and sets `timed_out()`, a completed receive clears it);
- `send`: what fits is written, then `WaitOutput()` for the rest;
- `sleep(ms)`: `WaitTime(now + ms)`;
- a checkpoint: one unit of fuel is spent; when the fuel is spent, `Yield()` (the fuel is
  refilled at each resume), as `BoundedInterpreter.Checkpoint`.

The frame slots start as zero values (the C runtime's zeroed frames); the locals do not
exist until they are assigned. Only the frame slots survive an `Await`: the locals are dropped
when the machine reaches the `Await` (so the operation's operands must be frame slots: it is
tried again at every wake-up) and again right after the result is stored in the destination.
A variable that lift-live-variables wrongly left local is then missing when it is read, and the
transcript fails: this is how the liveness is proved by execution. Functions, datagram
handlers and timers run as in the previous IL.
"""

from __future__ import annotations

from dataclasses import dataclass

from nanowyki import purefns
from nanowyki.framework import Facts, Node
from nanowyki.languages.evented import (
    Await,
    CheckpointOp,
    Op,
    RecvExactOp,
    RecvLineOp,
    RecvSomeOp,
    RecvUntilOp,
    SendOp,
    SessionMachine,
    SleepOp,
    StateMachine,
)
from nanowyki.languages.linear import BasicBlock
from nanowyki.languages.resolved import Local
from nanowyki.languages.surface import Service

from .base import InterpError
from .pooled import PooledInterpreter
from .receive import Exact, Line, Need, Some, Until, attempt
from .scheduler import FINISHED, YIELD, Task, Wait, WaitInput, WaitOutput, WaitTime
from .typed import CloseSignal, Frame, SessionTask, Value, _tag, _text
from .world import Connection


class Dropped:
    """The value of a local after an `Await` (or before its first assignment): reading it is
    an error of the passes (the variable should have been in the frame). A whole-variable
    assignment overwrites it as it overwrites any value."""

    def __repr__(self) -> str:
        return "<dropped local>"

    def __getattr__(self, name: str) -> object:
        raise InterpError("a dropped local was used")

    def __len__(self) -> int:
        raise InterpError("a dropped local was used")


DROPPED = Dropped()


@dataclass
class Pending:
    """The operation a machine waits on, and the runtime state of that operation."""

    at: Await
    deadline: int | None = None  # a receive: when it times out
    until: int = 0  # a sleep: when it ends
    sent: int = 0  # a send: bytes already written
    must_yield: bool = False  # a checkpoint that spent the last unit of fuel


class MachineTask(SessionTask):
    """A session run as a state machine (a `SessionTask` only for its per-session runtime
    state: connection, fuel, timeout; it has no generator body)."""

    def __init__(self, interp: EventedInterpreter, machine: StateMachine, conn: Connection,
                 fuel: int) -> None:
        super().__init__(conn, fuel)
        self.interp = interp
        self.machine = machine
        self.blocks = {b.label: b for b in machine.blocks}
        self.kept = frozenset(s.name for s in machine.frame)
        self.state = machine.entry
        self.frame = Frame(self, {s.name: interp.zero(s.type) for s in machine.frame})
        self.drop_locals()
        self.pending: Pending | None = None

    def resume(self) -> Wait:
        self.fuel = self.fuel_per_slice
        return self.interp.run_machine(self)

    def drop_locals(self) -> None:
        """Forget every variable that is not a frame slot."""
        kept = {k: v for k, v in self.frame.vars.items() if k in self.kept}
        self.frame.vars = kept | {s.name: DROPPED for s in self.machine.locals}


class EventedInterpreter(PooledInterpreter):
    language = "Evented"

    def __init__(self, program: Node, facts: Facts | None = None) -> None:
        super().__init__(program, facts)
        decls = program.decls if isinstance(program, Service) else ()
        self.machine = next((d.body for d in decls if isinstance(d, SessionMachine)), None)

    def session(self, conn: Connection) -> Task:
        if not isinstance(self.machine, StateMachine):
            raise InterpError("a TCP connection to a service without a session machine")
        return MachineTask(self, self.machine, conn, self.fuel)

    def Local(self, e: Local, f: Frame) -> Value:
        v = super().Local(e, f)
        if v is DROPPED:
            raise InterpError(
                f"local '{e.name}' read at {e.span} after an Await dropped it (or before it was "
                "assigned): it should be in the machine's frame"
            )
        return v

    # -- running a machine ---------------------------------------------------------------------

    def run_machine(self, task: MachineTask) -> Wait:
        """Run from the task's state (or its pending operation) until it must wait."""
        while True:
            if task.pending is not None:
                waiting = self.attempt_op(task, task.pending)
                if waiting is not None:
                    return waiting
                task.state, task.pending = task.pending.at.resume, None
            block = self.block(task, task.state)
            done = self.run_block(task, block)
            if done is not None:
                return done

    def block(self, task: MachineTask, label: str) -> BasicBlock:
        try:
            return task.blocks[label]
        except KeyError:
            raise InterpError(f"no block '{label}' in the session machine") from None

    def run_block(self, task: MachineTask, b: BasicBlock) -> Wait | None:
        """Run `b`'s statements and exit; FINISHED when the session ends, else None (the state
        or the pending operation was updated)."""
        f = task.frame
        for s in b.stmts:
            try:
                for w in self.exec(s, f):
                    raise InterpError(f"statement at {s.span} of a state machine waits ({w!r})")
            except purefns.Fault as err:
                _tag(err, s)
                raise
        x = b.exit
        if isinstance(x, Await):
            task.drop_locals()
            task.pending = self.start_op(task, x)
            return None
        try:
            nxt = self.handler(x)(self, x, f)  # Linear's exits: Goto, Branch, FaultExit...
        except CloseSignal:
            return FINISHED
        if not isinstance(nxt, str):
            raise InterpError(f"the session machine returned instead of closing at {x.span}")
        task.state = nxt
        return None

    # -- blocking operations -------------------------------------------------------------------

    def start_op(self, task: MachineTask, at: Await) -> Pending:
        """The operation's runtime state as it starts (fixed for all its attempts)."""
        op, f = at.op, task.frame
        match op:
            case RecvLineOp() | RecvUntilOp() | RecvExactOp() | RecvSomeOp():
                timeout = task.timeout_ms
                return Pending(at, deadline=self.world.now_ms + timeout if timeout > 0 else None)
            case SleepOp(ms):
                return Pending(at, until=self.world.now_ms + self.eval(ms, f))
            case SendOp():
                return Pending(at)
            case CheckpointOp():
                return Pending(at, must_yield=self.out_of_fuel(f))
            case _:
                raise InterpError(f"unknown operation {type(op).__name__} at {op.span}")

    def attempt_op(self, task: MachineTask, p: Pending) -> Wait | None:
        """Try to complete the pending operation: its Wait, or None when it completed (its
        result stored in the destination, the locals dropped)."""
        op, f, conn = p.at.op, task.frame, task.connection
        result: Value = None
        match op:
            case RecvLineOp() | RecvUntilOp() | RecvExactOp() | RecvSomeOp():
                need = self.need(op, f)
                out = attempt(need, conn.inbox, conn.eof)
                if out is not None:
                    del conn.inbox[: out.consumed]
                    task.timed_out, result = False, out.value
                elif p.deadline is not None and self.world.now_ms >= p.deadline:
                    task.timed_out = True
                else:
                    return WaitInput(need, p.deadline)
            case SleepOp():
                if self.world.now_ms < p.until:
                    return WaitTime(p.until)
            case SendOp(value):
                rest = _text(self.eval(value, f))[p.sent :]
                room = self.world.room(conn)
                if room is not None and room < len(rest):
                    self.world.write(conn, rest[:room])
                    p.sent += room
                    return WaitOutput()
                self.world.write(conn, rest)
            case CheckpointOp():
                if p.must_yield:
                    p.must_yield = False
                    return YIELD
            case _:
                raise InterpError(f"unknown operation {type(op).__name__} at {op.span}")
        if p.at.dest is not None:
            f.vars[p.at.dest] = result
        task.drop_locals()
        return None

    def need(self, op: Op, f: Frame) -> Need:
        match op:
            case RecvLineOp(limit):
                return Line(self.eval(limit, f))
            case RecvUntilOp(delim, limit):
                return Until(self.eval(delim, f), self.eval(limit, f))
            case RecvExactOp(count, limit):
                return Exact(self.eval(count, f), self.eval(limit, f))
            case RecvSomeOp(limit):
                return Some(self.eval(limit, f))
            case _:
                raise InterpError(f"not a receive: {type(op).__name__} at {op.span}")
