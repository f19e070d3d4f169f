"""Helpers shared by lower-receives, lower-sends and lower-waits: replace some `Await` exits of
a session machine by ordinary blocks, keeping the machine's block order readable top-down."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from nanowyki.languages.evented import Await, StateMachine
from nanowyki.languages.linear import BasicBlock, Branch
from nanowyki.languages.pooled import Slot
from nanowyki.languages.resolved import Local
from nanowyki.languages.socketless import Suspend
from nanowyki.languages.surface import Stmt
from nanowyki.languages.types import TBool

BOOL = TBool()


@dataclass(frozen=True)
class Expansion:
    """What an `Await` became: its block (now ending otherwise), the blocks placed right after
    it, and the new local slots they use."""

    blocks: tuple[BasicBlock, ...]
    locals: tuple[Slot, ...]


Expander = Callable[[BasicBlock, Await], Expansion | None]


def expand_awaits(m: StateMachine, expand: Expander) -> StateMachine:
    """`m` with every block ending in an `Await` that `expand` handles replaced by its expansion
    (in place, so the printed machine still reads top-down); `m` itself if none is handled."""
    blocks: list[BasicBlock] = []
    new_locals: list[Slot] = []
    changed = False
    for b in m.blocks:
        done = expand(b, b.exit) if isinstance(b.exit, Await) else None
        if done is None:
            blocks.append(b)
            continue
        changed = True
        blocks.extend(done.blocks)
        new_locals.extend(done.locals)
    if not changed:
        return m
    return StateMachine(m.entry, m.frame, (*m.locals, *new_locals), tuple(blocks), span=m.span)


def names(number_from: str, *stems: str) -> tuple[str, ...]:
    """Labels that share the number of the fresh name `number_from` (`try.7` -> `ready.7`,
    `wait.7`): a fresh number is used by no other name, so these are fresh too."""
    n = number_from.rsplit(".", 1)[1]
    return tuple(f"{stem}.{n}" for stem in stems)


def flag(name: str, at: Await) -> Local:
    """The boolean local `name`, read where `at` stood."""
    return Local(name, BOOL, span=at.span)


Reason = Literal["input", "output", "time", "yield"]


def test_and_wait(label: str, stmt: Stmt, ok: str, at: Await, wait: str, reason: Reason,
                  again: str) -> tuple[BasicBlock, BasicBlock]:
    """`label: stmt; Branch(ok, at.resume, wait)` and `wait: Suspend(reason, again)`."""
    test = BasicBlock(label, (stmt,), Branch(flag(ok, at), at.resume, wait, span=at.span),
                      span=at.span)
    suspend = BasicBlock(wait, (), Suspend(reason, again, span=at.span), span=at.span)
    return test, suspend
