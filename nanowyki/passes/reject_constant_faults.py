"""reject-constant-faults: an operation that faults whatever the run is a compile-time error
(rules 11 and 12)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from nanowyki import purefns
from nanowyki.analysis.constants import ConstValues, Value
from nanowyki.framework import Check, Diagnostic, Node, Visitor
from nanowyki.languages.resolved import CallBuiltin
from nanowyki.languages.surface import Binary, Expr, Index, Service, Slice, Unary
from nanowyki.languages.typed import Typed
from nanowyki.languages.types import TArray, TBytes
from nanowyki.static_eval import constant_table, fold, fold_bytes, fold_int, int_op

OVERFLOW = "this constant expression overflows 'int'"

# The arguments a builtin takes without faulting `bounds`, as written in messages.
_ARG_RANGES = {
    "byte": "in 0..255",
    "be16": "in 0..65535",
    "be32": "in 0..4294967295",
    "hex": "non-negative",
}


class _Faults(Visitor):
    def __init__(self, consts: Mapping[str, Value]) -> None:
        self.consts = consts
        self.diagnostics: list[Diagnostic] = []

    def report(self, n: Node, message: str, hint: str | None = None) -> None:
        self.diagnostics.append(Diagnostic(n.span, message, hint))

    def int_of(self, e: Expr) -> int | None:
        return fold_int(e, self.consts)

    def Binary(self, e: Binary) -> None:
        self.visit_children(e)
        right = self.int_of(e.right)
        if right is None:
            return
        if e.op in ("/", "%") and right == 0:
            self.report(e.right, "division by zero")
            return
        if e.op in ("<<", ">>") and not 0 <= right <= 63:
            self.report(e.right, f"shift by {right} is out of range 0..63")
            return
        left = self.int_of(e.left)
        if left is not None and e.op in purefns.BINARY_OPS:
            try:
                int_op(e.op, left, right)
            except purefns.Fault:
                self.report(e, OVERFLOW)

    def Unary(self, e: Unary) -> None:
        self.visit_children(e)
        value = self.int_of(e.operand)
        if e.op == "-" and value is not None and value == purefns.INT_MIN:
            self.report(e, OVERFLOW)

    def Index(self, e: Index) -> None:
        self.visit_children(e)
        i = self.int_of(e.index)
        if i is None:
            return
        t = getattr(e.target, "type", None)
        known = fold_bytes(e.target, self.consts)
        if known is not None and not 0 <= i < len(known):
            self.report(e.index, f"index {i} is out of bounds: the byte string has {_n(known)}")
        elif isinstance(t, TArray) and not 0 <= i < t.size:
            self.report(e.index, f"index {i} is out of bounds: the array has {t.size} elements")
        elif isinstance(t, TBytes) and not 0 <= i < t.bound:
            self.report(
                e.index, f"index {i} is out of bounds: the byte string has at most {t.bound} bytes"
            )

    def Slice(self, e: Slice) -> None:
        self.visit_children(e)
        start, stop = self.int_of(e.start), self.int_of(e.stop)
        known = fold_bytes(e.target, self.consts)
        t = getattr(e.target, "type", None)
        if known is not None:
            room, has = len(known), f"has {_n(known)}"
        elif isinstance(t, TBytes):
            room, has = t.bound, f"has at most {t.bound} bytes"
        else:
            room, has = None, ""
        if start is not None and start < 0:
            self.report(e.start, f"slice start {start} is negative")
        elif start is not None and stop is not None and start > stop:
            self.report(e.start, f"slice start {start} is after its end {stop}")
        elif stop is not None and room is not None and stop > room:
            self.report(e.stop, f"slice end {stop} is out of bounds: the byte string {has}")
        elif start is not None and room is not None and start > room:
            self.report(e.start, f"slice start {start} is out of bounds: the byte string {has}")

    def CallBuiltin(self, e: CallBuiltin) -> None:
        self.visit_children(e)
        if e.func not in _ARG_RANGES or len(e.args) != 1:
            return
        arg = self.int_of(e.args[0])
        if arg is not None and fold(e, self.consts) is None:
            self.report(
                e.args[0], f"'{e.func}' of {arg} faults: its argument must be {_ARG_RANGES[e.func]}"
            )


def _n(b: bytes) -> str:
    return "1 byte" if len(b) == 1 else f"{len(b)} bytes"


class RejectConstantFaults(Check):
    """Typed -> Typed: reject an operation whose constant operands make it fault on every run.

    Establishes: no division or remainder by a constant zero; no shift by a constant outside
    0..63; no constant index outside an array's size, a constant byte string's length or a
    byte string's static bound; no slice with constant bounds that is always out of range; no
    operator on constant operands that overflows; no `byte`/`be16`/`be32`/`hex` of a constant out
    of its range. Each fault is reported once, at the innermost offending operand.
    Assumes: constants are known (the `ConstValues` fact of uncover-constants) and expressions
    typed (check-types: an array's size is in its type).

        let a = [1, 2, 3]; let x = a[3] / 0;
        -> index 3 is out of bounds: the array has 3 elements
        -> division by zero
    """

    name = "reject-constant-faults"
    input = Typed
    output = Typed
    requires = (ConstValues,)

    def diagnose(self, tree: Node) -> Iterable[Diagnostic]:
        if not isinstance(tree, Service):
            raise self.fail(tree, "expected a Service")
        faults = _Faults(constant_table(tree, self.facts))
        faults.visit(tree)
        return faults.diagnostics
