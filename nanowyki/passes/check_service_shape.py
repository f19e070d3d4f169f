"""check-service-shape: a service listens once, on a valid port, with the handlers its protocol
needs (rule 13, and the ranges of `sessions`, datagram sizes and timer periods)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from nanowyki.analysis.constants import Constants, ConstValues
from nanowyki.framework import Check, Diagnostic, Fact, Node
from nanowyki.languages.linear import DatagramGraph, TimerGraph
from nanowyki.languages.surface import Datagram, Every, Expr, Listen, Service, Session, Sessions
from nanowyki.languages.typed import Typed
from nanowyki.languages.types import TBytes
from nanowyki.static_eval import constant_table, fold_int

DEFAULT_SESSIONS = 1024
MAX_SESSIONS = 1_048_576
MAX_DATAGRAM = 65_507  # the largest UDP payload over IPv4
DAY_MS = 86_400_000


@dataclass(frozen=True)
class ServiceShape(Fact):
    """What the runtime is sized for: `proto` "tcp" or "udp", the default `port`, how many
    `sessions` (TCP; 0 for UDP), the largest datagram (UDP; 0 for TCP) and each timer's period
    in milliseconds, in declaration order."""

    proto: str
    port: int
    sessions: int
    datagram_bound: int
    timers: tuple[int, ...]

    @classmethod
    def derive(cls, tree: Node) -> ServiceShape | None:
        """From the service's declarations, which every language up to `Socketless` keeps
        (handlers and timers as graphs from `Linear` on), in a program check-service-shape
        accepted."""
        if not isinstance(tree, Service):
            return None
        consts = Constants(tree).values().values
        listen = next((d for d in tree.decls if isinstance(d, Listen)), None)
        port = fold_int(listen.port, consts) if listen else None
        if listen is None or port is None:
            return None
        count = next((fold_int(d.count, consts) for d in tree.decls if isinstance(d, Sessions)),
                     DEFAULT_SESSIONS)  # fmt: skip
        handlers = (d for d in tree.decls if isinstance(d, Datagram | DatagramGraph))
        bound = next((t.bound for d in handlers if isinstance(t := d.declared, TBytes)), 0)
        timers = []
        for d in tree.decls:
            if isinstance(d, Every | TimerGraph):
                value = fold_int(d.period, consts)
                if value is None:
                    return None
                timers.append(value * 1000 if d.unit == "s" else value)
        sessions = (count or DEFAULT_SESSIONS) if listen.proto == "tcp" else 0
        return cls(listen.proto, port, sessions, bound, tuple(timers))


class CheckServiceShape(Check):
    """Typed -> Typed: check the service-level declarations against the service's protocol.

    Establishes: exactly one `listen`, its port a constant in 1..65535; at most one `sessions`,
    only in a TCP service, in 1..1048576; a TCP service has exactly one `session` and no
    `datagram`; a UDP service exactly one `datagram` of `bytes[N]`, N <= 65507, and no `session`;
    every timer period is 1 ms ..= 1 day. Provides `ServiceShape`. A missing declaration is
    reported at the service (its `service` keyword), a duplicate at the second one. Without a
    `listen` the protocol is unknown and the handlers are not checked.
    Assumes: constants are known (uncover-constants).

        service svc { session { close; } }
        -> 1:1: missing 'listen': a service must say where it listens, e.g. 'listen tcp 8080;'
        service svc { listen tcp 70000; session { close; } }
        -> 1:26: port 70000 is out of range 1..65535
    """

    name = "check-service-shape"
    input = Typed
    output = Typed
    requires = (ConstValues,)
    provides = (ServiceShape,)

    def diagnose(self, tree: Node) -> Iterable[Diagnostic]:
        if not isinstance(tree, Service):
            raise self.fail(tree, "expected a Service")
        self.consts = constant_table(tree, self.facts)
        self.diagnostics: list[Diagnostic] = []
        decls = tree.decls
        listens = [d for d in decls if isinstance(d, Listen)]
        sessions = [d for d in decls if isinstance(d, Sessions)]
        handlers = [d for d in decls if isinstance(d, Session)]
        datagrams = [d for d in decls if isinstance(d, Datagram)]
        if not listens:
            self.report(
                tree,
                "missing 'listen': a service must say where it listens, e.g. 'listen tcp 8080;'",
            )
        for extra in listens[1:]:
            self.report(extra, "more than one 'listen': a service listens on exactly one port")
        proto = listens[0].proto if listens else ""
        port = self.ranged(listens[0].port, "port", 1, 65_535) if listens else None
        count = self.sessions(sessions, proto)
        if proto == "tcp":
            self.one(tree, handlers, "a TCP service needs a 'session' block", "'session'")
            for d in datagrams:
                self.report(
                    d,
                    "a TCP service cannot have a 'datagram' handler",
                    "a UDP service listens with 'listen udp PORT;'",
                )
        bound = 0
        if proto == "udp":
            self.one(tree, datagrams, "a UDP service needs a 'datagram' handler", "'datagram'")
            for h in handlers:
                self.report(
                    h,
                    "a UDP service cannot have a 'session'",
                    "a TCP service listens with 'listen tcp PORT;'",
                )
            bound = max((self.datagram(d) for d in datagrams), default=0)
        timers = tuple(self.period(d) for d in decls if isinstance(d, Every))
        if not self.diagnostics and port is not None:
            self.provide(ServiceShape(proto, port, count, bound, timers))
        return self.diagnostics

    def report(self, n: Node, message: str, hint: str | None = None) -> None:
        self.diagnostics.append(Diagnostic(n.span, message, hint))

    def one(
        self, service: Service, found: list[Session] | list[Datagram], missing: str, what: str
    ) -> None:
        if not found:
            self.report(service, missing)
        for extra in found[1:]:
            self.report(extra, f"more than one {what}: a service has exactly one")

    def ranged(self, e: Expr, what: str, lo: int, hi: int) -> int | None:
        value = fold_int(e, self.consts)
        if value is None:
            self.report(e, f"the {what} must be a constant")
        elif not lo <= value <= hi:
            self.report(e, f"{what} {value} is out of range {lo}..{hi}")
            return None
        return value

    def sessions(self, found: list[Sessions], proto: str) -> int:
        for extra in found[1:]:
            self.report(extra, "more than one 'sessions'")
        if proto == "udp":
            for d in found:
                self.report(
                    d, "'sessions' is only for TCP services", "a UDP service has no sessions"
                )
            return 0
        if not found:
            return DEFAULT_SESSIONS
        return self.ranged(found[0].count, "sessions", 1, MAX_SESSIONS) or DEFAULT_SESSIONS

    def datagram(self, d: Datagram) -> int:
        t = d.declared
        if not isinstance(t, TBytes):
            self.report(d, "a datagram must be declared as bytes[N]")
            return 0
        if t.bound > MAX_DATAGRAM:
            self.report(d, f"a datagram holds at most {MAX_DATAGRAM} bytes, not {t.bound}")
        return t.bound

    def period(self, d: Every) -> int:
        value = fold_int(d.period, self.consts)
        if value is None:
            self.report(d.period, "the period of a timer must be a constant")
            return 0
        ms = value * 1000 if d.unit == "s" else value
        if not 1 <= ms <= DAY_MS:
            self.report(d.period, f"timer period {value} {d.unit} is out of range 1 ms ..= 1 day")
        return ms
