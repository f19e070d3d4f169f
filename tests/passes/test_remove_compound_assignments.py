"""remove-compound-assignments: `p op= e` becomes `p = p op e`, `++=` a Narrow."""

from __future__ import annotations

from pathlib import Path

import pytest

from nanowyki.framework import Facts, check, read_tree, walk
from nanowyki.languages.iterated import Iterated
from nanowyki.languages.surface import Assign
from nanowyki.passes.remove_compound_assignments import RemoveCompoundAssignments
from nanowyki.passes.unify_loops import UnifyLoops

from .core_support import EXAMPLES, both, lower, norm, session_body, session_il, typed

X = "(Local x (TInt))"
ONE = "(IntLit 1 (TInt))"
A = "(Local a (TArray (TInt) 4))"
GRID = "(Local g (TArray (TArray (TInt) 2) 2))"
F = "(CallFn f [] (TInt))"
G = "(CallFn g2 [] (TInt))"


def remove(stmts: str) -> str:
    tree = read_tree(session_il(stmts), Iterated)
    out, _ = RemoveCompoundAssignments().apply(tree, Facts())
    check(out, Iterated)
    return norm(session_body(out))


def test_pass_signature() -> None:
    p = RemoveCompoundAssignments
    assert p.name == "remove-compound-assignments"
    assert p.signature_problem() is None


@pytest.mark.parametrize("op", ["+", "-", "*"])
def test_arithmetic_compound_assignment_on_a_local(op: str) -> None:
    got = remove(f"(Assign {X} {op}= {ONE})")
    assert got == norm(f"(Assign {X} = (Binary {op} {X} {ONE} (TInt)))")


def test_shared_variable_is_computed_first_then_read_and_written_together() -> None:
    """The value first, so that the read and the write of `hits` are adjacent: one atomic
    update in C."""
    hits = "(SharedRef hits (TInt))"
    got = remove(f"(Assign {hits} += {F})")
    assert got == norm(
        f"(Declare t.1 (TInt) {F}) (Assign {hits} = (Binary + {hits} (Local t.1 (TInt)) (TInt)))"
    )


def test_shared_variable_with_a_stable_value_needs_no_temporary() -> None:
    hits = "(SharedRef hits (TInt))"
    got = remove(f"(Assign {hits} -= {ONE})")
    assert got == norm(f"(Assign {hits} = (Binary - {hits} {ONE} (TInt)))")


def test_append_becomes_a_narrow_to_the_places_type() -> None:
    s = "(Local s (TBytes 8))"
    got = remove(f'(Assign {s} ++= (Local t (TBytes 5)))')
    assert got == norm(
        f"(Assign {s} = (Narrow (Binary ++ {s} (Local t (TBytes 5)) (TBytes 13)) (TBytes 8)))"
    )


def test_index_by_a_local_or_a_literal_needs_no_temporary() -> None:
    place = f"(Index {A} (Local i (TInt)) (TInt))"
    assert remove(f"(Assign {place} -= {ONE})") == norm(
        f"(Assign {place} = (Binary - {place} {ONE} (TInt)))"
    )
    field = "(Field (Local p (TStruct P)) n (TInt))"
    assert remove(f"(Assign {field} *= {ONE})") == norm(
        f"(Assign {field} = (Binary * {field} {ONE} (TInt)))"
    )


def test_a_computed_index_is_bound_to_a_temporary_once() -> None:
    got = remove(f"(Assign (Index {A} {F} (TInt)) += {ONE})")
    place = f"(Index {A} (Local t.1 (TInt)) (TInt))"
    assert got == norm(f"""
        (Declare t.1 (TInt) {F})
        (Assign {place} = (Binary + {place} {ONE} (TInt)))""")


def test_several_computed_indexes_are_bound_left_to_right() -> None:
    got = remove(f"(Assign (Index (Index {GRID} {F} (TArray (TInt) 2)) {G} (TInt)) += {ONE})")
    place = f"(Index (Index {GRID} (Local t.1 (TInt)) (TArray (TInt) 2)) (Local t.2 (TInt)) (TInt))"
    assert got == norm(f"""
        (Declare t.1 (TInt) {F})
        (Declare t.2 (TInt) {G})
        (Assign {place} = (Binary + {place} {ONE} (TInt)))""")


def test_a_shared_or_indexed_index_is_not_trusted_twice() -> None:
    shared_index = f"(Index {A} (SharedRef k (TInt)) (TInt))"
    assert "Declare t.1 (TInt) (SharedRef k" in remove(f"(Assign {shared_index} += {ONE})")
    nested = f"(Index {A} (Index {A} {ONE} (TInt)) (TInt))"  # a[a[1]]: the inner may fault
    assert "Declare t.1 (TInt) (Index" in remove(f"(Assign {nested} += {ONE})")


def test_plain_assignments_and_other_statements_are_left_alone() -> None:
    tree = read_tree(
        session_il(f"(Assign (Index {A} {F} (TInt)) = {ONE}) (ExprStmt (CallFn f [] (TInt)))"),
        Iterated,
    )
    out, _ = RemoveCompoundAssignments().apply(tree, Facts())
    assert out is tree


def test_compound_assignments_inside_nested_blocks() -> None:
    got = remove(
        f"(If (Local c (TBool)) (Block [(Assign (Index {A} {F} (TInt)) += {ONE})]) nil)"
        f"(Iterate (Local c (TBool)) nil (Block [(Assign {X} += {ONE})]) (Block []))"
    )
    assert "(Block [(Declare t.1 (TInt) (CallFn f [] (TInt))) (Assign" in got
    assert "+=" not in got


# -- the front end ---------------------------------------------------------------------------


def test_front_end_program_behaves_the_same(tmp_path: Path) -> None:
    text = """
        service t { listen tcp 7;
          shared n: int = 0;
          fn at(i: int) -> int { n += 1; return i; }
          session {
            var a = [1, 2, 3];
            var s: bytes[6] = "ab";
            a[at(0)] += 10;  a[2] *= a[1];  s ++= "cd";  n -= 5;
            send(a[0], " ", a[2], " ", s, " ", n);
            s ++= "efg";
          }
        }"""
    tree, facts = typed(tmp_path, text)
    out, _ = lower(tree, facts, RemoveCompoundAssignments)
    assert all(a.op == "=" for a in walk(out) if isinstance(a, Assign))
    reference, lowered = both(tmp_path, text)
    assert lowered == reference
    assert reference.output == b"11 6 abcd -4"
    assert [f.split(" ")[0] for f in reference.faults] == ["bounds"]  # "abcdefg" > 6 bytes


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_examples(example: Path) -> None:
    tree, facts = typed(example.parent, example.read_text(), example.name)
    tree, facts = UnifyLoops().apply(tree, facts)
    out, _ = RemoveCompoundAssignments().apply(tree, facts)
    check(out, Iterated)
    assert all(a.op == "=" for a in walk(out) if isinstance(a, Assign))
