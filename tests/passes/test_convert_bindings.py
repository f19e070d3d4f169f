"""convert-bindings: let and var become Declare and Unwrap; the output is Core."""

from __future__ import annotations

from pathlib import Path

import pytest

from nanowyki.framework import Facts, ILCheckError, check, read_tree
from nanowyki.languages.core import Core
from nanowyki.languages.iterated import Iterated
from nanowyki.passes.convert_bindings import ConvertBindings
from nanowyki.passes.expose_effects import ExposeEffects

from .core_support import EXAMPLES, both, lower, norm, session_body, session_il, typed

F = "(CallFn f [] (TInt))"
RECV = "(CallBuiltin recv_line [(IntLit 8 (TInt))] (TOption (TBytes 8)))"


def convert(stmts: str) -> str:
    tree = read_tree(session_il(stmts), Iterated)
    out, _ = ConvertBindings().apply(tree, Facts())
    check(out, Core)
    return norm(session_body(out))


def test_pass_signature() -> None:
    assert ConvertBindings.name == "convert-bindings"
    assert ConvertBindings.signature_problem() is None
    assert (ConvertBindings.input, ConvertBindings.output) == (Iterated, Core)


def test_let_and_var_become_declare() -> None:
    assert convert(f"(Let x (TInt) {F} nil)") == norm(f"(Declare x (TInt) {F})")
    assert convert(f"(Var y (TInt) {F})") == norm(f"(Declare y (TInt) {F})")


def test_let_else_becomes_unwrap() -> None:
    got = convert(f"(Let line (TBytes 8) {RECV} (Block [(Close)]))")
    assert got == norm(f"(Unwrap line (TBytes 8) {RECV} (Block [(Close)]))")


def test_let_underscore_becomes_an_expression_statement() -> None:
    assert convert(f"(Let _ (TInt) {F} nil)") == norm(f"(ExprStmt {F})")


def test_let_underscore_else_unwraps_into_a_fresh_name_each_time() -> None:
    got = convert(
        f"(Let _ (TBytes 8) {RECV} (Block [(Close)])) (Let _ (TBytes 8) {RECV} (Block [(Close)]))"
    )
    assert got == norm(f"""
        (Unwrap _.1 (TBytes 8) {RECV} (Block [(Close)]))
        (Unwrap _.2 (TBytes 8) {RECV} (Block [(Close)]))""")


def test_bindings_in_nested_blocks_and_else_blocks() -> None:
    got = convert(
        f"(Let a (TBytes 8) {RECV} (Block [(Let b (TInt) {F} nil) (Close)]))"
        f"(Iterate (BoolLit #t (TBool)) nil (Block [(Var c (TInt) {F}) (Break)]) (Block []))"
    )
    assert "Let" not in got and "Var" not in got
    assert f"(Block [(Declare b (TInt) {F}) (Close)])" in got
    assert f"(Block [(Declare c (TInt) {F}) (Break)])" in got


def test_a_program_without_bindings_is_unchanged() -> None:
    tree = read_tree(session_il(f"(ExprStmt {F}) (Close)"), Iterated)
    out, _ = ConvertBindings().apply(tree, Facts())
    assert out is tree


@pytest.mark.parametrize(
    "leftover",
    [
        "(Assign (Local x (TInt)) += (IntLit 1 (TInt)))",
        '(ExprStmt (CallBuiltin send [(BytesLit #"a" (TBytes 1))] (TUnit)))',
        '(ExprStmt (CallBuiltin log [(BytesLit #"a" (TBytes 1))] (TUnit)))',
        '(ExprStmt (CallBuiltin reply [(BytesLit #"a" (TBytes 1))] (TUnit)))',
    ],
)
def test_the_core_checker_rejects_sugar_the_earlier_passes_should_have_removed(
    leftover: str,
) -> None:
    tree = read_tree(session_il(leftover), Iterated)
    out, _ = ConvertBindings().apply(tree, Facts())
    with pytest.raises(ILCheckError):
        check(out, Core)


# -- the front end ---------------------------------------------------------------------------


def test_front_end_program_behaves_the_same(tmp_path: Path) -> None:
    text = """
        service t { listen tcp 7;
          fn half(n: int) -> int? { if n % 2 == 1 { return none; } return n / 2; }
          session {
            loop {
              let line = recv_line(16) else { close; };
              let n = parse_int(line) else { send("nan\\n"); continue; };
              let _ = half(n) else { send("odd\\n"); continue; };
              let h = half(n) else { close; };
              var k = h;
              k += 0;
              let _ = len(line);
              send(k, "\\n");
            }
          }
        }"""
    reference, lowered = both(tmp_path, text, data=b"8\nx\n7\n")
    assert lowered == reference
    assert reference.output == b"4\nnan\nodd\n"


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_examples(example: Path) -> None:
    tree, facts = typed(example.parent, example.read_text(), example.name)
    tree, facts = lower(tree, facts, ExposeEffects)
    out, _ = ConvertBindings().apply(tree, facts)
    check(out, Core)
