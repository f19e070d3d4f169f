"""reject-misplaced-effects: blocking, session, datagram and run-time builtins only where they
can run; `close` only in a session."""

from __future__ import annotations

import pytest

from nanowyki.framework import CompileError, Facts, read_tree
from nanowyki.languages.typed import Typed
from nanowyki.passes.reject_misplaced_effects import RejectMisplacedEffects

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
SEND = '(ExprStmt (CallBuiltin send [(BytesLit #"hi" (TBytes 2))] (TUnit)))'
REPLY = '(ExprStmt (CallBuiltin reply [(BytesLit #"hi" (TBytes 2))] (TUnit)))'
LET_RECV = f"(Let d (TBytes 8) {RECV} (Block [(Close)]))"
NOW = "(CallBuiltin now_ms [] (TInt))"
UDP = "(Listen udp (IntLit 53 (TInt)))"


def datagram(*stmts: str) -> str:
    return f"(Datagram pkt (TBytes 512) (Block [{' '.join(stmts)}]))"


def every(*stmts: str) -> str:
    return f"(Every (IntLit 1 (TInt)) s (Block [{' '.join(stmts)}]))"


def messages(*decls: str, listen: str | None = None) -> list[str]:
    tree = service(*decls) if listen is None else service(*decls, listen=listen)
    return diagnose_il(RejectMisplacedEffects, tree)


def test_session_may_block_send_and_close() -> None:
    peer = "(Let p (TBool) (CallBuiltin peer_closed [] (TBool)) nil)"
    assert messages(session(LET_RECV, SEND, peer, "(Close)")) == []


def test_receive_in_a_function_is_rejected_with_a_hint() -> None:
    body = LET_RECV.replace("(Close)", "(Return nil)")
    diags, _ = run_il(RejectMisplacedEffects, service(fn("f", body)))
    assert [d.message for d in diags] == ["'recv' blocks and can only be used in a session"]
    assert diags[0].hint == (
        "functions cannot block: move the receive into the session and pass the data as an argument"
    )


@pytest.mark.parametrize("builtin", ["recv_line", "sleep"])
def test_every_blocking_builtin_is_rejected_in_a_timer(builtin: str) -> None:
    stmt = f"(ExprStmt (CallBuiltin {builtin} [(IntLit 8 (TInt))] (TUnit)))"
    assert messages(every(stmt)) == [f"'{builtin}' blocks and can only be used in a session"]


def test_send_in_a_timer() -> None:
    assert messages(every(SEND)) == ["'send' can only be used in a session"]


def test_send_in_a_datagram_handler_hints_reply() -> None:
    diags, _ = run_il(RejectMisplacedEffects, service(datagram(SEND), listen=UDP))
    assert [d.message for d in diags] == ["'send' can only be used in a session"]
    assert diags[0].hint == "answer a datagram with 'reply(...)'"


def test_recv_in_a_datagram_handler() -> None:
    assert messages(datagram(LET_RECV.replace("(Close)", "(Break)")), listen=UDP) == [
        "'recv' blocks and can only be used in a session",
    ]


def test_non_blocking_session_builtin_outside_a_session() -> None:
    stmt = "(ExprStmt (CallBuiltin set_timeout [(IntLit 100 (TInt))] (TUnit)))"
    assert messages(fn("f", stmt)) == ["'set_timeout' can only be used in a session"]


def test_reply_only_in_the_datagram_handler() -> None:
    assert messages(datagram(REPLY), listen=UDP) == []
    assert messages(session(REPLY)) == ["'reply' can only be used in a datagram handler"]
    assert messages(every(REPLY)) == ["'reply' can only be used in a datagram handler"]


def test_close_outside_a_session() -> None:
    assert messages(fn("f", "(Close)")) == ["'close' can only be used in a session"]
    assert messages(every("(Close)")) == ["'close' can only be used in a session"]
    assert messages(datagram("(Close)"), listen=UDP) == ["'close' can only be used in a session"]


def test_clock_and_log_anywhere_but_in_constants() -> None:
    log = '(ExprStmt (CallBuiltin log [(BytesLit #"x" (TBytes 1))] (TUnit)))'
    ok = [fn("f", f"(Let t (TInt) {NOW} nil)", log), every(log), session(log)]
    assert messages(*ok) == []
    assert messages(f"(Const T (TInt) {NOW})") == ["'now_ms' cannot be used in a constant"]
    assert messages(f"(Shared n (TInt) {NOW})") == ["'now_ms' cannot be used in a constant"]


def test_blocking_call_in_a_constant() -> None:
    assert messages(f"(Const C (TOption (TBytes 8)) {RECV})") == [
        "'recv' blocks and can only be used in a session"
    ]


def test_nested_calls_are_all_checked() -> None:
    inner = f"(CallBuiltin itoa [{NOW}] (TBytes 20))"
    send_both = f"(ExprStmt (CallBuiltin send [{inner} {RECV}] (TUnit)))"
    assert messages(fn("f", send_both)) == [
        "'send' can only be used in a session",
        "'recv' blocks and can only be used in a session",
    ]


def test_pure_builtins_are_fine_everywhere() -> None:
    length = '(CallBuiltin len [(BytesLit #"abc" (TBytes 3))] (TInt))'
    assert messages(f"(Const L (TInt) {length})", fn("f", f"(Let n (TInt) {length} nil)")) == []


def test_is_a_check_that_raises_all_at_once() -> None:
    tree = service(fn("f", "(Close)", SEND))
    with pytest.raises(CompileError) as caught:
        RejectMisplacedEffects().apply(read_tree(tree, Typed), Facts())
    assert len(caught.value.diagnostics) == 2


def test_positions_from_source() -> None:
    src = """service s {
    listen tcp 7;
    fn f() { let d = recv_line(8) else { return; }; }
    every 1 s { send("tick"); }
    session { close; }
}
"""
    assert diagnose_source(RejectMisplacedEffects, src) == [
        (3, 22, "'recv_line' blocks and can only be used in a session"),
        (4, 17, "'send' can only be used in a session"),
    ]


@pytest.mark.parametrize("example", example_names())
def test_examples_are_accepted(example: str) -> None:
    diags, _ = run_example(RejectMisplacedEffects, example)
    assert diags == []
