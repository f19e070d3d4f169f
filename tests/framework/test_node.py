"""Declaring ILs: what a node is (frozen, slotted, span outside equality) and what a
Language accepts as its productions."""

from __future__ import annotations

import dataclasses

import pytest

from nanowyki.framework import Language, Node, Span, count_nodes, iter_children, node, walk
from tests.framework.arith import Arith, Expr, If, Int, Let, Prim, Program, Var

S1 = Span("a.arith", 1, 2, 1, 5)
S2 = Span("b.arith", 7, 3, 7, 9)


class Loose(Node):
    """A nonterminal for the productions declared only in this file."""


@node
class Orphan(Node):
    """A production straight under Node: no nonterminal."""

    x: int


@node
class Twin(Loose):
    x: int


def make_twin_named_int() -> type[Node]:
    @node
    class Int(Loose):  # same name as arith.Int, a different class
        value: int

    return Int


# -- nodes ------------------------------------------------------------------------------------


def test_assigning_a_field_raises() -> None:
    n = Int(1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        n.value = 2  # type: ignore[misc]
    assert n.value == 1


def test_assigning_the_span_raises() -> None:
    n = Int(1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        n.span = S1  # type: ignore[misc]


def test_nodes_have_no_instance_dict() -> None:
    for n in (Int(1), Var("x"), Prim("+", ()), Program(Int(1))):
        assert not hasattr(n, "__dict__"), type(n).__name__


def test_adding_an_attribute_raises() -> None:
    with pytest.raises((AttributeError, TypeError)):
        Int(1).extra = 3  # type: ignore[attr-defined]


def test_nonterminals_add_no_dict_to_productions() -> None:
    # Atom sits between Expr and Int: it too must be slotted.
    assert Int.__mro__[1].__name__ == "Atom"
    assert "__dict__" not in dir(Int(1))


def test_equality_ignores_spans() -> None:
    assert Int(1, span=S1) == Int(1, span=S2)
    assert Int(1, span=S1) == Int(1)
    assert hash(Int(1, span=S1)) == hash(Int(1))
    assert Int(1, span=S1) != Int(2, span=S1)


def test_equality_is_structural_and_deep() -> None:
    a = Let("x", Int(1, span=S1), Prim("+", (Var("x", span=S2), Int(2))))
    b = Let("x", Int(1), Prim("+", (Var("x"), Int(2))))
    assert a == b
    assert a != Let("x", Int(1), Prim("+", (Var("y"), Int(2))))


def test_equality_distinguishes_productions_with_the_same_fields() -> None:
    assert Int(1) != Twin(1)  # type: ignore[comparison-overlap]  # different classes


def test_span_is_keyword_only() -> None:
    with pytest.raises(TypeError):
        Int(1, S1)  # type: ignore[call-arg]


def test_span_defaults_to_none_and_is_kept() -> None:
    assert Int(1).span is None
    assert Int(1, span=S1).span is S1


def test_span_is_not_in_repr() -> None:
    assert repr(Int(1, span=S1)) == "Int(value=1)"


def test_span_survives_replace() -> None:
    old = Let("x", Int(1), Var("x"), span=S1)
    new = dataclasses.replace(old, name="y")
    assert new.span is S1
    assert new.name == "y" and new.value is old.value


def test_replace_can_set_a_new_span() -> None:
    assert dataclasses.replace(Int(1, span=S1), span=S2).span is S2


def test_span_str_is_file_line_col() -> None:
    assert str(S1) == "a.arith:1:2"
    assert S1.to(S2) == Span("a.arith", 1, 2, 7, 9)


def test_nodes_are_hashable_and_usable_as_keys() -> None:
    table = {Prim("+", (Int(1),)): "one"}
    assert table[Prim("+", (Int(1),))] == "one"


def test_iter_children_paths_and_walk_order() -> None:
    tree = Program(Prim("+", (Int(1), Let("x", Int(2), Var("x")))))
    assert [step for step, _ in iter_children(tree.body)] == [".args[0]", ".args[1]"]
    assert [type(n).__name__ for n in walk(tree)] == [
        "Program", "Prim", "Int", "Let", "Int", "Var",
    ]
    assert count_nodes(tree) == 6


def test_iter_children_skips_atoms() -> None:
    assert list(iter_children(Int(3))) == []
    assert list(iter_children(Var("x"))) == []


# -- languages --------------------------------------------------------------------------------


def test_a_production_must_sit_under_a_nonterminal() -> None:
    with pytest.raises(TypeError, match="Orphan does not subclass a nonterminal"):
        Language("Bad", [Orphan], root=Orphan)


def test_a_nonterminal_is_not_a_production() -> None:
    with pytest.raises(TypeError, match="is not a production"):
        Language("Bad", [Int, Expr], root=Expr)


def test_a_plain_class_is_not_a_production() -> None:
    with pytest.raises(TypeError, match="is not a production"):
        Language("Bad", [int], root=Twin)  # type: ignore[list-item]


def test_duplicate_production_names_are_rejected() -> None:
    with pytest.raises(TypeError, match="Bad: two productions are named Int"):
        Language("Bad", [Int, make_twin_named_int()], root=Int)


def test_listing_the_same_production_twice_is_harmless() -> None:
    lang = Language("Twice", [Int, Int, Twin], root=Twin)
    assert lang.productions == {Int, Twin}


def test_language_queries() -> None:
    assert Int in Arith and Twin not in Arith
    assert Arith.production_named("Let") is Let
    assert Arith.production_named("Nope") is None
    assert repr(Arith) == "<Language Arith>"
    assert [nt.__name__ for nt in Arith.nonterminals()] == ["Prog", "Atom", "Expr"]
    assert Arith.nonterminals()[next(iter(Arith.nonterminals()))] == [Program]
    assert If in Arith.nonterminals()[Expr]
