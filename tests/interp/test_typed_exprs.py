"""TypedInterpreter: every expression form and pure/runtime builtin on hand-built trees."""

from __future__ import annotations

import pytest
from pyrsistent import pmap

from nanowyki.analysis.constants import ConstValues
from nanowyki.framework import Facts
from nanowyki.languages.surface import (
    ArrayLit,
    ArrayRepeat,
    Const,
    FieldDecl,
    FieldInit,
    Fn,
    Index,
    NoneLit,
    Param,
    Return,
    Shared,
    Slice,
    Struct,
    StructValue,
    Unary,
)
from nanowyki.languages.surface import Field as FieldOf
from nanowyki.languages.types import TInt, TStruct
from nanowyki.purefns import INT_MAX, INT_MIN, Fault

from .build import bi, block, const, evaluate, fn, i, loc, op, s, shared, t

MIN = Unary("-", op("-", i(INT_MAX), i(0)))  # -(2^63 - 1)
MIN_VALUE = op("-", MIN, i(1))


@pytest.mark.parametrize(
    ("expr", "value"),
    [
        (i(42), 42),
        (t(True), True),
        (s("hi"), b"hi"),
        (NoneLit(), None),
        (Unary("-", i(5)), -5),
        (Unary("~", i(0)), -1),
        (Unary("!", t(False)), True),
        (op("+", i(2), i(3)), 5),
        (op("-", i(2), i(3)), -1),
        (op("*", i(-4), i(3)), -12),
        (op("/", i(-7), i(2)), -3),  # truncates toward zero
        (op("%", i(-7), i(2)), -1),
        (op("&", i(12), i(10)), 8),
        (op("|", i(12), i(10)), 14),
        (op("^", i(12), i(10)), 6),
        (op("<<", i(1), i(63)), INT_MIN),  # two's-complement bits
        (op(">>", Unary("-", i(8)), i(1)), -4),
        (op("==", s("a"), s("a")), True),
        (op("!=", s("a"), s("b")), True),
        (op("==", t(True), t(False)), False),
        (op("<", i(1), i(2)), True),
        (op("<=", i(2), i(2)), True),
        (op(">", i(1), i(2)), False),
        (op(">=", i(3), i(2)), True),
        (op("++", s("ab"), s("cd")), b"abcd"),
        (op("&&", t(True), t(False)), False),
        (op("||", t(False), t(True)), True),
        (MIN_VALUE, INT_MIN),
    ],
)
def test_operators(expr: object, value: object) -> None:
    assert evaluate(expr) == value  # type: ignore[arg-type]


def test_short_circuit_skips_the_right_operand() -> None:
    boom = op("==", op("/", i(1), i(0)), i(0))
    assert evaluate(op("&&", t(False), boom)) is False
    assert evaluate(op("||", t(True), boom)) is True


@pytest.mark.parametrize(
    ("expr", "kind"),
    [
        (op("+", i(INT_MAX), i(1)), "overflow"),
        (op("-", MIN_VALUE, i(1)), "overflow"),
        (op("*", i(INT_MAX), i(2)), "overflow"),
        (Unary("-", MIN_VALUE), "overflow"),
        (op("/", MIN_VALUE, Unary("-", i(1))), "overflow"),
        (op("/", i(1), i(0)), "division"),
        (op("%", i(1), i(0)), "division"),
        (op("<<", i(1), i(64)), "bounds"),
        (op(">>", i(1), Unary("-", i(1))), "bounds"),
        (Index(s("abc"), i(3)), "bounds"),
        (Index(s("abc"), Unary("-", i(1))), "bounds"),
        (Slice(s("abc"), i(2), i(1)), "bounds"),
        (Slice(s("abc"), i(0), i(4)), "bounds"),
        (Index(ArrayLit((i(1), i(2))), i(2)), "bounds"),
        (bi("abs", MIN_VALUE), "overflow"),
        (bi("byte", i(256)), "bounds"),
        (bi("be16", i(65536)), "bounds"),
        (bi("be32", Unary("-", i(1))), "bounds"),
        (bi("hex", Unary("-", i(1))), "bounds"),
        (bi("u16", s("a"), i(0)), "bounds"),
    ],
)
def test_faults(expr: object, kind: str) -> None:
    with pytest.raises(Fault) as err:
        evaluate(expr)  # type: ignore[arg-type]
    assert err.value.kind == kind


@pytest.mark.parametrize(
    ("expr", "value"),
    [
        (Index(s("abc"), i(1)), ord("b")),
        (Slice(s("hello"), i(1), i(3)), b"el"),
        (Slice(s("hello"), i(5), i(5)), b""),
        (bi("len", s("hello")), 5),
        (bi("find", s("a?b"), s("?")), 1),
        (bi("find", s("ab"), s("?")), None),
        (bi("field", s("  GET  /x "), i(1)), b"/x"),
        (bi("field", s("a b"), i(5)), b""),
        (bi("nfields", s(" a  b c ")), 3),
        (bi("starts_with", s("hello"), s("he")), True),
        (bi("ends_with", s("hello"), s("lo")), True),
        (bi("eq_nocase", s("HoSt"), s("host")), True),
        (bi("lower", s("AbC")), b"abc"),
        (bi("upper", s("AbC")), b"ABC"),
        (bi("trim", s(" \tx y\t ")), b"x y"),
        (bi("parse_int", s("-42")), -42),
        (bi("parse_int", s("4x")), None),
        (bi("parse_int", s("9223372036854775808")), None),
        (bi("itoa", Unary("-", i(7))), b"-7"),
        (bi("hex", i(255)), b"ff"),
        (bi("hash", s("")), -3750763034362895579),
        (bi("min", i(1), i(2)), 1),
        (bi("max", i(1), i(2)), 2),
        (bi("abs", Unary("-", i(3))), 3),
        (bi("byte", i(65)), b"A"),
        (bi("be16", i(258)), b"\x01\x02"),
        (bi("be32", i(1)), b"\0\0\0\x01"),
        (bi("u16", s(b"\x01\x02\x03"), i(1)), 0x0203),
        (bi("u32", s(b"\0\0\x01\0"), i(0)), 256),
        (bi("fit", s("abc"), i(3)), b"abc"),  # exactly N bytes fit
        (bi("fit", s("abcd"), i(3)), None),  # N + 1 bytes do not
        (bi("fit", s(""), i(1)), b""),
        (bi("now_ms"), 0),
        (bi("unix_time"), 1767225600),
    ],
)
def test_builtins(expr: object, value: object) -> None:
    assert evaluate(expr) == value  # type: ignore[arg-type]


def test_arrays_and_structs() -> None:
    arr = ArrayLit((i(1), i(2), i(3)))
    assert evaluate(arr) == (1, 2, 3)
    assert evaluate(Index(arr, i(2))) == 3
    assert evaluate(ArrayRepeat(s("x"), i(3))) == (b"x", b"x", b"x")
    point = Struct("P", (FieldDecl("x", TInt()), FieldDecl("y", TInt())))
    # fields given in any order are stored in declaration order
    value = StructValue("P", (FieldInit("y", i(2)), FieldInit("x", i(1))), TStruct("P"))
    assert evaluate(FieldOf(value, "x"), decls=(point,)) == 1
    assert evaluate(FieldOf(value, "y"), decls=(point,)) == 2


def test_constants_are_computed_on_demand_or_taken_from_the_fact() -> None:
    decls = (Const("B", TInt(), op("*", const("A"), i(2))), Const("A", TInt(), i(21)))
    assert evaluate(const("B"), decls=decls) == 42
    facts = Facts().with_(ConstValues(pmap({"A": 1, "B": 2})))
    assert evaluate(const("B"), decls=decls, facts=facts) == 2


def test_shared_variables_start_at_their_value() -> None:
    assert evaluate(shared("n"), decls=(Shared("n", TInt(), op("+", i(1), i(1))),)) == 2


def test_function_calls_and_optional_results() -> None:
    # fn half(n: int) -> int? { if n % 2 == 1 { return none; } return n / 2; }
    from nanowyki.languages.surface import If
    from nanowyki.languages.types import TOption

    half = Fn(
        "half",
        (Param("n", TInt()),),
        TOption(TInt()),
        block(
            If(op("==", op("%", loc("n"), i(2)), i(1)), block(Return(NoneLit())), None),
            Return(op("/", loc("n"), i(2))),
        ),
    )
    assert evaluate(fn("half", i(8)), decls=(half,)) == 4
    assert evaluate(fn("half", i(7)), decls=(half,)) is None


def test_a_function_without_result_returns_unit() -> None:
    noop = Fn("noop", (), None, block())  # type: ignore[arg-type]
    assert evaluate(fn("noop"), decls=(noop,)) is None


def test_fault_inside_a_function_names_its_statement() -> None:
    from nanowyki.framework import Span

    bad = Fn("bad", (), TInt(), block(Return(op("/", i(1), i(0)), span=Span("f.wyki", 3, 5, 3, 9))))
    with pytest.raises(Fault) as err:
        evaluate(fn("bad"), decls=(bad,))
    assert err.value.kind == "division"
    assert err.value.where == "f.wyki:3:5"  # type: ignore[attr-defined]

