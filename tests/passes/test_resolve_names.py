"""resolve-names: every name says what it refers to; locals are unique per function."""

from __future__ import annotations

import pytest

from nanowyki.framework import (
    CompileError,
    Diagnostic,
    Facts,
    Node,
    RunOptions,
    SourceText,
    check,
    read_tree,
    walk,
)
from nanowyki.languages.resolved import (
    CallBuiltin,
    CallFn,
    ConstRef,
    Local,
    Resolved,
    SharedRef,
    TableCall,
)
from nanowyki.languages.surface import FieldInit, Fn, For, Let, Service, StructValue, Surface
from nanowyki.passes.resolve_names import ResolveNames


def front(source: str) -> Node:
    """Parse `source` and run the front end up to resolve-names."""
    from nanowyki import pipeline

    wrapped = SourceText("t.wyki", source)
    return pipeline.frontend().run(wrapped, RunOptions(stop_after="resolve-names")).tree


def errors(source: str) -> list[Diagnostic]:
    with pytest.raises(CompileError) as caught:
        front(source)
    return list(caught.value.diagnostics)


def messages(source: str) -> list[tuple[int, int, str]]:
    return [(d.span.line, d.span.col, d.message) for d in errors(source) if d.span]


def tcp(*body: str, decls: str = "") -> str:
    """A TCP service with `decls` and a session running `body` (the session starts on line 4)."""
    lines = "\n".join(f"        {line}" for line in body)
    return f"service t {{\n    listen tcp 7;\n    {decls}\n    session {{\n{lines}\n    }}\n}}\n"


def locals_named(tree: Node) -> list[str]:
    return [n.name for n in walk(tree) if isinstance(n, Local)]


# -- what names become ---------------------------------------------------------------------------


def test_program_without_names_is_returned_unchanged() -> None:
    text = "(Service s [(Listen tcp (IntLit 7)) (Session (Block [(Close)]))])"
    tree = read_tree(text, Surface)
    out, _ = ResolveNames().apply(tree, Facts())
    assert out is tree


def test_unchanged_declarations_keep_their_identity() -> None:
    tree = read_tree(
        "(Service s [(Listen tcp (IntLit 7)) (Const A nil (IntLit 1))"
        " (Session (Block [(ExprStmt (Call send [(Name A)]))]))])",
        Surface,
    )
    out, _ = ResolveNames().apply(tree, Facts())
    assert isinstance(tree, Service) and isinstance(out, Service)
    assert out.decls[0] is tree.decls[0] and out.decls[1] is tree.decls[1]
    assert out.decls[2] is not tree.decls[2]


def test_names_become_locals_constants_and_shared_variables() -> None:
    tree = front(
        tcp(
            "let n = LIMIT + hits;",
            "send(itoa(n));",
            decls="const LIMIT = 3; shared hits: int = 0;",
        )
    )
    kinds = {type(n).__name__ for n in walk(tree)}
    assert {"Local", "ConstRef", "SharedRef"} <= kinds
    assert "Name" not in kinds
    assert [n.name for n in walk(tree) if isinstance(n, ConstRef)] == ["LIMIT"]
    assert [n.name for n in walk(tree) if isinstance(n, SharedRef)] == ["hits"]


def test_calls_become_function_builtin_and_table_calls() -> None:
    tree = front(
        tcp(
            "let v = seen.get(twice(len(\"ab\"))) else { close; };",
            decls="table seen: map<int, int>[8]; fn twice(n: int) -> int { return n * 2; }",
        )
    )
    assert [n.func for n in walk(tree) if isinstance(n, CallFn)] == ["twice"]
    assert [n.func for n in walk(tree) if isinstance(n, CallBuiltin)] == ["len"]
    assert [(n.table, n.method) for n in walk(tree) if isinstance(n, TableCall)] == [
        ("seen", "get")
    ]


def test_sibling_blocks_reuse_a_name_renamed_uniquely() -> None:
    tree = front(
        tcp(
            "if true { let x = 1; send(itoa(x)); } else { let x = 2; send(itoa(x)); }",
            "for i in 0..3 { send(itoa(i)); }",
            "for i in 0..3 { send(itoa(i)); }",
        )
    )
    lets = [n.name for n in walk(tree) if isinstance(n, Let)]
    fors = [n.var for n in walk(tree) if isinstance(n, For)]
    assert lets[0] == "x" and lets[1].startswith("x.") and lets[1] != "x"
    assert fors[0] == "i" and fors[1].startswith("i.")
    assert locals_named(tree) == [lets[0], lets[1], fors[0], fors[1]]


def test_each_function_has_its_own_names() -> None:
    tree = front(
        tcp(
            "let x = f(1);",
            "send(itoa(x));",
            decls="fn f(x: int) -> int { let y = x; return y; }",
        )
    )
    assert locals_named(tree) == ["x", "y", "x"]  # no renaming across handlers


def test_a_local_is_visible_after_its_declaration_only() -> None:
    assert messages(tcp("let x = x + 1;")) == [(5, 17, "unknown name 'x'")]


def test_let_else_block_does_not_see_the_binding() -> None:
    assert messages(tcp("let l = recv_line(8) else { send(l); close; };")) == [
        (5, 42, "unknown name 'l'")
    ]


def test_loop_variable_is_not_visible_after_the_loop() -> None:
    assert messages(tcp("for i in 0..3 { }", "send(itoa(i));")) == [(6, 19, "unknown name 'i'")]


def test_discards_bind_nothing() -> None:
    tree = front(tcp("let _ = 1;", "let _ = 2;"))
    assert [n.name for n in walk(tree) if isinstance(n, Let)] == ["_", "_"]


def test_a_local_may_take_a_builtin_name_and_the_builtin_stays_callable() -> None:
    tree = front(tcp("let min = 3;", "send(itoa(min(min, 4)));"))
    assert [n.func for n in walk(tree) if isinstance(n, CallBuiltin)] == ["send", "itoa", "min"]
    assert locals_named(tree) == ["min"]


def test_struct_value_fields_come_in_declaration_order() -> None:
    tree = front(
        tcp("let p = P(y: 2, x: 1);", "send(itoa(p.x));", decls="struct P { x: int, y: int }")
    )
    value = next(n for n in walk(tree) if isinstance(n, StructValue))
    assert [f.name for f in value.fields] == ["x", "y"]
    assert all(isinstance(f, FieldInit) for f in value.fields)


def test_var_and_shared_can_be_assigned() -> None:
    tree = front(
        tcp("var n = 1;", "n += 1;", "hits = n;", "close;", decls="shared hits: int = 0;")
    )
    assert isinstance(tree, Service)


def test_parameters_are_locals() -> None:
    tree = front(tcp("close;", decls="fn f(a: int, b: int) -> int { return a + b; }"))
    fn = next(n for n in walk(tree) if isinstance(n, Fn))
    assert locals_named(fn) == ["a", "b"]


def test_example_programs_resolve() -> None:
    from pathlib import Path

    from nanowyki import pipeline

    for path in sorted(Path("examples").glob("*.wyki")):
        out = pipeline.frontend().run(
            pipeline.source_tree(path), RunOptions(stop_after="resolve-names")
        )
        check(out.tree, Resolved)


# -- rejected programs ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "decls", "expected"),
    [
        pytest.param(["send(nope);"], "", (5, 14, "unknown name 'nope'"), id="unknown-name"),
        pytest.param(["nope();"], "", (5, 9, "unknown name 'nope'"), id="unknown-function"),
        pytest.param(
            ["let s = store;"], "table store: map<int, int>[4];",
            (5, 17, "table 'store' can only be used through its methods"), id="table-as-value",
        ),
        pytest.param(
            ["let f = g;"], "fn g() { }", (5, 17, "function 'g' can only be called"),
            id="function-as-value",
        ),
        pytest.param(
            ["let s = S;"], "struct S { a: int }", (5, 17, "struct 'S' is a type, not a value"),
            id="struct-as-value",
        ),
        pytest.param(
            ["let f = len;"], "", (5, 17, "builtin 'len' can only be called"),
            id="builtin-as-value",
        ),
        pytest.param(
            ["let s = S();"], "struct S { a: int }",
            (5, 17, "struct 'S' is built by naming its fields: S(f: ...)"), id="struct-call",
        ),
        pytest.param(
            ["let x = 1;", "let y = x(2);"], "", (6, 17, "'x' is not a function"),
            id="call-a-local",
        ),
        pytest.param(
            ["let n = store.count();"], "table store: map<int, int>[4];",
            (5, 17, "unknown method 'count' of table 'store'"), id="unknown-method",
        ),
        pytest.param(
            ["let n = C.get(1);"], "const C = 1;",
            (5, 17, "'C' is not a table: only tables have methods"), id="method-on-constant",
        ),
        pytest.param(
            ["let n = nope.get(1);"], "", (5, 17, "unknown name 'nope'"), id="method-on-unknown",
        ),
        pytest.param(
            ["let p = Q(a: 1);"], "", (5, 17, "unknown struct 'Q'"), id="unknown-struct",
        ),
        pytest.param(
            ["var b: Foo = 1;"], "", (5, 16, "unknown type 'Foo'"), id="unknown-type",
        ),
        pytest.param(
            ["var b: C = 1;"], "const C = 1;", (5, 16, "'C' is a constant, not a type"),
            id="constant-as-type",
        ),
        pytest.param(
            ["let n = len(\"a\", \"b\");"], "", (5, 17, "'len' takes 1 argument, 2 given"),
            id="builtin-arity",
        ),
        pytest.param(
            ["log();"], "", (5, 9, "'log' takes at least 1 argument, 0 given"),
            id="variadic-arity",
        ),
        pytest.param(
            ["let n = f(1);"], "fn f(a: int, b: int) -> int { return a; }",
            (5, 17, "'f' takes 2 arguments, 1 given"), id="function-arity",
        ),
        pytest.param(
            ["let n = t.size(1);"], "table t: map<int, int>[4];",
            (5, 17, "'t.size' takes 0 arguments, 1 given"), id="method-arity",
        ),
        pytest.param(
            ["let x = 1;", "if true { let x = 2; }"], "", (6, 19, "'x' is already defined at 5:9"),
            id="shadowing",
        ),
        pytest.param(
            ["let x = 1;", "var x = 2;"], "", (6, 9, "'x' is already defined at 5:9"),
            id="redeclared-local",
        ),
        pytest.param(
            ["for i in 0..2 { for i in 0..2 { } }"], "",
            (5, 25, "'i' is already defined at 5:9"), id="nested-loop-variable",
        ),
        pytest.param(
            ["let N = 1;"], "const N = 2;", (5, 9, "'N' is already defined at 3:5"),
            id="local-reuses-service-name",
        ),
        pytest.param(
            ["close;"], "const A = 1; fn A() { }", (3, 18, "'A' is already defined at 3:5"),
            id="duplicate-service-name",
        ),
        pytest.param(
            ["close;"], "table hash: map<int, int>[4];",
            (3, 5, "'hash' is a builtin and cannot be redefined"), id="service-name-is-builtin",
        ),
        pytest.param(
            ["close;"], "struct S { a: int, a: bool }",
            (3, 24, "field 'a' is already defined at 3:16"), id="duplicate-field",
        ),
        pytest.param(
            ["let p = S(a: 1);"], "struct S { a: int, b: int }",
            (5, 17, "struct value 'S' is missing field 'b'"), id="missing-field",
        ),
        pytest.param(
            ["let p = S(a: 1, b: 2, c: 3);"], "struct S { a: int, b: int }",
            (5, 31, "struct 'S' has no field 'c'"), id="unknown-field",
        ),
        pytest.param(
            ["let p = S(a: 1, a: 2);"], "struct S { a: int }",
            (5, 25, "field 'a' is given twice"), id="repeated-field",
        ),
        pytest.param(
            ["let x = 1;", "x = 2;"], "",
            (6, 9, "cannot assign to 'x': it is a let binding (declared at 5:9)"), id="assign-let",
        ),
        pytest.param(
            ["C = 2;"], "const C = 1;",
            (5, 9, "cannot assign to 'C': it is a constant (declared at 3:5)"),
            id="assign-constant",
        ),
        pytest.param(
            ["for i in 0..2 { i = 3; }"], "",
            (5, 25, "cannot assign to 'i': it is a loop variable (declared at 5:9)"),
            id="assign-loop-variable",
        ),
        pytest.param(
            ["let p = S(a: 1);", "p.a = 2;"], "struct S { a: int }",
            (6, 9, "cannot assign to 'p': it is a let binding (declared at 5:9)"),
            id="assign-field-of-let",
        ),
    ],
)
def test_rejects(body: list[str], decls: str, expected: tuple[int, int, str]) -> None:
    assert messages(tcp(*body, decls=decls)) == [expected]


def test_hint_names_a_close_name() -> None:
    (diag,) = errors(tcp("let count = 1;", "send(itoa(cuont));"))
    assert diag.message == "unknown name 'cuont'"
    assert diag.hint == "did you mean 'count'?"


def test_hint_for_a_misspelt_builtin_and_method() -> None:
    (diag,) = errors(tcp("let n = lenght(\"abc\");"))
    assert diag.hint == "did you mean 'len'?"
    (diag,) = errors(tcp("let v = t.gett(1);", decls="table t: map<int, int>[4];"))
    assert diag.hint == "did you mean 'get'?"


def test_a_table_used_as_a_value_gets_its_methods_as_a_hint() -> None:
    (diag,) = errors(tcp("t[1] = 2;", decls="table t: map<int, int>[4];"))
    assert diag.message == "table 't' can only be used through its methods"
    assert diag.hint == (
        "use a method: t.get(k), t.put(k, v), t.contains(k), t.remove(k), t.clear(), t.size()"
    )


def test_no_hint_without_a_close_name() -> None:
    (diag,) = errors(tcp("send(zzzzzz);"))
    assert diag.hint is None


def test_parameter_assignment_is_rejected() -> None:
    found = messages(tcp("close;", decls="fn f(n: int) { n = 1; }"))
    assert found == [(3, 20, "cannot assign to 'n': it is a parameter (declared at 3:10)")]


def test_every_independent_error_is_reported() -> None:
    found = messages(tcp("send(a);", "send(b);", "let c = len();"))
    assert [m for _, _, m in found] == [
        "unknown name 'a'",
        "unknown name 'b'",
        "'len' takes 1 argument, 0 given",
    ]
