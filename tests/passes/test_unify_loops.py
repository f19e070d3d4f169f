"""unify-loops: for, while and loop become Iterate."""

from __future__ import annotations

from pathlib import Path

import pytest
from pyrsistent import pmap

from nanowyki.framework import Facts, InternalError, check, read_tree, walk
from nanowyki.languages.iterated import Iterate, Iterated
from nanowyki.languages.surface import For, Loop, While
from nanowyki.languages.typed import Typed
from nanowyki.passes.require_loop_bounds import LoopBounds
from nanowyki.passes.unify_loops import UnifyLoops

from .core_support import EXAMPLES, norm, session_body, session_il, typed, with_loop_bounds

SEND_I = "(ExprStmt (CallBuiltin send [(Local i (TInt))] (TUnit)))"
STEP_I = (
    "(Block [(Assign (Local i (TInt)) = (Binary + (Local i (TInt)) (IntLit 1 (TInt)) (TInt)))])"
)


def unify(stmts: str, *trips: int | None) -> str:
    tree, facts = with_loop_bounds(read_tree(session_il(stmts), Typed), *trips)
    out, _ = UnifyLoops().apply(tree, facts)
    check(out, Iterated)
    return norm(session_body(out))


def test_pass_signature() -> None:
    assert UnifyLoops.name == "unify-loops"
    assert UnifyLoops.signature_problem() is None
    assert (UnifyLoops.input, UnifyLoops.output) == (Typed, Iterated)


def test_for_becomes_declares_and_an_iterate_with_the_trip_bound_and_a_step() -> None:
    got = unify(f"(For i (IntLit 2 (TInt)) (ConstRef N (TInt)) (Block [{SEND_I}]))", 8)
    assert got == norm(f"""
        (Declare i (TInt) (IntLit 2 (TInt)))
        (Declare end.1 (TInt) (ConstRef N (TInt)))
        (Iterate (Binary < (Local i (TInt)) (Local end.1 (TInt)) (TBool))
          (IntLit 8 (TInt)) (Block [{SEND_I}]) {STEP_I})""")


def test_while_with_max_keeps_its_limit_as_a_number() -> None:
    got = unify("(While (Local c (TBool)) (ConstRef MAX (TInt)) (Block [(Break)]))", 100)
    want = "(Iterate (Local c (TBool)) (IntLit 100 (TInt)) (Block [(Break)]) (Block []))"
    assert got == norm(want)


def test_while_without_max_has_no_limit() -> None:
    got = unify("(While (Local c (TBool)) nil (Block [(Continue)]))", None)
    assert got == norm("(Iterate (Local c (TBool)) nil (Block [(Continue)]) (Block []))")


def test_loop_is_an_iterate_on_true() -> None:
    assert unify("(Loop nil (Block [(Break)]))", None) == norm(
        "(Iterate (BoolLit #t (TBool)) nil (Block [(Break)]) (Block []))"
    )
    assert unify("(Loop (IntLit 3 (TInt)) (Block [(Break)]))", 3) == norm(
        "(Iterate (BoolLit #t (TBool)) (IntLit 3 (TInt)) (Block [(Break)]) (Block []))"
    )


def test_nested_loops_are_all_rewritten_with_distinct_end_names() -> None:
    inner = "(For j (IntLit 0 (TInt)) (Local i (TInt)) (Block [(Continue)]))"
    got = unify(
        f"(For i (IntLit 0 (TInt)) (IntLit 4 (TInt))"
        f" (Block [(Loop nil (Block [{inner} (Break)]))]))"
        f"(For k (IntLit 0 (TInt)) (IntLit 2 (TInt)) (Block []))",
        4,
        None,
        3,
        2,
    )
    assert "end.1" in got and "end.2" in got and "end.3" in got
    assert "(IntLit 3 (TInt)) (Block [(Continue)])" in got  # the inner for's bound
    assert "For" not in got and "Loop" not in got and "While" not in got


def test_a_loop_body_without_loops_is_kept_as_the_same_object() -> None:
    tree, facts = with_loop_bounds(
        read_tree(session_il(f"(While (Local c (TBool)) nil (Block [{SEND_I}]))"), Typed), None
    )
    (loop,) = [n for n in walk(tree) if isinstance(n, While)]
    out, _ = UnifyLoops().apply(tree, facts)
    (it,) = [n for n in walk(out) if isinstance(n, Iterate)]
    assert it.body is loop.body and it.cond is loop.cond
    assert it.span == loop.span  # the loop keeps its source position


def test_a_program_without_loops_is_returned_unchanged() -> None:
    tree = read_tree(session_il(f"(If (Local c (TBool)) (Block [{SEND_I}]) nil)"), Typed)
    out, _ = UnifyLoops().apply(tree, Facts())
    assert out is tree


def test_a_loop_missing_from_loop_bounds_is_an_internal_error() -> None:
    bare = read_tree(session_il("(For i (IntLit 0 (TInt)) (IntLit 3 (TInt)) (Block []))"), Typed)
    with pytest.raises(InternalError, match="no LoopBounds entry"):
        UnifyLoops().apply(bare, Facts().with_(LoopBounds(pmap())))
    with pytest.raises(InternalError, match="without a static trip bound"):
        UnifyLoops().apply(*with_loop_bounds(bare, None))


# -- the front end -------------------------------------------------------------------------------

SOURCE = """
service t {
    listen tcp 7;
    const N = 5;
    fn sum(b: bytes[16]) -> int {
        var s = 0;
        for i in 0..len(b) { s += b[i]; }
        while s > 1000 max N { s -= 1000; }
        return s;
    }
    session {
        loop {
            let line = recv_line(16) else { close; };
            for i in 1..min(nfields(line), 4) { send(field(line, i)); }
            send(sum(line));
        }
    }
}
"""


def test_front_end_program(tmp_path: Path) -> None:
    tree, facts = typed(tmp_path, SOURCE)
    out, _ = UnifyLoops().apply(tree, facts)
    check(out, Iterated)
    iterates = [n for n in walk(out) if isinstance(n, Iterate)]
    limits = sorted(
        (getattr(it.limit, "value", None) or 0) if it.limit is not None else -1 for it in iterates
    )
    assert limits == [-1, 3, 5, 16]  # loop on fuel; min(_, 4) from 1; max N; len(bytes[16])


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_examples(example: Path) -> None:
    tree, facts = typed(example.parent, example.read_text(), example.name)
    before = sum(isinstance(n, For | While | Loop) for n in walk(tree))
    out, _ = UnifyLoops().apply(tree, facts)
    check(out, Iterated)
    assert sum(isinstance(n, Iterate) for n in walk(out)) == before
