"""lower-receives: a receive is a test of the receive buffer, and a wait for input when the
bytes are not there yet."""

from __future__ import annotations

from nanowyki.framework import Node, Transform
from nanowyki.languages.evented import (
    Await,
    Evented,
    RecvExactOp,
    RecvLineOp,
    RecvSomeOp,
    RecvUntilOp,
    StateMachine,
)
from nanowyki.languages.linear import BasicBlock, Goto
from nanowyki.languages.pooled import Slot
from nanowyki.languages.socketless import Buffered, RxBegin, RxExact, RxLine, RxSome, RxUntil
from nanowyki.languages.surface import Stmt

from .socketless_support import BOOL, Expansion, expand_awaits, names, test_and_wait


class LowerReceives(Transform):
    """Evented -> Buffered: every receive `Await` becomes an attempt on the receive buffer.

    Establishes: no `Await` of a session machine waits on a receive. The block that ended in
    one now starts the receive (`RxBegin`: the deadline is fixed once, as the receive starts)
    and jumps to a new state `try.N`, which attempts the receive (`RxLine` and its siblings,
    with the old operands and destination) and branches on the new local `ready.N` to the old
    resume block, or to `wait.N`, which suspends for input and re-enters at `try.N`. The three
    blocks stand where the old block stood, in that order, so the machine reads top-down.
    `ready.N` is written and read within `try.N`: it is a local (never in the frame). The
    operands of the receive are read again at every attempt, after a `Suspend` dropped the
    locals: they were already frame slots (or constants) for the `Await`, and stay so.
    Assumes: the destination of a receive is a slot (split-states). Sends, sleeps and
    checkpoints are left alone (lower-sends, lower-waits).

        (BasicBlock b.1 [S...] (Await (RecvLineOp (IntLit 80 (TInt))) l resume.2))
        ->
        (BasicBlock b.1 [S... (RxBegin)] (Goto try.5))
        (BasicBlock try.5 [(RxLine l (IntLit 80 (TInt)) ready.5)]
          (Branch (Local ready.5 (TBool)) resume.2 wait.5))
        (BasicBlock wait.5 [] (Suspend input try.5))
    """

    name = "lower-receives"
    input = Evented
    output = Buffered

    def StateMachine(self, m: StateMachine) -> Node:
        return expand_awaits(m, self.expand)

    def expand(self, b: BasicBlock, at: Await) -> Expansion | None:
        op, dest = at.op, at.dest
        if not isinstance(op, RecvLineOp | RecvUntilOp | RecvExactOp | RecvSomeOp):
            return None
        if dest is None:
            raise self.fail(at, "a receive without a destination")
        attempt, ready, wait = names(self.fresh("try"), "try", "ready", "wait")
        rx: Stmt
        match op:
            case RecvLineOp(limit):
                rx = RxLine(dest, limit, ready, span=op.span)
            case RecvUntilOp(delim, limit):
                rx = RxUntil(dest, delim, limit, ready, span=op.span)
            case RecvExactOp(count, limit):
                rx = RxExact(dest, count, limit, ready, span=op.span)
            case RecvSomeOp(limit):
                rx = RxSome(dest, limit, ready, span=op.span)
            case _:
                raise self.fail(op, "not a receive")
        start = BasicBlock(b.label, (*b.stmts, RxBegin(span=at.span)),
                           Goto(attempt, span=at.span), span=b.span)
        test, suspend = test_and_wait(attempt, rx, ready, at, wait, "input", attempt)
        return Expansion((start, test, suspend), (Slot(ready, BOOL, span=at.span),))
