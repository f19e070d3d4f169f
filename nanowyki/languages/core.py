"""In `Core`, no sugar is left: every binding is a `Declare` or an `Unwrap`, every assignment
is plain `=`, and every effect on the world is a statement.

The passes from `Iterated` to `Core` (remove-compound-assignments, expose-effects,
convert-bindings) each remove one kind of sugar; this language is where the checker proves
that none is left.

    - Stmt ::= (Let name declared value else_) | (Var name declared value)
    - Expr ::= (Embed path)
    ~ (Assign target op value)   op: '='
    ~ (CallBuiltin func args)    func: any builtin but send, reply and log
"""

from __future__ import annotations

from typing import Literal

from nanowyki.builtins import BUILTINS

from .iterated import Iterated
from .resolved import CallBuiltin
from .surface import Assign, Embed, Let, Var

EFFECT_BUILTINS = frozenset({"send", "reply", "log"})
CALLABLE_BUILTINS = tuple(sorted(name for name in BUILTINS if name not in EFFECT_BUILTINS))

Core = Iterated.extend(
    "Core",
    remove=[Let, Var, Embed],
    refine={
        Assign: {"op": Literal["="]},
        CallBuiltin: {"func": Literal[CALLABLE_BUILTINS]},
    },
    doc=__doc__ or "",
)
