"""inline-constants: scalar ConstRefs become literals of the same type; others stay."""

from __future__ import annotations

from pathlib import Path

import pytest
from pyrsistent import pmap

from nanowyki.analysis.constants import ConstValues
from nanowyki.framework import Facts, check, print_tree, read_tree, walk
from nanowyki.languages.bounded import Bounded
from nanowyki.languages.resolved import ConstRef
from nanowyki.languages.types import TArray
from nanowyki.passes.inline_constants import InlineConstants

from .flat_support import (
    EXAMPLES,
    INT,
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

VALUES = ConstValues(pmap({"N": 4, "B": True, "S": b"ab", "A": (1, 2)}))


def run(text: str) -> tuple[str, object, object]:
    tree = read_tree(text, Bounded)
    out, _ = InlineConstants().apply(tree, Facts().with_(VALUES))
    return print_tree(out), out, tree


def test_an_int_constant_becomes_an_int_literal() -> None:
    printed, _, _ = run(service(fn(log(f"(ConstRef N {INT})"))))
    assert printed == same(service(fn(log(lit(4)))), Bounded)


def test_a_bool_constant_becomes_a_bool_literal() -> None:
    printed, _, _ = run(service(fn(log("(ConstRef B (TBool))"))))
    assert printed == same(service(fn(log("(BoolLit #t (TBool))"))), Bounded)


def test_a_bytes_constant_keeps_the_type_of_the_reference() -> None:
    # declared bytes[10] but holding 2 bytes: the literal stays a bytes[10] expression
    printed, _, _ = run(service(fn(log("(ConstRef S (TBytes 10))"))))
    assert printed == same(service(fn(log(bytes_("ab", 10)))), Bounded)


def test_nested_references_are_all_inlined() -> None:
    e = f"(Binary + (ConstRef N {INT}) (Binary * (ConstRef N {INT}) {local('x')} {INT}) {INT})"
    printed, _, _ = run(service(fn(log(e))))
    want = f"(Binary + {lit(4)} (Binary * {lit(4)} {local('x')} {INT}) {INT})"
    assert printed == same(service(fn(log(want))), Bounded)


def test_an_array_constant_stays_a_reference() -> None:
    e = "(ConstRef A (TArray (TInt) 2))"
    _, out, tree = run(service(fn(log(f"(Index {e} {lit(0)} {INT})"))))
    assert out is tree


def test_an_unknown_constant_stays_a_reference() -> None:
    _, out, tree = run(service(fn(log(f"(ConstRef M {INT})"))))
    assert out is tree


def test_const_declarations_are_kept() -> None:
    decl = f"(Const M {INT} (ConstRef N {INT}))"
    _, out, tree = run(service(decl))
    assert out is tree


def test_a_program_without_constants_is_the_same_object() -> None:
    _, out, tree = run(service(fn(log(local("x")))))
    assert out is tree


def test_real_program(tmp_path: Path) -> None:
    text = """service t {
        listen tcp 7;
        const N = 3;
        const GREETING = "hi";
        const ON = true;
        const TABLE = [10, 20, 30];
        session {
            if ON { send(GREETING, itoa(N + TABLE[1])); }
            close;
        }
    }"""
    tree, _ = to_pass(tmp_path / "t.wyki", text, InlineConstants)
    check(tree, Bounded)
    refs = [n for n in walk(tree) if isinstance(n, ConstRef)]
    assert refs and all(isinstance(r.type, TArray) for r in refs)


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_every_example_keeps_its_transcripts(example: Path) -> None:
    tree, facts = to_pass(example, None, InlineConstants)
    check(tree, Bounded)
    assert transcripts_fail(example, tree, facts, "Bounded") == []
