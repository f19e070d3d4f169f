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

import contextlib
from collections.abc import Iterable, Iterator

from pyrsistent import pmap

from nanowyki.analysis.constants import (
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
        self.decls = {d.name: d for d in tree.decls if isinstance(d, Const)}
        self.values: dict[str, Value] = {}
        self.failed: set[str] = set()
        self.active: list[str] = []
        self.diags: list[Diagnostic] = []
        for name in self.decls:
            with contextlib.suppress(Unknown):
                self.lookup(name)
        for where, e in _positions(tree):
            self.check_position(where, e)
        self.provide(ConstValues(pmap(self.values)))
        return self.diags

    def lookup(self, name: str) -> Value:
        """The value of constant `name`, computed on first use."""
        if name in self.values:
            return self.values[name]
        decl = self.decls.get(name)
        if decl is None or name in self.failed:
            raise Unknown
        if name in self.active:
            self.failed.add(name)
            self.diags.append(Diagnostic(decl.span, f"constant '{name}' depends on itself"))
            raise Unknown
        self.active.append(name)
        try:
            self.values[name] = evaluate(decl.value, self.lookup)
        except NotConstant as err:
            message = f"constant '{name}' is not computable at compile time"
            self.diags.append(Diagnostic(err.node.span, message, err.why))
        except ConstFault as err:
            self.diags.append(Diagnostic(err.node.span, fault_message(err.kind)))
        except Unknown:
            pass
        finally:
            self.active.pop()
        if name not in self.values:
            self.failed.add(name)
            raise Unknown
        return self.values[name]

    def known(self, name: str) -> Value:
        if name in self.values:
            return self.values[name]
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
