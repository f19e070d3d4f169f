"""`BoundedInterpreter`: the `Bounded` IL, as `CoreInterpreter` plus its loop forms.

- `BoundedLoop(cond, limit, body, step)`: while `cond` holds, run `body` then `step`
  (`continue` runs the step too, `break` skips it); entering iteration `limit + 1` (the
  condition held once more) faults `fuel`, as `Iterate` with that limit.
- `FueledLoop(cond, body, step)`: the same without a limit; the `Checkpoint` that
  insert-yield-points puts at the head of its body spends the fuel. Until that pass has run
  (the body does not start with a `Checkpoint`), each turn spends it at that very point, so
  the program bound-loops makes yields where Typed's unbounded loop does.
- a loop's `test` block (None: nothing; lift-loop-conditions puts the condition there as
  `if !c { break; }`) runs after `cond` held and before the iteration counts: a `break` in it
  leaves the loop without a fault and without spending fuel.
- `Checkpoint()`: spend one unit of the session's fuel; when it is spent, yield to the
  scheduler (the fuel is refilled at each resume). A Checkpoint at the head of a loop body
  behaves exactly as Typed's fuel check at the start of each iteration of an unbounded loop,
  so transcripts see the same bytes. A long session `BoundedLoop` has one too
  (insert-yield-points), where Typed's loop with a bound does not yield: the session's output
  is the same, only the order in which other sessions run may differ after 1000 turns.
"""

from __future__ import annotations

from collections.abc import Generator

from nanowyki import purefns
from nanowyki.languages.bounded import BoundedLoop, Checkpoint, FueledLoop
from nanowyki.languages.surface import Block

from .core import CoreInterpreter
from .scheduler import YIELD, Wait
from .typed import BreakSignal, ContinueSignal, Frame


class BoundedInterpreter(CoreInterpreter):
    language = "Bounded"

    def BoundedLoop(self, s: BoundedLoop, f: Frame) -> Generator[Wait, None, None]:
        turns = 0
        while self.eval(s.cond, f):
            if s.test is not None and (yield from self.exit_test(s.test, f)):
                break
            if turns == s.limit:
                raise purefns.Fault("fuel")
            turns += 1
            try:
                yield from self.Block(s.body, f)
            except BreakSignal:
                break
            except ContinueSignal:
                pass
            yield from self.Block(s.step, f)

    def FueledLoop(self, s: FueledLoop, f: Frame) -> Generator[Wait, None, None]:
        implicit = not (s.body.stmts and isinstance(s.body.stmts[0], Checkpoint))
        while self.eval(s.cond, f):
            if s.test is not None and (yield from self.exit_test(s.test, f)):
                break
            if implicit and self.out_of_fuel(f):
                yield YIELD
            try:
                yield from self.Block(s.body, f)
            except BreakSignal:
                break
            except ContinueSignal:
                pass
            yield from self.Block(s.step, f)

    def exit_test(self, test: Block, f: Frame) -> Generator[Wait, None, bool]:
        """Run a loop's `test` block: whether it left the loop (`break`)."""
        try:
            yield from self.Block(test, f)
        except BreakSignal:
            return True
        return False

    def Checkpoint(self, s: Checkpoint, f: Frame) -> Generator[Wait, None, None]:
        if self.out_of_fuel(f):
            yield YIELD
