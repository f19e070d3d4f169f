"""check-types: every expression gets its type, every written type is resolved."""

from __future__ import annotations

from pathlib import Path

import pytest

from nanowyki.analysis.typing_rules import HANDLE, StructTable
from nanowyki.framework import (
    CompileError,
    Diagnostic,
    Facts,
    Node,
    RunOptions,
    SourceText,
    check,
    walk,
)
from nanowyki.languages.surface import Const, Expr, Fn, Let, Table, Var
from nanowyki.languages.typed import Typed
from nanowyki.languages.types import (
    TArray,
    TBool,
    TBytes,
    TInt,
    TOption,
    TStruct,
    TTable,
    TUnit,
    Type,
)


def front(source: str) -> tuple[Node, Facts]:
    """Parse `source` and run the front end up to check-types."""
    from nanowyki import pipeline

    out = pipeline.frontend().run(
        SourceText("t.wyki", source), RunOptions(stop_after="check-types")
    )
    return out.tree, out.facts


def tcp(*body: str, decls: str = "") -> str:
    """A TCP service with `decls` (line 3) and a session running `body` (from line 5)."""
    lines = "\n".join(f"        {line}" for line in body)
    return f"service t {{\n    listen tcp 7;\n    {decls}\n    session {{\n{lines}\n    }}\n}}\n"


def bound(*body: str, decls: str = "") -> dict[str, Type]:
    """The declared type of every let and var of the program."""
    tree, _ = front(tcp(*body, decls=decls))
    out: dict[str, Type] = {}
    for n in walk(tree):
        if isinstance(n, Let | Var):
            assert isinstance(n.declared, Type)
            out[n.name] = n.declared
    return out


def errors(source: str) -> list[Diagnostic]:
    with pytest.raises(CompileError) as caught:
        front(source)
    return list(caught.value.diagnostics)


def messages(*body: str, decls: str = "") -> list[tuple[int, int, str]]:
    return [(d.span.line, d.span.col, d.message) for d in errors(tcp(*body, decls=decls)) if d.span]


# -- the typed tree ------------------------------------------------------------------------------


@pytest.mark.parametrize("path", sorted(Path("examples").glob("*.wyki")), ids=lambda p: p.stem)
def test_examples_are_typed(path: Path) -> None:
    from nanowyki import pipeline

    result = pipeline.frontend().run(
        pipeline.source_tree(path), RunOptions(stop_after="check-types")
    )
    check(result.tree, Typed)
    assert all(isinstance(n.type, Type) for n in walk(result.tree) if isinstance(n, Expr))


def test_literal_and_operator_types() -> None:
    got = bound(
        'let a = 1 + 2 * 3;', 'let b = !(1 < 2) || true;', 'let c = "ab" ++ "cde";',
        "let d = 'x';", 'let e = "ab" == "abc";', "let f = -a ^ ~a << 2;",
    )  # fmt: skip
    assert got == {
        "a": TInt(), "b": TBool(), "c": TBytes(5), "d": TInt(), "e": TBool(), "f": TInt(),
    }  # fmt: skip


def test_builtin_bounds() -> None:
    got = bound(
        "let l = recv_line(100) else { close; };",
        "let f = field(l, 1);", "let i = itoa(1);", "let h = hex(1);", "let t = trim(l);",
        "let b = byte(1);", "let w = be16(1);", "let q = be32(1);", "let n = len(l);",
        "let p = parse_int(l) else { close; };", "let x = find(l, \" \") else { close; };",
        "let u = upper(\"abc\");", "let r = recv_until(\"\\r\\n\", 8) else { close; };",
        "let e = recv_exact(3, 16) else { close; };", "let c = peer_closed();",
        "let k = hash(l);", "let m = min(1, 2);",
    )  # fmt: skip
    assert got == {
        "l": TBytes(100), "f": TBytes(100), "i": TBytes(20), "h": TBytes(16), "t": TBytes(100),
        "b": TBytes(1), "w": TBytes(2), "q": TBytes(4), "n": TInt(), "p": TInt(), "x": TInt(),
        "u": TBytes(3), "r": TBytes(8), "e": TBytes(16), "c": TBool(), "k": TInt(), "m": TInt(),
    }  # fmt: skip


def test_an_unhandled_option_keeps_its_type_for_require_handled_results() -> None:
    tree, _ = front(tcp("let l = recv_line(8);", "close;"))
    let = next(n for n in walk(tree) if isinstance(n, Let))
    assert let.declared == TOption(TBytes(8))


def test_slices_keep_the_bound_unless_their_ends_narrow_it() -> None:
    got = bound(
        "let l = recv_line(100) else { close; };", "let n = 5;", "var m = 3;",
        "let a = l[0..len(l)];", "let b = l[n..len(l)];", "let c = l[m..n];",
        "let d = l[0..1000];", "let e = l[-5..len(l)];", "let f = l[0..n + 1000];",
    )  # fmt: skip
    # nothing is known of the ends (or nothing below the operand's bound): the bound stays
    assert all(got[x] == TBytes(100) for x in "abcdef")


@pytest.mark.parametrize(
    ("slice_", "expected"),
    [
        ("l[0..10]", 10),  # a constant end
        ("l[2..10]", 8),  # a constant start > 0 narrows it further
        ("l[1..len(l)]", 99),  # at most len(l) - 1 <= 100 - 1 bytes
        ("l[4..n]", 96),  # the end is at most len(l): an unknown end is bounded by 100
        ("l[0..min(len(l), 25)]", 25),  # "at most 25 bytes" of a value of unknown length
        ("l[0..min(25, len(l))]", 25),
        ("l[0..min(n, LIMIT)]", 25),  # a constant as the bounded side of min
        ("l[3..min(n, 25)]", 22),
        ("l[max(n, 10)..50]", 40),  # max(n, 10) >= 10
        ("l[0..len(\"abc\")]", 3),  # the length of a bounded byte string
        ("l[0..LIMIT - 5]", 20),
        ("l[0..LIMIT + 1000]", 100),  # past the operand's bound: min(B, ...)
        ("l[10..5]", 0),  # always faults (reject-constant-faults reports it): empty
        ("l[30..min(n, 25)]", 0),
    ],
)
def test_slices_narrow_to_the_static_range_of_their_ends(slice_: str, expected: int) -> None:
    got = bound(
        "let l = recv_line(100) else { close; };",
        "let n = len(l);",
        f"let s = {slice_};",
        decls="const LIMIT = 25;",
    )
    assert got["s"] == TBytes(expected)


def test_slices_use_the_ranges_of_enclosing_for_variables() -> None:
    got = bound(
        "let l = recv_line(100) else { close; };",
        "for n in 1..9 { let p = l[0..n]; for m in n..min(len(l), 12) { let q = l[m..20]; } }",
        "for k in 0..len(l) { let r = l[0..k]; }",
        "var v = 8;",
        "for j in 0..v { let s = l[0..j]; }",  # no static range for j: the bound stays
        "let t = l[0..min(len(l), 30)];",  # outside the loops
    )
    assert got["p"] == TBytes(8)  # n <= 8
    assert got["q"] == TBytes(19)  # 20 - 1, m >= n >= 1
    assert got["r"] == TBytes(99)  # k <= len(l) - 1 <= 99
    assert got["s"] == TBytes(100) and got["t"] == TBytes(30)


def test_a_narrowed_slice_fits_a_smaller_place() -> None:
    got = bound(
        "let word = recv_line(1000) else { close; };",
        "let k: bytes[250] = word[0..min(len(word), 250)];",
        "let j = word[0..min(len(word), 250)];",
    )
    assert got["k"] == TBytes(250) and got["j"] == TBytes(250)
    # without the min, the slice keeps the operand's bound and does not fit
    assert messages(
        "let word = recv_line(1000) else { close; };",
        "let k: bytes[250] = word[0..len(word)];",
    ) == [(6, 29, "value of up to 1000 bytes does not fit in bytes[250]")]


def test_structs_arrays_and_tables() -> None:
    got = bound(
        "let p = P(x: 1, name: \"ab\");", "let n = p.name;", "let a = [1, 2, 3];",
        "let s = [\"a\", \"abc\"];", "let z = [p; 2];", "let e = a[0];",
        "let v = t.get(1) else { close; };", "let h = t.contains(2);", "let k = t.size();",
        decls="struct P { x: int, name: bytes[8] } table t: map<int, bytes[4]>[16];",
    )  # fmt: skip
    assert got == {
        "p": TStruct("P"), "n": TBytes(8), "a": TArray(TInt(), 3), "s": TArray(TBytes(3), 2),
        "z": TArray(TStruct("P"), 2), "e": TInt(), "v": TBytes(4), "h": TBool(), "k": TInt(),
    }  # fmt: skip


def test_declarations_get_resolved_types() -> None:
    tree, facts = front(
        tcp(
            "close;",
            decls="const N = 4; const D: [bytes[3]; 2] = [\"a\", \"bc\"]; const S = \"xyz\";"
            " struct P { a: [int; N] } table t: map<bytes[N], P>[N * 2];"
            " fn f(b: bytes[N]) { } fn g() -> int? { return none; }",
        )
    )
    decls = {getattr(d, "name", ""): d for d in walk(tree) if isinstance(d, Const | Fn | Table)}
    assert isinstance(decls["D"], Const) and decls["D"].declared == TArray(TBytes(3), 2)
    assert isinstance(decls["S"], Const) and decls["S"].declared == TBytes(3)
    fn_f, fn_g = decls["f"], decls["g"]
    assert isinstance(fn_f, Fn) and fn_f.result == TUnit()
    assert fn_f.params[0].declared == TBytes(4)
    assert isinstance(fn_g, Fn) and fn_g.result == TOption(TInt())
    table = decls["t"]
    assert isinstance(table, Table) and (table.key, table.value) == (TBytes(4), TStruct("P"))
    assert facts.get(StructTable).fields["P"] == (("a", TArray(TInt(), 4)),)
    assert TTable(TBytes(4), TStruct("P"), 8) == TTable(TBytes(4), TStruct("P"), 8)


def test_values_that_fit() -> None:
    got = bound(
        'var b: bytes[10] = "abc";', 'b = "0123456789";', 'b ++= "x";',
        "var a: [bytes[8]; 2] = [\"a\", \"b\"];", "var n = 1;", "n += 2;",
    )  # fmt: skip
    assert got["b"] == TBytes(10) and got["a"] == TArray(TBytes(8), 2)


def test_optional_function_results() -> None:
    decls = (
        "fn f(n: int) -> int? { if n > 0 { return n; } return none; }"
        " fn g(n: int) -> int? { return f(n); }"
    )
    assert bound("let x = g(1) else { close; };", decls=decls) == {"x": TInt()}


def test_fit_narrows_to_its_constant_bound() -> None:
    got = bound(
        "let l = recv_line(1000) else { close; };",
        "let k = fit(l, KEY_MAX) else { close; };",  # a constant expression
        "let m: bytes[300] = fit(l, 250) else { close; };",  # fits a larger place
        "let w = fit(l, 2000) else { close; };",  # N above the operand's bound: bytes[N]
        "let e = fit(\"\", 1) else { close; };",
        "let u = fit(l, 8);",  # unhandled: require-handled-results reports it
        decls="const KEY_MAX = 200 + 50;",
    )
    assert got == {
        "l": TBytes(1000), "k": TBytes(250), "m": TBytes(300), "w": TBytes(2000),
        "e": TBytes(1), "u": TOption(TBytes(8)),
    }  # fmt: skip
    decls = "fn key(w: bytes[64]) -> bytes[16]? { return fit(w, 16); }"
    assert bound("let k = key(\"x\") else { close; };", decls=decls) == {"k": TBytes(16)}


# -- rejected programs ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "decls", "expected"),
    [
        pytest.param(["if 1 { }"], "", (5, 12, "expected bool, found int"), id="condition"),
        pytest.param(
            ["while \"x\" { }"], "", (5, 15, "expected bool, found bytes[1]"), id="while"
        ),
        pytest.param(["let x = !1;"], "", (5, 18, "expected bool, found int"), id="not"),
        pytest.param(["let x = -true;"], "", (5, 18, "expected int, found bool"), id="negate"),
        pytest.param(
            ["let x = 1 < \"a\";"], "", (5, 21, "expected int, found bytes[1]"), id="ordering"
        ),
        pytest.param(
            ["let x = true == 1;"], "", (5, 25, "expected bool, found int"), id="equality"
        ),
        pytest.param(
            ["let x = P(a: 1) == P(a: 1);"], "struct P { a: int }",
            (5, 17, "expected int or bool or bytes, found P"), id="struct-equality",
        ),
        pytest.param(["let x = 1 ++ 2;"], "", (5, 17, "expected bytes, found int"), id="concat"),
        pytest.param(
            ["let x = true && 1;"], "", (5, 25, "expected bool, found int"), id="and"
        ),
        pytest.param(
            ["let x = itoa(\"1\");"], "", (5, 22, "expected int, found bytes[1]"),
            id="builtin-argument",
        ),
        pytest.param(
            ["send(true);"], "", (5, 14, "expected bytes or int, found bool"), id="send-bool"
        ),
        pytest.param(
            ["let x = f(true);"], "fn f(a: int) -> int { return a; }",
            (5, 19, "expected int, found bool"), id="function-argument",
        ),
        pytest.param(
            ["let x = 5;", "let y = x[0];"], "", (6, 17, "expected bytes or an array, found int"),
            id="index-int",
        ),
        pytest.param(
            ["let x = 5;", "let y = x.f;"], "", (6, 17, "int has no field 'f'"), id="field-of-int"
        ),
        pytest.param(
            ["let x = [1, true];"], "", (5, 21, "expected int, found bool"), id="array-items"
        ),
        pytest.param(
            ["let x = [];"], "", (5, 17, "an array needs at least one element"), id="empty-array"
        ),
        pytest.param(
            ["let x = none;"], "",
            (5, 17, "'none' can only be returned from a function whose result is optional"),
            id="none-outside-return",
        ),
        pytest.param(
            ["let x = 9223372036854775808;"], "",
            (5, 17, "integer literal 9223372036854775808 is out of range"), id="literal",
        ),
        pytest.param(
            ["let x = parse_int(\"1\") * 2;"], "", (5, 17, "expected int, found int?"),
            id="unhandled-operand",
        ),
        pytest.param(
            ["let x: int = parse_int(\"1\");"], "", (5, 22, "expected int, found int?"),
            id="unhandled-declared",
        ),
        pytest.param(
            ["let x = 1 else { close; };"], "",
            (5, 17, "'else' needs an optional value, found int"), id="else-without-option",
        ),
        pytest.param(
            ["let x = log(\"a\");"], "", (5, 17, "expected a value, found unit"), id="unit-value"
        ),
        pytest.param(
            ["var b: bytes[2] = \"abc\";"], "",
            (5, 27, "value of up to 3 bytes does not fit in bytes[2]"), id="bound",
        ),
        pytest.param(
            ["var b = \"ab\";", "b = \"abc\";"], "",
            (6, 13, "value of up to 3 bytes does not fit in bytes[2]"), id="assign-bound",
        ),
        pytest.param(
            ["var n = 1;", "n = true;"], "", (6, 13, "expected int, found bool"), id="assign"
        ),
        pytest.param(
            ["var n = 1;", "n ++= \"a\";"], "", (6, 9, "expected bytes, found int"),
            id="append-to-int",
        ),
        pytest.param(
            ["var b = \"a\";", "b += 1;"], "", (6, 9, "expected int, found bytes[1]"),
            id="add-to-bytes",
        ),
        pytest.param(
            ["var b = \"a\";", "b[0] = 1;"], "",
            (6, 9, "cannot assign to a byte: byte strings are immutable values"),
            id="assign-byte",
        ),
        pytest.param(
            ["var a: [int; 2] = [1, 2, 3];"], "", (5, 27, "expected [int; 2], found [int; 3]"),
            id="array-size-mismatch",
        ),
        pytest.param(
            ["let p = P(a: \"x\");"], "struct P { a: int }",
            (5, 22, "expected int, found bytes[1]"), id="struct-field-type",
        ),
        pytest.param(
            ["t.put(1, \"long value\");"], "table t: map<int, bytes[4]>[2];",
            (5, 18, "value of up to 10 bytes does not fit in bytes[4]"), id="table-put",
        ),
        pytest.param(
            ["let v = t.get(\"k\") else { close; };"], "table t: map<int, int>[2];",
            (5, 23, "expected int, found bytes[1]"), id="table-key",
        ),
        pytest.param(
            ["close;"], "fn f() -> int { return \"a\"; }", (3, 28, "expected int, found bytes[1]"),
            id="return-type",
        ),
        pytest.param(
            ["close;"], "fn f() -> int { return; }",
            (3, 21, "'f' must return a value of type int"), id="return-missing-value",
        ),
        pytest.param(
            ["close;"], "fn f() { return 1; }",
            (3, 21, "'f' has no result type: return without a value"), id="return-in-unit-fn",
        ),
        pytest.param(
            ["close;"], "fn f() -> int { return none; }",
            (3, 28, "'f' cannot return none: its result type is int"), id="return-none",
        ),
        pytest.param(
            ["var b: bytes = \"\";"], "", (5, 16, "bytes needs a bound: write bytes[N]"),
            id="bytes-without-bound",
        ),
        pytest.param(
            ["var b: bytes[0] = \"\";"], "",
            (5, 22, "a bytes bound must be in 1 ..= 1048576, not 0"), id="bytes-bound-range",
        ),
        pytest.param(
            ["var a = [0; 70000];"], "",
            (5, 21, "an array length must be in 1 ..= 65536, not 70000"), id="array-length",
        ),
        pytest.param(
            ["close;"], "table t: map<int, int>[0];",
            (3, 28, "a table capacity must be in 1 ..= 1048576, not 0"), id="table-capacity",
        ),
        pytest.param(
            ["close;"], "table t: map<bool, int>[2];",
            (3, 18, "a table key must be int or bytes[N], not bool"), id="table-key-type",
        ),
        pytest.param(
            ["let l = recv(0) else { close; };"], "",
            (5, 22, "the bound of 'recv' must be in 1 ..= 1048576, not 0"), id="recv-bound",
        ),
        pytest.param(
            ["let l = recv_line(8) else { close; };", "let k = fit(l, 0) else { close; };"], "",
            (6, 24, "the bound of 'fit' must be in 1 ..= 1048576, not 0"), id="fit-bound",
        ),
        pytest.param(
            ["let l = recv_line(8) else { close; };", "let k = fit(l, len(l)) else { close; };"],
            "", (6, 28, "the bound of 'fit' must be a constant"), id="fit-nonconstant",
        ),
        pytest.param(
            ["let k = fit(1, 4) else { close; };"], "",
            (5, 21, "expected bytes, found int"), id="fit-operand",
        ),
        pytest.param(
            ["let l = recv_line(8) else { close; };", "let k: bytes[4] = fit(l, 4);"], "",
            (6, 27, "expected bytes[4], found bytes[4]?"), id="fit-unhandled-stored",
        ),
        pytest.param(
            ["close;"], "shared s: bytes[4] = \"abcd\";",
            (3, 15, "a shared variable must be int or bool, not bytes[4]"), id="shared-type",
        ),
        pytest.param(
            ["var x: int? = 1;"], "",
            (5, 16, "an optional type is only allowed as a function's result type"),
            id="optional-variable",
        ),
        pytest.param(
            ["close;"], "const A = parse_int(\"1\");",
            (3, 15, "constant 'A' cannot hold an optional value (int?)"), id="optional-constant",
        ),
        pytest.param(
            ["close;"], "struct A { b: B } struct B { a: [A; 2] }",
            (3, 5, "struct 'A' contains itself"), id="struct-cycle",
        ),
    ],
)
def test_rejects(body: list[str], decls: str, expected: tuple[int, int, str]) -> None:
    assert messages(*body, decls=decls)[:1] == [expected]


def test_plus_on_byte_strings_hints_at_concatenation() -> None:
    (d,) = errors(tcp("let x = \"a\" + \"b\";"))
    assert (d.message, d.hint) == ("expected int, found bytes[1]", "'++' concatenates byte strings")


def test_an_option_operand_hints_at_handling_it() -> None:
    (d,) = errors(tcp("let x = find(\"ab\", \"b\") + 1;"))
    assert d.hint == HANDLE


def test_a_bound_mismatch_hints_at_slicing() -> None:
    (d,) = errors(tcp("var b: bytes[2] = \"abc\";"))
    assert d.hint == "slice it to at most 2 bytes, e.g. x[0..2]"


def test_independent_type_errors_are_all_reported() -> None:
    assert [m for _, _, m in messages("if 1 { }", "let y = !2;", "send(false);")] == [
        "expected bool, found int",
        "expected bool, found int",
        "expected bytes or int, found bool",
    ]


def test_one_mistake_gives_one_message() -> None:
    # the let's type is unknown after the first error: its uses are not reported again
    assert [m for _, _, m in messages("let x = 1 ++ 2;", "let y = x ++ \"a\";")] == [
        "expected bytes, found int"
    ]


def test_struct_cycles_report_each_struct() -> None:
    found = messages("close;", decls="struct A { b: B } struct B { a: [A; 2] }")
    assert [m for _, _, m in found] == ["struct 'A' contains itself", "struct 'B' contains itself"]


def test_statements_without_expressions_keep_their_identity() -> None:
    from nanowyki.framework import read_tree
    from nanowyki.languages.resolved import Resolved
    from nanowyki.passes.check_types import CheckTypes

    tree = read_tree(
        "(Service s [(Listen tcp (IntLit 7)) (Session (Block [(Loop nil (Block [(Break)]))"
        " (Close)]))])",
        Resolved,
    )
    out, _ = CheckTypes().apply(tree, Facts())
    check(out, Typed)
    session_in, session_out = tree.decls[1], out.decls[1]  # type: ignore[attr-defined]
    assert session_out.body.stmts[0] is session_in.body.stmts[0]
    assert session_out.body.stmts[1] is session_in.body.stmts[1]
