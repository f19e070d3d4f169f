"""Driving one session by hand, resume by resume: shared by the tests that compare one IL's
sessions with another's (Typed threads, Evented and Socketless machines)."""

from __future__ import annotations

from nanowyki import purefns
from nanowyki.interp.base import Interpreter
from nanowyki.interp.world import World

Action = bytes | int | str  # client bytes, clock advance in ms, "shut" or "resume"


def trace(interp: Interpreter, actions: list[Action], *, room: int | None = None,
          fuel: int = 1000) -> list[tuple[object, bytes]]:
    """Drive one session by hand: what each resume returned and wrote."""
    world = World(out_capacity=room)
    interp.start(world, fuel=fuel)
    conn = world.connect("a")
    task = interp.session(conn)
    seen: list[tuple[object, bytes]] = []
    for act in actions:
        if isinstance(act, bytes):
            world.client_send(conn, act)
        elif isinstance(act, int):
            world.now_ms += act
        elif act == "shut":
            world.client_shut(conn)
        else:
            try:
                w: object = task.resume()
            except purefns.Fault as err:
                w = f"fault {err.kind}"
            seen.append((w, bytes(conn.pending)))
            conn.pending.clear()
    return seen
