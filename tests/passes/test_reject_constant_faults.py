"""reject-constant-faults: operations that fault on every run are compile-time errors."""

from __future__ import annotations

import pytest

from nanowyki.passes.reject_constant_faults import OVERFLOW, RejectConstantFaults

from .safety_support import (
    diagnose_il,
    diagnose_source,
    example_names,
    fn,
    run_example,
    service,
)

X = "(Local x (TInt))"
ARR = "(Local a (TArray (TInt) 4))"
BUF = "(Local b (TBytes 8))"
HELLO = '(BytesLit #"hello" (TBytes 5))'
PARAMS = "(Param x (TInt)) (Param a (TArray (TInt) 4)) (Param b (TBytes 8))"
INT_MAX = 2**63 - 1


def num(v: int) -> str:
    return f"(IntLit {v} (TInt))" if v >= 0 else f"(Unary - (IntLit {-v} (TInt)) (TInt))"


def binary(op: str, a: str, b: str) -> str:
    return f"(Binary {op} {a} {b} (TInt))"


def messages(expr: str, *consts: str) -> list[str]:
    body = fn("f", f"(Let v (TInt) {expr} nil)", params=PARAMS)
    return diagnose_il(RejectConstantFaults, service(*consts, body))


def test_division_and_remainder_by_a_constant_zero() -> None:
    assert messages(binary("/", X, num(0))) == ["division by zero"]
    assert messages(binary("%", X, num(0))) == ["division by zero"]
    zero = "(Const ZERO (TInt) (IntLit 0 (TInt)))"
    assert messages(binary("/", X, "(ConstRef ZERO (TInt))"), zero) == ["division by zero"]
    assert messages(binary("/", X, binary("-", num(2), num(2)))) == ["division by zero"]


def test_division_by_a_variable_or_a_nonzero_constant_is_fine() -> None:
    assert messages(binary("/", num(10), X)) == []
    assert messages(binary("%", X, num(7))) == []


@pytest.mark.parametrize("amount", [64, 100, -1])
def test_shift_by_a_constant_out_of_range(amount: int) -> None:
    assert messages(binary("<<", X, num(amount))) == [f"shift by {amount} is out of range 0..63"]
    assert messages(binary(">>", X, num(amount))) == [f"shift by {amount} is out of range 0..63"]


def test_shifts_in_range() -> None:
    assert messages(binary("<<", X, num(0))) == []
    assert messages(binary("<<", num(1), num(63))) == []  # wraps to INT_MIN: no fault


def test_constant_overflow() -> None:
    assert messages(binary("+", num(INT_MAX), num(1))) == [OVERFLOW]
    assert messages(binary("*", num(2**62), num(2))) == [OVERFLOW]
    int_min = binary("-", num(-INT_MAX), num(1))
    assert messages(binary("/", int_min, num(-1))) == [OVERFLOW]
    assert messages(f"(Unary - {int_min} (TInt))") == [OVERFLOW]
    assert messages(binary("+", X, num(INT_MAX))) == []


def test_a_fault_is_reported_once_at_the_innermost_operation() -> None:
    inner = binary("/", X, num(0))
    assert messages(binary("+", inner, num(1))) == ["division by zero"]
    assert messages(binary("+", binary("+", num(INT_MAX), num(1)), num(1))) == [OVERFLOW]


def test_constant_index_out_of_an_array() -> None:
    assert messages(f"(Index {ARR} {num(4)} (TInt))") == [
        "index 4 is out of bounds: the array has 4 elements"
    ]
    assert messages(f"(Index {ARR} {num(-1)} (TInt))") == [
        "index -1 is out of bounds: the array has 4 elements"
    ]
    assert messages(f"(Index {ARR} {num(3)} (TInt))") == []
    assert messages(f"(Index {ARR} {X} (TInt))") == []


def test_constant_index_out_of_a_byte_string_literal_or_constant() -> None:
    assert messages(f"(Index {HELLO} {num(5)} (TInt))") == [
        "index 5 is out of bounds: the byte string has 5 bytes"
    ]
    const = f"(Const GREETING (TBytes 5) {HELLO})"
    assert messages(f"(Index (ConstRef GREETING (TBytes 5)) {num(9)} (TInt))", const) == [
        "index 9 is out of bounds: the byte string has 5 bytes"
    ]
    assert messages(f"(Index {HELLO} {num(4)} (TInt))") == []


def test_constant_index_past_a_byte_strings_static_bound() -> None:
    assert messages(f"(Index {BUF} {num(8)} (TInt))") == [
        "index 8 is out of bounds: the byte string has at most 8 bytes"
    ]
    assert messages(f"(Index {BUF} {num(7)} (TInt))") == []  # may be in bounds: checked at run time


def slice_of(target: str, start: str, stop: str) -> str:
    return f"(Slice {target} {start} {stop} (TBytes 8))"


def test_slices_with_constant_bounds() -> None:
    assert messages(slice_of(HELLO, num(1), num(9))) == [
        "slice end 9 is out of bounds: the byte string has 5 bytes"
    ]
    assert messages(slice_of(BUF, num(0), num(9))) == [
        "slice end 9 is out of bounds: the byte string has at most 8 bytes"
    ]
    assert messages(slice_of(BUF, num(3), num(2))) == ["slice start 3 is after its end 2"]
    assert messages(slice_of(BUF, num(-1), X)) == ["slice start -1 is negative"]
    assert messages(slice_of(HELLO, num(6), X)) == [
        "slice start 6 is out of bounds: the byte string has 5 bytes"
    ]
    assert messages(slice_of(HELLO, num(0), num(5))) == []
    assert messages(slice_of(BUF, num(0), X)) == []


def test_builtins_of_constants_out_of_their_range() -> None:
    def builtin(f: str, arg: str) -> str:
        return f"(CallBuiltin {f} [{arg}] (TBytes 1))"

    assert messages(builtin("byte", num(256))) == [
        "'byte' of 256 faults: its argument must be in 0..255"
    ]
    assert messages(builtin("hex", num(-1))) == [
        "'hex' of -1 faults: its argument must be non-negative"
    ]
    assert messages(builtin("be16", num(65535))) == []
    assert messages(builtin("byte", X)) == []


def test_faults_anywhere_in_the_program_are_found() -> None:
    bad = binary("/", X, num(0))
    session = f"(Session (Block [(If (Binary == {bad} {num(1)} (TBool)) (Block []) nil)]))"
    assert diagnose_il(RejectConstantFaults, service(session)) == ["division by zero"]


def test_positions_from_source() -> None:
    src = """service s {
    listen tcp 7;
    fn f(x: int) -> int {
        let a = [1, 2, 3];
        return a[3] + x / 0 + (x << 64);
    }
    session { close; }
}
"""
    assert diagnose_source(RejectConstantFaults, src) == [
        (5, 18, "index 3 is out of bounds: the array has 3 elements"),
        (5, 27, "division by zero"),
        (5, 37, "shift by 64 is out of range 0..63"),
    ]


@pytest.mark.parametrize("example", example_names())
def test_examples_are_accepted(example: str) -> None:
    diags, _ = run_example(RejectConstantFaults, example)
    assert diags == []
