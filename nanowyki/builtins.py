"""The WYKI builtins: one table that every stage reads (resolve-names, check-types, the safety
checks and the interpreters), so a builtin is declared once.

Each entry says where the builtin may be used and how many arguments it takes; its typing rule
lives in check-types and its meaning in the interpreter (docs/language.md documents both).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Where(enum.Enum):
    ANYWHERE = "anywhere"  # pure: usable in functions, handlers and constants
    RUNTIME = "runtime"  # not in constants (clock, log), otherwise anywhere
    SESSION = "session"  # a session only, does not block
    BLOCKING = "blocking"  # a session only, may suspend it
    DATAGRAM = "datagram"  # a datagram handler only


@dataclass(frozen=True)
class Builtin:
    name: str
    where: Where
    min_args: int
    max_args: int | None  # None: any number (send, reply, log)


def _b(name: str, where: Where, lo: int, hi: int | None = -1) -> Builtin:
    return Builtin(name, where, lo, lo if hi == -1 else hi)


BUILTINS: dict[str, Builtin] = {
    b.name: b
    for b in [
        # pure
        _b("len", Where.ANYWHERE, 1),
        _b("find", Where.ANYWHERE, 2),
        _b("field", Where.ANYWHERE, 2),
        _b("nfields", Where.ANYWHERE, 1),
        _b("starts_with", Where.ANYWHERE, 2),
        _b("ends_with", Where.ANYWHERE, 2),
        _b("eq_nocase", Where.ANYWHERE, 2),
        _b("lower", Where.ANYWHERE, 1),
        _b("upper", Where.ANYWHERE, 1),
        _b("trim", Where.ANYWHERE, 1),
        _b("parse_int", Where.ANYWHERE, 1),
        _b("itoa", Where.ANYWHERE, 1),
        _b("hex", Where.ANYWHERE, 1),
        _b("hash", Where.ANYWHERE, 1),
        _b("min", Where.ANYWHERE, 2),
        _b("max", Where.ANYWHERE, 2),
        _b("abs", Where.ANYWHERE, 1),
        _b("byte", Where.ANYWHERE, 1),
        _b("be16", Where.ANYWHERE, 1),
        _b("be32", Where.ANYWHERE, 1),
        _b("u16", Where.ANYWHERE, 2),
        _b("u32", Where.ANYWHERE, 2),
        _b("fit", Where.ANYWHERE, 2),
        # effects on the world, not in constants
        _b("now_ms", Where.RUNTIME, 0),
        _b("unix_time", Where.RUNTIME, 0),
        _b("log", Where.RUNTIME, 1, None),
        # sessions
        _b("recv_line", Where.BLOCKING, 1),
        _b("recv_until", Where.BLOCKING, 2),
        _b("recv_exact", Where.BLOCKING, 2),
        _b("recv", Where.BLOCKING, 1),
        _b("send", Where.BLOCKING, 1, None),
        _b("sleep", Where.BLOCKING, 1),
        _b("peer_closed", Where.SESSION, 0),
        _b("set_timeout", Where.SESSION, 1),
        _b("timed_out", Where.SESSION, 0),
        # datagram handlers
        _b("reply", Where.DATAGRAM, 1, None),
    ]
}

TABLE_METHODS: dict[str, tuple[int, int]] = {
    # method: (min args, max args)
    "get": (1, 1),
    "contains": (1, 1),
    "put": (2, 2),
    "remove": (1, 1),
    "clear": (0, 0),
    "size": (0, 0),
}

FAULT_KINDS = ("bounds", "overflow", "division", "fuel", "table_full")
