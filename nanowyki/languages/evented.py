"""In `Evented`, no session is a thread: each session is a state machine whose states are its
blocking points, and only the variables live across a blocking point stay in its frame.

split-states ends a basic block at every blocking operation (a receive, a send, a sleep, a
checkpoint) with an `Await` exit naming the operation, the local that takes its result and the
block to resume at; the entry block and every resume block are the machine's states.
uncover-liveness computes which variables are live at each state; lift-live-variables puts
exactly those slots in the machine's `frame` and leaves the others in `locals`, which do not
survive an `Await` (a variable is still written `Local`: the slot lists say where it lives).
Functions, datagram handlers and timers never block: they stay graphs.

    - Decl ::= (SessionGraph body)
    + Decl ::= (SessionMachine body)
    + Machine ::= (StateMachine entry frame locals blocks)
    + Exit ::= (Await op dest resume)
    + Op ::= (RecvLineOp limit) | (RecvUntilOp delim limit) | (RecvExactOp count limit)
           | (RecvSomeOp limit) | (SendOp value) | (SleepOp ms) | (CheckpointOp)
    - Stmt ::= (Send value) | (Checkpoint)
    ~ (CallBuiltin func args)    func: no blocking builtin (recv*, sleep)
"""

from __future__ import annotations

from typing import Literal

from nanowyki.builtins import BUILTINS, Where
from nanowyki.framework import Node, node

from .bounded import Checkpoint
from .core import EFFECT_BUILTINS
from .flat import Atom
from .iterated import Send
from .linear import BasicBlock, Exit, SessionGraph
from .pooled import Pooled, Slot
from .resolved import CallBuiltin
from .surface import Decl


class Machine(Node):
    """A session's state machine."""


class Op(Node):
    """A blocking operation a state waits on."""


@node
class StateMachine(Machine):
    entry: str
    frame: tuple[Slot, ...]  # live across some Await: kept in the session frame
    locals: tuple[Slot, ...]  # live only within a state: lost at every Await
    blocks: tuple[BasicBlock, ...]


@node
class SessionMachine(Decl):
    body: Machine


@node
class Await(Exit):
    """Suspend until `op` can complete; store its result (if any) in `dest`; go to `resume`."""

    op: Op
    dest: str | None
    resume: str


@node
class RecvLineOp(Op):
    limit: Atom


@node
class RecvUntilOp(Op):
    delim: Atom
    limit: Atom


@node
class RecvExactOp(Op):
    count: Atom
    limit: Atom


@node
class RecvSomeOp(Op):
    limit: Atom


@node
class SendOp(Op):
    value: Atom


@node
class SleepOp(Op):
    ms: Atom


@node
class CheckpointOp(Op):
    """Spend one unit of fuel; when it is spent, yield to the scheduler."""


NONBLOCKING_BUILTINS = tuple(
    sorted(
        name
        for name, b in BUILTINS.items()
        if b.where is not Where.BLOCKING and name not in EFFECT_BUILTINS
    )
)

Evented = Pooled.extend(
    "Evented",
    remove=[SessionGraph, Send, Checkpoint],
    add=[
        SessionMachine, StateMachine, Await,
        RecvLineOp, RecvUntilOp, RecvExactOp, RecvSomeOp, SendOp, SleepOp, CheckpointOp,
    ],
    refine={CallBuiltin: {"func": Literal[NONBLOCKING_BUILTINS]}},
    doc=__doc__ or "",
)  # fmt: skip
