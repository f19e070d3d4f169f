"""reject-misplaced-effects: session, datagram and run-time operations only where they can run
(rules 5 and 14 for `close`)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import assert_never

from nanowyki.builtins import BUILTINS, Where
from nanowyki.framework import Check, Diagnostic, InternalError, Node, Visitor
from nanowyki.languages import resolved
from nanowyki.languages.resolved import CallBuiltin
from nanowyki.languages.surface import (
    Close,
    Const,
    Datagram,
    Decl,
    Every,
    Fn,
    Listen,
    Service,
    Session,
    Sessions,
    Shared,
    Struct,
    Table,
)
from nanowyki.languages.typed import Typed

# Where a piece of code runs, as named in messages.
SESSION, FUNCTION, DATAGRAM, TIMER, CONSTANT = (
    "session",
    "function",
    "datagram handler",
    "timer",
    "constant",
)

_WHY_NOT_BLOCK = {
    FUNCTION: "functions cannot block: move the receive into the session and pass the data as an "
    "argument",
    DATAGRAM: "a datagram handler cannot block: it runs once per datagram, to completion",
    TIMER: "a timer cannot block: it runs to completion each period",
    CONSTANT: "a constant is computed at compile time",
}

_WHY_NOT_SEND = {
    FUNCTION: "functions cannot send: return the bytes and send them from the session",
    DATAGRAM: "answer a datagram with 'reply(...)'",
    TIMER: "a timer has no connection to send to",
    CONSTANT: "a constant is computed at compile time",
}

_WHY_NOT_CLOSE = {
    FUNCTION: "a function cannot end the session: return, and close in the session",
    DATAGRAM: "a datagram handler has no connection to close",
    TIMER: "a timer has no connection to close",
    CONSTANT: "",
}


class _Effects(Visitor):
    def __init__(self) -> None:
        self.diagnostics: list[Diagnostic] = []

    def report(self, n: Node, message: str, hint: str | None = None) -> None:
        self.diagnostics.append(Diagnostic(n.span, message, hint or None))

    def CallBuiltin(self, n: CallBuiltin, where: str) -> None:
        builtin = BUILTINS.get(n.func)
        if builtin is not None:
            self.check(n, builtin.where, where)
        self.visit_children(n, where)

    def check(self, n: resolved.CallBuiltin, kind: Where, where: str) -> None:
        name = n.func
        match kind:
            case Where.ANYWHERE:
                pass
            case Where.RUNTIME:
                if where == CONSTANT:
                    self.report(
                        n,
                        f"'{name}' cannot be used in a constant",
                        "a constant is computed at compile time; its value cannot depend on "
                        "the clock or log anything",
                    )
            case Where.BLOCKING if where != SESSION:
                if name == "send":
                    self.report(n, "'send' can only be used in a session", _WHY_NOT_SEND[where])
                else:
                    self.report(
                        n,
                        f"'{name}' blocks and can only be used in a session",
                        _WHY_NOT_BLOCK[where],
                    )
            case Where.SESSION if where != SESSION:
                self.report(n, f"'{name}' can only be used in a session")
            case Where.DATAGRAM if where != DATAGRAM:
                hint = "answer a connection with 'send(...)'" if where == SESSION else None
                self.report(n, f"'{name}' can only be used in a datagram handler", hint)
            case Where.BLOCKING | Where.SESSION | Where.DATAGRAM:
                pass
            case _:
                assert_never(kind)

    def Close(self, n: Close, where: str) -> None:
        if where != SESSION:
            self.report(n, "'close' can only be used in a session", _WHY_NOT_CLOSE[where])


def _where(d: Decl) -> str:
    """What kind of code a declaration holds."""
    match d:
        case Session():
            return SESSION
        case Fn():
            return FUNCTION
        case Datagram():
            return DATAGRAM
        case Every():
            return TIMER
        case Const() | Shared() | Listen() | Sessions() | Table() | Struct():
            return CONSTANT
        case _:
            raise InternalError(
                "reject-misplaced-effects", f"unknown declaration {type(d).__name__}"
            )


class RejectMisplacedEffects(Check):
    """Typed -> Typed: reject operations used where they cannot run.

    Establishes: blocking builtins (`recv*`, `send`, `sleep`) and the other session builtins
    (`peer_closed`, `set_timeout`, `timed_out`) and the `close` statement occur only in the
    session; `reply` only in the datagram handler; `now_ms`, `unix_time` and `log` not in
    constants or other service-level expressions (ports, capacities, timer periods, shared
    initial values). So functions, datagram handlers and timers never block.
    Assumes: builtins are resolved (`CallBuiltin` names an entry of `nanowyki.builtins`).

        fn get() -> bytes[8] { let b = recv(8) else { return ""; }; return b; }
        -> 'recv' blocks and can only be used in a session
           hint: functions cannot block: move the receive into the session and pass the data
           as an argument
    """

    name = "reject-misplaced-effects"
    input = Typed
    output = Typed

    def diagnose(self, tree: Node) -> Iterable[Diagnostic]:
        if not isinstance(tree, Service):
            raise self.fail(tree, "expected a Service")
        effects = _Effects()
        for d in tree.decls:
            effects.visit(d, _where(d))
        return effects.diagnostics
