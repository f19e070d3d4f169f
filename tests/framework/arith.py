"""A small language of its own, to prove the framework without WYKI.

    Arith     integers, variables, primitives, let, if
    ArithMon  primitive operands are atoms (Let-bound temporaries name the rest)
    ArithFlat no Let: a block of assignments and a final simple expression

Four passes lower Arith to ArithFlat: uniquify-names, fold-constants, remove-complex-operands,
flatten-lets. `evaluate` interprets every one of the three languages.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from pyrsistent import PMap, pmap

from nanowyki.framework import Analysis, Facts, Language, Node, Transform, node, walk


class Prog(Node):
    """A whole program."""


class Expr(Node):
    """An expression."""


class Atom(Expr):
    """An expression with no subexpression."""


@node
class Program(Prog):
    body: Expr


@node
class Int(Atom):
    value: int


@node
class Var(Atom):
    name: str


@node
class Prim(Expr):
    op: str
    args: tuple[Expr, ...]


@node
class Let(Expr):
    name: str
    value: Expr
    body: Expr


@node
class If(Expr):
    cond: Expr
    then: Expr
    else_: Expr


Arith = Language("Arith", [Program, Int, Var, Prim, Let, If], root=Program)


@node
class PrimA(Expr):
    op: str
    args: tuple[Atom, ...]


ArithMon = Arith.extend("ArithMon", add=[PrimA], remove=[Prim])


class Stmt(Node):
    """A statement."""


class Body(Node):
    """A block of statements ending in an expression."""


@node
class FlatProgram(Prog):
    body: Block


@node
class Assign(Stmt):
    name: str
    value: Expr


@node
class Block(Body):
    stmts: tuple[Assign, ...]
    result: Expr


@node
class IfBlock(Expr):
    cond: Atom
    then: Block
    else_: Block


ArithFlat = ArithMon.extend(
    "ArithFlat",
    add=[FlatProgram, Assign, Block, IfBlock],
    remove=[Program, Let, If],
    root=FlatProgram,
)


OPS: dict[str, Callable[[int, int], int]] = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "<": lambda a, b: int(a < b),
}


class UniquifyNames(Transform):
    """Arith -> Arith: give every let-bound variable a unique name.

    (Let x (Int 1) (Let x (Var x) (Var x)))  =>  (Let x.1 (Int 1) (Let x.2 (Var x.1) (Var x.2)))
    """

    name = "uniquify-names"
    input = Arith
    output = Arith

    def transform(self, tree: Node) -> Node:
        return cast(Node, self.visit(tree, pmap()))

    def Let(self, e: Let, env: PMap[str, str]) -> Expr:
        fresh = self.fresh(e.name)
        return Let(fresh, self.visit(e.value, env), self.visit(e.body, env.set(e.name, fresh)))

    def Var(self, e: Var, env: PMap[str, str]) -> Expr:
        renamed = env.get(e.name, e.name)
        return e if renamed == e.name else Var(renamed)


class FoldConstants(Transform):
    """Arith -> Arith: compute primitives whose operands are all constants.

    (Prim + [(Int 1) (Int 2)])  =>  (Int 3)
    """

    name = "fold-constants"
    input = Arith
    output = Arith

    def Prim(self, e: Prim) -> Expr:
        folded = self.visit_children(e)
        assert isinstance(folded, Prim)
        if all(isinstance(a, Int) for a in folded.args):
            return Int(OPS[folded.op](*(cast(Int, a).value for a in folded.args)))
        return folded


class RemoveComplexOperands(Transform):
    """Arith -> ArithMon: make every primitive operand an atom.

    (Prim + [(Prim * [(Var a) (Int 2)]) (Int 1)])
      =>  (Let tmp.1 (PrimA * [(Var a) (Int 2)]) (PrimA + [(Var tmp.1) (Int 1)]))
    """

    name = "remove-complex-operands"
    input = Arith
    output = ArithMon

    def Prim(self, e: Prim) -> Expr:
        bindings: list[tuple[str, Expr]] = []
        atoms: list[Atom] = []
        for arg in e.args:
            new = self.visit(arg)
            if isinstance(new, Atom):
                atoms.append(new)
            else:
                tmp = self.fresh("tmp")
                bindings.append((tmp, new))
                atoms.append(Var(tmp))
        out: Expr = PrimA(e.op, tuple(atoms))
        for tmp, value in reversed(bindings):
            out = Let(tmp, value, out)
        return out


class FlattenLets(Transform):
    """ArithMon -> ArithFlat: turn nested lets into a block of assignments.

    (Let x (Int 1) (PrimA + [(Var x) (Int 1)]))
      =>  (Block [(Assign x (Int 1))] (PrimA + [(Var x) (Int 1)]))
    """

    name = "flatten-lets"
    input = ArithMon
    output = ArithFlat

    def Program(self, p: Program) -> FlatProgram:
        return FlatProgram(self.block(p.body))

    def block(self, e: Expr) -> Block:
        stmts: list[Assign] = []
        while isinstance(e, Let):
            stmts.append(Assign(e.name, self.simple(e.value, stmts)))
            e = e.body
        result = self.simple(e, stmts)
        return Block(tuple(stmts), result)

    def simple(self, e: Expr, stmts: list[Assign]) -> Expr:
        if isinstance(e, Let):
            inner = self.block(e)
            stmts.extend(inner.stmts)
            return inner.result
        if isinstance(e, If):
            cond = self.simple(e.cond, stmts)
            if not isinstance(cond, Atom):
                tmp = self.fresh("cond")
                stmts.append(Assign(tmp, cond))
                cond = Var(tmp)
            return IfBlock(cond, self.block(e.then), self.block(e.else_))
        return e


class CountVariables(Analysis):
    """Arith -> Arith: count the distinct variable names (an analysis: the tree is unchanged)."""

    name = "count-variables"
    input = Arith

    def analyze(self, tree: Node, facts: Facts) -> object:
        return VariableCount(len({n.name for n in walk(tree) if isinstance(n, Var)}))


class VariableCount(int):
    """The fact CountVariables provides."""


def evaluate(tree: Node, env: dict[str, int] | None = None) -> int:
    """Interpret a tree of Arith, ArithMon or ArithFlat.

    A Let binds its name in its body only (lexical scope, so shadowing works before
    uniquify-names); a Block's assignments are seen by the statements after them."""

    def ev(e: Any, env: PMap[str, int]) -> int:
        match e:
            case Program(body) | FlatProgram(body):
                return ev(body, env)
            case Int(value):
                return value
            case Var(name):
                return env[name]
            case Prim(op, args) | PrimA(op, args):
                return OPS[op](*(ev(a, env) for a in args))
            case Let(name, value, body):
                return ev(body, env.set(name, ev(value, env)))
            case If(cond, then, else_) | IfBlock(cond, then, else_):
                return ev(then, env) if ev(cond, env) else ev(else_, env)
            case Block(stmts, result):
                for s in stmts:
                    env = env.set(s.name, ev(s.value, env))
                return ev(result, env)
        raise TypeError(f"cannot evaluate {e!r}")

    return ev(tree, pmap(env or {}))
