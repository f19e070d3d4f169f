"""In `Bounded`, no loop is unbounded: every loop has a static limit, or (in a session) fuel
and a yield point.

bound-loops turns each `Iterate` into a `BoundedLoop` (its limit is a number: the user's
`max N` or the static trip bound of a `for`) or, for a session loop without a limit, a
`FueledLoop`; insert-yield-points puts a `Checkpoint` at the head of every fueled loop's body,
and of every session `BoundedLoop` that can run long without a yield point: it spends one unit
of the session's fuel and, when the fuel is spent, returns to the scheduler so other sessions
run (cooperative fairness); it never faults. Every handler therefore returns to the scheduler
after a statically bounded number of steps (uncover-step-bounds computes the bound,
require-step-budget holds it to the budget).

    - Stmt ::= (Iterate cond limit body step)
    + Stmt ::= (BoundedLoop cond limit body step test) | (FueledLoop cond body step test)
             | (Checkpoint)
"""

from __future__ import annotations

from nanowyki.framework import node

from .core import Core
from .iterated import Iterate
from .surface import Block, Expr, Stmt


@node
class BoundedLoop(Stmt):
    """At most `limit` iterations; entering iteration `limit + 1` faults `fuel`.

    One iteration: evaluate `cond` (false: leave the loop); run `test` (a `break` in it leaves
    the loop); the iteration is now *entered*: the `limit + 1`-th entry faults `fuel`; run
    `body` (`continue` skips to the step); run `step`. `test` (None: no statements) is where
    lift-loop-conditions moves `cond` (as `if !c { break; }`), so that the count of entries,
    and so the fault, stays exactly where it was when the condition was `cond`. In a session,
    `body` may start with a `Checkpoint` (a long loop, insert-yield-points): it yields on fuel
    and never faults, so the loop still ends at its limit exactly as without it."""

    cond: Expr
    limit: int
    body: Block
    step: Block
    test: Block | None = None


@node
class FueledLoop(Stmt):
    """A session loop with no static limit: its body starts with a `Checkpoint`.

    One iteration: evaluate `cond` (false: leave the loop); run `test` (a `break` in it leaves
    the loop); run `body` (whose `Checkpoint` spends the fuel of this iteration); run `step`.
    As in `BoundedLoop`, `test` holds the condition once lift-loop-conditions moved it, so that
    an exit spends no fuel, as before."""

    cond: Expr
    body: Block
    step: Block
    test: Block | None = None


@node
class Checkpoint(Stmt):
    """Spend one unit of fuel; when it is spent, yield to the scheduler (a session only)."""


Bounded = Core.extend(
    "Bounded",
    remove=[Iterate],
    add=[BoundedLoop, FueledLoop, Checkpoint],
    doc=__doc__ or "",
)
