"""explicate-control: structured control flow becomes graphs of basic blocks."""

from __future__ import annotations

from nanowyki.analysis.cfg import tidy
from nanowyki.framework import Node, Transform
from nanowyki.languages.flat import Flat
from nanowyki.languages.linear import (
    Cfg,
    CloseExit,
    DatagramGraph,
    Exit,
    FnGraph,
    Linear,
    Ret,
    SessionGraph,
    TimerGraph,
)
from nanowyki.languages.surface import (
    Block,
    Datagram,
    Every,
    Fn,
    Session,
)
from nanowyki.languages.types import TUnit
from nanowyki.passes.explicate_support import Builder


class ExplicateControl(Transform):
    """Flat -> Linear: turn every handler and function body into a graph of basic blocks.

    Establishes: every `Session`, `Fn`, `Datagram` and `Every` is a `SessionGraph`, `FnGraph`,
    `DatagramGraph` or `TimerGraph` whose body is a `Cfg` (labels `b.N`, the entry first, then
    in the order they were completed). No `If`, loop, `Break`, `Continue`, `Return`, `Close`
    or `Unwrap` is left:
    - `if a {..} else {..}` -> `Branch(a, then, else)` and a join block;
    - `BoundedLoop(true, N, body, step, test)` -> `Declare(turn.K, int, 0)` before the loop;
      the head block runs `test` (whose `break` leaves the loop), then adds 1 to the counter
      and branches to a `FaultExit(fuel)` block when it exceeds N, so entering iteration N+1
      faults, exactly where the Bounded interpreter faults; then the body, then the step
      block (where `continue` jumps), then back to the head; `break` jumps past the loop;
    - `FueledLoop(true, body, step, test)` -> the same without a counter: the head block runs
      `test` then the body, whose first statement is its `Checkpoint` (without a `test`, the
      `Checkpoint` is the first statement of the head block);
    - `Return(v)` -> `Ret(v)`, `Close` -> `CloseExit`; falling off the end of the session is a
      `CloseExit`, of a unit function, a datagram or a timer run a `Ret(nil)`;
    - `Unwrap(x, T, e, else)` -> `Declare(o.K, T?, e)`, `Declare(t.K, bool, IsNone(o.K))`,
      `Branch(t.K, else, next)` and, in `next`, `Declare(x, T, Payload(o.K))`.
    Graphs are tidied (`analysis.cfg.tidy`): no empty jump-only block, no unreachable block,
    a block reached by a single jump merged into its predecessor. Statements after a jump are
    unreachable and dropped.
    Assumes: Flat (loop conditions are `true`, conditions are atoms); an `else` of an `Unwrap`
    never falls through and a function with a result returns on every path (the front end).

        (Fn f [] (TUnit) (Block [(If (Local c (TBool)) (Block [(Return nil)]) nil)
                                 (Log (BytesLit "x" ..))]))
        -> (FnGraph f [] (TUnit)
             (Cfg b.1 [(BasicBlock b.1 [] (Branch (Local c (TBool)) b.2 b.3))
                       (BasicBlock b.2 [] (Ret nil))
                       (BasicBlock b.3 [(Log (BytesLit "x" ..))] (Ret nil))]))
    """

    name = "explicate-control"
    input = Flat
    output = Linear

    def Session(self, d: Session) -> Node:
        return SessionGraph(self._graph(d.body, CloseExit(span=d.span)), span=d.span)

    def Fn(self, d: Fn) -> Node:
        if d.result is None:
            raise self.fail(d, "a function without a resolved result type")
        end = Ret(None, span=d.span) if isinstance(d.result, TUnit) else None
        return FnGraph(d.name, d.params, d.result, self._graph(d.body, end), span=d.span)

    def Datagram(self, d: Datagram) -> Node:
        body = self._graph(d.body, Ret(None, span=d.span))
        return DatagramGraph(d.name, d.declared, body, span=d.span)

    def Every(self, d: Every) -> Node:
        body = self._graph(d.body, Ret(None, span=d.span))
        return TimerGraph(d.period, d.unit, body, span=d.span)

    def _graph(self, body: Block, end: Exit | None) -> Cfg:
        g = Builder(self.fresh, self.fail)
        entry = g.label
        g.stmts(body.stmts, None)
        if g.open:
            if end is None:
                raise self.fail(body, "a function with a result can reach its end")
            g.end(end)
        entry, blocks = tidy(entry, g.done)
        return Cfg(entry, blocks, span=body.span)
