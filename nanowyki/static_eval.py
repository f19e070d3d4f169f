"""Compile-time values for the safety checks: what an expression is known to be before it runs.

`fold(e, consts)` is the value of an expression built from literals, constants (`ConstRef`,
looked up in `consts`), operators and the pure builtins, or `None` when it is not a constant or
computing it would fault; it is `nanowyki.analysis.constants.evaluate`, which has the exact
semantics of `nanowyki.purefns`, with its errors turned into `None`.

`constant_table(tree, facts)` is the name -> value map the checks use: the `ConstValues` fact
of uncover-constants, or, on a hand-built tree run without that pass, the service's `const`
declarations folded here in declaration order.
"""

from __future__ import annotations

from collections.abc import Mapping

from nanowyki import purefns
from nanowyki.analysis.constants import (
    ConstFault,
    ConstValues,
    NotConstant,
    Unknown,
    Value,
    evaluate,
)
from nanowyki.framework import Facts, Node
from nanowyki.languages.surface import Const, Expr, Service

_COMPARE = {"<", "<=", ">", ">=", "==", "!="}


def int_op(op: str, a: int, b: int) -> int | bool:
    """`a op b` on WYKI ints (an arithmetic, bitwise or comparison operator); raises
    `purefns.Fault` where the program would fault."""
    if op in _COMPARE:
        return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b, "==": a == b}.get(op, a != b)
    return purefns.BINARY_OPS[op](a, b)


def fold(e: Expr, consts: Mapping[str, Value]) -> Value | None:
    """The value of `e` if it is a constant that evaluates without a fault, else None."""

    def lookup(name: str) -> Value:
        if name in consts:
            return consts[name]
        raise Unknown

    try:
        return evaluate(e, lookup)
    except (NotConstant, ConstFault, Unknown):
        return None


def fold_int(e: Expr, consts: Mapping[str, Value]) -> int | None:
    v = fold(e, consts)
    return v if type(v) is int else None


def fold_bytes(e: Expr, consts: Mapping[str, Value]) -> bytes | None:
    v = fold(e, consts)
    return v if type(v) is bytes else None


def constant_table(tree: Node, facts: Facts) -> Mapping[str, Value]:
    """Every constant's value: the `ConstValues` fact if present, else folded from `tree`."""
    found = facts.find(ConstValues)
    if found is not None:
        return found.values
    table: dict[str, Value] = {}
    if isinstance(tree, Service):
        for d in tree.decls:
            if isinstance(d, Const):
                v = fold(d.value, table)
                if v is not None:
                    table[d.name] = v
    return table
