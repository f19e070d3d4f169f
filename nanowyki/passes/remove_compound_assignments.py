"""remove-compound-assignments: `p op= e` becomes `p = p op e`."""

from __future__ import annotations

from nanowyki.analysis.stable import is_stable
from nanowyki.framework import Node, Transform
from nanowyki.languages.iterated import Declare, Iterated, Narrow
from nanowyki.languages.resolved import Local, SharedRef
from nanowyki.languages.surface import Assign, Binary, Expr, Field, Index
from nanowyki.languages.types import TBytes, TInt, Type


class RemoveCompoundAssignments(Transform):
    """Iterated -> Iterated: rewrite each compound assignment as a plain one.

    Establishes: every `Assign` has op `=`. `p += e`, `p -= e`, `p *= e` become
    `p = p + e` (and `-`, `*`), `x ++= e` becomes `x = Narrow(x ++ e)` where the Narrow has the
    place's type `bytes[N]` (it faults `bounds` when the result is longer, as `++=` did).
    The place is written twice, so each of its index expressions that is not stable (a local, a
    literal, a constant: see `analysis.stable`) is first bound to a fresh `Declare`d temporary
    `t.N`, in source order (left to right): the indexes are evaluated once, before the value,
    and the place is still bounds-checked before the value is computed, as in `p op= e`.
    On a shared variable, `n op= e` with a value that is not stable first binds `e` to a
    temporary: `e` is computed, then `n = n op t.N` reads and writes `n` with nothing in
    between, which fuse-shared-updates makes one atomic update (the language promises that a
    compound assignment to a shared variable is atomic).
    Assumes: types are checked (`+= -= *=` on ints, `++=` on a byte-string place).

        (Assign (Index (Local a) (CallFn f [] (TInt)) (TInt)) += (IntLit 1 (TInt)))
        ->
        (Declare t.1 (TInt) (CallFn f [] (TInt)))
        (Assign (Index (Local a) (Local t.1 (TInt)) (TInt)) =
          (Binary + (Index (Local a) (Local t.1 (TInt)) (TInt)) (IntLit 1 (TInt)) (TInt)))
    """

    name = "remove-compound-assignments"
    input = Iterated
    output = Iterated

    def Assign(self, s: Assign) -> Node | tuple[Node, ...]:
        if s.op == "=":
            return s  # compound assignments do not nest: nothing to rewrite inside
        temps: list[Node] = []
        place = self.stable(s.target, temps)
        value: Expr
        match s.op:
            case "+=" | "-=" | "*=":
                delta = s.value
                if isinstance(place, SharedRef) and not is_stable(delta):
                    temp = self.fresh("t")
                    temps.append(Declare(temp, TInt(), delta, span=delta.span))
                    delta = Local(temp, TInt(), span=delta.span)
                value = Binary(s.op[0], place, delta, TInt(), span=s.span)
            case "++=":
                declared = self.type_of(place)
                if not isinstance(declared, TBytes):
                    raise self.fail(s, "'++=' on a place that is not a byte string")
                added = self.type_of(s.value)
                if not isinstance(added, TBytes):
                    raise self.fail(s, "'++=' of a value that is not a byte string")
                joined = Binary("++", place, s.value, TBytes(declared.bound + added.bound))
                value = Narrow(joined, declared, span=s.span)
            case _:
                raise self.fail(s, f"unknown assignment operator {s.op!r}")
        assign = Assign(place, "=", value, span=s.span)
        return (*temps, assign) if temps else assign

    def stable(self, e: Expr, temps: list[Node]) -> Expr:
        """The place `e` with every index that could differ or fault on a second evaluation
        replaced by a temporary, whose `Declare` is appended to `temps` (left to right)."""
        match e:
            case Local() | SharedRef():
                return e
            case Field(target, name, t):
                inner = self.stable(target, temps)
                return e if inner is target else Field(inner, name, t, span=e.span)
            case Index(target, index, t):
                inner = self.stable(target, temps)
                if is_stable(index):
                    return e if inner is target else Index(inner, index, t, span=e.span)
                temp = self.fresh("t")
                temps.append(Declare(temp, TInt(), index, span=index.span))
                return Index(inner, Local(temp, TInt(), span=index.span), t, span=e.span)
            case _:
                raise self.fail(e, "not an assignable place")

    def type_of(self, e: Expr) -> Type:
        t = getattr(e, "type", None)
        if not isinstance(t, Type):
            raise self.fail(e, "an expression without a type")
        return t

