"""Resolved -> Resolved: compute every constant and check constant positions.

Establishes (the `ConstValues` fact): the value of every `const`, computed in dependency order
(a constant may use constants declared before or after it) with the pure builtins' exact
semantics; no constant depends on itself; no constant needs a run-time value (rule 17) or
faults when computed (rule 12). The other positions that need a compile-time value hold one:
`bytes[N]` bounds, array sizes `[T; N]` and `[e; N]`, table capacities and the initial values of
shared variables (check-types computes them again with `nanowyki.analysis.constants.evaluate`
and checks their types and ranges). The `listen` port, `sessions`, `every` periods and loop
`max` limits are constants too: check-service-shape and require-loop-bounds check them.

Assumes: names are resolved. Ill-typed constant expressions are left to check-types: this pass
says nothing about them and leaves them out of `ConstValues`.

    (Const B nil (Binary * (ConstRef A) (IntLit 2)))  (Const A nil (IntLit 21))
 => ConstValues {A: 21, B: 42}
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from nanowyki.analysis.constants import (
    Constants,
    ConstFault,
    ConstValues,
    NotConstant,
    Unknown,
    Value,
    evaluate,
    fault_message,
)
from nanowyki.framework import Check, Diagnostic, Node, iter_children
from nanowyki.languages.resolved import Resolved
from nanowyki.languages.surface import (
    ArrayRepeat,
    ArrayType,
    BytesType,
    Const,
    Expr,
    Service,
    Shared,
    Table,
)

__all__ = ["ConstValues", "UncoverConstants"]


class UncoverConstants(Check):
    """Resolved -> Resolved: compute every constant and check constant positions."""

    name = "uncover-constants"
    input = Resolved
    provides = (ConstValues,)

    def diagnose(self, tree: Node) -> Iterable[Diagnostic]:
        if not isinstance(tree, Service):
            raise self.fail(tree, "expected a Service")
        self.diags: list[Diagnostic] = []
        self.constants = Constants(tree, self.diags.append)
        values = self.constants.values()
        for where, e in _positions(tree):
            self.check_position(where, e)
        self.provide(values)
        return self.diags

    def known(self, name: str) -> Value:
        if name in self.constants.computed:
            return self.constants.computed[name]
        raise Unknown

    def check_position(self, where: str, e: Expr) -> None:
        try:
            evaluate(e, self.known)
        except NotConstant as err:
            self.diags.append(Diagnostic(err.node.span, f"{where} must be a constant", err.why))
        except ConstFault as err:
            self.diags.append(Diagnostic(err.node.span, fault_message(err.kind)))
        except Unknown:
            pass


def _positions(n: Node) -> Iterator[tuple[str, Expr]]:
    """Every expression outside constant declarations' values that must be constant, with what
    it is (for the diagnostic)."""
    match n:
        case BytesType(bound=Expr() as e):
            yield "a bytes bound", e
        case ArrayType(size=e):
            yield "an array size", e
        case ArrayRepeat(count=e):
            yield "an array length", e
        case Table(capacity=Expr() as e):
            yield "a table capacity", e
        case Shared(value=e):
            yield "the initial value of a shared variable", e
    for step, child in iter_children(n):
        if not (isinstance(n, Const) and step == ".value"):
            yield from _positions(child)
