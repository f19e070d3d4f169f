"""What the framework gets from structural sharing: every node sums up its subtree once (size,
productions); walks skip subtrees holding nothing a pass handles; the checker proves only what a
pass built; each step of a run counts the nodes its pass built. None of it may change a result."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any, Literal

import pytest
from hypothesis import given, settings
from typeguard import CollectionCheckStrategy, TypeCheckError, check_type

from nanowyki.framework import (
    CheckLevel,
    Facts,
    ILCheckError,
    Node,
    Pipeline,
    RunOptions,
    Transform,
    count_nodes,
    find_all,
    occurs_in,
    read_tree,
    walk,
)
from nanowyki.framework.check import check
from nanowyki.framework.fieldtypes import check_value, compile_type
from nanowyki.framework.node import summarize
from tests.framework.arith import (
    Arith,
    Atom,
    Expr,
    FoldConstants,
    If,
    Int,
    Let,
    Prim,
    Program,
    RemoveComplexOperands,
    UniquifyNames,
    Var,
)
from tests.framework.sample import Doc, Sample, SampleTyped, Typed
from tests.framework.strategies import arith_programs


def arith(text: str) -> Node:
    return read_tree(text, Arith)


def fresh(tree: Node) -> Node:
    """The same tree built again: no node of it has summed up its subtree."""
    return read_tree(_print(tree), Arith)


def _print(tree: Node) -> str:
    from nanowyki.framework import print_tree

    return print_tree(tree)


# -- subtree summaries ----------------------------------------------------------------------


def test_summing_up_fills_in_each_node_once() -> None:
    tree = arith("(Program (Prim + [(Int 1) (Let x (Int 2) (Var x))]))")
    assert summarize(tree) == 6
    assert summarize(tree) == 0
    assert count_nodes(tree) == 6


def test_a_new_parent_over_old_children_sums_up_only_itself() -> None:
    old = arith("(Program (Prim + [(Int 1) (Var y)]))")
    summarize(old)
    body = old.body  # type: ignore[attr-defined]
    new = Program(Prim("-", body.args))
    assert summarize(new) == 2
    assert count_nodes(new) == 4


def test_a_node_that_occurs_twice_counts_twice() -> None:
    one = Int(1)
    assert count_nodes(Program(Prim("+", (one, one)))) == 4


@pytest.mark.parametrize("kinds", [(Var,), (Int, Var), (Atom,), (Expr,), (If,), (Let, If)])
def test_find_all_finds_what_walk_finds_in_the_same_order(kinds: tuple[type[Node], ...]) -> None:
    tree = arith(
        "(Program (Let x (If (Var c) (Int 1) (Prim + [(Var a) (Int 2)]))"
        " (Prim * [(Var x) (Var x)])))"
    )
    expected = [n for n in walk(tree) if isinstance(n, kinds)]
    found = list(find_all(tree, kinds))
    assert found == expected
    assert all(n is m for n, m in zip(found, expected, strict=True))
    assert occurs_in(tree, kinds) == bool(expected)


def test_occurs_in_looks_at_the_subtree_only() -> None:
    tree = arith("(Program (Prim + [(Int 1) (Let x (Var y) (Var x))]))")
    first, second = tree.body.args  # type: ignore[attr-defined]
    assert not occurs_in(first, (Var,))
    assert occurs_in(second, (Var,))
    assert not occurs_in(tree, (If,))


# -- walks skip what a pass cannot change ---------------------------------------------------


class RenameY(Transform):
    """Arith -> Arith: rename variable y to z, noting every node the walk visits."""

    name = "rename-y"
    input = Arith
    output = Arith

    def __init__(self) -> None:
        self.visited: list[str] = []

    def visit(self, n: Node, *ctx: Any) -> Any:
        self.visited.append(type(n).__name__)
        return super().visit(n, *ctx)

    def Var(self, e: Var) -> Expr:
        return Var("z") if e.name == "y" else e


class DropLets(RenameY):
    """Arith -> Arith: (Let x v body) becomes (Prim + [(Var y) body]), renamed like the rest:
    the walk goes into what the handler has just built, which has no summary yet."""

    name = "drop-lets"

    def Let(self, e: Let) -> Expr:
        return self.visit(Prim("+", (Var("y"), e.body)))  # type: ignore[no-any-return]


def test_a_walk_skips_a_subtree_without_a_handled_production() -> None:
    tree = arith("(Program (Prim + [(Let x (Int 1) (Int 2)) (Var y)]))")
    summarize(tree)
    rename = RenameY()
    out, _ = rename.apply(tree, Facts())
    assert out == arith("(Program (Prim + [(Let x (Int 1) (Int 2)) (Var z)]))")
    assert rename.visited == ["Program", "Prim", "Let", "Var"]  # not the Ints under Let
    assert out.body.args[0] is tree.body.args[0]  # type: ignore[attr-defined]


def test_a_walk_without_summaries_visits_everything() -> None:
    tree = arith("(Program (Prim + [(Let x (Int 1) (Int 2)) (Var y)]))")
    rename = RenameY()
    rename.apply(tree, Facts())
    assert rename.visited == ["Program", "Prim", "Let", "Int", "Int", "Var"]


def test_a_walk_goes_into_nodes_its_handler_just_built() -> None:
    tree = arith("(Program (Let x (Int 1) (Let w (Var y) (Int 2))))")
    summarize(tree)
    out, _ = DropLets().apply(tree, Facts())
    assert out == arith("(Program (Prim + [(Var z) (Prim + [(Var z) (Int 2)])]))")


def outcome(p: type[Transform], tree: Node) -> object:
    """The tree `p` makes of `tree`, or the kind of error it raises."""
    try:
        return p().apply(tree, Facts())[0]
    except Exception as err:  # any error, as long as both ways raise it
        return type(err)


@settings(max_examples=60, deadline=None)
@given(arith_programs)
def test_passes_give_the_same_tree_with_and_without_summaries(tree: Node) -> None:
    for p in (UniquifyNames, FoldConstants, RemoveComplexOperands, RenameY, DropLets):
        summed = fresh(tree)
        summarize(summed)
        assert outcome(p, summed) == outcome(p, fresh(tree)), p.name


# -- the checker proves only what is new ----------------------------------------------------


class Keep(Transform):
    """Sample -> SampleTyped: (deliberately broken) keeps every item as it is, `ty` unset."""

    name = "keep"
    input = Sample
    output = SampleTyped


NoIf = Arith.extend("NoIf", remove=[If])


class KeepIfs(Transform):
    """Arith -> NoIf: (deliberately broken) claims to remove If but changes nothing."""

    name = "keep-ifs"
    input = Arith
    output = NoIf


def test_a_kept_subtree_is_checked_again_where_its_field_types_are_refined() -> None:
    with pytest.raises(ILCheckError, match=r"pass 'keep' .* Typed: field 'ty'"):
        Pipeline([Keep]).run(Doc("d", (Typed(1),)))


def test_a_kept_subtree_holding_a_removed_production_is_caught() -> None:
    deep = arith("(Program (Let x (Prim + [(Int 1) (If (Int 1) (Int 2) (Int 3))]) (Var x)))")
    with pytest.raises(
        ILCheckError, match=r"Program\.body\.value\.args\[1\]: If: not a production"
    ):
        Pipeline([KeepIfs]).run(deep)


# The module: `nanowyki.framework.check` is also the name of the function it exports.
check_module = importlib.import_module("nanowyki.framework.check")


def count_walked(monkeypatch: pytest.MonkeyPatch) -> list[Node]:
    """The nodes the checker looks inside from now on."""
    walked: list[Node] = []
    real: Callable[[Node], list[Node]] = check_module.children

    def spy(n: Node) -> list[Node]:
        walked.append(n)
        return real(n)

    monkeypatch.setattr(check_module, "children", spy)
    return walked


def test_a_tree_proved_once_is_not_walked_again(monkeypatch: pytest.MonkeyPatch) -> None:
    tree = arith("(Program (Prim + [(Int 1) (Let x (Var y) (Var x))]))")
    walked = count_walked(monkeypatch)
    check(tree, Arith)
    assert len(walked) == 6
    walked.clear()
    check(tree, Arith)
    assert walked == []


def test_only_the_new_nodes_over_a_proved_subtree_are_walked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    tree = arith("(Program (Prim + [(Int 1) (Let x (Var y) (Var x))]))")
    check(tree, Arith)
    walked = count_walked(monkeypatch)
    new = Program(Prim("-", tree.body.args))  # type: ignore[attr-defined]
    check(new, NoIf)  # proved in Arith; NoIf keeps every production in it
    assert [type(n).__name__ for n in walked] == ["Program", "Prim"]


def test_a_proved_subtree_is_walked_in_a_language_that_removed_one_of_its_productions(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    tree = arith("(Program (Prim + [(Int 1) (If (Int 1) (Int 2) (Int 3))]))")
    check(tree, Arith)
    walked = count_walked(monkeypatch)
    with pytest.raises(ILCheckError):
        check(tree, NoIf)
    # The (Int 1) beside the If is carried over unwalked; the If fails before its children.
    assert [type(n).__name__ for n in walked] == ["Program", "Prim"]


# -- nodes built per pass -------------------------------------------------------------------


def test_each_step_counts_the_nodes_its_pass_built() -> None:
    tree = arith("(Program (Prim + [(Let x (Int 1) (Int 2)) (Var y)]))")
    trace = Pipeline([RenameY, UniquifyNames]).run(tree, RunOptions(check=CheckLevel.OFF)).trace
    assert [(s.name, s.nodes_out, s.nodes_built) for s in trace] == [
        ("rename-y", 6, 3),  # (Var z), and the Prim and the Program above it
        ("uniquify-names", 6, 3),  # (Let x.1 ...), the Prim and the Program
    ]


def test_a_pass_that_changes_nothing_built_nothing() -> None:
    tree = arith("(Program (Prim + [(Int 1) (Var x)]))")
    trace = Pipeline([RenameY]).run(tree).trace
    assert (trace[0].nodes_out, trace[0].nodes_built) == (4, 0)


# -- field types as fast tests --------------------------------------------------------------

HINTS: list[Any] = [
    int,
    str,
    bool,
    bytes,
    float,
    type(None),
    Expr,
    Atom,
    Expr | None,
    str | None,
    tuple[Expr, ...],
    tuple[Atom | Let, ...],
    tuple[str, ...],
    tuple[int, int],  # a shape the compiler leaves to typeguard
    Literal["a", "b"],
    Literal[1, True],
]
VALUES: list[Any] = [
    0,
    True,
    1.5,
    "a",
    "c",
    b"x",
    bytearray(b"x"),
    None,
    Int(1),
    Let("x", Int(1), Var("x")),
    (),
    (Int(1), Var("x")),
    (Int(1), Let("x", Int(1), Var("x"))),
    (Int(1), "x"),
    [Int(1)],
    ("a", "b"),
    (1, 2),
    {},
]


def typeguard_accepts(value: Any, hint: Any) -> bool:
    try:
        check_type(value, hint, collection_check_strategy=CollectionCheckStrategy.ALL_ITEMS)
    except TypeCheckError:
        return False
    return True


@pytest.mark.parametrize("hint", HINTS, ids=repr)
def test_a_compiled_test_never_accepts_what_typeguard_rejects(hint: Any) -> None:
    test = compile_type(hint)
    for value in VALUES:
        if test(value):
            assert typeguard_accepts(value, hint), (hint, value)


@pytest.mark.parametrize("hint", HINTS, ids=repr)
def test_check_value_agrees_with_typeguard(hint: Any) -> None:
    test = compile_type(hint)
    for value in VALUES:
        try:
            check_value(value, hint, test)
            accepted = True
        except TypeCheckError:
            accepted = False
        assert accepted == typeguard_accepts(value, hint), (hint, value)


def test_the_usual_field_types_are_compiled() -> None:
    for hint in (int, Expr | None, tuple[Atom | Let, ...], Literal["a", "b"]):
        assert compile_type(hint)(compile_type) is False  # a real test, not "ask typeguard"
    assert compile_type(Expr | None)(None) is True
    assert compile_type(tuple[Atom | Let, ...])((Int(1), Let("x", Int(1), Var("x")))) is True


def test_check_still_reports_the_bad_field_through_typeguard() -> None:
    with pytest.raises(ILCheckError) as info:
        check(Program(Prim("+", [Int(1)])), Arith)  # type: ignore[arg-type]
    assert "field 'args': list is not a tuple" in str(info.value)


def test_sample_refinement_is_checked_from_scratch() -> None:
    check(Doc("d", (Typed(1, "int"),)), SampleTyped)
    with pytest.raises(ILCheckError, match="Typed: field 'ty'"):
        check(Doc("d", (Typed(1),)), SampleTyped)
