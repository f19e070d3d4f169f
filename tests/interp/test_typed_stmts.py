"""TypedInterpreter: statements and session builtins, on hand-built sessions."""

from __future__ import annotations

from nanowyki.languages.surface import (
    ArrayLit,
    Break,
    Close,
    Continue,
    Field,
    FieldDecl,
    FieldInit,
    For,
    If,
    Index,
    Loop,
    Struct,
    StructValue,
    Var,
    While,
)
from nanowyki.languages.types import TArray, TBytes, TInt, TStruct

from .build import assign, bi, block, do, i, let, let_plain, loc, op, run_session, s, t


def var(name: str, value: object, ty: object = None) -> Var:
    return Var(name, ty or TInt(), value)  # type: ignore[arg-type]


def test_let_binds_and_send_writes_ints_in_decimal() -> None:
    ran = run_session(let_plain("x", i(41)), do("send", s("n="), op("+", loc("x"), i(1)), s("\n")))
    assert ran.output == b"n=42\n"
    assert ran.closed  # falling off the end closes


def test_let_else_runs_the_else_block_on_none() -> None:
    ran = run_session(
        let("n", bi("parse_int", s("x")), do("send", s("bad")), Close()), do("send", s("never"))
    )
    assert ran.output == b"bad"


def test_var_and_compound_assignments() -> None:
    ran = run_session(
        var("x", i(10)),
        assign(loc("x"), "+=", i(5)),
        assign(loc("x"), "-=", i(3)),
        assign(loc("x"), "*=", i(2)),
        do("send", loc("x"), s(" ")),
        assign(loc("x"), "=", i(7)),
        do("send", loc("x")),
    )
    assert ran.output == b"24 7"


def test_append_within_the_bound() -> None:
    b = loc("b", TBytes(4))
    ran = run_session(
        var("b", s("ab"), TBytes(4)), assign(b, "++=", s("cd")), do("send", b)
    )
    assert ran.output == b"abcd" and ran.faults == []


def test_append_past_the_bound_faults_bounds() -> None:
    b = loc("b", TBytes(4))
    ran = run_session(
        var("b", s("ab"), TBytes(4)), do("send", s("before")), assign(b, "++=", s("cde")),
        do("send", s("after")),
    )
    assert ran.faults == ["bounds"]
    assert ran.output == b"before"  # what was sent before the fault is delivered
    assert ran.closed


def test_compound_assignment_overflow_faults() -> None:
    ran = run_session(var("x", i(2**62)), assign(loc("x"), "*=", i(2)))
    assert ran.faults == ["overflow"]


def test_array_element_assignment_copies() -> None:
    a = loc("a", TArray(TInt(), 3))
    ran = run_session(
        var("a", ArrayLit((i(1), i(2), i(3)))),
        let_plain("before", a),
        assign(Index(a, i(1)), "=", i(20)),
        assign(Index(a, i(2)), "+=", i(10)),
        do("send", Index(a, i(1)), s(" "), Index(a, i(2)), s(" "), Index(loc("before"), i(1))),
    )
    assert ran.output == b"20 13 2"


def test_array_assignment_out_of_bounds_faults_before_the_value_is_computed() -> None:
    a = loc("a", TArray(TInt(), 3))
    ran = run_session(
        var("a", ArrayLit((i(1), i(2), i(3)))), assign(Index(a, i(3)), "=", op("/", i(1), i(0)))
    )
    assert ran.faults == ["bounds"]


def test_nested_struct_field_in_array_assignment() -> None:
    pair = Struct("P", (FieldDecl("x", TInt()), FieldDecl("y", TInt())))
    mk = StructValue("P", (FieldInit("x", i(1)), FieldInit("y", i(2))), TStruct("P"))
    ps = loc("ps", TArray(TStruct("P"), 2))
    ran = run_session(
        var("ps", ArrayLit((mk, mk))),
        assign(Field(Index(ps, i(1)), "y"), "=", i(9)),
        do("send", Field(Index(ps, i(0)), "y"), s(" "), Field(Index(ps, i(1)), "y")),
        decls=(pair,),
    )
    assert ran.output == b"2 9"


def test_if_else_chain() -> None:
    def classify(n: int) -> bytes:
        chain = If(
            op("<", i(n), i(0)),
            block(do("send", s("neg"))),
            block(
                If(op("==", i(n), i(0)), block(do("send", s("zero"))), block(do("send", s("pos"))))
            ),
        )
        return run_session(chain).output

    assert (classify(-1), classify(0), classify(3)) == (b"neg", b"zero", b"pos")


def test_while_with_max_runs_n_iterations_without_fault() -> None:
    x = loc("x")
    ran = run_session(
        var("x", i(0)), While(op("<", x, i(3)), i(3), block(assign(x, "+=", i(1)))), do("send", x)
    )
    assert ran.output == b"3" and ran.faults == []


def test_while_with_max_faults_fuel_on_iteration_n_plus_one() -> None:
    x = loc("x")
    ran = run_session(
        var("x", i(0)), While(op("<", x, i(4)), i(3), block(assign(x, "+=", i(1)))), do("send", x)
    )
    assert ran.faults == ["fuel"] and ran.output == b""


def test_loop_with_max_and_break() -> None:
    x = loc("x")
    body = block(If(op("==", x, i(5)), block(Break()), None), assign(x, "+=", i(1)))
    ran = run_session(var("x", i(0)), Loop(i(10), body), do("send", x))
    assert ran.output == b"5"
    ran = run_session(var("x", i(0)), Loop(i(4), body), do("send", x))
    assert ran.faults == ["fuel"]


def test_for_loop_with_continue_and_break() -> None:
    body = block(
        If(op("==", loc("k"), i(2)), block(Continue()), None),
        If(op("==", loc("k"), i(5)), block(Break()), None),
        do("send", loc("k")),
    )
    ran = run_session(For("k", i(0), i(10), body))
    assert ran.output == b"0134"


def test_for_loop_bounds_are_evaluated_once() -> None:
    n = loc("n")
    body = block(assign(n, "+=", i(1)), do("send", loc("k")))
    ran = run_session(var("n", i(3)), For("k", i(0), n, body), do("send", s(" "), n))
    assert ran.output == b"012 6"


def test_empty_for_range() -> None:
    assert run_session(For("k", i(5), i(2), block(do("send", s("x"))))).output == b""


def test_close_ends_the_session_after_flushing() -> None:
    ran = run_session(do("send", s("bye")), Close(), do("send", s("never")), shut=False)
    assert ran.output == b"bye" and ran.closed


def test_log_writes_one_line() -> None:
    ran = run_session(do("log", s("n="), i(3), s(" ok="), t(True)))
    assert ran.log == [b"n=3 ok=true"]


# -- receives ----------------------------------------------------------------------------------


def echo_lines(limit: int) -> tuple[Loop]:
    return (
        Loop(None, block(let("l", bi("recv_line", i(limit)), do("send", s("none")), Close()),
                         do("send", s("["), loc("l"), s("]")))),
    )  # fmt: skip


def test_recv_line() -> None:
    ran = run_session(*echo_lines(5), data=b"one\r\ntwo\n\nthree")
    assert ran.output == b"[one][two][]none"  # "three" has no end of line before end of input


def test_recv_line_too_long_gives_none_and_keeps_the_bytes() -> None:
    ran = run_session(
        let("l", bi("recv_line", i(3)),
            let("r", bi("recv", i(10)), Close()), do("send", s("kept:"), loc("r")), Close()),
        data=b"abcdef\n",
    )  # fmt: skip
    assert ran.output == b"kept:abcdef\n"


def test_recv_until_and_exact() -> None:
    ran = run_session(
        let("a", bi("recv_until", s("::"), i(8)), Close()),
        let("b", bi("recv_exact", i(3), i(8)), Close()),
        let("c", bi("recv_exact", Unary_neg(1), i(8)), do("send", s(".")), Close()),
        data=b"key::abcdef",
    )
    assert ran.output == b"."


def Unary_neg(n: int) -> object:
    from nanowyki.languages.surface import Unary

    return Unary("-", i(n))


def test_recv_exact_and_until_values() -> None:
    ran = run_session(
        let("a", bi("recv_until", s("::"), i(8)), Close()),
        let("b", bi("recv_exact", i(3), i(8)), Close()),
        do("send", loc("a"), s("|"), loc("b")),
        let("c", bi("recv_exact", i(9), i(8)), do("send", s("|too many")), Close()),
        data=b"key::abcdef",
    )
    assert ran.output == b"key|abc|too many"


def test_recv_takes_what_has_arrived_up_to_n() -> None:
    ran = run_session(
        Loop(None, block(
            let("d", bi("recv", i(4)), Close()), do("send", s("<"), loc("d"), s(">")))),
        data=b"abcdefghij",
    )
    assert ran.output == b"<abcd><efgh><ij>"


def test_peer_closed() -> None:
    body = (
        do("send", bi("peer_closed")),
        let("d", bi("recv", i(10)), Close()),
        do("send", bi("peer_closed")),
    )
    assert run_session(*body, data=b"x", shut=True).output == b"falsetrue"


def test_session_waits_without_input() -> None:
    ran = run_session(*echo_lines(10), data=b"partial", shut=False)
    assert ran.output == b"" and not ran.closed

