"""unify-loops: `for`, `while` and `loop` become one form, `Iterate`."""

from __future__ import annotations

import dataclasses

from nanowyki.framework import Node, Transform
from nanowyki.languages.iterated import Declare, Iterate, Iterated
from nanowyki.languages.resolved import Local
from nanowyki.languages.surface import (
    Assign,
    Binary,
    Block,
    BoolLit,
    Expr,
    For,
    IntLit,
    Loop,
    Service,
    While,
)
from nanowyki.languages.typed import Typed
from nanowyki.languages.types import TBool, TInt
from nanowyki.passes.require_loop_bounds import LoopBound, LoopBounds


class UnifyLoops(Transform):
    """Typed -> Iterated: turn every for, while and loop into one Iterate form.

    Establishes: no `For`, `While` or `Loop` is left. A `for i in a..b { B }` becomes
    `i` and a fresh `end.N` declared from `a` and `b` (each evaluated once, in that order), then
    `Iterate(i < end.N, T, B, [i = i + 1])` where `T` is the loop's static trip bound from
    `LoopBounds`: the limit can never be reached, so the loop never faults `fuel`, as before.
    The step runs after the body and on `continue`; `i + 1` cannot overflow since `i < end.N`.
    `while c max N { B }` becomes `Iterate(c, N, B, [])` (N as the constant's value),
    `while c { B }` `Iterate(c, nil, B, [])`, and `loop` the same with condition `true`.
    Every new expression carries its type.
    Assumes: require-loop-bounds ran (the `LoopBounds` fact) and
    accepted the program, so every `for` has a trip bound and every `max` is a positive constant.

        (For i (IntLit 0 (TInt)) (ConstRef N (TInt)) (Block [B]))         ; at most 8 trips
        ->
        (Declare i (TInt) (IntLit 0 (TInt)))
        (Declare end.1 (TInt) (ConstRef N (TInt)))
        (Iterate (Binary < (Local i (TInt)) (Local end.1 (TInt)) (TBool))
          (IntLit 8 (TInt))
          (Block [B])
          (Block [(Assign (Local i (TInt)) =
                          (Binary + (Local i (TInt)) (IntLit 1 (TInt)) (TInt)))]))
    """

    name = "unify-loops"
    input = Typed
    output = Iterated
    requires = (LoopBounds,)

    def transform(self, tree: Node) -> Node:
        if not isinstance(tree, Service):
            raise self.fail(tree, "expected a Service")
        decls = []
        for i, d in enumerate(tree.decls):
            self.decl = i  # where `bound` looks loops up
            decls.append(self.visit(d))
        if all(new is old for new, old in zip(decls, tree.decls, strict=True)):
            return tree
        return dataclasses.replace(tree, decls=tuple(decls))

    def bound(self, s: Node) -> LoopBound:
        found = self.facts.get(LoopBounds).at(self.decl, s)
        if found is None:
            raise self.fail(s, "no LoopBounds entry for this loop (did require-loop-bounds run?)")
        return found

    def For(self, s: For) -> tuple[Node, ...]:
        trips = self.bound(s).trips
        if trips is None:
            raise self.fail(s, "a 'for' loop without a static trip bound")
        end = self.fresh("end")
        span = s.span
        i, stop = Local(s.var, TInt(), span=span), Local(end, TInt(), span=span)
        one = IntLit(1, TInt(), span=span)
        step = Assign(i, "=", Binary("+", i, one, TInt(), span=span), span=span)
        return (
            Declare(s.var, TInt(), self.visit(s.start), span=span),
            Declare(end, TInt(), self.visit(s.stop), span=span),
            Iterate(
                Binary("<", i, stop, TBool(), span=span),
                IntLit(trips, TInt(), span=span),
                self.visit(s.body),
                Block((step,), span=span),
                span=span,
            ),
        )

    def While(self, s: While) -> Node:
        cond, body = self.visit(s.cond), self.visit(s.body)
        return Iterate(cond, self.limit(s, s.limit), body, self.empty(s))

    def Loop(self, s: Loop) -> Node:
        cond = BoolLit(True, TBool(), span=s.span)
        return Iterate(cond, self.limit(s, s.limit), self.visit(s.body), self.empty(s))

    def limit(self, s: Node, limit: Expr | None) -> Expr | None:
        """`max N` as the number N (a literal later passes can read), None without `max`."""
        if limit is None:
            return None
        trips = self.bound(s).trips
        if trips is None:
            raise self.fail(s, "a 'max' that is not a positive constant")
        return IntLit(trips, TInt(), span=limit.span)

    @staticmethod
    def empty(s: Node) -> Block:
        return Block((), span=s.span)
