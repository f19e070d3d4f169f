"""hoist-locals: every local of a body becomes a static slot of its graph."""

from __future__ import annotations

from nanowyki.framework import Node, Transform
from nanowyki.languages.iterated import Declare
from nanowyki.languages.linear import Cfg, Linear
from nanowyki.languages.pooled import Pooled, PooledCfg, Slot
from nanowyki.languages.resolved import Local
from nanowyki.languages.surface import Assign, Stmt
from nanowyki.languages.types import Type


class HoistLocals(Transform):
    """Linear -> Pooled: list every local of a graph as a slot, and declare nothing at run time.

    Establishes: every `Cfg` is a `PooledCfg` whose `slots` hold one `Slot(name, type)` per
    variable the body declares (user locals, temporaries `t.N`, optionals `o.N`, loop counters
    `turn.N`), in order of first declaration (blocks in graph order, statements in order); every
    `Declare(x, T, v)` is `Assign(Local(x, T), =, v)`. A function's parameters and a datagram
    handler's packet are not slots: they are the graph's arguments (the caller's values, the
    received packet's buffer), listed in `FnGraph.params` and `DatagramGraph.name`.
    Assumes: every local has one type (resolve-names gave distinct locals distinct names); a
    name declared twice (a `let` inside a loop) is one slot.

        (Cfg b.1 [(BasicBlock b.1 [(Declare x (TInt) (IntLit 1 (TInt)))] (Ret (Local x (TInt))))])
        -> (PooledCfg b.1 [(Slot x (TInt))]
             [(BasicBlock b.1 [(Assign (Local x (TInt)) = (IntLit 1 (TInt)))]
               (Ret (Local x (TInt))))])
    """

    name = "hoist-locals"
    input = Linear
    output = Pooled

    def Cfg(self, g: Cfg) -> Node:
        slots: dict[str, Type] = {}
        for b in g.blocks:
            for s in b.stmts:
                if isinstance(s, Declare):
                    known = slots.setdefault(s.name, s.declared)
                    if known != s.declared:
                        raise self.fail(s, f"local '{s.name}' is declared with two types")
        blocks = tuple(self.visit(b) for b in g.blocks)
        listed = tuple(Slot(name, t) for name, t in slots.items())
        return PooledCfg(g.entry, listed, blocks, span=g.span)

    def Declare(self, s: Declare) -> Stmt:
        return Assign(Local(s.name, s.declared, span=s.span), "=", s.value, span=s.span)
