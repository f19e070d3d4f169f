"""lift-loop-conditions: a loop's condition becomes an exit test statement."""

from __future__ import annotations

from nanowyki.framework import Transform
from nanowyki.languages.bounded import Bounded, BoundedLoop, FueledLoop
from nanowyki.languages.surface import Block, BoolLit, Break, Expr, If, Stmt, Unary
from nanowyki.languages.types import TBool


def _exit_test(cond: Expr, test: Block | None) -> Block:
    """`if !cond { break; }`, after the statements already in `test`."""
    span = cond.span
    leave = If(Unary("!", cond, TBool(), span=span), Block((Break(span=span),)), None, span=span)
    before = test.stmts if test is not None else ()
    return Block((*before, leave), span=test.span if test is not None else span)


def _lifted(cond: Expr) -> bool:
    return isinstance(cond, BoolLit) and cond.value


class LiftLoopConditions(Transform):
    """Bounded -> Bounded: move each loop's condition into its `test` block.

    Establishes: the `cond` of every `BoundedLoop` and `FueledLoop` is `true`; a loop whose
    condition `c` was anything else has `if !c { break; }` as the last statement of its `test`
    block. Later passes can then compute `c` with statements (remove-complex-operands flattens
    it, and lowers its `&&` and `||`), which a loop's `cond` field cannot hold.

    Why `test` and not the head of the body: a loop's iteration is counted (a `BoundedLoop`'s
    limit, a `FueledLoop`'s `Checkpoint`) only once the condition has held. In the body, the
    test would run after the count: a loop that ran exactly `limit` turns and then failed its
    condition would fault `fuel`, and a fueled loop would spend one more unit on its way out.
    The `test` block runs before the count (see `BoundedLoop`), so counts, faults and yields
    are unchanged; `continue` still runs the step and then the test, as before; the body keeps
    its `Checkpoint` first.

    Assumes: nothing (a loop already lifted, with `cond` `true`, is left alone). A program
    without such loops comes back as the very same tree.

        (BoundedLoop (Binary < (Local i (TInt)) (Local n (TInt)) (TBool)) 8 body step)
        -> (BoundedLoop (BoolLit #t (TBool)) 8 body step
             (Block [(If (Unary ! (Binary < (Local i (TInt)) (Local n (TInt)) (TBool)) (TBool))
                         (Block [(Break)]))]))
    """

    name = "lift-loop-conditions"
    input = Bounded
    output = Bounded

    def BoundedLoop(self, s: BoundedLoop) -> Stmt:
        s = self.visit_children(s)  # type: ignore[assignment]
        if _lifted(s.cond):
            return s
        true = BoolLit(True, TBool(), span=s.cond.span)
        return BoundedLoop(true, s.limit, s.body, s.step, _exit_test(s.cond, s.test), span=s.span)

    def FueledLoop(self, s: FueledLoop) -> Stmt:
        s = self.visit_children(s)  # type: ignore[assignment]
        if _lifted(s.cond):
            return s
        true = BoolLit(True, TBool(), span=s.cond.span)
        return FueledLoop(true, s.body, s.step, _exit_test(s.cond, s.test), span=s.span)
