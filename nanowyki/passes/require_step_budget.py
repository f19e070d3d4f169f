"""require-step-budget: no handler runs more than `STEP_BUDGET` steps between two yields
(rule 19)."""

from __future__ import annotations

from nanowyki.analysis.constants import ConstValues
from nanowyki.analysis.steps import Costs, Weights
from nanowyki.framework import (
    CheckLevel,
    CompileError,
    Diagnostic,
    Facts,
    Node,
    Pass,
    RunOptions,
)
from nanowyki.languages.bounded import BoundedLoop, FueledLoop
from nanowyki.languages.resolved import CallFn
from nanowyki.languages.surface import Datagram, Every, Fn, Service, Session
from nanowyki.languages.typed import Typed
from nanowyki.passes.reject_recursion import CallGraph
from nanowyki.passes.require_loop_bounds import LoopBounds
from nanowyki.passes.uncover_step_bounds import HandlerSteps, StepBounds

# The most steps a session, datagram handler or timer may run between two yield points. A
# datagram or timer run, and a session between two yields, is one work item of the kernel
# backend (one event of the userspace one): at a few nanoseconds a step, 1,000,000 steps keep
# a work item in the low milliseconds, so no handler can hold a worker (and the sessions and
# datagrams queued behind it) for long. The examples stay far below it (http's session, the
# costliest, about 190,000; dns's datagram handler 1,976).
STEP_BUDGET = 1_000_000

Handler = Session | Datagram | Every


class RequireStepBudget(Pass):
    """Typed -> Typed: reject a handler that can run over 1,000,000 steps between two yields.

    Establishes: for the session, the datagram handler and every timer, the static worst case
    of steps between two yield points (`StepBounds`: its start or a yield point, to the next
    yield point or its end) is at most `STEP_BUDGET`. A session's long loops yield
    (insert-yield-points), so a session is rejected only when no yield can cut the run: a long
    function call (functions never yield) or a long stretch of straight code. The diagnostic
    points at what makes the most of the count (`Costs.heaviest`): the innermost loop, or the
    call, that alone runs more than the budget, else the handler.
    How: the bound is a property of the lowered program (loop limits as numbers, yield points
    inserted), so the program is lowered through uncover-step-bounds, without checking, and
    its `StepBounds` judged; the front end's own tree and facts go on unchanged. Not a `Check`:
    it runs only when every check before it passed, as the lowering needs.
    Assumes: the program passed every other check of the front end.

        datagram pkt: bytes[8] { for i in 0..1000000 { for j in 0..1000000 { log("x"); } } }
        -> datagram 'pkt' can run 2,000,003,000,001 steps between two yield points, over the
           budget of 1,000,000   (at the inner loop, which alone runs 2,000,001)
    """

    name = "require-step-budget"
    input = Typed
    output = Typed
    requires = (LoopBounds, ConstValues, CallGraph)  # what the lowering through the bound reads

    def apply(self, tree: Node, facts: Facts) -> tuple[Node, Facts]:
        from nanowyki import pipeline  # which imports this module: the lowering comes after it

        through = RunOptions(
            start_at="unify-loops", stop_after="uncover-step-bounds", check=CheckLevel.OFF
        )
        lowered = pipeline.default().run(tree, through, facts)
        service = lowered.tree
        if not isinstance(service, Service):
            raise self.fail(service, "expected a Service")
        decls = [d for d in service.decls if isinstance(d, Fn | Session | Datagram | Every)]
        bounds = lowered.facts.get(StepBounds).handlers
        over = [
            (h, d)
            for h, d in zip(bounds, decls, strict=True)
            if not isinstance(d, Fn) and h.steps > STEP_BUDGET
        ]
        if not over:
            return tree, facts
        # where each one spends its steps: costed again, statement by statement (rare: only
        # for a program that is rejected)
        order = facts.seen_by(type(self)).get(CallGraph).order
        fns = [d for d in service.decls if isinstance(d, Fn)]
        costs = Costs.of_functions(Weights(1, False), self.fail, fns, order)
        raise CompileError(self.diagnose(h, d, costs) for h, d in over)

    def diagnose(self, h: HandlerSteps, d: Handler, costs: Costs) -> Diagnostic:
        message = (
            f"{h.name} can run {h.steps:,} steps between two yield points, over the budget of "
            f"{STEP_BUDGET:,}"
        )
        heaviest = costs.heaviest(d.body, STEP_BUDGET)
        if heaviest is None:
            return Diagnostic(d.span, message, "split the work into smaller parts")
        where, steps = heaviest
        if isinstance(where, CallFn):
            hint = (
                f"this call of '{where.func}' alone runs {steps:,} steps, and a function never "
                f"yields: do less work in '{where.func}'"
            )
            if not isinstance(d, Session):
                hint += ", or move the work into a session loop, where it can yield"
            return Diagnostic(where.span, message, hint)
        what = "loop" if isinstance(where, BoundedLoop | FueledLoop) else "statement"
        hint = f"this {what} alone runs {steps:,} steps"
        if isinstance(d, Session):
            hint += " without a yield point: do less work in it"
        elif what == "loop":
            hint += (
                ": lower its bound, or move the work into a session, where a long loop can yield"
            )
        return Diagnostic(where.span, message, hint)
