"""uncover-step-bounds: the static worst-case work of every handler between two yields.

The cost model (a "step" is one statement executed):

- a simple statement (`Declare`, `Assign`, `ExprStmt`, `Log`, `Reply`, `Return`, `break`,
  `continue`, a non-blocking `Unwrap`) costs 1, plus 1 per builtin or table call in its
  expressions, plus `1 + B(f)` per call of a user function `f`, where `B(f)` is `f`'s own
  worst case (functions cannot block and form a DAG: they are costed callees first, in the
  `CallGraph` order); every call is counted, even under `&&`/`||` (conservative);
- an `if` costs its condition (1 plus its calls) plus the costlier branch; an `Unwrap` its
  value plus, when the value is none, its `else` block;
- a `BoundedLoop` with limit `L`, condition cost `c`, turn cost `T` (body then step) costs at
  most `(L + 1) * c + L * T` without yields: `L * (T + 1) + 1` with a plain condition (`L + 1`
  condition checks, the last one false or faulting `fuel`); a `break` or `return` path is
  costed the same way;
- a yield point -- a blocking operation (`recv*`, `send`, `sleep`, `close`) or a `Checkpoint`
  -- costs its statement (1 plus its calls) and ends a segment; the next segment starts right
  after it. A `FueledLoop`'s body starts with a `Checkpoint` (and so does a long session
  `BoundedLoop`'s, insert-yield-points), so a segment goes round such a loop at most once:
  from the checkpoint to the end of the body, the step, the condition, and back to the
  checkpoint.
- a loop's exit `test` block (where lift-loop-conditions moves the condition) runs with each
  condition check: its costlier way out (on, or `break` out of the loop) adds to `c`.

A handler's bound is the costliest segment: from its start, or a yield point, to the next
yield point or its end. (At run time a yield point yields only when it must wait, or, for a
`Checkpoint`, when the session's fuel is spent, so one run of a session between two real
yields executes at most `fuel` such segments back to back.) The arithmetic is
`nanowyki.analysis.steps` (`Costs`), shared with insert-yield-points and require-step-budget.

"Bytes scanned" is a second, separate worst case over the same paths: the bytes the builtins
that scan byte strings (`find`, `field`, `nfields`, `starts_with`, `ends_with`, `eq_nocase`,
`lower`, `upper`, `trim`, `parse_int`, `hash`) may read, the sum of the static bounds of their
byte-string arguments. Copies (`++`, slices, stores) and the receive and send buffers are not
counted.
"""

from __future__ import annotations

from dataclasses import dataclass

from nanowyki.analysis.steps import Costs, Weights, is_yield_point
from nanowyki.framework import Analysis, Facts, Node, Span, find_all
from nanowyki.languages.bounded import Bounded
from nanowyki.languages.surface import Datagram, Every, Fn, Service, Session, Stmt
from nanowyki.passes.reject_recursion import CallGraph


@dataclass(frozen=True)
class HandlerSteps:
    """One handler's (or function's) worst case between two yields."""

    kind: str  # "session" | "datagram" | "timer" | "fn"
    name: str  # "session", "datagram 'pkt'", "timer 1", "fn 'f'"
    span: Span | None
    yield_points: int  # how many statements in it may yield
    steps: int  # the costliest segment, in steps
    bytes_scanned: int  # the costliest segment, in bytes read by scanning builtins


@dataclass(frozen=True)
class StepBounds:
    """Every handler and function, in declaration order."""

    handlers: tuple[HandlerSteps, ...]

    def of(self, name: str) -> HandlerSteps:
        return next(h for h in self.handlers if h.name == name)


class UncoverStepBounds(Analysis):
    """Bounded -> Bounded: bound the steps every handler runs between two yields.

    Establishes: the `StepBounds` fact: for the session, the datagram handler, each timer and
    each function, its number of yield points and the static worst-case number of steps (and
    of bytes scanned) on any path between two consecutive yield points, the handler's start
    and its end (the cost model is in the module docstring). Conservative: never below what
    a run can do.
    Assumes: every loop is bounded or fueled with a leading `Checkpoint`
    (insert-yield-points); functions cannot block and their calls form a DAG (`CallGraph`).
    A fueled loop that can go round without a yield point is an internal error.

        (Fn f [] (TUnit) (Block [(BoundedLoop (BoolLit true (TBool)) 3
                                   (Block [(ExprStmt (CallFn g [] (TUnit)))]) (Block []))]))
        with g costing 1  ->  fn 'f': 0 yield points, 3 * (1 + 1 + 1 + 1) + 1 = 13 steps
    """

    name = "uncover-step-bounds"
    input = Bounded
    requires = (CallGraph,)
    provides = (StepBounds,)

    def analyze(self, tree: Node, facts: Facts) -> StepBounds:
        if not isinstance(tree, Service):
            raise self.fail(tree, "expected a Service")
        fns = [d for d in tree.decls if isinstance(d, Fn)]
        order = facts.get(CallGraph).order
        steps = Costs.of_functions(Weights(1, False), self.fail, fns, order)
        scanned = Costs.of_functions(Weights(0, True), self.fail, fns, order)
        found: list[HandlerSteps] = []
        timers = 0
        for d in tree.decls:
            match d:
                case Fn(name=name):
                    kind, label = "fn", f"fn '{name}'"
                case Session():
                    kind, label = "session", "session"
                case Datagram(name=name):
                    kind, label = "datagram", f"datagram '{name}'"
                case Every():
                    timers += 1
                    kind, label = "timer", f"timer {timers}"
                case _:
                    continue
            points = sum(1 for n in find_all(d, (Stmt,)) if is_yield_point(n))
            if isinstance(d, Fn):  # bounded already, callees first
                bounds = steps.w.fns[d.name], scanned.w.fns[d.name]
            else:
                bounds = steps.handler(d), scanned.handler(d)
            found.append(HandlerSteps(kind, label, d.span, points, *bounds))
        return StepBounds(tuple(found))
