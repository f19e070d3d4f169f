"""require-handled-results: optional values are handled at once; no value is dropped."""

from __future__ import annotations

import pytest

from nanowyki.passes.require_handled_results import HANDLE, RequireHandledResults

from .safety_support import (
    diagnose_il,
    diagnose_source,
    example_names,
    fn,
    run_example,
    run_il,
    service,
    session,
)

RECV_LINE = "(CallBuiltin recv_line [(IntLit 64 (TInt))] (TOption (TBytes 64)))"
PARSE = '(CallBuiltin parse_int [(BytesLit #"12" (TBytes 2))] (TOption (TInt)))'
GET = "(TableCall t get [(IntLit 1 (TInt))] (TOption (TInt)))"


def messages(*decls: str) -> list[str]:
    return diagnose_il(RequireHandledResults, service(*decls))


def test_let_else_handles_an_optional_result() -> None:
    assert messages(session(f"(Let l (TBytes 64) {RECV_LINE} (Block [(Close)]))")) == []


def test_let_without_else_is_unhandled() -> None:
    diags, _ = run_il(
        RequireHandledResults, service(session(f"(Let l (TOption (TBytes 64)) {RECV_LINE} nil)"))
    )
    assert [d.message for d in diags] == ["unhandled result: 'recv_line' returns bytes[64]?"]
    assert diags[0].hint == HANDLE


def test_let_underscore_of_an_option_is_unhandled_too() -> None:
    assert messages(session(f"(Let _ (TOption (TInt)) {PARSE} nil)")) == [
        "unhandled result: 'parse_int' returns int?"
    ]


def test_expression_statement_of_an_option() -> None:
    assert messages(session(f"(ExprStmt {RECV_LINE})")) == [
        "unhandled result: 'recv_line' returns bytes[64]?"
    ]


def test_option_passed_as_an_argument() -> None:
    send = f"(ExprStmt (CallBuiltin send [{RECV_LINE}] (TUnit)))"
    assert messages(session(send)) == ["unhandled result: 'recv_line' returns bytes[64]?"]


def test_option_compared() -> None:
    cmp = f"(Binary == {PARSE} (IntLit 1 (TInt)) (TBool))"
    assert messages(session(f"(If {cmp} (Block []) nil)")) == [
        "unhandled result: 'parse_int' returns int?"
    ]


def test_table_get_and_function_results_are_named() -> None:
    call = "(CallFn lookup [] (TOption (TInt)))"
    stmts = [f"(Let a (TOption (TInt)) {GET} nil)", f"(Let b (TOption (TInt)) {call} nil)"]
    assert messages(session(*stmts)) == [
        "unhandled result: 't.get' returns int?",
        "unhandled result: 'lookup' returns int?",
    ]


def test_returning_an_option_from_an_optional_function_passes_it_on() -> None:
    body = [f"(Return {PARSE})"]
    assert messages(fn("f", *body, result="(TOption (TInt))")) == []
    assert messages(fn("f", "(Return (NoneLit (TOption (TInt))))", result="(TOption (TInt))")) == []


def test_returning_an_option_from_a_plain_function_is_unhandled() -> None:
    assert messages(fn("f", f"(Return {PARSE})", result="(TInt)")) == [
        "unhandled result: 'parse_int' returns int?"
    ]


def test_option_inside_the_value_of_a_let_else_is_still_unhandled() -> None:
    # Only the value itself is handled by the else, not an option nested in it.
    inner = f"(CallBuiltin itoa [{PARSE}] (TBytes 20))"
    find = f'(CallBuiltin find [{inner} (BytesLit #"1" (TBytes 1))] (TOption (TInt)))'
    assert messages(session(f"(Let i (TInt) {find} (Block [(Close)]))")) == [
        "unhandled result: 'parse_int' returns int?"
    ]


def test_else_blocks_and_nested_blocks_are_checked() -> None:
    bad = f"(ExprStmt {PARSE})"
    loop = f"(Loop nil (Block [(Let l (TBytes 64) {RECV_LINE} (Block [{bad} (Break)]))]))"
    assert messages(session(loop)) == ["unhandled result: 'parse_int' returns int?"]


def test_discarded_values() -> None:
    length = '(CallBuiltin len [(BytesLit #"ab" (TBytes 2))] (TInt))'
    assert messages(session(f"(ExprStmt {length})")) == [
        "value of type int is discarded; bind it with 'let _ = ...'"
    ]
    assert messages(session("(ExprStmt (CallFn ok [] (TBool)))")) == [
        "value of type bool is discarded; bind it with 'let _ = ...'"
    ]
    assert messages(session(f"(Let _ (TInt) {length} nil)")) == []


def test_unit_calls_are_statements() -> None:
    stmts = [
        '(ExprStmt (CallBuiltin send [(BytesLit #"x" (TBytes 1))] (TUnit)))',
        "(ExprStmt (TableCall t put [(IntLit 1 (TInt)) (IntLit 2 (TInt))] (TUnit)))",
        "(ExprStmt (CallFn work [] (TUnit)))",
    ]
    assert messages(session(*stmts)) == []


def test_positions_from_source() -> None:
    src = """service s {
    listen tcp 7;
    session {
        let line = recv_line(64);
        len("abc");
        let ok = recv_line(64) else { close; };
    }
}
"""
    assert diagnose_source(RequireHandledResults, src) == [
        (4, 20, "unhandled result: 'recv_line' returns bytes[64]?"),
        (5, 9, "value of type int is discarded; bind it with 'let _ = ...'"),
    ]


@pytest.mark.parametrize("example", example_names())
def test_examples_are_accepted(example: str) -> None:
    diags, _ = run_example(RequireHandledResults, example)
    assert diags == []
