"""uncover-liveness: which variables each state machine's blocks need from before them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from pyrsistent import PMap, pmap

from nanowyki.framework import Analysis, Facts, Node, find_all
from nanowyki.framework.errors import InternalError
from nanowyki.languages.evented import Await, Evented, SessionMachine, StateMachine
from nanowyki.languages.linear import BasicBlock, Branch, CloseExit, Exit, FaultExit, Goto, Ret
from nanowyki.languages.resolved import Local
from nanowyki.languages.surface import Assign, Service

Names = frozenset[str]


@dataclass(frozen=True)
class MachineLiveness:
    """Liveness in one state machine, by block label.

    `live_in[b]`: the variables read in or after block `b` before being written (on some path);
    `live_out[b]`: the same at the end of `b`, before its exit; `waiting[r]`: for the `Await`
    that resumes at `r`, the variables that must survive the wait: those live at `r` (the
    `Await`'s destination among them when it is read later) and the operands of its operation
    (which is attempted again at every wake-up)."""

    live_in: PMap[str, Names]
    live_out: PMap[str, Names]
    waiting: PMap[str, Names]

    def survivors(self) -> Names:
        """Every variable that must survive some `Await`: the frame."""
        return frozenset().union(*self.waiting.values())


@dataclass(frozen=True)
class Liveness:
    """One `MachineLiveness` per `SessionMachine`, in declaration order."""

    machines: tuple[MachineLiveness, ...]


def locals_in(n: Node | None) -> Names:
    """The names of the locals read anywhere in `n`."""
    if n is None:
        return frozenset()
    return frozenset(x.name for x in find_all(n, (Local,)))


def exit_uses(x: Exit) -> Names:
    match x:
        case Goto() | CloseExit() | FaultExit():
            return frozenset()
        case Branch(cond):
            return locals_in(cond)
        case Ret(value):
            return locals_in(value)
        case Await(op):
            return locals_in(op)
        case _:
            raise InternalError("uncover-liveness", f"unknown exit {type(x).__name__}")


def successors(x: Exit) -> tuple[str, ...]:
    match x:
        case Goto(target):
            return (target,)
        case Branch(_, then, else_):
            return (then, else_)
        case Await(_, _, resume):
            return (resume,)
        case Ret() | CloseExit() | FaultExit():
            return ()
        case _:
            raise InternalError("uncover-liveness", f"unknown exit {type(x).__name__}")


def block_live_in(b: BasicBlock, out: Names) -> Names:
    """Transfer backwards through `b`'s exit and statements. A whole-variable assignment
    `x = e` defines `x`; a partial one (`x.f = e`, `x[i] = e`) reads and writes `x`, so `x`
    stays live; an `Await` defines its destination (written when the operation completes)."""
    live = set(out)
    if isinstance(b.exit, Await) and b.exit.dest is not None:
        live.discard(b.exit.dest)
    live |= exit_uses(b.exit)
    for s in reversed(b.stmts):
        if isinstance(s, Assign) and isinstance(s.target, Local):
            live.discard(s.target.name)
            live |= locals_in(s.value)
        else:
            live |= locals_in(s)
    return frozenset(live)


def machine_liveness(m: StateMachine) -> MachineLiveness:
    """The standard backward dataflow, iterated (blocks in reverse order) to a fixed point."""
    by_label = {b.label: b for b in m.blocks}
    live_in: dict[str, Names] = {b.label: frozenset() for b in m.blocks}
    live_out: dict[str, Names] = dict(live_in)
    changed = True
    while changed:
        changed = False
        for b in reversed(m.blocks):
            out = frozenset().union(*(live_in[s] for s in successors(b.exit) if s in by_label))
            new_in = block_live_in(b, out)
            if new_in != live_in[b.label] or out != live_out[b.label]:
                live_in[b.label], live_out[b.label] = new_in, out
                changed = True
    waiting = {
        b.exit.resume: live_in.get(b.exit.resume, frozenset()) | locals_in(b.exit.op)
        for b in m.blocks
        if isinstance(b.exit, Await)
    }
    return MachineLiveness(pmap(live_in), pmap(live_out), pmap(waiting))


def machines(tree: Node) -> Iterable[StateMachine]:
    """The state machines of the service, in declaration order."""
    if not isinstance(tree, Service):
        return
    for d in tree.decls:
        if isinstance(d, SessionMachine):
            if not isinstance(d.body, StateMachine):
                raise InternalError("uncover-liveness", f"a {type(d.body).__name__} machine")
            yield d.body


class UncoverLiveness(Analysis):
    """Evented -> Evented: compute the live variables at every block of each state machine.

    Provides `Liveness`: for each `SessionMachine` (in declaration order) the live-in and
    live-out sets of every block and, for every `Await`, the variables that must survive its
    wait (`waiting`, by resume label). Uses: every `Local` read in a statement, an exit or an
    operation; definitions: a whole-variable assignment and an `Await`'s destination. A
    variable that is partly assigned (`x.f = e`, `x[i] = e`) is read and written.
    Assumes: every jump target names a block of the same machine. The tree is unchanged.

        (StateMachine b.1 [...] []
          [(BasicBlock b.1 [(Assign (Local n) = (IntLit 0))] (Await (RecvLineOp 80) l r.1))
           (BasicBlock r.1 [(Assign (Local n) = (Binary + (Local n) (Local l)))] (Goto b.1))])
        ->  live_in: b.1 {}, r.1 {l, n};  waiting: r.1 {l, n}
    """

    name = "uncover-liveness"
    input = Evented
    provides = (Liveness,)

    def analyze(self, tree: Node, facts: Facts) -> object:
        return Liveness(tuple(machine_liveness(m) for m in machines(tree)))
