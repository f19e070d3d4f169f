"""Tasks and the scheduler that runs them until the service is quiet.

The task interface
------------------
Every running piece of a service -- a session, one run of the datagram handler, one run of a
timer -- is a `Task`. The scheduler knows nothing else about it: it calls `task.resume()`, which
runs the task until it must wait and returns a `Wait` saying for what:

- `WaitInput(need, deadline)`: input on its connection that lets the receive `need` complete
  (see `receive.attempt`; end of input completes every receive), or the clock reaching
  `deadline` (a receive timeout), whichever comes first;
- `WaitOutput()`: room in its connection's output ring;
- `WaitTime(until)`: the clock reaching `until` (`sleep`);
- `Yield()`: nothing (the task ran out of fuel in a loop and lets the others run first);
- `Finished()`: the task is over (a session's connection is then closed by the service).

`resume()` may raise `purefns.Fault`: the task faulted. The scheduler counts the fault, closes
the session's connection (after delivering what it had sent) and drops the task, and the
service goes on. The scheduler also delivers a session's queued output after every resume (one
write per resume).

A Typed-IL session is a Python generator that yields its `Wait`s (`GeneratorTask`); a later IL
implements the same interface with an explicit state machine, and the scheduler, the world and
the transcript runner stay the same.

The scheduler
-------------
`run()` resumes every runnable task, round robin in the order the tasks were started, until
every task waits for something that has not happened. A task that never waits (a session
spinning in `loop {}`) yields at its fuel limit, so the others still run; `run()` gives up with
`RunawayError` after `budget` resumes in one call instead of hanging.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Generator
from dataclasses import dataclass

from nanowyki.purefns import Fault

from .receive import Need, attempt, describe
from .world import Connection, World

# -- waits -------------------------------------------------------------------------------------


class Wait:
    """What a task waits for."""


@dataclass(frozen=True)
class WaitInput(Wait):
    need: Need
    deadline: int | None = None  # now_ms at which the receive times out


@dataclass(frozen=True)
class WaitOutput(Wait):
    pass


@dataclass(frozen=True)
class WaitTime(Wait):
    until: int


@dataclass(frozen=True)
class Yield(Wait):
    pass


@dataclass(frozen=True)
class Finished(Wait):
    pass


FINISHED = Finished()
YIELD = Yield()


def show_wait(w: Wait) -> str:
    match w:
        case WaitInput(need, deadline):
            limit = "" if deadline is None else f" until {deadline} ms"
            return f"waits for {describe(need)}{limit}"
        case WaitOutput():
            return "waits for output room"
        case WaitTime(until):
            return f"sleeps until {until} ms"
        case Yield():
            return "is runnable (yielded)"
        case Finished():
            return "has finished"
        case _:
            return repr(w)


# -- tasks -------------------------------------------------------------------------------------


class Task(ABC):
    """A session, a datagram handler run or a timer run, as the scheduler sees it."""

    name: str  # for logs and fault records: "session 'a'", "datagram from 'q'", "timer 1"
    conn: Connection | None  # a session's connection

    @abstractmethod
    def resume(self) -> Wait:
        """Run until the task must wait; say for what. May raise `purefns.Fault`."""


class GeneratorTask(Task):
    """A task whose body is a generator of waits (the Typed interpreter's sessions)."""

    def __init__(self, name: str, conn: Connection | None = None) -> None:
        self.name = name
        self.conn = conn
        self.body: Generator[Wait, None, None] | None = None

    def start(self, body: Generator[Wait, None, None]) -> GeneratorTask:
        self.body = body
        return self

    def resume(self) -> Wait:
        assert self.body is not None, "a GeneratorTask needs start(body) before resume()"
        try:
            return next(self.body)
        except StopIteration:
            return FINISHED


class RunawayError(Exception):
    """The service does not become quiet: some task never waits."""


# -- the scheduler -----------------------------------------------------------------------------


class Scheduler:
    def __init__(self, world: World, *, budget: int = 1000) -> None:
        self.world = world
        self.budget = budget
        self.tasks: list[Task] = []
        self.waits: dict[int, Wait] = {}  # by id of the task: tasks need not be hashable
        self.resumes = 0  # in total, for statistics

    def spawn(self, task: Task) -> None:
        """Add a task; it first runs at the next `run()`."""
        self.tasks.append(task)
        self.waits[id(task)] = YIELD

    def sessions(self) -> int:
        """How many sessions are alive."""
        return sum(1 for t in self.tasks if t.conn is not None)

    def ready(self, task: Task, w: Wait) -> bool:
        match w:
            case Yield():
                return True
            case WaitInput(need, deadline):
                conn = task.conn
                assert conn is not None, f"{task.name} waits for input without a connection"
                if deadline is not None and self.world.now_ms >= deadline:
                    return True
                return attempt(need, conn.inbox, conn.eof) is not None
            case WaitTime(until):
                return self.world.now_ms >= until
            case WaitOutput():
                conn = task.conn
                room = None if conn is None else self.world.room(conn)
                return room is None or room > 0
            case Finished():
                return False
            case _:
                raise TypeError(f"{task.name} returned {w!r}, which is not a Wait")

    def step(self, task: Task) -> None:
        """Resume `task` once and deal with the outcome."""
        self.resumes += 1
        try:
            w = task.resume()
        except Fault as err:
            detail = str(getattr(err, "where", "") or "")
            self.world.fault(err.kind, task.name, detail)
            self._end(task, f"fault {err.kind}")
            return
        if task.conn is not None:
            self.world.flush(task.conn)
        if isinstance(w, Finished):
            self._end(task, "session ended")
        else:
            self.waits[id(task)] = w

    def _end(self, task: Task, why: str) -> None:
        self.tasks.remove(task)
        del self.waits[id(task)]
        if task.conn is not None:
            self.world.close_by_service(task.conn, why)

    def run(self) -> None:
        """Resume runnable tasks, round robin, until every task waits."""
        spent = 0
        while True:
            progressed = False
            for task in list(self.tasks):
                w = self.waits.get(id(task))
                if w is None or not self.ready(task, w):
                    continue
                spent += 1
                if spent > self.budget:
                    raise RunawayError(
                        f"the service is not quiet after {self.budget} resumes: {task.name} "
                        "is still runnable (a loop that never waits for input?)"
                    )
                self.step(task)
                progressed = True
            if not progressed:
                return

    def next_due(self) -> int | None:
        """The earliest time at which a waiting task becomes runnable by the clock alone."""
        due: list[int] = []
        for task in self.tasks:
            match self.waits.get(id(task)):
                case WaitTime(until):
                    due.append(until)
                case WaitInput(_, deadline) if deadline is not None:
                    due.append(deadline)
                case _:
                    pass
        return min(due) if due else None

    def describe(self) -> list[str]:
        return [f"{t.name} {show_wait(self.waits[id(t)])}" for t in self.tasks]
