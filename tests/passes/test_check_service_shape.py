"""check-service-shape: one listen on a valid port, the handlers the protocol needs."""

from __future__ import annotations

import pytest

from nanowyki.passes.check_service_shape import CheckServiceShape, ServiceShape

from .safety_support import (
    diagnose_source,
    example_names,
    run_example,
    run_il,
)

SESSION = "(Session (Block []))"
DATAGRAM = "(Datagram pkt (TBytes 512) (Block []))"
MISSING_LISTEN = "missing 'listen': a service must say where it listens, e.g. 'listen tcp 8080;'"


def listen(proto: str, port: int) -> str:
    return f"(Listen {proto} (IntLit {port} (TInt)))"


def tcp(port: int = 7) -> str:
    return listen("tcp", port)


def udp(port: int = 53) -> str:
    return listen("udp", port)


def sessions(n: int) -> str:
    return f"(Sessions (IntLit {n} (TInt)))"


def every(n: int, unit: str) -> str:
    return f"(Every (IntLit {n} (TInt)) {unit} (Block []))"


def shape(*decls: str) -> tuple[list[str], ServiceShape | None]:
    diags, facts = run_il(CheckServiceShape, f"(Service s [{' '.join(decls)}])")
    return [d.message for d in diags], facts.find(ServiceShape)


def messages(*decls: str) -> list[str]:
    return shape(*decls)[0]


def test_a_tcp_service() -> None:
    assert shape(tcp(8080), sessions(64), SESSION, every(1, "s"), every(250, "ms")) == (
        [],
        ServiceShape("tcp", 8080, 64, 0, (1000, 250)),
    )


def test_tcp_sessions_default_to_1024() -> None:
    assert shape(tcp(), SESSION)[1] == ServiceShape("tcp", 7, 1024, 0, ())


def test_a_udp_service() -> None:
    assert shape(udp(), DATAGRAM) == ([], ServiceShape("udp", 53, 0, 512, ()))


def test_listen_is_required_once() -> None:
    assert messages(SESSION) == [MISSING_LISTEN]
    assert messages(tcp(), tcp(8), SESSION) == [
        "more than one 'listen': a service listens on exactly one port"
    ]


@pytest.mark.parametrize("port", [0, 65536, 70000])
def test_port_out_of_range(port: int) -> None:
    assert messages(tcp(port), SESSION) == [f"port {port} is out of range 1..65535"]


def test_port_through_a_constant() -> None:
    decls = ["(Const P (TInt) (IntLit 99999 (TInt)))", "(Listen tcp (ConstRef P (TInt)))", SESSION]
    assert messages(*decls) == ["port 99999 is out of range 1..65535"]


def test_port_edges_are_accepted() -> None:
    assert messages(tcp(1), SESSION) == []
    assert messages(tcp(65535), SESSION) == []


def test_sessions_count() -> None:
    assert messages(tcp(), sessions(0), SESSION) == ["sessions 0 is out of range 1..1048576"]
    assert messages(tcp(), sessions(1_048_577), SESSION) == [
        "sessions 1048577 is out of range 1..1048576"
    ]
    assert messages(tcp(), sessions(1_048_576), SESSION) == []
    assert messages(tcp(), sessions(5), sessions(6), SESSION) == ["more than one 'sessions'"]


def test_sessions_only_in_tcp() -> None:
    assert messages(udp(), sessions(10), DATAGRAM) == ["'sessions' is only for TCP services"]


def test_tcp_needs_exactly_one_session_and_no_datagram() -> None:
    assert messages(tcp()) == ["a TCP service needs a 'session' block"]
    assert messages(tcp(), SESSION, SESSION) == [
        "more than one 'session': a service has exactly one"
    ]
    assert messages(tcp(), SESSION, DATAGRAM) == ["a TCP service cannot have a 'datagram' handler"]


def test_udp_needs_exactly_one_datagram_and_no_session() -> None:
    assert messages(udp()) == ["a UDP service needs a 'datagram' handler"]
    assert messages(udp(), DATAGRAM, DATAGRAM) == [
        "more than one 'datagram': a service has exactly one"
    ]
    assert messages(udp(), DATAGRAM, SESSION) == ["a UDP service cannot have a 'session'"]


def test_datagram_size() -> None:
    big = "(Datagram pkt (TBytes 65508) (Block []))"
    assert messages(udp(), big) == ["a datagram holds at most 65507 bytes, not 65508"]
    assert messages(udp(), "(Datagram pkt (TBytes 65507) (Block []))") == []
    assert messages(udp(), "(Datagram pkt (TInt) (Block []))") == [
        "a datagram must be declared as bytes[N]"
    ]


def test_without_listen_the_handlers_are_not_judged() -> None:
    assert messages(DATAGRAM, SESSION) == [MISSING_LISTEN]


def test_timer_periods() -> None:
    assert messages(tcp(), SESSION, every(0, "ms")) == [
        "timer period 0 ms is out of range 1 ms ..= 1 day"
    ]
    assert messages(tcp(), SESSION, every(86401, "s")) == [
        "timer period 86401 s is out of range 1 ms ..= 1 day"
    ]
    assert messages(tcp(), SESSION, every(86400, "s"), every(1, "ms")) == []


def test_no_fact_when_the_shape_is_wrong() -> None:
    assert shape(tcp(0), SESSION)[1] is None


def test_positions_from_source() -> None:
    src = """service s {
    listen tcp 70000;
    listen udp 53;
    session { close; }
}
"""
    assert diagnose_source(CheckServiceShape, src) == [
        (2, 16, "port 70000 is out of range 1..65535"),
        (3, 5, "more than one 'listen': a service listens on exactly one port"),
    ]
    assert diagnose_source(CheckServiceShape, "service s {\n    session { close; }\n}\n") == [
        (1, 1, MISSING_LISTEN)
    ]


@pytest.mark.parametrize("example", example_names())
def test_examples_are_accepted(example: str) -> None:
    diags, _ = run_example(CheckServiceShape, example)
    assert diags == []


def test_echo_shape() -> None:
    _, facts = run_example(CheckServiceShape, "echo")
    assert facts.get(ServiceShape) == ServiceShape("tcp", 7, 1024, 0, ())
