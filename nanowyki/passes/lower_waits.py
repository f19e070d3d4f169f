"""lower-waits: a sleep waits for its wake-up time and a checkpoint spends fuel; no `Await` is
left, so no session touches a socket."""

from __future__ import annotations

from nanowyki.framework import Node, Transform
from nanowyki.languages.evented import Await, CheckpointOp, SleepOp, StateMachine
from nanowyki.languages.linear import BasicBlock, Goto
from nanowyki.languages.pooled import Slot
from nanowyki.languages.socketless import Buffered, FuelSpend, SleepBegin, SleepDone, Socketless

from .socketless_support import BOOL, Expansion, expand_awaits, names, test_and_wait


class LowerWaits(Transform):
    """Buffered -> Socketless: every sleep and checkpoint `Await` becomes statements and a test.

    Establishes: no `Await` (hence no socket operation) is left in any session machine.
    - A sleep: the block fixes the wake-up time (`SleepBegin`) and jumps to a new state
      `sleep.N`, which tests the clock (`SleepDone`) and branches on the new local `done.N` to
      the old resume block, or to `wait.N`, which suspends until the wake-up time and re-enters
      at `sleep.N` (`sleep(0)` goes on at once, as an `Await` tried at once did).
    - A checkpoint: the block spends one unit of fuel (`FuelSpend`; the last unit is spent too,
      as `Checkpoint` spends it) and branches on the new local `ok.N` to the old resume block,
      or to `wait.N`, which yields and re-enters at the resume block: after the yield the fuel
      is refilled and nothing is left to test.
    The new blocks stand right after the block, so the machine reads top-down.
    Assumes: lower-receives and lower-sends ran (a receive or send `Await` left is an internal
    error).

        (BasicBlock b.1 [] (Await (CheckpointOp) nil resume.2))
        ->
        (BasicBlock b.1 [(FuelSpend ok.6)] (Branch (Local ok.6 (TBool)) resume.2 wait.6))
        (BasicBlock wait.6 [] (Suspend yield resume.2))

        (BasicBlock b.3 [] (Await (SleepOp (IntLit 5 (TInt))) nil resume.4))
        ->
        (BasicBlock b.3 [(SleepBegin (IntLit 5 (TInt)))] (Goto sleep.7))
        (BasicBlock sleep.7 [(SleepDone done.7)] (Branch (Local done.7 (TBool)) resume.4 wait.7))
        (BasicBlock wait.7 [] (Suspend time sleep.7))
    """

    name = "lower-waits"
    input = Buffered
    output = Socketless

    def StateMachine(self, m: StateMachine) -> Node:
        return expand_awaits(m, self.expand)

    def expand(self, b: BasicBlock, at: Await) -> Expansion | None:
        op = at.op
        if at.dest is not None and isinstance(op, SleepOp | CheckpointOp):
            raise self.fail(at, "a sleep or checkpoint with a destination")
        match op:
            case SleepOp(ms):
                sleep, done, wait = names(self.fresh("sleep"), "sleep", "done", "wait")
                start = BasicBlock(b.label, (*b.stmts, SleepBegin(ms, span=op.span)),
                                   Goto(sleep, span=at.span), span=b.span)
                test, suspend = test_and_wait(sleep, SleepDone(done, span=op.span), done, at,
                                              wait, "time", sleep)
                return Expansion((start, test, suspend), (Slot(done, BOOL, span=at.span),))
            case CheckpointOp():
                ok, wait = names(self.fresh("ok"), "ok", "wait")
                test, suspend = test_and_wait(b.label, FuelSpend(ok, span=op.span), ok, at,
                                              wait, "yield", at.resume)
                test = BasicBlock(b.label, (*b.stmts, *test.stmts), test.exit, span=b.span)
                return Expansion((test, suspend), (Slot(ok, BOOL, span=at.span),))
            case _:
                raise self.fail(op, "a receive or send left for lower-waits (run lower-receives "
                                "and lower-sends first)")
