"""expose-effects: send, reply and log calls become Send, Reply and Log statements."""

from __future__ import annotations

from pathlib import Path

import pytest

from nanowyki.framework import Facts, check, read_tree, walk
from nanowyki.languages.iterated import Iterated
from nanowyki.languages.resolved import CallBuiltin
from nanowyki.passes.expose_effects import ExposeEffects
from nanowyki.passes.remove_compound_assignments import RemoveCompoundAssignments

from .core_support import EXAMPLES, both, lower, norm, session_body, session_il, typed

B = "(Local b (TBytes 8))"
N = "(Local n (TInt))"
F = "(CallFn f [] (TInt))"
HI = '(BytesLit #"hi" (TBytes 2))'


def expose(stmts: str) -> str:
    tree = read_tree(session_il(stmts), Iterated)
    out, _ = ExposeEffects().apply(tree, Facts())
    check(out, Iterated)
    return norm(session_body(out))


def call(func: str, *args: str) -> str:
    return f"(ExprStmt (CallBuiltin {func} [{' '.join(args)}] (TUnit)))"


def itoa(e: str) -> str:
    return f"(CallBuiltin itoa [{e}] (TBytes 20))"


def test_pass_signature() -> None:
    assert ExposeEffects.name == "expose-effects"
    assert ExposeEffects.signature_problem() is None


def test_send_of_one_byte_string() -> None:
    assert expose(call("send", B)) == norm(f"(Send {B})")


def test_send_of_an_int_writes_it_in_decimal() -> None:
    assert expose(call("send", N)) == norm(f"(Send {itoa(N)})")


def test_send_of_stable_arguments_is_one_send_each_in_order() -> None:
    got = expose(call("send", HI, N, "(ConstRef C (TBytes 3))", "(IntLit 7 (TInt))"))
    seven = itoa("(IntLit 7 (TInt))")
    assert got == norm(
        f"(Send {HI}) (Send {itoa(N)}) (Send (ConstRef C (TBytes 3))) (Send {seven})"
    )


def test_a_computed_argument_after_a_send_is_evaluated_first() -> None:
    got = expose(call("send", HI, F, B))
    assert got == norm(f"""
        (Declare t.1 (TBytes 20) {itoa(F)})
        (Send {HI}) (Send (Local t.1 (TBytes 20))) (Send {B})""")


def test_every_computed_argument_up_to_the_last_one_is_bound_in_order() -> None:
    shared = "(SharedRef k (TInt))"
    got = expose(call("send", F, HI, shared))
    assert got == norm(f"""
        (Declare t.1 (TBytes 20) {itoa(F)})
        (Declare t.2 (TBytes 20) {itoa(shared)})
        (Send (Local t.1 (TBytes 20))) (Send {HI}) (Send (Local t.2 (TBytes 20)))""")


def test_a_computed_first_argument_alone_needs_no_temporary() -> None:
    got = expose(call("send", F, HI, B))
    assert got == norm(f"(Send {itoa(F)}) (Send {HI}) (Send {B})")


def test_reply_is_one_datagram_of_the_concatenation() -> None:
    got = expose(call("reply", B, N, HI))
    assert got == norm(
        f"(Reply (Binary ++ (Binary ++ {B} {itoa(N)} (TBytes 28)) {HI} (TBytes 30)))"
    )


def test_log_is_one_line() -> None:
    assert expose(call("log", HI)) == norm(f"(Log {HI})")
    assert expose(call("log", HI, F)) == norm(f"(Log (Binary ++ {HI} {itoa(F)} (TBytes 22)))")


def test_other_calls_and_statements_are_left_alone() -> None:
    tree = read_tree(
        session_il(
            f"(ExprStmt {F}) (ExprStmt (TableCall t put [{N} {N}] (TUnit)))"
            f"(ExprStmt (CallBuiltin sleep [{N}] (TUnit))) (Let x (TInt) {F} nil)"
        ),
        Iterated,
    )
    out, _ = ExposeEffects().apply(tree, Facts())
    assert out is tree


def test_effects_inside_nested_blocks_and_functions() -> None:
    got = expose(
        f"(Iterate (BoolLit #t (TBool)) nil (Block [{call('send', HI)} (Break)]) (Block []))"
    )
    want = f"(Iterate (BoolLit #t (TBool)) nil (Block [(Send {HI}) (Break)]) (Block []))"
    assert got == norm(want)


# -- the front end ---------------------------------------------------------------------------

TCP = """
service t { listen tcp 7;
  shared c: int = 3;
  fn bump() -> int { c += 1; log("bump ", c); return c; }
  session {
    send("a", bump(), "b", c, -12);
    log("x=", 1, "y", bump());
    var z = 0;
    send("kept? ", 10 / z);
  }
}"""

UDP = """
service u { listen udp 53;
  datagram p: bytes[65507] { reply(p, len(p)); reply(p[0..3], "-", -1); log("ok"); }
}"""


def test_sends_and_logs_behave_the_same(tmp_path: Path) -> None:
    tree, facts = typed(tmp_path, TCP)
    out, _ = lower(tree, facts, ExposeEffects)
    assert not any(
        isinstance(n, CallBuiltin) and n.func in ("send", "reply", "log") for n in walk(out)
    )
    reference, lowered = both(tmp_path, TCP)
    assert lowered == reference
    assert reference.output == b"a4b4-12"  # nothing of the faulting send went out
    assert reference.log == [b"bump 4", b"bump 5", b"x=1y5"]


def test_replies_behave_the_same(tmp_path: Path) -> None:
    reference, lowered = both(tmp_path, UDP, datagrams=(b"hello", b"x" * 65502, b"y" * 65503))
    assert lowered == reference
    assert reference.replies == [b"hello5", b"hel--1", b"x" * 65502 + b"65502", b"xxx--1"]
    assert [f.split(" ")[0] for f in reference.faults] == ["bounds"]  # 65503 + "65503" > 65507


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_examples(example: Path) -> None:
    tree, facts = typed(example.parent, example.read_text(), example.name)
    tree, facts = lower(tree, facts, RemoveCompoundAssignments)
    out, _ = ExposeEffects().apply(tree, facts)
    check(out, Iterated)
    assert not any(
        isinstance(n, CallBuiltin) and n.func in ("send", "reply", "log") for n in walk(out)
    )
