"""remove-complex-operands: every operand an atom (A-normal form)."""

from __future__ import annotations

from pyrsistent import PMap, pmap

from nanowyki.analysis.constants import ConstValues
from nanowyki.analysis.constants import Value as ConstValue
from nanowyki.framework import Node, Transform
from nanowyki.languages.bounded import Bounded, BoundedLoop, FueledLoop
from nanowyki.languages.flat import Flat
from nanowyki.languages.iterated import Declare, Log, Reply, Send, Unwrap
from nanowyki.languages.resolved import Local, SharedRef
from nanowyki.languages.surface import (
    Assign,
    BoolLit,
    Const,
    Every,
    Expr,
    ExprStmt,
    Field,
    If,
    Index,
    Listen,
    Return,
    Sessions,
    Shared,
    Stmt,
    Table,
)

from .flatten_support import Flattener, constant_literal, expr_type

Stmts = Stmt | tuple[Stmt, ...]  # the statement itself when it is unchanged
_EMPTY: PMap[str, ConstValue] = pmap()


class RemoveComplexOperands(Transform):
    """Bounded -> Flat: name every intermediate result, so every operand is an atom.

    Establishes the `Flat` invariant: every operand of every operation is an atom (a literal, a
    local or a constant); each operation is the whole value of a `Declare`, an `Assign`, an
    `Unwrap` or an expression statement; conditions (of `if`) are atoms; `&&` and `||` are
    `if`s on a temporary; a read of a `shared` variable is the value of a `Declare` of its own;
    every assignment's target is one level deep. Temporaries are `t.N`, declared with the type
    of the expression they hold. Service-level expressions (a const's value, the port, a
    capacity) become literals, computed as uncover-constants did.

    Order: exactly the Typed interpreter's. Operands are computed left to right, each part
    of an operand before the next operand. `a && b` is lowered here, not in a pass before: its
    `if` must come after every operand evaluated before it in the same statement, which are
    exactly the temporaries this pass emits first (a separate pass would have to flatten those
    operands itself). `b`'s statements go inside the `if`, so `b` runs only when needed. A loop
    condition was moved into the loop's `test` block by lift-loop-conditions, so its statements
    are re-run each iteration. An assignment `p[i][j] = v` computes its indexes outermost
    first (`j`, then `i`, as the Typed interpreter walks the place), reads the inner places
    into temporaries (checking their bounds, root first), checks the last index with a read
    when `v` needs statements (the Typed interpreter checks a place before computing the value),
    assigns one level deep, and writes the temporaries back, innermost first.

    Assumes: every loop's `cond` is `true` (lift-loop-conditions); every assignment is `=`
    (Core); only locals and shared variables are assigned, and a shared variable is an `int` or
    a `bool` (so it is never the root of a deeper place).

        (Return (Binary + (CallFn f [(Local x (TInt))] (TInt)) (IntLit 1 (TInt)) (TInt)))
        -> (Declare t.1 (TInt) (CallFn f [(Local x (TInt))] (TInt)))
           (Declare t.2 (TInt) (Binary + (Local t.1 (TInt)) (IntLit 1 (TInt)) (TInt)))
           (Return (Local t.2 (TInt)))

        (If (Binary && (Local a (TBool)) (CallFn g [] (TBool)) (TBool)) then nil)
        -> (Declare t.1 (TBool) (Local a (TBool)))
           (If (Local t.1 (TBool))
             (Block [(Assign (Local t.1 (TBool)) = (CallFn g [] (TBool)))]) nil)
           (If (Local t.1 (TBool)) then nil)
    """

    name = "remove-complex-operands"
    input = Bounded
    output = Flat
    requires = (ConstValues,)

    def transform(self, tree: Node) -> Node:
        self.flat = Flattener(self.fresh)
        return super().transform(tree)

    # -- service-level expressions: literals ----------------------------------------------------

    def _literal(self, e: Expr) -> Expr:
        found = self.facts.find(ConstValues)
        return constant_literal(e, found.values if found is not None else _EMPTY)

    def Const(self, d: Const) -> Node:
        value = self._literal(d.value)
        return d if value is d.value else Const(d.name, d.declared, value, span=d.span)

    def Shared(self, d: Shared) -> Node:
        value = self._literal(d.value)
        return d if value is d.value else Shared(d.name, d.declared, value, span=d.span)

    def Listen(self, d: Listen) -> Node:
        port = self._literal(d.port)
        return d if port is d.port else Listen(d.proto, port, span=d.span)

    def Sessions(self, d: Sessions) -> Node:
        count = self._literal(d.count)
        return d if count is d.count else Sessions(count, span=d.span)

    def Table(self, d: Table) -> Node:
        if d.capacity is None:
            return d
        cap = self._literal(d.capacity)
        return d if cap is d.capacity else Table(d.name, d.key, d.value, cap, span=d.span)

    def Every(self, d: Every) -> Node:
        period = self._literal(d.period)
        body = self.visit(d.body)
        if period is d.period and body is d.body:
            return d
        return Every(period, d.unit, body, span=d.span)

    # -- statements ------------------------------------------------------------------------------

    def Declare(self, s: Declare) -> Stmts:
        out: list[Stmt] = []
        value = self.flat.operation(s.value, out)
        if not out and value is s.value:
            return s
        return (*out, Declare(s.name, s.declared, value, span=s.span))

    def Unwrap(self, s: Unwrap) -> Stmts:
        out: list[Stmt] = []
        value = self.flat.operation(s.value, out)
        else_ = self.visit(s.else_)
        if value is s.value and else_ is s.else_:
            return s
        return (*out, Unwrap(s.name, s.declared, value, else_, span=s.span))

    def ExprStmt(self, s: ExprStmt) -> Stmts:
        out: list[Stmt] = []
        value = self.flat.operation(s.expr, out)
        return s if value is s.expr else (*out, ExprStmt(value, span=s.span))

    def Send(self, s: Send) -> Stmts:
        out: list[Stmt] = []
        value = self.flat.atom(s.value, out)
        return s if value is s.value else (*out, Send(value, span=s.span))

    def Reply(self, s: Reply) -> Stmts:
        out: list[Stmt] = []
        value = self.flat.atom(s.value, out)
        return s if value is s.value else (*out, Reply(value, span=s.span))

    def Log(self, s: Log) -> Stmts:
        out: list[Stmt] = []
        value = self.flat.atom(s.value, out)
        return s if value is s.value else (*out, Log(value, span=s.span))

    def Return(self, s: Return) -> Stmts:
        if s.value is None:
            return s
        out: list[Stmt] = []
        value = self.flat.atom(s.value, out)
        return s if value is s.value else (*out, Return(value, span=s.span))

    def If(self, s: If) -> Stmts:
        out: list[Stmt] = []
        cond = self.flat.atom(s.cond, out)
        then = self.visit(s.then)
        else_ = None if s.else_ is None else self.visit(s.else_)
        if not out and cond is s.cond and then is s.then and else_ is s.else_:
            return s
        return (*out, If(cond, then, else_, span=s.span))

    def BoundedLoop(self, s: BoundedLoop) -> Stmts:
        self._require_lifted(s, s.cond)
        return self.visit_children(s)  # type: ignore[return-value]

    def FueledLoop(self, s: FueledLoop) -> Stmts:
        self._require_lifted(s, s.cond)
        return self.visit_children(s)  # type: ignore[return-value]

    def _require_lifted(self, s: Stmt, cond: Expr) -> None:
        if not (isinstance(cond, BoolLit) and cond.value):
            raise self.fail(s, "a loop condition is not 'true': run lift-loop-conditions first")

    def Assign(self, s: Assign) -> Stmts:
        if s.op != "=":
            raise self.fail(s, f"a compound assignment '{s.op}' (Core has only '=')")
        out: list[Stmt] = []
        # The place's steps, outermost first: their indexes are computed in this order.
        steps: list[Expr] = []  # the Field/Index nodes, outermost first
        keys: list[Expr | str] = []
        e = s.target
        while isinstance(e, Field | Index):
            steps.append(e)
            keys.append(e.name if isinstance(e, Field) else self.flat.atom(e.index, out))
            e = e.target
        if not isinstance(e, Local | SharedRef):
            raise self.fail(s, f"an assignment to a {type(e).__name__}")
        steps.reverse()
        keys.reverse()  # now root first
        # Read every inner place into a temporary (this checks its bounds, root first).
        holders: list[Expr] = [e]
        for step, key in zip(steps[:-1], keys[:-1], strict=True):
            holders.append(self.flat.temp(_step(step, holders[-1], key), expr_type(step), out))
        later: list[Stmt] = []
        value = self.flat.operation(s.value, later)
        if steps and later and isinstance(steps[-1], Index):
            # The Typed interpreter checks the place before it computes the value.
            self.flat.temp(_step(steps[-1], holders[-1], keys[-1]), expr_type(steps[-1]), out)
        out.extend(later)
        target = holders[-1] if not steps else _step(steps[-1], holders[-1], keys[-1])
        if not out and target is s.target and value is s.value:
            return s
        out.append(Assign(target, "=", value, span=s.span))
        # Write the inner temporaries back, innermost first.
        for i in range(len(steps) - 2, -1, -1):
            back = _step(steps[i], holders[i], keys[i])
            out.append(Assign(back, "=", holders[i + 1], span=s.span))
        return tuple(out)


def _step(step: Expr, holder: Expr, key: Expr | str) -> Expr:
    """`holder.f` or `holder[key]`, with the type of the place `step` it stands for."""
    if isinstance(step, Field):
        return Field(holder, step.name, step.type, span=step.span)
    assert isinstance(step, Index) and isinstance(key, Expr)
    return Index(holder, key, step.type, span=step.span)
