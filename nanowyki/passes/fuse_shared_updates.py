"""fuse-shared-updates: the read and the write of `n op= b` on a shared variable become one
atomic update."""

from __future__ import annotations

from nanowyki.framework import Node, Transform
from nanowyki.languages.flat import Atom
from nanowyki.languages.linear import BasicBlock
from nanowyki.languages.placed import Placed, SharedUpdate
from nanowyki.languages.resolved import Local, SharedRef
from nanowyki.languages.socketless import Socketless
from nanowyki.languages.surface import Assign, Binary, Stmt


class FuseSharedUpdates(Transform):
    """Socketless -> Placed: make each read-then-write of a shared variable one atomic update.

    Establishes: `t = n; n = t op b` on a shared `n`, the two statements next to each other in
    a block (what remove-compound-assignments and remove-complex-operands make of `n op= b`),
    is one `SharedUpdate(t, n, op, b)`: `t` still takes the old value, and no other worker can
    update `n` between the read and the write (the language promises that a compound
    assignment to a shared variable is atomic). The update takes the write's span: that is
    where `t op b` faults.
    Does not fire: on a read not followed at once by the write of the same variable (a
    statement between them, another shared variable, a value that is not `t op b`), or when
    `b` is `t` itself (`n = t + t`: the update's operand would be read after the update).
    Assumes: `Socketless` (every operand an atom).

        (Assign (Local t.1 (TInt)) = (SharedRef count (TInt)))
        (Assign (SharedRef count (TInt)) = (Binary + (Local t.1 (TInt)) (Local k (TInt)) (TInt)))
        ->
        (SharedUpdate t.1 count + (Local k (TInt)))
    """

    name = "fuse-shared-updates"
    input = Socketless
    output = Placed

    def BasicBlock(self, b: BasicBlock) -> Node:
        stmts: list[Stmt] = []
        i = 0
        while i < len(b.stmts):
            fused = _fused(*b.stmts[i : i + 2]) if i + 1 < len(b.stmts) else None
            if fused is not None:
                stmts.append(fused)
                i += 2
            else:
                stmts.append(b.stmts[i])
                i += 1
        if len(stmts) == len(b.stmts):
            return b
        return BasicBlock(b.label, tuple(stmts), b.exit, span=b.span)


def _fused(read: Stmt, write: Stmt) -> SharedUpdate | None:
    """The atomic update doing `read` then `write`, if they are `t = n; n = t op b`."""
    match read, write:
        case (Assign(Local(t), "=", SharedRef(n)),
              Assign(SharedRef(m), "=", Binary("+" | "-" | "*" as op, Local(u), b))) if (
                  n == m and t == u and isinstance(b, Atom)
                  and not (isinstance(b, Local) and b.name == t)):  # fmt: skip
            return SharedUpdate(t, n, op, b, span=write.span)
        case _:
            return None
