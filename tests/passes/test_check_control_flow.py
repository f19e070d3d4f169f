"""check-control-flow: jumps have targets, else blocks diverge, functions return a value."""

from __future__ import annotations

import pytest

from nanowyki.framework import CompileError, Facts, Span
from nanowyki.languages.surface import Block, Fn, IntLit, Listen, Service, Session
from nanowyki.languages.types import TInt
from nanowyki.passes.check_control_flow import CheckControlFlow

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

RECV = "(CallBuiltin recv [(IntLit 8 (TInt))] (TOption (TBytes 8)))"
LOG = '(ExprStmt (CallBuiltin log [(BytesLit #"eof" (TBytes 3))] (TUnit)))'
TRUE = "(BoolLit #t (TBool))"
ONE = "(Return (IntLit 1 (TInt)))"
FALLS = "the else block must not fall through: end it with return, break, continue or close"


def let_else(*stmts: str) -> str:
    return f"(Let d (TBytes 8) {RECV} (Block [{' '.join(stmts)}]))"


def messages(*decls: str) -> list[str]:
    return diagnose_il(CheckControlFlow, service(*decls))


@pytest.mark.parametrize("ending", ["(Close)", "(Return nil)"])
def test_else_ending_in_close_or_return_diverges(ending: str) -> None:
    decl = session(let_else(LOG, ending)) if ending == "(Close)" else fn("f", let_else(ending))
    assert messages(decl) == []


@pytest.mark.parametrize("jump", ["(Break)", "(Continue)"])
def test_else_ending_in_a_loop_jump_diverges(jump: str) -> None:
    assert messages(session(f"(Loop nil (Block [{let_else(jump)}]))")) == []


def test_else_that_falls_through() -> None:
    assert messages(session(let_else(LOG))) == [FALLS]
    assert messages(session(let_else())) == [FALLS]


def test_else_with_an_if_else_that_diverges_on_both_branches() -> None:
    both = f"(If {TRUE} (Block [(Close)]) (Block [(Close)]))"
    assert messages(session(let_else(both))) == []
    one = f"(If {TRUE} (Block [(Close)]) nil)"
    assert messages(session(let_else(one))) == [FALLS]
    else_if = f"(If {TRUE} (Block [(Close)]) (Block [(If {TRUE} (Block [(Close)]) nil)]))"
    assert messages(session(let_else(else_if))) == [FALLS]


def test_else_ending_in_an_endless_loop_diverges_but_not_a_loop_that_breaks() -> None:
    assert messages(session(let_else("(Loop nil (Block []))"))) == []
    assert messages(session(let_else("(Loop nil (Block [(Break)]))"))) == [FALLS]


def test_else_ending_in_while_falls_through() -> None:
    assert messages(session(let_else(f"(While {TRUE} nil (Block [(Close)]))"))) == [FALLS]


def test_statements_after_a_diverging_one_do_not_matter() -> None:
    assert messages(session(let_else("(Close)", LOG))) == []


def test_break_and_continue_outside_a_loop() -> None:
    assert messages(session("(Break)", "(Continue)")) == [
        "'break' outside a loop",
        "'continue' outside a loop",
    ]
    assert messages(fn("f", f"(If {TRUE} (Block [(Break)]) nil)")) == ["'break' outside a loop"]


def test_break_inside_every_kind_of_loop() -> None:
    loops = [
        "(Loop nil (Block [(Break)]))",
        f"(While {TRUE} nil (Block [(Continue)]))",
        "(For i (IntLit 0 (TInt)) (IntLit 3 (TInt)) (Block [(Break)]))",
    ]
    assert messages(session(*loops)) == []


def test_return_in_the_session() -> None:
    diags, _ = run_il(CheckControlFlow, service(session("(Return nil)")))
    assert [d.message for d in diags] == ["'return' outside a function"]
    assert diags[0].hint == "to end the session, use 'close'"


def test_bare_return_ends_a_datagram_handler_or_timer_run() -> None:
    every = "(Every (IntLit 1 (TInt)) s (Block [(Return nil)]))"
    handler = f"(Datagram p (TBytes 8) (Block [{let_else('(Return nil)')}]))"
    assert messages(every, handler) == []


def test_handlers_cannot_return_a_value() -> None:
    every = f"(Every (IntLit 1 (TInt)) s (Block [{ONE}]))"
    handler = f"(Datagram p (TBytes 8) (Block [{ONE}]))"
    assert messages(every, handler) == [
        "a timer cannot return a value",
        "a datagram handler cannot return a value",
    ]


def test_function_falling_off_its_end() -> None:
    body = f"(If {TRUE} (Block [{ONE}]) nil)"
    assert messages(fn("f", body, result="(TInt)")) == [
        "function 'f' can reach its end without returning a value"
    ]
    assert messages(fn("g", result="(TInt)")) == [
        "function 'g' can reach its end without returning a value"
    ]


def test_function_returning_on_every_path() -> None:
    both = f"(If {TRUE} (Block [{ONE}]) (Block [{ONE}]))"
    assert messages(fn("f", both, result="(TInt)")) == []
    assert messages(fn("f", LOG, ONE, result="(TInt)")) == []
    assert messages(fn("f", f"(Loop nil (Block [{ONE}]))", result="(TInt)")) == []


def test_function_whose_loop_breaks_can_fall_off() -> None:
    loop = f"(Loop (IntLit 5 (TInt)) (Block [(If {TRUE} (Block [(Break)]) nil)]))"
    assert messages(fn("f", loop, result="(TInt)")) == [
        "function 'f' can reach its end without returning a value"
    ]


def test_a_break_of_an_inner_loop_does_not_leave_the_outer_one() -> None:
    inner = "(For i (IntLit 0 (TInt)) (IntLit 3 (TInt)) (Block [(Break)]))"
    assert messages(fn("f", f"(Loop nil (Block [{inner}]))", result="(TInt)")) == []


def test_a_break_in_an_else_block_leaves_the_loop() -> None:
    loop = f"(Loop nil (Block [{let_else('(Break)')}]))"
    assert messages(fn("f", loop, result="(TInt)")) == [
        "function 'f' can reach its end without returning a value"
    ]


def test_while_true_counts_as_able_to_end() -> None:
    loop = f"(While {TRUE} nil (Block [{ONE}]))"
    assert messages(fn("f", loop, result="(TInt)")) == [
        "function 'f' can reach its end without returning a value"
    ]


def test_unit_functions_may_fall_off_their_end() -> None:
    assert messages(fn("f", LOG)) == []


def test_the_function_error_points_at_the_closing_brace() -> None:
    body = Block((), span=Span("t.wyki", 3, 20, 5, 5))
    f = Fn("f", (), TInt(), body, span=Span("t.wyki", 3, 5, 5, 5))
    tree = Service("s", (Listen("tcp", IntLit(7, TInt())), f, Session(Block(()))))
    with pytest.raises(CompileError) as caught:
        CheckControlFlow().apply(tree, Facts())
    (d,) = caught.value.diagnostics
    assert d.span is not None and (d.span.line, d.span.col) == (5, 5)


def test_positions_from_source() -> None:
    src = """service s {
    listen tcp 7;
    fn sign(n: int) -> int {
        if n < 0 { return -1; }
    }
    session {
        let d = recv(8) else { log("eof"); };
        break;
        return;
    }
}
"""
    assert diagnose_source(CheckControlFlow, src) == [
        (5, 5, "function 'sign' can reach its end without returning a value"),
        (7, 30, FALLS),
        (8, 9, "'break' outside a loop"),
        (9, 9, "'return' outside a function"),
    ]


@pytest.mark.parametrize("example", example_names())
def test_examples_are_accepted(example: str) -> None:
    diags, _ = run_example(CheckControlFlow, example)
    assert diags == []
