"""`LinearInterpreter`: the `Linear` IL, as `FlatInterpreter` running control-flow graphs.

- a handler or a function runs its `Cfg` from the entry block: each block's statements in
  order (by the inherited statement methods: `Declare`, `Assign`, `Send`, `Checkpoint`... and
  a `Declare` of a blocking receive still waits as a generator), then its exit:
  `Goto` jumps, `Branch` jumps on its atom, `Ret` returns (its value from a function; it ends a
  datagram or timer run), `CloseExit` ends the session (the scheduler closes the connection
  after delivering its output), `FaultExit(kind)` faults `kind`, tagged with the exit's
  source position (the loop's, for `fuel`);
- `IsNone(o)`: whether the optional `o` is none; `Payload(o)`: its value (never none there).

Everything else (statements, expressions, builtins, the scheduler interface) is Flat's.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Generator

from nanowyki import purefns
from nanowyki.framework import Facts, Node
from nanowyki.languages.linear import (
    BasicBlock,
    Branch,
    CloseExit,
    DatagramGraph,
    FaultExit,
    FnGraph,
    Goto,
    Graph,
    IsNone,
    Payload,
    Ret,
    SessionGraph,
    TimerGraph,
)
from nanowyki.languages.resolved import CallFn
from nanowyki.languages.surface import Service
from nanowyki.languages.types import TBytes

from .base import InterpError, ServiceShape
from .flat import FlatInterpreter
from .scheduler import GeneratorTask, Task, Wait
from .typed import CLOSE, CloseSignal, DatagramTask, Frame, SessionTask, Value, _tag
from .world import Connection, UdpClient


@dataclasses.dataclass(frozen=True, slots=True)
class Returned:
    """What a `Ret` exit gives back to `run_graph`."""

    value: Value


class LinearInterpreter(FlatInterpreter):
    language = "Linear"

    def __init__(self, program: Node, facts: Facts | None = None) -> None:
        super().__init__(program, facts)
        assert isinstance(program, Service)
        decls = program.decls
        self.fn_graphs: dict[str, FnGraph] = {d.name: d for d in decls if isinstance(d, FnGraph)}
        self.session_graph = next((d for d in decls if isinstance(d, SessionGraph)), None)
        self.datagram_graph = next((d for d in decls if isinstance(d, DatagramGraph)), None)
        self.timer_graphs = [d for d in decls if isinstance(d, TimerGraph)]

    # -- the runner's interface ----------------------------------------------------------------

    def shape(self) -> ServiceShape:
        frame = Frame(None)
        limit = None
        if self.datagram_graph is not None:
            declared = self.datagram_graph.declared
            if not isinstance(declared, TBytes):
                raise InterpError("the datagram parameter is not a byte string")
            limit = declared.bound
        timers = []
        for t in self.timer_graphs:
            n: int = self.eval(t.period, frame)
            timers.append(n * 1000 if t.unit == "s" else n)
        return dataclasses.replace(super().shape(), timers=tuple(timers), datagram_limit=limit)

    def session(self, conn: Connection) -> Task:
        if self.session_graph is None:
            raise InterpError("a TCP connection to a service without a session")
        task = SessionTask(conn, self.fuel)
        return task.start(self._session_graph(task, self.session_graph))

    def _session_graph(self, task: SessionTask, decl: SessionGraph) -> Generator[Wait, None, None]:
        try:
            yield from self.run_graph(decl.body, Frame(task))
        except CloseSignal:
            return  # the scheduler closes the connection
        raise InterpError("the session graph returned instead of closing")

    def datagram(self, client: UdpClient, data: bytes) -> Task:
        decl = self.datagram_graph
        if decl is None:
            raise InterpError("a datagram to a service without a datagram handler")
        task = DatagramTask(client)
        return task.start(self._datagram_graph(task, decl, data))

    def _datagram_graph(
        self, task: DatagramTask, decl: DatagramGraph, data: bytes
    ) -> Generator[Wait, None, None]:
        if not isinstance(decl.declared, TBytes):
            raise InterpError("the datagram parameter is not a byte string")
        if len(data) > decl.declared.bound:
            self.world.drop_oversize(task.client, len(data), decl.declared.bound)
            return
        yield from self.run_graph(decl.body, Frame(task, {decl.name: data}))

    def timer(self, index: int) -> Task:
        decl = self.timer_graphs[index]
        task = GeneratorTask(f"timer {index + 1} (line {decl.span.line if decl.span else '?'})")
        return task.start(self._timer_graph(task, decl))

    def _timer_graph(self, task: GeneratorTask, decl: TimerGraph) -> Generator[Wait, None, None]:
        yield from self.run_graph(decl.body, Frame(task))

    # -- graphs --------------------------------------------------------------------------------

    def run_graph(self, g: Graph, f: Frame) -> Generator[Wait, None, Value]:
        """Run `g` from its entry until a `Ret` (its value is returned) or another end."""
        blocks: dict[str, BasicBlock] = {b.label: b for b in g.blocks}  # type: ignore[attr-defined]
        self.enter(g, f)
        label: str = g.entry  # type: ignore[attr-defined]
        while True:
            block = blocks.get(label)
            if block is None:
                raise InterpError(f"no block '{label}' in the graph")
            for s in block.stmts:
                try:
                    yield from self.handler(s)(self, s, f)
                except purefns.Fault as err:
                    _tag(err, s)
                    raise
            nxt = self.handler(block.exit)(self, block.exit, f)
            if isinstance(nxt, Returned):
                return nxt.value
            label = nxt

    def enter(self, g: Graph, f: Frame) -> None:
        """Prepare frame `f` for running `g` (nothing: a `Cfg` declares as it goes)."""

    def Goto(self, x: Goto, f: Frame) -> str | Returned:
        return x.target

    def Branch(self, x: Branch, f: Frame) -> str | Returned:
        return x.then if self.eval(x.cond, f) else x.else_

    def Ret(self, x: Ret, f: Frame) -> str | Returned:
        return Returned(None if x.value is None else self.eval(x.value, f))

    def CloseExit(self, x: CloseExit, f: Frame) -> str | Returned:
        raise CLOSE

    def FaultExit(self, x: FaultExit, f: Frame) -> str | Returned:
        err = purefns.Fault(x.kind)
        _tag(err, x)
        raise err

    def CallFn(self, e: CallFn, f: Frame) -> Value:
        fn = self.fn_graphs[e.func]
        args = [self.eval(a, f) for a in e.args]
        frame = Frame(f.task, {p.name: a for p, a in zip(fn.params, args, strict=True)})
        run = self.run_graph(fn.body, frame)
        try:
            wait = next(run)
        except StopIteration as done:
            return done.value
        raise InterpError(f"function '{fn.name}' tried to wait ({wait!r})")

    # -- expressions ---------------------------------------------------------------------------

    def IsNone(self, e: IsNone, f: Frame) -> Value:
        return self.eval(e.value, f) is None

    def Payload(self, e: Payload, f: Frame) -> Value:
        v = self.eval(e.value, f)
        if v is None:
            raise InterpError(f"the payload of none at {e.span}")
        return v
