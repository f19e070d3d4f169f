"""nanowyki.purefns: the pure builtins and checked integer arithmetic, with WYKI's faults."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from nanowyki import purefns as P
from nanowyki.builtins import BUILTINS, FAULT_KINDS, Where

MIN, MAX = P.INT_MIN, P.INT_MAX


def fault(fn: Callable[..., Any], *args: Any) -> str:
    with pytest.raises(P.Fault) as caught:
        fn(*args)
    assert caught.value.kind in FAULT_KINDS
    return caught.value.kind


def test_every_pure_builtin_is_implemented() -> None:
    pure = {name for name, b in BUILTINS.items() if b.where is Where.ANYWHERE}
    assert set(P.PURE_BUILTINS) == pure == set(P.PURE_PARAMS)
    for name, params in P.PURE_PARAMS.items():
        assert BUILTINS[name].min_args == len(params) == BUILTINS[name].max_args


def test_checked_arithmetic() -> None:
    assert P.add(MAX - 1, 1) == MAX
    assert fault(P.add, MAX, 1) == "overflow"
    assert fault(P.sub, MIN, 1) == "overflow"
    assert fault(P.mul, MAX, 2) == "overflow"
    assert P.mul(MIN, 1) == MIN
    assert fault(P.neg, MIN) == "overflow"
    assert P.neg(MAX) == -MAX


def test_division_truncates_toward_zero() -> None:
    assert (P.div(7, 2), P.div(-7, 2), P.div(7, -2), P.div(-7, -2)) == (3, -3, -3, 3)
    assert (P.mod(7, 2), P.mod(-7, 2), P.mod(7, -2), P.mod(-7, -2)) == (1, -1, 1, -1)
    assert fault(P.div, 1, 0) == "division"
    assert fault(P.mod, 1, 0) == "division"
    assert fault(P.div, MIN, -1) == "overflow"
    assert P.mod(MIN, -1) == 0


def test_bitwise_and_shifts_on_twos_complement() -> None:
    assert P.shl(1, 63) == MIN
    assert P.shl(-1, 1) == -2
    assert P.shl(3, 62) == MIN + 2**62  # high bits are dropped
    assert P.shr(-8, 1) == -4  # arithmetic shift
    assert P.shr(MAX, 62) == 1
    assert fault(P.shl, 1, 64) == "bounds"
    assert fault(P.shr, 1, -1) == "bounds"
    assert (P.and_(6, 3), P.or_(6, 3), P.xor(6, 3), P.not_(0)) == (2, 7, 5, -1)
    assert P.BINARY_OPS["<<"] is P.shl and P.UNARY_OPS["~"] is P.not_


def test_indexing_and_slicing() -> None:
    assert P.index(b"ab", 1) == 98
    assert fault(P.index, b"ab", 2) == "bounds"
    assert fault(P.index, b"ab", -1) == "bounds"
    assert P.slice_(b"hello", 1, 3) == b"el"
    assert P.slice_(b"hello", 5, 5) == b""
    assert fault(P.slice_, b"hello", 3, 2) == "bounds"
    assert fault(P.slice_, b"hello", 0, 6) == "bounds"


def test_fields_split_on_runs_of_spaces() -> None:
    line = b"  get   key  7 "
    assert [P.field(line, i) for i in range(4)] == [b"get", b"key", b"7", b""]
    assert P.field(line, -1) == b""
    assert P.nfields(line) == 3
    assert P.nfields(b"") == 0
    assert P.field(b"a\tb", 0) == b"a\tb"  # only spaces separate fields


def test_searching_and_comparing() -> None:
    assert P.find(b"abcabc", b"ca") == 2
    assert P.find(b"abc", b"x") is None
    assert P.find(b"abc", b"") == 0
    assert P.starts_with(b"GET /", b"GET") and P.ends_with(b"x\r", b"\r")
    assert P.eq_nocase(b"Host", b"hOST") and not P.eq_nocase(b"a", b"ab")
    assert P.eq_nocase(b"\xc3", b"\xc3") and not P.eq_nocase(b"\xe3", b"\xc3")


def test_case_folding_and_trim() -> None:
    assert P.lower(b"AbC-\xc9") == b"abc-\xc9"  # ASCII only
    assert P.upper(b"abc\xe9") == b"ABC\xe9"
    assert P.trim(b" \t x y \t") == b"x y"
    assert P.trim(b"\r\n") == b"\r\n"


@pytest.mark.parametrize(
    ("text", "value"),
    [
        (b"42", 42), (b"-42", -42), (b"007", 7), (b"9223372036854775807", MAX),
        (b"-9223372036854775808", MIN), (b"9223372036854775808", None), (b"", None),
        (b"-", None), (b"+1", None), (b" 1", None), (b"1_000", None), (b"12a", None),
        (b"\xd9\xa1", None),
    ],
)  # fmt: skip
def test_parse_int(text: bytes, value: int | None) -> None:
    assert P.parse_int(text) == value


def test_number_formatting() -> None:
    assert P.itoa(MIN) == b"-9223372036854775808" and len(P.itoa(MIN)) == 20
    assert P.hex_(255) == b"ff" and P.hex_(MAX) == b"7fffffffffffffff"
    assert fault(P.hex_, -1) == "bounds"


def test_hash_is_fnv1a_64_signed() -> None:
    assert P.hash_(b"") == 0xCBF29CE484222325 - 2**64
    assert P.hash_(b"a") == 0xAF63DC4C8601EC8C - 2**64


def test_min_max_abs() -> None:
    assert (P.min_(1, -2), P.max_(1, -2), P.abs_(-5)) == (-2, 1, 5)
    assert fault(P.abs_, MIN) == "overflow"


def test_binary_encodings() -> None:
    assert P.byte(255) == b"\xff" and fault(P.byte, 256) == "bounds" and fault(P.byte, -1)
    assert P.be16(0x0102) == b"\x01\x02" and fault(P.be16, 0x10000) == "bounds"
    assert P.be32(0x01020304) == b"\x01\x02\x03\x04" and fault(P.be32, -1) == "bounds"
    assert P.u16(b"\x00\x01\x02", 1) == 0x0102 and fault(P.u16, b"\x00\x01", 1) == "bounds"
    assert P.u32(b"\xff\xff\xff\xff", 0) == 0xFFFFFFFF and fault(P.u32, b"abcd", -1) == "bounds"


def test_fit_keeps_a_value_of_at_most_n_bytes() -> None:
    assert P.fit(b"abc", 3) == b"abc"  # exactly n
    assert P.fit(b"abc", 4) == b"abc"
    assert P.fit(b"abcd", 3) is None  # n + 1
    assert P.fit(b"", 1) == b""
    assert P.PURE_BUILTINS["fit"] is P.fit


def test_parse_int_of_very_long_digit_strings() -> None:
    """Leading zeros do not count; a number too long to be in range is none (Python's int()
    refuses digit strings past 4300 digits: parse_int must not)."""
    from nanowyki.purefns import parse_int

    assert parse_int(b"0" * 5000 + b"1") == 1
    assert parse_int(b"-" + b"0" * 6000) == 0
    assert parse_int(b"9" * 5000) is None
    assert parse_int(b"-9223372036854775808") == -9223372036854775808
    assert parse_int(b"9223372036854775808") is None
