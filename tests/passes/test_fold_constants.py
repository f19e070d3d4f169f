"""fold-constants: operations on literals are computed, except those that fault."""

from __future__ import annotations

from pathlib import Path

import pytest

from nanowyki.framework import Facts, check, print_tree, read_tree
from nanowyki.languages.bounded import Bounded
from nanowyki.passes.fold_constants import FoldConstants

from .flat_support import (
    BOOL,
    EXAMPLES,
    INT,
    block,
    bool_,
    bytes_,
    fn,
    lit,
    local,
    log,
    same,
    service,
    to_pass,
    transcripts_fail,
)


def run(text: str) -> tuple[str, object, object]:
    tree = read_tree(text, Bounded)
    out, _ = FoldConstants().apply(tree, Facts())
    return print_tree(out), out, tree


def folds(expr: str, want: str) -> None:
    printed, _, _ = run(service(fn(log(expr))))
    assert printed == same(service(fn(log(want))), Bounded)


def stays(expr: str) -> None:
    _, out, tree = run(service(fn(log(expr))))
    assert out is tree


def binary(op: str, a: str, b: str, t: str = INT) -> str:
    return f"(Binary {op} {a} {b} {t})"


def test_arithmetic() -> None:
    folds(binary("*", lit(6), lit(7)), lit(42))


def test_nested_arithmetic_folds_bottom_up() -> None:
    folds(binary("+", lit(1), binary("*", lit(2), lit(3))), lit(7))


def test_truncating_division_and_remainder() -> None:
    folds(binary("/", f"(Unary - {lit(7)} {INT})", lit(2)), lit(-3))
    folds(binary("%", f"(Unary - {lit(7)} {INT})", lit(2)), lit(-1))


def test_overflow_is_not_folded() -> None:
    stays(binary("+", lit(2**63 - 1), lit(1)))


def test_division_by_zero_is_not_folded() -> None:
    stays(binary("/", lit(1), lit(0)))


def test_shift_out_of_range_is_not_folded() -> None:
    stays(binary("<<", lit(1), lit(64)))


def test_comparisons_and_equality_of_bytes() -> None:
    folds(binary("<", lit(1), lit(2), BOOL), bool_(True))
    folds(binary("==", bytes_("a"), bytes_("a"), BOOL), bool_(True))
    folds(binary("!=", bool_(True), bool_(False), BOOL), bool_(True))


def test_not_and_negation() -> None:
    folds(f"(Unary ! {bool_(True)} {BOOL})", bool_(False))
    folds(f"(Unary ~ {lit(0)} {INT})", lit(-1))


def test_concatenation_keeps_the_expression_type() -> None:
    folds(binary("++", bytes_("ab"), bytes_("c"), "(TBytes 3)"), bytes_("abc"))
    folds(binary("++", bytes_("ab"), bytes_("c"), "(TBytes 9)"), bytes_("abc", 9))


def test_short_circuit_with_a_literal_left_operand() -> None:
    x = local("x", BOOL)
    folds(binary("&&", bool_(False), x, BOOL), bool_(False))
    folds(binary("&&", bool_(True), x, BOOL), x)
    folds(binary("||", bool_(True), x, BOOL), bool_(True))
    folds(binary("||", bool_(False), x, BOOL), x)


def test_short_circuit_with_a_literal_right_operand_is_kept() -> None:
    stays(binary("&&", local("x", BOOL), bool_(False), BOOL))


def test_pure_builtins() -> None:
    folds(f"(CallBuiltin len [{bytes_('abc')}] {INT})", lit(3))
    folds(f"(CallBuiltin itoa [{lit(42)}] (TBytes 20))", bytes_("42", 20))
    folds(f"(CallBuiltin byte [{lit(65)}] (TBytes 1))", bytes_("A"))


def test_a_faulting_builtin_is_not_folded() -> None:
    stays(f"(CallBuiltin byte [{lit(256)}] (TBytes 1))")
    stays(f"(CallBuiltin abs [{lit(-(2**63))}] {INT})")


def test_an_optional_result_is_not_folded() -> None:
    stays(f"(CallBuiltin parse_int [{bytes_('12')}] (TOption (TInt)))")


def test_runtime_builtins_are_not_folded() -> None:
    stays(f"(CallBuiltin now_ms [] {INT})")


def test_index_and_slice_of_a_literal() -> None:
    folds(f"(Index {bytes_('AB')} {lit(1)} {INT})", lit(66))
    folds(f"(Slice {bytes_('abcd')} {lit(1)} {lit(3)} (TBytes 4))", bytes_("bc", 4))
    stays(f"(Index {bytes_('AB')} {lit(2)} {INT})")
    stays(f"(Slice {bytes_('ab')} {lit(1)} {lit(3)} (TBytes 2))")


def test_operands_that_are_not_literals_stay() -> None:
    stays(binary("+", local("x"), lit(1)))


def test_if_true_becomes_its_then_branch() -> None:
    text = service(fn(log(lit(0)), f"(If {bool_(True)} {block(log(lit(1)))} {block(log(lit(2)))})"))
    printed, _, _ = run(text)
    assert printed == same(service(fn(log(lit(0)), log(lit(1)))), Bounded)


def test_if_false_becomes_its_else_branch_or_nothing() -> None:
    text = service(fn(f"(If {bool_(False)} {block(log(lit(1)))} {block(log(lit(2)))})"))
    assert run(text)[0] == same(service(fn(log(lit(2)))), Bounded)
    text = service(fn(f"(If {bool_(False)} {block(log(lit(1)))} nil)", log(lit(3))))
    assert run(text)[0] == same(service(fn(log(lit(3)))), Bounded)


def test_if_on_a_folded_condition() -> None:
    cond = binary("<", lit(1), lit(2), BOOL)
    text = service(fn(f"(If {cond} {block(log(lit(1)))} nil)"))
    assert run(text)[0] == same(service(fn(log(lit(1)))), Bounded)


def test_a_program_with_nothing_to_fold_is_the_same_object() -> None:
    text = service(fn(f"(If {local('c', BOOL)} {block(log(lit(1)))} nil)"))
    _, out, tree = run(text)
    assert out is tree


def test_real_program(tmp_path: Path) -> None:
    text = """service t {
        listen tcp 7;
        const N = 3;
        session {
            let x = N * 2 + 1;
            if N > 2 { send(itoa(x)); } else { send("no"); }
            close;
        }
    }"""
    tree, _ = to_pass(tmp_path / "t.wyki", text, FoldConstants)
    check(tree, Bounded)
    printed = print_tree(tree)
    assert "(Declare x (TInt) (IntLit 7 (TInt)))" in printed
    assert "(If" not in printed


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_every_example_keeps_its_transcripts(example: Path) -> None:
    tree, facts = to_pass(example, None, FoldConstants)
    check(tree, Bounded)
    assert transcripts_fail(example, tree, facts, "Bounded") == []
