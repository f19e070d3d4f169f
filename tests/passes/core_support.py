"""Helpers for the tests of the passes from Typed to Core and of `CoreInterpreter`.

- `typed(tmp_path, text)`: the front end on WYKI source text: a checked Typed tree and facts.
- `lower(tree, facts, upto)`: the Typed -> Core passes in order, up to and including `upto`,
  each output checked against its language.
- `session_il(stmts)` / `session_body(tree)`: a whole printed program around a few printed
  statements, and back, so that pass tests are written in the printed IL.
- `behaviour(interp, ...)`: everything observable of one run (bytes out, faults, log lines,
  and every wait a task returned, which shows where loops yielded), to compare interpreters.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from pathlib import Path

from pyrsistent import pmap

from nanowyki import pipeline
from nanowyki.framework import Facts, Node, Pass, Rewriter, Span, check, print_tree, walk
from nanowyki.interp.base import Interpreter
from nanowyki.interp.core import CoreInterpreter
from nanowyki.interp.scheduler import Scheduler, Task, Wait, show_wait
from nanowyki.interp.typed import TypedInterpreter
from nanowyki.interp.world import World
from nanowyki.languages.surface import For, Loop, Service, Session, While
from nanowyki.passes.convert_bindings import ConvertBindings
from nanowyki.passes.expose_effects import ExposeEffects
from nanowyki.passes.remove_compound_assignments import RemoveCompoundAssignments
from nanowyki.passes.require_loop_bounds import LoopBound, LoopBounds
from nanowyki.passes.unify_loops import UnifyLoops

ROOT = Path(__file__).resolve().parent.parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.wyki"))
CHAIN: list[type[Pass]] = [UnifyLoops, RemoveCompoundAssignments, ExposeEffects, ConvertBindings]


def typed(tmp_path: Path, text: str, name: str = "t.wyki") -> tuple[Node, Facts]:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    result = pipeline.frontend().run(pipeline.source_tree(path))
    return result.tree, result.facts


def lower(tree: Node, facts: Facts, upto: type[Pass] = ConvertBindings) -> tuple[Node, Facts]:
    for p in CHAIN:
        tree, facts = p().apply(tree, facts)
        check(tree, p.output)
        if p is upto:
            break
    return tree, facts


def session_il(stmts: str) -> str:
    """A TCP service whose session is the printed statements `stmts`."""
    return f"(Service t [(Listen tcp (IntLit 7 (TInt))) (Session (Block [{stmts}]))])"


def session_body(tree: Node) -> str:
    """The printed statements of the session of `tree`, one per line."""
    assert isinstance(tree, Service)
    (session,) = [d for d in tree.decls if isinstance(d, Session)]
    return "\n".join(print_tree(s) for s in session.body.stmts)


def norm(text: str) -> str:
    """Printed IL with its layout removed (to compare with hand-written, indented text)."""
    flat = re.sub(r"\s+", " ", text).strip()
    return re.sub(r"([(\[])\s+", r"\1", re.sub(r"\s+([)\]])", r"\1", flat))


# -- running -----------------------------------------------------------------------------------


class Recording(Task):
    """A task that records every wait the task it wraps returns."""

    def __init__(self, inner: Task, waits: list[str]) -> None:
        self.inner = inner
        self.name = inner.name
        self.conn = inner.conn
        self.waits = waits

    def resume(self) -> Wait:
        w = self.inner.resume()
        self.waits.append(show_wait(w))
        return w


@dataclass
class Behaviour:
    output: bytes
    replies: list[bytes]
    faults: list[str]
    log: list[bytes]
    waits: list[str]
    events: list[str]  # the world's event log: opens, writes (one per flush), faults, ...
    closed: bool


def behaviour(
    interp: Interpreter,
    *,
    data: bytes = b"",
    datagrams: tuple[bytes, ...] = (),
    timers: int = 0,
    fuel: int = 1000,
    out_capacity: int | None = None,
) -> Behaviour:
    """Serve one connection (TCP: it sends `data`, then shuts) or the `datagrams` (UDP) and run
    the first `timers` timers once each; what was observed."""
    world = World(out_capacity=out_capacity)
    shape = interp.start(world, fuel=fuel)
    sched = Scheduler(world, budget=100_000)
    waits: list[str] = []
    output, replies, closed = b"", list[bytes](), False
    if shape.proto == "tcp":
        conn = world.connect("a")
        sched.spawn(Recording(interp.session(conn), waits))
        world.client_send(conn, data)
        world.client_shut(conn)
        sched.run()
        output, closed = bytes(conn.received), conn.service_closed
    else:
        client = world.udp_client("q")
        for d in datagrams:
            sched.spawn(Recording(interp.datagram(client, d), waits))
            sched.run()
        replies = list(client.replies)
    for index in range(timers):
        sched.spawn(Recording(interp.timer(index), waits))
        sched.run()
    faults = [f"{f.kind} at {f.detail}" for f in world.faults]
    events = [e.text for e in world.log]
    return Behaviour(output, replies, faults, list(world.service_log), waits, events, closed)


def both(tmp_path: Path, text: str, **kw: object) -> tuple[Behaviour, Behaviour]:
    """The behaviour of the program `text` under TypedInterpreter, and after all four passes
    under CoreInterpreter."""
    tree, facts = typed(tmp_path, text)
    lowered, after = lower(tree, facts)
    return (
        behaviour(TypedInterpreter(tree, facts), **kw),  # type: ignore[arg-type]
        behaviour(CoreInterpreter(lowered, after), **kw),  # type: ignore[arg-type]
    )


# -- loops in hand-written IL ------------------------------------------------------------------


class _SpanLoops(Rewriter):
    """Gives the k-th loop (pre-order) the span line k."""

    def __init__(self) -> None:
        self.count = 0

    def loop(self, n: Node) -> Node:
        self.count += 1
        span = Span("t.wyki", self.count, 1, self.count, 1)
        return dataclasses.replace(self.visit_children(n), span=span)

    def For(self, n: For) -> Node:
        return self.loop(n)

    def While(self, n: While) -> Node:
        return self.loop(n)

    def Loop(self, n: Loop) -> Node:
        return self.loop(n)


_KINDS = {For: "for", While: "while", Loop: "loop"}


def with_loop_bounds(tree: Node, *trips: int | None) -> tuple[Node, Facts]:
    """`tree` with a span on every loop, and the LoopBounds fact saying the k-th loop (in
    pre-order) runs at most `trips[k]` times (None: a session loop on fuel)."""
    out = _SpanLoops().visit(tree)
    assert isinstance(out, Service)
    loops = [(i, n) for i, d in enumerate(out.decls) for n in walk(d) if type(n) in _KINDS]
    assert len(loops) == len(trips), f"{len(loops)} loops, {len(trips)} bounds given"
    bounds = {
        (i, n): LoopBound(_KINDS[type(n)], k, n.span)
        for (i, n), k in zip(loops, trips, strict=True)
    }
    return out, Facts().with_(LoopBounds(pmap(bounds)))
