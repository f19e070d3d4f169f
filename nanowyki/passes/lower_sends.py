"""lower-sends: a send appends to the transmit buffer, and waits for room when it is full."""

from __future__ import annotations

from nanowyki.framework import Node, Transform
from nanowyki.languages.evented import Await, SendOp, StateMachine
from nanowyki.languages.linear import BasicBlock, Goto
from nanowyki.languages.pooled import Slot
from nanowyki.languages.socketless import Buffered, TxWrite

from .socketless_support import BOOL, Expansion, expand_awaits, names, test_and_wait


class LowerSends(Transform):
    """Buffered -> Buffered: every send `Await` becomes a write into the transmit buffer.

    Establishes: no `Await` of a session machine waits on a send. The block that ended in one
    jumps to a new state `send.N`, which appends what fits of the rest of the value
    (`TxWrite`; the progress of a partial send is the session's runtime state) and branches on
    the new local `done.N` to the old resume block, or to `wait.N`, which suspends for output
    room and re-enters at `send.N`. The value is read again at every attempt, after a `Suspend`
    dropped the locals: it was already a frame slot (or a constant) for the `Await`. Nothing
    reaches the socket here: the runtime writes the transmit buffer when the step returns, so
    replies to several pipelined requests leave together. Other `Await`s are left alone.

        (BasicBlock b.3 [S...] (Await (SendOp (Local data (TBytes 80))) nil resume.4))
        ->
        (BasicBlock b.3 [S...] (Goto send.9))
        (BasicBlock send.9 [(TxWrite (Local data (TBytes 80)) done.9)]
          (Branch (Local done.9 (TBool)) resume.4 wait.9))
        (BasicBlock wait.9 [] (Suspend output send.9))
    """

    name = "lower-sends"
    input = Buffered
    output = Buffered

    def StateMachine(self, m: StateMachine) -> Node:
        return expand_awaits(m, self.expand)

    def expand(self, b: BasicBlock, at: Await) -> Expansion | None:
        op = at.op
        if not isinstance(op, SendOp):
            return None
        if at.dest is not None:
            raise self.fail(at, "a send with a destination")
        send, done, wait = names(self.fresh("send"), "send", "done", "wait")
        start = BasicBlock(b.label, b.stmts, Goto(send, span=at.span), span=b.span)
        tx = TxWrite(op.value, done, span=op.span)
        test, suspend = test_and_wait(send, tx, done, at, wait, "output", send)
        return Expansion((start, test, suspend), (Slot(done, BOOL, span=at.span),))
