"""`Language.extend`, `diff()` and `grammar()`: a language is its parent minus what a pass
removes plus what it adds, and the diff says exactly that."""

from __future__ import annotations

import re
from typing import Any, Literal

import pytest

from nanowyki.framework import Language, Node, node
from tests.framework import arith
from tests.framework.arith import (
    Arith,
    ArithFlat,
    ArithMon,
    Assign,
    Block,
    FlatProgram,
    IfBlock,
    Int,
    Let,
    Prim,
    PrimA,
    Program,
    Var,
)
from tests.framework.sample import Blob, Doc, Sample, SampleTyped, Typed


def test_extend_adds_and_removes_productions() -> None:
    assert ArithMon.productions == (Arith.productions - {Prim}) | {PrimA}
    assert ArithFlat.productions == {Int, Var, PrimA, FlatProgram, Assign, Block, IfBlock}
    assert ArithMon.parent is Arith and ArithFlat.parent is ArithMon


def test_extend_keeps_the_root_unless_told() -> None:
    assert ArithMon.root is Program
    assert ArithFlat.root is FlatProgram


def test_shared_node_types_are_the_same_classes() -> None:
    for name in ("Int", "Var", "Let", "If", "Program"):
        assert ArithMon.production_named(name) is Arith.production_named(name)
    assert ArithFlat.production_named("PrimA") is ArithMon.production_named("PrimA")
    assert ArithMon.production_named("Prim") is None
    # So a node built for one language is a node of the other.
    assert Var("x").__class__ in ArithFlat


def test_removing_a_production_that_is_not_there_raises() -> None:
    with pytest.raises(TypeError, match="Bad: cannot remove PrimA: not in Arith"):
        Arith.extend("Bad", remove=[PrimA])


def test_removing_twice_along_a_chain_raises() -> None:
    with pytest.raises(TypeError, match="cannot remove Prim: not in ArithMon"):
        ArithMon.extend("Bad", remove=[Prim])


def test_adding_a_production_already_there_changes_nothing() -> None:
    same = Arith.extend("Same", add=[Int])
    assert same.productions == Arith.productions
    assert same.diff() == "language Same extends Arith\n  (no change)\n"


def test_extend_validates_added_productions() -> None:
    with pytest.raises(TypeError, match="is not a production"):
        Arith.extend("Bad", add=[arith.Expr])


def test_diff_additions_and_removals() -> None:
    assert ArithMon.diff() == (
        "language ArithMon extends Arith\n"
        "  - Expr ::= (Prim op: str args: tuple[Expr, ...])\n"
        "  + Expr ::= (PrimA op: str args: tuple[Atom, ...])\n"
    )


def test_diff_root_change() -> None:
    assert ArithFlat.diff() == (
        "language ArithFlat extends ArithMon\n"
        "  root Program -> FlatProgram\n"
        "  - Prog ::= (Program body: Expr)\n"
        "  - Expr ::= (Let name: str value: Expr body: Expr)\n"
        "  - Expr ::= (If cond: Expr then: Expr else_: Expr)\n"
        "  + Prog ::= (FlatProgram body: Block)\n"
        "  + Stmt ::= (Assign name: str value: Expr)\n"
        "  + Body ::= (Block stmts: tuple[Assign, ...] result: Expr)\n"
        "  + Expr ::= (IfBlock cond: Atom then: Block else_: Block)\n"
    )


def test_diff_against_a_further_ancestor() -> None:
    assert ArithFlat.diff(Arith) == (
        "language ArithFlat extends Arith\n"
        "  root Program -> FlatProgram\n"
        "  - Prog ::= (Program body: Expr)\n"
        "  - Expr ::= (Prim op: str args: tuple[Expr, ...])\n"
        "  - Expr ::= (Let name: str value: Expr body: Expr)\n"
        "  - Expr ::= (If cond: Expr then: Expr else_: Expr)\n"
        "  + Expr ::= (PrimA op: str args: tuple[Atom, ...])\n"
        "  + Prog ::= (FlatProgram body: Block)\n"
        "  + Stmt ::= (Assign name: str value: Expr)\n"
        "  + Body ::= (Block stmts: tuple[Assign, ...] result: Expr)\n"
        "  + Expr ::= (IfBlock cond: Atom then: Block else_: Block)\n"
    )


def test_diff_refinement_is_shown_with_tilde() -> None:
    assert SampleTyped.diff() == (
        "language SampleTyped extends Sample\n"
        "  ~ Item ::= (Typed ty: str | None -> str)\n"
    )


def test_refinement_of_a_field_some_productions_lack() -> None:
    # The refinement names nonterminal Item; Blob has no `ty`, so only Typed changes.
    assert SampleTyped.hints(Typed) == {"value": int, "ty": str}
    assert SampleTyped.hints(Blob) == Sample.hints(Blob)


def test_diff_with_no_parent_is_the_grammar() -> None:
    assert Arith.diff() == Arith.grammar()


def test_diff_with_itself_says_no_change() -> None:
    assert Arith.diff(Arith) == "language Arith extends Arith\n  (no change)\n"


def test_grammar_text() -> None:
    assert Arith.grammar() == (
        "language Arith\n"
        "  root Program\n"
        "  Prog ::=\n"
        "      (Program body: Expr)\n"
        "  Atom ::=\n"
        "      (Int value: int)\n"
        "      (Var name: str)\n"
        "  Expr ::=\n"
        "      Atom\n"
        "      (Prim op: str args: tuple[Expr, ...])\n"
        "      (Let name: str value: Expr body: Expr)\n"
        "      (If cond: Expr then: Expr else_: Expr)\n"
    )


def test_grammar_of_an_extension_names_its_parent() -> None:
    first_two = ArithMon.grammar().splitlines()[:2]
    assert first_two == ["language ArithMon extends Arith", "  root Program"]
    assert "(PrimA op: str args: tuple[Atom, ...])" in ArithMon.grammar()
    assert "(Prim " not in ArithMon.grammar()


def test_grammar_shows_optional_literal_and_fixed_tuple_fields() -> None:
    assert Sample.grammar() == (
        "language Sample\n"
        "  root Doc\n"
        "  Top ::=\n"
        "      (Doc title: str items: tuple[Item, ...])\n"
        "  Item ::=\n"
        "      (Blob data: bytes flag: bool note: str | None count: int)\n"
        "      (Pair left: Item right: Item | None)\n"
        "      (Tags names: tuple[str, ...] pos: tuple[int, int] kind: 'a' | 'b')\n"
        "      (Typed value: int ty: str | None)\n"
    )


def test_grammar_shows_refined_types() -> None:
    assert "      (Typed value: int ty: str)\n" in SampleTyped.grammar()


def test_signature() -> None:
    assert Arith.signature(Let) == "(Let name: str value: Expr body: Expr)"
    assert Sample.signature(Doc) == "(Doc title: str items: tuple[Item, ...])"


def test_refinements_accumulate_along_a_chain() -> None:
    again = SampleTyped.extend("Again", remove=[Blob])
    assert again.hints(Typed)["ty"] is str
    assert again.diff() == (
        "language Again extends SampleTyped\n"
        "  - Item ::= (Blob data: bytes flag: bool note: str | None count: int)\n"
    )


def test_language_keeps_its_doc() -> None:
    lang = Language("Doc", [Int], root=Int, doc="Just integers.")
    assert lang.doc == "Just integers."
    assert lang.parent is None


class Shape(Node):
    """A nonterminal for the field-type tests below (productions declared in each test)."""


@node
class Dot(Shape):
    x: int


@node
class Bag(Shape):
    items: list[Shape]


@node
class Table(Shape):
    entries: dict[str, int]


@node
class Anything(Shape):
    value: Any


@node
class Ratio(Shape):
    value: float


@node
class Mode(Shape):
    mode: Literal[1.5]


@pytest.mark.parametrize(
    ("production", "why"),
    [
        (Bag, "field Bag.items: list[tests.framework.test_language.Shape] is not supported"),
        (Table, "field Table.entries: dict[str, int] is not supported"),
        (Anything, "field Anything.value: Any is not a node type, bool, int, str, bytes or None"),
        (Ratio, "field Ratio.value: float is not a node type, bool, int, str, bytes or None"),
        (Mode, "field Mode.mode: a Literal of 1.5"),
    ],
)
def test_a_field_type_the_checker_cannot_prove_is_refused(
    production: type[Node], why: str
) -> None:
    """A `list` field would make a frozen node mutable and hide the nodes in it from the
    checker and from traversal; `Any` proves nothing; the printer prints none of these."""
    with pytest.raises(TypeError, match=re.escape(f"Bad: {why}")):
        Language("Bad", [Dot, production], root=Dot)


@node
class Maybe(Shape):
    items: tuple[Shape, ...] | None
    pair: tuple[int, str]
    kind: Literal["a", "b"]
    raw: bytes | bool


def test_tuples_unions_literals_and_atoms_are_field_types() -> None:
    assert Language("Good", [Dot, Maybe], root=Dot).productions == {Dot, Maybe}
