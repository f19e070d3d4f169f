"""`check(tree, L)` and the pipeline's check levels: a tree outside its language is caught,
and the error says where (path and span), in which language and after which pass."""

from __future__ import annotations

import pytest

from nanowyki.framework import (
    CheckLevel,
    ILCheckError,
    Node,
    Pipeline,
    RunOptions,
    Span,
    Transform,
    check,
)
from tests.framework.arith import (
    Arith,
    ArithFlat,
    ArithMon,
    Assign,
    Block,
    FlatProgram,
    If,
    Int,
    Let,
    Prim,
    PrimA,
    Program,
    Var,
)

NoIf = Arith.extend("NoIf", remove=[If])


def at(line: int, col: int) -> Span:
    return Span("t.arith", line, col, line, col + 3)


def tree_with_if_deep_inside() -> Program:
    """(Program (Let x (Prim + [(Int 1) (If (Int 1) (Int 2) (Int 3))]) (Var x)))"""
    deep_if = If(Int(1), Int(2), Int(3), span=at(3, 9))
    return Program(
        Let("x", Prim("+", (Int(1), deep_if), span=at(2, 5)), Var("x"), span=at(1, 1)),
        span=at(1, 1),
    )


class KeepIfs(Transform):
    """Arith -> NoIf: (deliberately broken) claims to remove If but changes nothing."""

    name = "keep-ifs"
    input = Arith
    output = NoIf


class MakeBadInt(Transform):
    """Arith -> Arith: (deliberately broken) builds an Int holding a string for every Var."""

    name = "make-bad-int"
    input = Arith
    output = Arith

    def Var(self, e: Var) -> Node:
        return Int("not a number", span=e.span)  # type: ignore[arg-type]


# -- check() ----------------------------------------------------------------------------------


def test_accepts_valid_trees_of_each_language() -> None:
    check(tree_with_if_deep_inside(), Arith)
    check(Program(Let("t", PrimA("+", (Var("a"), Int(1))), Var("t"))), ArithMon)
    check(FlatProgram(Block((Assign("t", Int(1)),), PrimA("-", (Var("t"), Int(2))))), ArithFlat)


def test_accepts_empty_tuples() -> None:
    check(Program(Prim("+", ())), Arith)


def test_rejects_a_node_of_a_removed_production() -> None:
    with pytest.raises(ILCheckError) as info:
        check(tree_with_if_deep_inside(), NoIf)
    err = info.value
    assert str(err) == (
        "tree is not in language NoIf: at Program.body.value.args[1] (t.arith:3:9): "
        "If: not a production of NoIf"
    )
    assert err.path == "Program.body.value.args[1]"
    assert err.node == "If"
    assert err.span == "t.arith:3:9"
    assert err.language == "NoIf"
    assert err.produced_by is None


def test_a_node_without_span_is_reported_without_one() -> None:
    with pytest.raises(ILCheckError) as info:
        check(Program(If(Int(1), Int(2), Int(3))), NoIf)
    assert str(info.value) == (
        "tree is not in language NoIf: at Program.body: If: not a production of NoIf"
    )


def test_rejects_a_field_of_the_wrong_primitive_type() -> None:
    with pytest.raises(ILCheckError) as info:
        check(Program(Prim("+", (Int("1", span=at(4, 2)),))), Arith)  # type: ignore[arg-type]
    assert info.value.path == "Program.body.args[0]"
    assert str(info.value) == (
        "tree is not in language Arith: at Program.body.args[0] (t.arith:4:2): "
        "Int: field 'value': str is not an instance of int"
    )


def test_rejects_a_bool_where_a_str_is_wanted() -> None:
    with pytest.raises(ILCheckError, match="field 'name'"):
        check(Program(Var(True)), Arith)  # type: ignore[arg-type]


def test_rejects_a_non_node_in_a_node_field() -> None:
    with pytest.raises(ILCheckError, match="field 'body': int is not an instance of"):
        check(Program(5), Arith)  # type: ignore[arg-type]


def test_rejects_a_list_where_a_tuple_is_declared() -> None:
    with pytest.raises(ILCheckError, match="field 'args': list is not a tuple"):
        check(Program(Prim("+", [Int(1)])), Arith)  # type: ignore[arg-type]


@pytest.mark.parametrize("bad_index", [0, 1, 2, 3])
def test_every_item_of_a_tuple_is_checked(bad_index: int) -> None:
    args: list[object] = [Int(1), Int(2), Int(3), Int(4)]
    args[bad_index] = "oops"
    with pytest.raises(ILCheckError) as info:
        check(Program(Prim("+", tuple(args))), Arith)  # type: ignore[arg-type]
    assert info.value.path == "Program.body"
    assert f"item {bad_index} of tuple is not an instance of" in info.value.reason


def test_a_node_of_the_wrong_nonterminal_late_in_a_tuple_is_caught() -> None:
    # PrimA's operands must be atoms: the third one is not.
    not_atom = PrimA("*", (Int(1), Int(1)))
    tree = Program(PrimA("+", (Var("a"), Int(2), not_atom)))  # type: ignore[arg-type]
    with pytest.raises(ILCheckError) as info:
        check(tree, ArithMon)
    assert "field 'args': item 2 of tuple is not an instance of" in str(info.value)
    assert info.value.node == "PrimA"


def test_a_removed_production_late_in_a_tuple_is_caught_with_its_index() -> None:
    tree = Program(Prim("+", (Int(1), Int(2), Int(3), If(Int(1), Int(2), Int(3)))))
    with pytest.raises(ILCheckError) as info:
        check(tree, NoIf)
    assert info.value.path == "Program.body.args[3]"


def test_rejects_a_wrong_root() -> None:
    with pytest.raises(ILCheckError) as info:
        check(Let("x", Int(1), Var("x"), span=at(1, 1)), Arith)
    assert str(info.value) == (
        "tree is not in language Arith: at Let (t.arith:1:1): Let: the root must be a Program"
    )


def test_rejects_the_root_of_another_language() -> None:
    with pytest.raises(ILCheckError, match="the root must be a FlatProgram"):
        check(Program(Int(1)), ArithFlat)


def test_refined_field_types_are_enforced() -> None:
    from tests.framework.sample import Doc, Sample, SampleTyped, Typed

    loose = Doc("d", (Typed(1),))
    check(loose, Sample)
    with pytest.raises(ILCheckError, match="Typed: field 'ty'"):
        check(loose, SampleTyped)
    check(Doc("d", (Typed(1, "int"),)), SampleTyped)


# -- through a pipeline -----------------------------------------------------------------------


def test_the_error_names_the_pass_that_produced_the_tree() -> None:
    with pytest.raises(ILCheckError) as info:
        Pipeline([KeepIfs]).run(tree_with_if_deep_inside())
    assert str(info.value) == (
        "pass 'keep-ifs' produced a tree outside language NoIf: "
        "at Program.body.value.args[1] (t.arith:3:9): If: not a production of NoIf"
    )
    assert info.value.produced_by == "keep-ifs"


def test_the_pipeline_checks_its_input() -> None:
    with pytest.raises(ILCheckError) as info:
        Pipeline([KeepIfs]).run(Program(Var(3)))  # type: ignore[arg-type]
    assert info.value.produced_by is None
    assert str(info.value).startswith("tree is not in language Arith: at Program.body: Var:")


def test_level_off_lets_a_broken_pass_through() -> None:
    result = Pipeline([KeepIfs]).run(tree_with_if_deep_inside(), RunOptions(check=CheckLevel.OFF))
    assert result.tree == tree_with_if_deep_inside()
    assert result.trace[0].check_seconds >= 0


def test_level_off_does_not_check_construction() -> None:
    result = Pipeline([MakeBadInt]).run(Program(Var("x")), RunOptions(check=CheckLevel.OFF))
    assert result.tree == Program(Int("not a number"))  # type: ignore[arg-type]


def test_level_boundary_catches_at_the_pass_boundary() -> None:
    with pytest.raises(ILCheckError) as info:
        Pipeline([MakeBadInt]).run(Program(Var("x")), RunOptions(check=CheckLevel.BOUNDARY))
    assert info.value.produced_by == "make-bad-int"
    # Raised by the checker after the pass, not from inside the pass's handler.
    assert not any(entry.name == "Var" for entry in info.traceback)


def test_level_boundary_is_the_default() -> None:
    assert RunOptions().check is CheckLevel.BOUNDARY
    with pytest.raises(ILCheckError):
        Pipeline([KeepIfs]).run(tree_with_if_deep_inside())


def test_level_construct_catches_at_the_constructor_call_inside_the_pass() -> None:
    with pytest.raises(ILCheckError) as info:
        Pipeline([MakeBadInt]).run(Program(Var("x")), RunOptions(check=CheckLevel.CONSTRUCT))
    assert str(info.value) == (
        "pass 'make-bad-int' produced a tree outside language Arith: at the node being "
        "constructed: Int: field value: str is not an instance of int"
    )
    names = [entry.name for entry in info.traceback]
    handler = names.index("Var")  # the pass's handler is on the stack ...
    assert "__init__" in names[handler + 1 :]  # ... calling the constructor, which raised
    line = info.traceback[handler].statement
    assert "Int(" in str(line)


def test_level_construct_names_the_span_of_the_node_being_built() -> None:
    """A node built from another (spans kept) is located in the source at construction."""
    with pytest.raises(ILCheckError, match=r"at the node being constructed \(t.arith:2:5\)"):
        Pipeline([MakeBadInt]).run(
            Program(Var("x", span=at(2, 5))), RunOptions(check=CheckLevel.CONSTRUCT)
        )


def test_level_construct_still_checks_the_boundary() -> None:
    with pytest.raises(ILCheckError, match="pass 'keep-ifs'"):
        Pipeline([KeepIfs]).run(tree_with_if_deep_inside(), RunOptions(check=CheckLevel.CONSTRUCT))


def test_level_construct_is_switched_off_after_the_run() -> None:
    Pipeline([KeepIfs]).run(Program(Int(1)), RunOptions(check=CheckLevel.CONSTRUCT))
    bad = Int("x")  # type: ignore[arg-type]
    assert bad.value == "x"  # type: ignore[comparison-overlap]


def test_level_construct_accepts_a_correct_pass() -> None:
    from tests.framework.arith import FoldConstants

    result = Pipeline([FoldConstants]).run(
        Program(Prim("+", (Int(1), Int(2)))), RunOptions(check=CheckLevel.CONSTRUCT)
    )
    assert result.tree == Program(Int(3))


def test_check_level_parse() -> None:
    assert CheckLevel.parse("off") is CheckLevel.OFF
    assert CheckLevel.parse("construct") is CheckLevel.CONSTRUCT
    with pytest.raises(ValueError, match="unknown check level 'all' \\(choose from off, boundary"):
        CheckLevel.parse("all")
