"""bound-loops: every loop gets a static limit or, in a session, fuel."""

from __future__ import annotations

from pyrsistent import pmap

from nanowyki.analysis.constants import ConstFault, ConstValues, NotConstant, Unknown, evaluate
from nanowyki.analysis.constants import Value as ConstValue
from nanowyki.framework import Node, Transform
from nanowyki.languages.bounded import Bounded, BoundedLoop, FueledLoop
from nanowyki.languages.core import Core
from nanowyki.languages.iterated import Iterate
from nanowyki.languages.surface import Datagram, Every, Fn, Session, Stmt

IterateStmt = Iterate  # for annotations below the `Iterate` method


class BoundLoops(Transform):
    """Core -> Bounded: give every loop a numeric limit, or fuel when it is a session loop.

    Establishes: no `Iterate` is left. A loop with a limit becomes a `BoundedLoop` whose `limit`
    is a number (the constant limit expression evaluated: an `IntLit`, or a `ConstRef` whose
    value the `ConstValues` fact holds, or any constant expression over those); a loop without
    a limit becomes a `FueledLoop` (it gets its yield point from insert-yield-points).
    Assumes: only a session holds a loop without a limit (require-loop-bounds); every limit is
    a constant expression whose value is an int >= 0 (a `max N` has N >= 1; a `for` whose
    range is statically empty, `for i in 2..1`, has limit 0 and never runs its body). Either
    broken is an internal error.

        (Session (Block [(Iterate (BoolLit true (TBool)) nil (Block [..]) (Block []))]))
        -> (Session (Block [(FueledLoop (BoolLit true (TBool)) (Block [..]) (Block []))]))
        (Fn f [] (TUnit) (Block [(Iterate c (ConstRef N (TInt)) body step)]))   ; const N = 8
        -> (Fn f [] (TUnit) (Block [(BoundedLoop c 8 body step)]))
    """

    name = "bound-loops"
    input = Core
    output = Bounded
    requires = (ConstValues,)

    def Session(self, d: Session) -> Node:
        return self.visit_children(d, True)

    def Fn(self, d: Fn) -> Node:
        return self.visit_children(d, False)

    def Datagram(self, d: Datagram) -> Node:
        return self.visit_children(d, False)

    def Every(self, d: Every) -> Node:
        return self.visit_children(d, False)

    def Iterate(self, s: Iterate, in_session: bool) -> Stmt:
        cond = self.visit(s.cond, in_session)
        body = self.visit(s.body, in_session)
        step = self.visit(s.step, in_session)
        if s.limit is None:
            if not in_session:
                raise self.fail(s, "a loop without a limit outside the session")
            return FueledLoop(cond, body, step, span=s.span)
        return BoundedLoop(cond, self._limit(s), body, step, span=s.span)

    def _limit(self, s: IterateStmt) -> int:
        assert s.limit is not None
        found = self.facts.find(ConstValues)
        values = found.values if found is not None else pmap()

        def lookup(name: str) -> ConstValue:
            if name not in values:
                raise self.fail(s, f"the value of constant '{name}' is unknown")
            return values[name]

        try:
            limit = evaluate(s.limit, lookup)
        except (NotConstant, ConstFault, Unknown) as err:
            raise self.fail(s, f"the loop limit is not a constant ({err})") from None
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
            raise self.fail(s, f"the loop limit {limit!r} is not a non-negative int")
        return limit
