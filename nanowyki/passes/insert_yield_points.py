"""insert-yield-points: a Checkpoint at the head of every fueled loop's body, and of every
session loop that can run long without one."""

from __future__ import annotations

import dataclasses

from nanowyki.analysis.steps import Costs, Weights
from nanowyki.framework import Node, Transform
from nanowyki.languages.bounded import Bounded, BoundedLoop, Checkpoint, FueledLoop
from nanowyki.languages.surface import Block, Datagram, Every, Fn, Service, Session
from nanowyki.passes.reject_recursion import CallGraph

# The most steps a session loop may run without a yield point before it gets a checkpoint.
# A checkpoint yields once per WYKI_FUEL (1000) passes, so a checkpointed loop of a few steps
# a turn runs about this many steps between two real yields anyway: a loop below it would not
# yield sooner with one, and a loop of a few hundred steps keeps its tight code (a checkpoint
# costs a fuel test per turn and a state of the session's machine).
LONG_LOOP = 10_000

LoopStmt = BoundedLoop | FueledLoop


class InsertYieldPoints(Transform):
    """Bounded -> Bounded: put a yield point at the head of every fueled or long session loop.

    Establishes: the first statement of every `FueledLoop` body is a `Checkpoint`, so every
    turn of a loop without a static limit spends one unit of the session's fuel and returns to
    the scheduler when the fuel is spent: a session never runs an unbounded number of steps
    without a chance to yield. A session `BoundedLoop` that can run more than `LONG_LOOP` steps
    without passing a yield point (its `longest` path, costed as uncover-step-bounds costs it,
    after its inner loops got theirs) gets one too: it still stops at its limit (a checkpoint
    never faults), but lets other sessions run on the way. Inner loops are decided first, so
    in nested long loops the checkpoint goes into the innermost loop that is long by itself,
    and into an outer one only when its turns can still add up (an inner loop may run zero
    times). Functions, datagram handlers and timers cannot yield: their loops get none.
    Idempotent: a body that starts with a `Checkpoint` keeps it and gets no second one. (The
    `Checkpoint` takes the span of the loop, so a trace points at the loop.)
    Assumes: only session loops are fueled (bound-loops); functions form a DAG (`CallGraph`).

        (FueledLoop (BoolLit true (TBool)) (Block [(Send (Local d (TBytes 8)))]) (Block []))
        -> (FueledLoop (BoolLit true (TBool))
             (Block [(Checkpoint) (Send (Local d (TBytes 8)))]) (Block []))
        (Session (Block [(BoundedLoop c 100000 (Block [(Log x)]) (Block []))]))  ; 200,001 steps
        -> (Session (Block [(BoundedLoop c 100000 (Block [(Checkpoint) (Log x)]) (Block []))]))
    """

    name = "insert-yield-points"
    input = Bounded
    output = Bounded
    requires = (CallGraph,)

    def Service(self, d: Service) -> Node:
        fns = [f for f in d.decls if isinstance(f, Fn)]
        order = self.facts.get(CallGraph).order
        self.costs = Costs.of_functions(Weights(1, False), self.fail, fns, order)
        return self.visit_children(d)

    def Session(self, d: Session) -> Node:
        return self.visit_children(d, True)

    def Fn(self, d: Fn) -> Node:
        return self.visit_children(d, False)

    def Datagram(self, d: Datagram) -> Node:
        return self.visit_children(d, False)

    def Every(self, d: Every) -> Node:
        return self.visit_children(d, False)

    def FueledLoop(self, s: FueledLoop, in_session: bool) -> LoopStmt:
        return _with_checkpoint(self.visit_children(s, in_session))

    def BoundedLoop(self, s: BoundedLoop, in_session: bool) -> LoopStmt:
        out = self.visit_children(s, in_session)
        assert isinstance(out, BoundedLoop)
        if in_session and self.costs.yield_free_rounds(out) > LONG_LOOP:
            return _with_checkpoint(out)
        return out


def _with_checkpoint(s: Node) -> LoopStmt:
    assert isinstance(s, BoundedLoop | FueledLoop)
    body = s.body
    if body.stmts and isinstance(body.stmts[0], Checkpoint):
        return s
    body = Block((Checkpoint(span=s.span), *body.stmts), span=body.span)
    return dataclasses.replace(s, body=body)
