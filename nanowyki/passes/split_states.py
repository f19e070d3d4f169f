"""split-states: every blocking operation of the session ends a basic block with an `Await`."""

from __future__ import annotations

from nanowyki.framework import Node, Transform
from nanowyki.languages.bounded import Checkpoint
from nanowyki.languages.evented import (
    Await,
    CheckpointOp,
    Evented,
    Op,
    RecvExactOp,
    RecvLineOp,
    RecvSomeOp,
    RecvUntilOp,
    SendOp,
    SessionMachine,
    SleepOp,
    StateMachine,
)
from nanowyki.languages.flat import Atom
from nanowyki.languages.iterated import Send
from nanowyki.languages.linear import BasicBlock, SessionGraph
from nanowyki.languages.pooled import Pooled, PooledCfg
from nanowyki.languages.resolved import CallBuiltin, Local
from nanowyki.languages.surface import Assign, Expr, ExprStmt, Stmt

BLOCKING_BUILTINS = frozenset({"recv_line", "recv_until", "recv_exact", "recv", "sleep"})


class SplitStates(Transform):
    """Pooled -> Evented: end a basic block at every blocking operation of the session.

    Establishes: the session is a `SessionMachine` whose blocks hold no blocking operation; each
    one became the `Await` exit of the block it stood in, and the statements after it moved to
    a new block `resume.N` (placed right after it), where the machine resumes once the
    operation completed:

        (Assign (Local t) = (CallBuiltin recv_line [n]))  ->  (Await (RecvLineOp n) t resume.N)
        (Assign (Local t) = (CallBuiltin recv_until [d n]))  ->  (RecvUntilOp d n), dest t
        (Assign (Local t) = (CallBuiltin recv_exact [c n]))  ->  (RecvExactOp c n), dest t
        (Assign (Local t) = (CallBuiltin recv [n]))           ->  (RecvSomeOp n), dest t
        (ExprStmt (CallBuiltin sleep [ms]))  ->  (Await (SleepOp ms) nil resume.N)
        (Send v)                             ->  (Await (SendOp v) nil resume.N)
        (Checkpoint)                         ->  (Await (CheckpointOp) nil resume.N)

    The machine's states are its entry and every resume block. Every slot is put in the frame
    for now (correct, if wasteful: everything survives every `Await`); lift-live-variables
    then moves the slots that no `Await` needs to `locals`.
    Assumes: blocking operations stand only in the session (rule 5) and only as the whole value
    of an assignment to a local or of an expression statement (after flattening); anything else
    is an internal error. Other graphs (functions, datagram handlers, timers) are unchanged.

        (SessionGraph (PooledCfg b.1 [S...]
          [(BasicBlock b.1 [(Checkpoint) (Assign (Local t.1 T) = (CallBuiltin recv [n] T))]
             (Goto b.2)) ...]))
        ->
        (SessionMachine (StateMachine b.1 [S...] []
          [(BasicBlock b.1 [] (Await (CheckpointOp) nil resume.1))
           (BasicBlock resume.1 [] (Await (RecvSomeOp n) t.1 resume.2))
           (BasicBlock resume.2 [] (Goto b.2)) ...]))
    """

    name = "split-states"
    input = Pooled
    output = Evented

    def SessionGraph(self, d: SessionGraph) -> Node:
        cfg = d.body
        if not isinstance(cfg, PooledCfg):
            raise self.fail(cfg, "a session graph that is not a PooledCfg")
        blocks = tuple(b for block in cfg.blocks for b in self.split(block))
        return SessionMachine(StateMachine(cfg.entry, cfg.slots, (), blocks), span=d.span)

    def split(self, block: BasicBlock) -> list[BasicBlock]:
        """`block` cut after each blocking statement, in order."""
        out: list[BasicBlock] = []
        label, stmts = block.label, []
        for s in block.stmts:
            found = self.blocking(s)
            if found is None:
                stmts.append(self.visit(s))  # unchanged, unless it hides a blocking call
                continue
            op, dest = found
            resume = self.fresh("resume")
            out.append(BasicBlock(label, tuple(stmts), Await(op, dest, resume, span=s.span),
                                  span=block.span if not out else s.span))
            label, stmts = resume, []
        if not out:
            return [block]
        out.append(BasicBlock(label, tuple(stmts), block.exit, span=block.exit.span))
        return out

    def blocking(self, s: Stmt) -> tuple[Op, str | None] | None:
        """The operation and destination of a blocking statement; None for any other."""
        match s:
            case Send(value):
                return SendOp(self.atom(s, value), span=s.span), None
            case Checkpoint():
                return CheckpointOp(span=s.span), None
            case Assign(Local(dest), "=", CallBuiltin(func, args)) if func in BLOCKING_BUILTINS:
                return self.op(s, func, tuple(self.atom(s, a) for a in args)), dest
            case ExprStmt(CallBuiltin("sleep", args)):
                return self.op(s, "sleep", tuple(self.atom(s, a) for a in args)), None
            case _:
                return None

    def atom(self, s: Stmt, e: Expr) -> Atom:
        if not isinstance(e, Atom):
            raise self.fail(s, f"an operand that is not an atom: {type(e).__name__}")
        return e

    def op(self, s: Stmt, func: str, args: tuple[Atom, ...]) -> Op:
        span = s.span
        match func, args:
            case "recv_line", (limit,):
                return RecvLineOp(limit, span=span)
            case "recv_until", (delim, limit):
                return RecvUntilOp(delim, limit, span=span)
            case "recv_exact", (count, limit):
                return RecvExactOp(count, limit, span=span)
            case "recv", (limit,):
                return RecvSomeOp(limit, span=span)
            case "sleep", (ms,):
                return SleepOp(ms, span=span)
            case _:
                raise self.fail(s, f"'{func}' with {len(args)} arguments cannot be an Await")

    # Outside the session nothing may block: meeting a blocking form there is a compiler bug.

    def Send(self, s: Send) -> Node:
        raise self.fail(s, "'send' outside the session")

    def Checkpoint(self, s: Checkpoint) -> Node:
        raise self.fail(s, "a checkpoint outside the session")

    def CallBuiltin(self, e: CallBuiltin) -> Node:
        if e.func in BLOCKING_BUILTINS:
            raise self.fail(e, f"blocking '{e.func}' outside the session's blocking positions")
        return self.visit_children(e)
