"""inline-constants: a scalar constant becomes its literal."""

from __future__ import annotations

from nanowyki.analysis.constants import ConstValues
from nanowyki.framework import Node, Transform
from nanowyki.languages.bounded import Bounded
from nanowyki.languages.resolved import ConstRef
from nanowyki.languages.surface import BoolLit, BytesLit, Const, Expr, IntLit
from nanowyki.languages.types import TBool, TBytes, TInt


class InlineConstants(Transform):
    """Bounded -> Bounded: replace every use of an int, bool or byte-string constant by its value.

    Establishes: no `ConstRef` of type `int`, `bool` or `bytes[N]` is left in any handler,
    function or service-level expression; each became an `IntLit`, `BoolLit` or `BytesLit`
    holding the value from the `ConstValues` fact and carrying the `ConstRef`'s own type (so a
    constant declared `bytes[10]` holding 2 bytes stays a `bytes[10]` expression and no static
    bound downstream changes). Array- and struct-valued constants stay `ConstRef`s (an atom in
    `Flat`). The `Const` declarations themselves are kept (the interpreters and later passes may
    still read them). A program without scalar `ConstRef`s comes back as the very same tree.

    Assumes: `ConstValues` holds the value of every constant (uncover-constants); a constant
    it lacks is left as a `ConstRef`.

        (Binary + (Local i (TInt)) (ConstRef N (TInt)) (TInt))        ; const N = 4
        -> (Binary + (Local i (TInt)) (IntLit 4 (TInt)) (TInt))
    """

    name = "inline-constants"
    input = Bounded
    output = Bounded
    requires = (ConstValues,)

    def Const(self, d: Const) -> Node:
        return d  # a declaration keeps its own value expression

    def ConstRef(self, e: ConstRef) -> Expr:
        values = self.facts.get(ConstValues).values
        if e.name not in values:
            return e
        v = values[e.name]
        match e.type:
            case TBool() if isinstance(v, bool):
                return BoolLit(v, e.type, span=e.span)
            case TInt() if isinstance(v, int) and not isinstance(v, bool):
                return IntLit(v, e.type, span=e.span)
            case TBytes() if isinstance(v, bytes):
                return BytesLit(v, e.type, span=e.span)
            case _:
                return e  # an array or a struct: an atom in Flat, kept by reference
