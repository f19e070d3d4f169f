"""`FlatInterpreter`: the `Flat` IL, which `BoundedInterpreter` already runs.

A `Flat` program is a `Bounded` program whose operands are atoms: nothing to override. The
forms whose meaning Flat relies on are Bounded's:

- a loop's `test` block (the lifted condition) runs before the iteration counts against the
  limit or spends fuel (`BoundedInterpreter.exit_test`);
- an `Assign` to `x[i]` checks `i` against `x` before it computes its value (as Typed's does),
  which remove-complex-operands relies on when the value is an operation;
- a temporary `t.N` is an ordinary local.
"""

from __future__ import annotations

from .bounded import BoundedInterpreter


class FlatInterpreter(BoundedInterpreter):
    language = "Flat"
