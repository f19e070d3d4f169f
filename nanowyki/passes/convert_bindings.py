"""convert-bindings: `let` and `var` become `Declare`, `let ... else` becomes `Unwrap`."""

from __future__ import annotations

from nanowyki.framework import Node, Transform
from nanowyki.languages.core import Core
from nanowyki.languages.iterated import Declare, Iterated, Unwrap
from nanowyki.languages.surface import ExprStmt, Let, Var
from nanowyki.languages.types import Type

Binding = Let | Var
DISCARD = "_"  # the name resolve-names leaves on `let _ = e`


class ConvertBindings(Transform):
    """Iterated -> Core: turn every let and var into a Declare or an Unwrap.

    Establishes: no `Let` or `Var` is left. `let x = e;` and `var x = e;` become
    `Declare(x, T, e)` (mutability was checked by resolve-names); `let x = e else { B };`
    becomes `Unwrap(x, T, e, B)`; `let _ = e;` becomes the expression statement `e;`, and
    `let _ = e else { B };` an `Unwrap` of a fresh name `_.N` (so no two locals share a name).
    The output is `Core`: its checker also proves that the passes before this one left no
    compound assignment, no `send`/`reply`/`log` call and no `embed`.
    Assumes: remove-compound-assignments and expose-effects ran.

        (Let line (TBytes 64) (CallBuiltin recv_line [(IntLit 64 (TInt))] (TOption (TBytes 64)))
          (Block [(Close)]))
        ->
        (Unwrap line (TBytes 64) (CallBuiltin recv_line [(IntLit 64 (TInt))] ...) (Block [(Close)]))
    """

    name = "convert-bindings"
    input = Iterated
    output = Core

    def Let(self, s: Let) -> Node:
        value = self.visit(s.value)
        if s.else_ is not None:
            name = self.fresh(DISCARD) if s.name == DISCARD else s.name
            return Unwrap(name, self.declared(s), value, self.visit(s.else_))
        if s.name == DISCARD:
            return ExprStmt(value)
        return Declare(s.name, self.declared(s), value)

    def Var(self, s: Var) -> Node:
        return Declare(s.name, self.declared(s), self.visit(s.value))

    def declared(self, s: Binding) -> Type:
        if not isinstance(s.declared, Type):
            raise self.fail(s, "a binding without a resolved type")
        return s.declared
