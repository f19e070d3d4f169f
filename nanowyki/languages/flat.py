"""In `Flat`, every operand is an atom: expressions are no longer nested (A-normal form).

An atom is a literal, a local or a constant. Every operation takes atoms and stands alone as
the value of a `Declare`, an `Assign`, an `Unwrap` or an expression statement; temporaries
(named `t.N`) hold the intermediate results. `&&` and `||` have become `if`s, loop conditions
are computed in the loop's `test` block (`if !c { break; }`, run before the iteration counts
against the limit or spends fuel: see `BoundedLoop`), and an assignment's target is one level
deep (`x`, `x.f`, `x[i]`; deeper places are read, updated and written back).

    ~ every operand field (Unary, Binary, calls, Field, Index, Slice, StructValue, arrays,
      Narrow, Send, Reply, Log, Return, If.cond): Atom
    ~ (Binary op left right)     op: not '&&' or '||'
    ~ (BoundedLoop cond ...) (FueledLoop cond ...)   cond: (BoolLit #t)
    ~ (Assign target op value)   target: Local | SharedRef | Field | Index of atoms
"""

from __future__ import annotations

from typing import Literal

from .bounded import Bounded, BoundedLoop, FueledLoop
from .iterated import Log, Narrow, Reply, Send
from .resolved import CallBuiltin, CallFn, ConstRef, Local, SharedRef, TableCall
from .surface import (
    ArrayLit,
    ArrayRepeat,
    Assign,
    Binary,
    BoolLit,
    BytesLit,
    Field,
    FieldInit,
    If,
    Index,
    IntLit,
    NoneLit,
    Return,
    Slice,
    Unary,
)

Atom = IntLit | BoolLit | BytesLit | NoneLit | Local | ConstRef
Place = Local | SharedRef | Field | Index

FLAT_BINARY_OPS = (
    "==", "!=", "<", "<=", ">", ">=", "|", "^", "&", "<<", ">>", "+", "-", "++", "*", "/", "%",
)  # fmt: skip

Flat = Bounded.extend(
    "Flat",
    refine={
        Unary: {"operand": Atom},
        Binary: {"op": Literal[FLAT_BINARY_OPS], "left": Atom, "right": Atom},
        CallFn: {"args": tuple[Atom, ...]},
        CallBuiltin: {"args": tuple[Atom, ...]},
        TableCall: {"args": tuple[Atom, ...]},
        FieldInit: {"value": Atom},
        Field: {"target": Atom},
        Index: {"target": Atom, "index": Atom},
        Slice: {"target": Atom, "start": Atom, "stop": Atom},
        ArrayLit: {"items": tuple[Atom, ...]},
        ArrayRepeat: {"item": Atom, "count": Atom},
        Narrow: {"value": Atom},
        Send: {"value": Atom},
        Reply: {"value": Atom},
        Log: {"value": Atom},
        Return: {"value": Atom | None},
        If: {"cond": Atom},
        BoundedLoop: {"cond": BoolLit},
        FueledLoop: {"cond": BoolLit},
        Assign: {"target": Place},
    },
    doc=__doc__ or "",
)
