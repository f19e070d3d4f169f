"""insert-yield-points: a Checkpoint at the head of every fueled loop's body."""

from __future__ import annotations

import dataclasses

from nanowyki.framework import Transform
from nanowyki.languages.bounded import Bounded, Checkpoint, FueledLoop
from nanowyki.languages.surface import Block


class InsertYieldPoints(Transform):
    """Bounded -> Bounded: put a yield point at the head of every fueled loop's body.

    Establishes: the first statement of every `FueledLoop` body is a `Checkpoint`, so every
    turn of a loop without a static limit spends one unit of the session's fuel and returns to
    the scheduler when the fuel is spent: a session never runs an unbounded number of steps
    without a chance to yield. Idempotent: a body that starts with a `Checkpoint` keeps it and
    gets no second one. (The `Checkpoint` takes the span of the loop, so a fault or a trace
    points at the loop.)
    Assumes: only session loops are fueled (bound-loops).

        (FueledLoop (BoolLit true (TBool)) (Block [(Send (Local d (TBytes 8)))]) (Block []))
        -> (FueledLoop (BoolLit true (TBool))
             (Block [(Checkpoint) (Send (Local d (TBytes 8)))]) (Block []))
    """

    name = "insert-yield-points"
    input = Bounded
    output = Bounded

    def FueledLoop(self, s: FueledLoop) -> FueledLoop:
        out = self.visit_children(s)
        assert isinstance(out, FueledLoop)
        body = out.body
        if body.stmts and isinstance(body.stmts[0], Checkpoint):
            return out
        body = Block((Checkpoint(span=s.span), *body.stmts), span=body.span)
        return dataclasses.replace(out, body=body)
