"""lift-live-variables: only what survives a blocking point stays in a session's frame."""

from __future__ import annotations

from nanowyki.framework import Node, Transform
from nanowyki.languages.evented import Evented, SessionMachine, StateMachine
from nanowyki.passes.uncover_liveness import Liveness


class LiftLiveVariables(Transform):
    """Evented -> Evented: keep in a machine's frame exactly the slots that some Await needs.

    Establishes: a slot is in the `frame` of its `StateMachine` iff it must survive some
    `Await` (`MachineLiveness.waiting`): it is live at a resume state (an `Await`'s
    destination read after the wait is among those), or it is an operand of a blocking
    operation (the operation is attempted again at every wake-up, after the locals are gone).
    Every other slot goes to `locals`, which do not survive an `Await`. An `Await`'s
    destination that is never read afterwards stays local: the operation writes it as it
    completes, and the locals are dropped right after, so the write is harmless (a runtime may
    simply discard the result). Both lists keep the order of the slots as they were declared.
    Assumes: uncover-liveness ran on this very tree (`Liveness`, machines in declaration order).

        (StateMachine b.1 [(Slot n (TInt)) (Slot t.1 (TBool)) (Slot l (TBytes 80))] []
          [...])                    ; waiting: r.1 {l, n}
        ->
        (StateMachine b.1 [(Slot n (TInt)) (Slot l (TBytes 80))] [(Slot t.1 (TBool))] [...])
    """

    name = "lift-live-variables"
    input = Evented
    output = Evented
    requires = (Liveness,)

    def transform(self, tree: Node) -> Node:
        self.todo = list(self.facts.get(Liveness).machines)
        out = self.visit(tree)
        if self.todo:
            raise self.fail(tree, f"{len(self.todo)} Liveness entries without a state machine")
        assert isinstance(out, Node)
        return out

    def SessionMachine(self, d: SessionMachine) -> Node:
        m = d.body
        if not isinstance(m, StateMachine):
            raise self.fail(m, "a session machine that is not a StateMachine")
        if not self.todo:
            raise self.fail(d, "no Liveness entry for this machine (did uncover-liveness run?)")
        keep = self.todo.pop(0).survivors()
        slots = (*m.frame, *m.locals)
        frame = tuple(s for s in slots if s.name in keep)
        local = tuple(s for s in slots if s.name not in keep)
        if frame == m.frame and local == m.locals:
            return d
        return SessionMachine(StateMachine(m.entry, frame, local, m.blocks, span=m.span),
                              span=d.span)
