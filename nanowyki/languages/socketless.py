"""In `Socketless`, no session touches a socket: receives and sends are conditionals over the
connection's receive and transmit buffers, and a state that cannot go on returns to the
scheduler saying what it waits for.

Each `Await` of `Evented` becomes ordinary statements and a test. A receive first fixes its
deadline (`RxBegin`), then tries to complete (`RxLine` and its siblings: if the bytes are in
the receive buffer, or the peer has closed, or the deadline has passed, take them, store the
optional result and set the `ready` local; otherwise leave everything as it is and clear
`ready`); when it is not ready the state `Suspend`s for input and is entered again at the
attempt. A send appends what fits to the transmit buffer (`TxWrite`) and suspends for output
room until all of it is written. A sleep fixes its wake-up time and suspends until then; a
checkpoint spends fuel and suspends (a yield) when none is left. Nothing is written to the
socket by the session: the runtime sends the transmit buffer when the step returns, so every
reply produced while handling one batch of received bytes leaves in one write.

The receive deadline, the wake-up time, the progress of a partial send and the fuel are the
session's runtime state (kept by the runtime beside the frame), not program variables.

    - Exit ::= (Await op dest resume)
    - Op ::= (RecvLineOp ...) | (RecvUntilOp ...) | (RecvExactOp ...) | (RecvSomeOp ...)
           | (SendOp ...) | (SleepOp ...) | (CheckpointOp)
    + Stmt ::= (RxBegin) | (RxLine dest limit ready) | (RxUntil dest delim limit ready)
             | (RxExact dest count limit ready) | (RxSome dest limit ready)
             | (TxWrite value done) | (SleepBegin ms) | (SleepDone done) | (FuelSpend ok)
    + Exit ::= (Suspend reason resume)

`Buffered` is the language between `Evented` and `Socketless`: both sets of forms, while
lower-receives, lower-sends and lower-waits replace the `Await`s one kind at a time.
"""

from __future__ import annotations

from typing import Literal

from nanowyki.framework import Node, node

from .evented import (
    Await,
    CheckpointOp,
    Evented,
    RecvExactOp,
    RecvLineOp,
    RecvSomeOp,
    RecvUntilOp,
    SendOp,
    SleepOp,
)
from .flat import Atom
from .linear import Exit
from .surface import Stmt


@node
class RxBegin(Stmt):
    """A receive starts: its deadline is now plus the session's timeout (if any)."""


@node
class RxLine(Stmt):
    dest: str
    limit: Atom
    ready: str


@node
class RxUntil(Stmt):
    dest: str
    delim: Atom
    limit: Atom
    ready: str


@node
class RxExact(Stmt):
    dest: str
    count: Atom
    limit: Atom
    ready: str


@node
class RxSome(Stmt):
    dest: str
    limit: Atom
    ready: str


@node
class TxWrite(Stmt):
    """Append to the transmit buffer what fits of the part of `value` not yet written;
    `done` is set when all of it is written (the progress is then reset)."""

    value: Atom
    done: str


@node
class SleepBegin(Stmt):
    """The wake-up time is now plus `ms`."""

    ms: Atom


@node
class SleepDone(Stmt):
    """`done` is set when the clock has reached the wake-up time."""

    done: str


@node
class FuelSpend(Stmt):
    """Spend one unit of fuel; `ok` is cleared when none was left (the state must yield)."""

    ok: str


@node
class Suspend(Exit):
    """Return to the scheduler: wait for input, output room, the wake-up time, or nothing
    (a yield); the machine is entered again at `resume`."""

    reason: Literal["input", "output", "time", "yield"]
    resume: str


SOCKETLESS_FORMS: list[type[Node]] = [
    RxBegin, RxLine, RxUntil, RxExact, RxSome, TxWrite, SleepBegin, SleepDone, FuelSpend, Suspend,
]  # fmt: skip

Buffered = Evented.extend("Buffered", add=SOCKETLESS_FORMS, doc=__doc__ or "")

Socketless = Buffered.extend(
    "Socketless",
    remove=[
        Await, RecvLineOp, RecvUntilOp, RecvExactOp, RecvSomeOp, SendOp, SleepOp, CheckpointOp,
    ],
    doc=__doc__ or "",
)  # fmt: skip
