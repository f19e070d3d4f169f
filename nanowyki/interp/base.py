"""`Interpreter`: what the transcript runner needs from the interpreter of any IL.

An interpreter is made from a program (a tree of its IL) and the facts the passes produced. The
runner calls `start(world)` once per transcript (fresh service state: shared variables, tables),
reads `shape` (protocol, sessions limit, timers, datagram size), and asks for tasks:
`session(conn)` for each accepted connection, `datagram(client, data)` for each datagram,
`timer(i)` each time timer `i` is due. A task is the scheduler's `Task` (see `scheduler`).

Program forms are executed by methods named after the node classes (`def Let(self, s, frame)`,
`def Binary(self, e, frame)`), found by `handler(node)` along the node class's MRO with the
framework's own dispatch (`framework.passes.find_handler`), as passes find their handlers. The
interpreter of the next IL subclasses the previous one and overrides only the forms its IL
changes.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from nanowyki.framework import Facts, Node
from nanowyki.framework.passes import find_handler

from .scheduler import Task
from .world import Connection, UdpClient, World


class InterpError(Exception):
    """The interpreter met a form or a state it cannot handle: a bug in a pass or in the
    interpreter, never in the WYKI program (a checked program only faults)."""


@dataclass(frozen=True)
class ServiceShape:
    """The declarations the runtime reads: what to listen on and what to run when."""

    name: str
    proto: str  # "tcp" | "udp"
    port: int
    max_sessions: int
    timers: tuple[int, ...]  # the period of each `every`, in ms, in declaration order
    datagram_limit: int | None  # the bound of the datagram parameter (UDP)


class Interpreter(ABC):
    """Base of every IL's interpreter."""

    language: ClassVar[str] = "?"

    def __init__(self, program: Node, facts: Facts | None = None) -> None:
        self.program = program
        self.facts = facts if facts is not None else Facts()
        self.world = World()

    # -- dispatch ------------------------------------------------------------------------------

    def handler(self, n: Node) -> Callable[..., Any]:
        """The method for node `n`: named after its class or the nearest class above it."""
        found = find_handler(type(self), type(n))
        if found is None:
            raise InterpError(
                f"{type(self).__name__} has no method for {type(n).__name__}"
                f"{' at ' + str(n.span) if n.span else ''}"
            )
        return found

    # -- what the runner calls -----------------------------------------------------------------

    @abstractmethod
    def start(self, world: World, *, fuel: int = 1000) -> ServiceShape:
        """Reset the service state for a run in `world`; `fuel` loop turns per session slice."""

    @abstractmethod
    def session(self, conn: Connection) -> Task:
        """The task serving a newly accepted connection."""

    @abstractmethod
    def datagram(self, client: UdpClient, data: bytes) -> Task:
        """The task handling one datagram (it checks the size limit itself)."""

    @abstractmethod
    def timer(self, index: int) -> Task:
        """The task for one run of the `index`-th `every` timer."""
