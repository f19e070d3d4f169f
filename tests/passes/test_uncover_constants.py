"""uncover-constants: every constant's value, and constant positions hold constants."""

from __future__ import annotations

import pytest
from pyrsistent import pmap

from nanowyki.analysis.constants import ConstValues
from nanowyki.framework import (
    CompileError,
    Diagnostic,
    Facts,
    Node,
    RunOptions,
    SourceText,
    read_tree,
)
from nanowyki.languages.resolved import Resolved
from nanowyki.passes.uncover_constants import UncoverConstants


def front(source: str, last: str = "uncover-constants") -> tuple[Node, Facts]:
    """Parse `source` and run the front end up to `last`."""
    from nanowyki import pipeline

    out = pipeline.frontend().run(SourceText("t.wyki", source), RunOptions(stop_after=last))
    return out.tree, out.facts


def service(decls: str) -> str:
    return f"service t {{\n    listen tcp 7;\n    {decls}\n    session {{ close; }}\n}}\n"


def values(decls: str) -> dict[str, object]:
    return dict(front(service(decls))[1].get(ConstValues).values)


def errors(source: str) -> list[Diagnostic]:
    with pytest.raises(CompileError) as caught:
        front(source)
    return list(caught.value.diagnostics)


def found(decls: str) -> list[tuple[int, int, str, str | None]]:
    return [(d.span.line, d.span.col, d.message, d.hint) for d in errors(service(decls)) if d.span]


# -- values --------------------------------------------------------------------------------------


def test_constants_use_constants_declared_later() -> None:
    assert values("const B = A * 2; const A = 21;") == {"A": 21, "B": 42}


def test_byte_strings_and_pure_builtins() -> None:
    got = values(
        'const W = "Hello World"; const L = lower(W) ++ "!"; const F = field(W, 1);'
        " const N = len(L) + nfields(W); const H = hex(255); const S = W[0..5];"
        " const U = u16(be16(513), 0); const Q = itoa(-12); const C = 'a';"
    )
    assert got == {
        "W": b"Hello World", "L": b"hello world!", "F": b"World", "N": 14, "H": b"ff",
        "S": b"Hello", "U": 513, "Q": b"-12", "C": 97,
    }  # fmt: skip


def test_booleans_comparisons_and_arrays() -> None:
    got = values(
        'const T = 1 < 2 && "a" != "b"; const D: [bytes[3]; 2] = ["Sun", "Mon"];'
        " const Z = [0; 3]; const M = D[1]; const K = ~0 ^ (1 << 4);"
    )
    assert got == {
        "T": True, "D": (b"Sun", b"Mon"), "Z": (0, 0, 0), "M": b"Mon", "K": ~0 ^ 16,
    }  # fmt: skip


def test_short_circuit_skips_a_faulting_operand() -> None:
    assert values("const Z = 0; const B = Z != 0 && 10 / Z > 1;") == {"Z": 0, "B": False}


def test_the_tree_is_unchanged_and_the_fact_provided() -> None:
    text = (
        "(Service s [(Listen tcp (IntLit 7)) (Const A nil (Binary + (ConstRef B) (IntLit 1)))"
        " (Const B nil (IntLit 1)) (Session (Block [(Close)]))])"
    )
    tree = read_tree(text, Resolved)
    out, facts = UncoverConstants().apply(tree, Facts())
    assert out is tree
    assert facts.get(ConstValues) == ConstValues(pmap({"A": 2, "B": 1}))


def test_example_constants() -> None:
    from pathlib import Path

    from nanowyki import pipeline

    result = pipeline.frontend().run(
        pipeline.source_tree(Path("examples/http.wyki")), RunOptions(stop_after="uncover-constants")
    )
    table = result.facts.get(ConstValues).values
    assert table["HEADER_READS"] == 101
    assert table["DAY_NAMES"][0] == b"Sun"
    assert len(table["FOUR_K"]) == 4096


# -- rejected constants --------------------------------------------------------------------------


def test_overflow() -> None:
    assert found("const A = 9223372036854775807 + 1;") == [
        (3, 15, "constant expression overflows", None)
    ]


def test_negative_overflow_and_abs() -> None:
    assert [m for _, _, m, _ in found("const A = -9223372036854775807 - 2; const B = abs(A);")] == [
        "constant expression overflows"
    ]


def test_division_and_remainder_by_zero() -> None:
    assert [m for _, _, m, _ in found("const A = 1 / 0; const B = 1 % (2 - 2);")] == [
        "division by zero in a constant expression",
        "division by zero in a constant expression",
    ]


def test_out_of_bounds() -> None:
    assert [m for _, _, m, _ in found('const A = "abc"[3]; const B = byte(256);')] == [
        "out of bounds in a constant expression",
        "out of bounds in a constant expression",
    ]


@pytest.mark.parametrize(
    ("decls", "hint"),
    [
        pytest.param("const T = now_ms();", "'now_ms' can only be used at run time", id="clock"),
        pytest.param(
            "shared n: int = 0; const T = n;", "'n' is a shared variable, known only at run time",
            id="shared",
        ),
        pytest.param(
            "fn f() -> int { return 1; } const T = f();",
            "function 'f' cannot be called at compile time", id="function",
        ),
        pytest.param(
            "table m: map<int, int>[2]; const T = m.size();", "table 'm' is known only at run time",
            id="table",
        ),
        pytest.param(
            "struct P { a: int } const T = P(a: 1);", "a constant cannot hold a struct value",
            id="struct",
        ),
    ],
)
def test_not_computable(decls: str, hint: str) -> None:
    (d,) = errors(service(decls))
    assert d.message == "constant 'T' is not computable at compile time"
    assert d.hint == hint


def test_cycle_is_reported_once() -> None:
    assert found("const A = B + 1; const B = A;") == [
        (3, 5, "constant 'A' depends on itself", None)
    ]


def test_a_constant_using_a_failed_one_is_not_reported_again() -> None:
    assert [m for _, _, m, _ in found("const A = 1 / 0; const B = A + 1; const C = [B; 2];")] == [
        "division by zero in a constant expression"
    ]


def test_ill_typed_constants_are_left_to_check_types() -> None:
    _, facts = front(service('const A = 1 + "a"; const B = 2;'))
    assert dict(facts.get(ConstValues).values) == {"B": 2}


# -- other constant positions --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        pytest.param(
            "var n = 4; var b: bytes[n] = \"\";", (6, 33, "a bytes bound must be a constant"),
            id="bytes-bound",
        ),
        pytest.param(
            "var n = 4; var a = [0; n];", (6, 32, "an array length must be a constant"),
            id="array-repeat",
        ),
        pytest.param(
            "var n = 4; var a: [int; n] = [0; 4];", (6, 33, "an array size must be a constant"),
            id="array-size",
        ),
    ],
)
def test_positions_that_need_constants(body: str, expected: tuple[int, int, str]) -> None:
    source = f"service t {{\n    listen tcp 7;\n\n    session {{\n\n        {body}\n    }}\n}}\n"
    assert [(d.span.line, d.span.col, d.message) for d in errors(source) if d.span] == [expected]


def test_table_capacity_and_shared_initial_value_must_be_constant() -> None:
    decls = "shared a: int = 1; shared b: int = a; table t: map<int, int>[a];"
    assert [m for _, _, m, _ in found(decls)] == [
        "the initial value of a shared variable must be a constant",
        "a table capacity must be a constant",
    ]


def test_constant_positions_accept_constants() -> None:
    _, facts = front(
        service("const N = 8; table t: map<bytes[N], int>[N * 2]; shared s: int = N - 1;")
    )
    assert dict(facts.get(ConstValues).values) == {"N": 8}
