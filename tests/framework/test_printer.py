"""print_tree / read_tree: every tree prints deterministically and reads back equal; the
reader reports bad text with line and column."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nanowyki.framework import Language, Node, ReadError, print_tree, read_tree
from tests.framework.arith import (
    Arith,
    ArithFlat,
    ArithMon,
    Assign,
    Block,
    FlatProgram,
    If,
    IfBlock,
    Int,
    Let,
    Prim,
    PrimA,
    Program,
    Var,
)
from tests.framework.sample import Blob, Doc, Pair, Sample, SampleTyped, Tags, Typed
from tests.framework.strategies import AWKWARD_NAMES, arith_exprs, arith_programs, sample_docs


def round_trip(tree: Node, lang: Language, width: int = 100) -> None:
    text = print_tree(tree, width)
    assert read_tree(text, lang) == tree, text
    assert print_tree(tree, width) == text  # deterministic
    assert print_tree(read_tree(text, lang), width) == text


# -- every form ----------------------------------------------------------------------------------

EVERY_FORM = [
    (Arith, Program(Int(1)), "(Program (Int 1))\n"),
    (Arith, Program(Int(-7)), "(Program (Int -7))\n"),
    (Arith, Program(Var("x")), "(Program (Var x))\n"),
    (Arith, Program(Prim("+", ())), "(Program (Prim + []))\n"),
    (Arith, Program(Prim("<", (Int(1), Var("y")))), "(Program (Prim < [(Int 1) (Var y)]))\n"),
    (
        Arith,
        Program(Let("x", Int(1), Prim("+", (Var("x"), Int(2))))),
        "(Program (Let x (Int 1) (Prim + [(Var x) (Int 2)])))\n",
    ),
    (Arith, Program(If(Var("c"), Int(1), Int(0))), "(Program (If (Var c) (Int 1) (Int 0)))\n"),
    (
        ArithMon,
        Program(Let("t.1", PrimA("*", (Var("a"), Int(2))), PrimA("+", (Var("t.1"), Int(1))))),
        "(Program (Let t.1 (PrimA * [(Var a) (Int 2)]) (PrimA + [(Var t.1) (Int 1)])))\n",
    ),
    (
        ArithFlat,
        FlatProgram(
            Block(
                (Assign("x", Int(1)), Assign("c", PrimA("<", (Var("x"), Int(2))))),
                IfBlock(Var("c"), Block((), Var("x")), Block((Assign("y", Int(3)),), Var("y"))),
            )
        ),
        "(FlatProgram\n"
        "  (Block\n"
        "    [(Assign x (Int 1)) (Assign c (PrimA < [(Var x) (Int 2)]))]\n"
        "    (IfBlock (Var c) (Block [] (Var x)) (Block [(Assign y (Int 3))] (Var y)))))\n",
    ),
]


@pytest.mark.parametrize(("lang", "tree", "text"), EVERY_FORM)
def test_every_form_prints_and_reads_back(lang: Language, tree: Node, text: str) -> None:
    assert print_tree(tree) == text
    assert read_tree(text, lang) == tree
    round_trip(tree, lang, width=20)


def test_every_production_of_the_arith_languages_is_covered() -> None:
    covered = {type(n) for _, tree, _ in EVERY_FORM for n in _walk(tree)}
    for lang in (Arith, ArithMon, ArithFlat):
        assert lang.productions <= covered, lang.productions - covered


def _walk(n: Node) -> list[Node]:
    from nanowyki.framework import walk

    return list(walk(n))


def test_sample_forms_print_as_documented() -> None:
    doc = Doc(
        "title",
        (
            Blob(b"\x00ab\xff\"\\", True),
            Blob(b"", False, "note", 3),
            Pair(Tags(("a", "b c"), (1, -2)), None),
            Tags((), (0, 0), "b"),
            Typed(1, "int"),
            Typed(2),
        ),
    )
    assert print_tree(doc, width=1000) == (
        '(Doc title [(Blob #"\\x00ab\\xff\\"\\\\" #t) (Blob #"" #f note 3) '
        '(Pair (Tags [a "b c"] [1 -2]) nil) (Tags [] [0 0] b) (Typed 1 int) (Typed 2)])\n'
    )
    round_trip(doc, Sample)
    round_trip(doc, Sample, width=10)


# -- atoms -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "printed"),
    [
        ("x", "x"),
        ("x.1", "x.1"),
        ("a:b", "a:b"),
        ("+", "+"),
        ("nil", '"nil"'),
        ("1x", '"1x"'),
        ("-1", '"-1"'),
        ("a b", '"a b"'),
        ("", '""'),
        ("#t", '"#t"'),
        ("x;y", '"x;y"'),
        ('say "hi"', '"say \\"hi\\""'),
        ("back\\slash", '"back\\\\slash"'),
        ("line\nbreak", '"line\\nbreak"'),
        ("tab\t", '"tab\\t"'),
        ("\x01", '"\\x01"'),
        ("λ", '"λ"'),
    ],
)
def test_names_print_bare_or_quoted_and_read_back(name: str, printed: str) -> None:
    text = print_tree(Program(Var(name)))
    assert text == f"(Program (Var {printed}))\n"
    assert read_tree(text, Arith) == Program(Var(name))


@pytest.mark.parametrize("value", [0, -1, 10**40, -(10**40), 2**64 + 1])
def test_ints_round_trip(value: int) -> None:
    round_trip(Program(Int(value)), Arith)


def test_bytes_escape_everything_outside_printable_ascii() -> None:
    tree = Doc("d", (Blob(bytes(range(256)), True),))
    round_trip(tree, Sample)
    assert "\\x80" in print_tree(tree) and "\\xff" in print_tree(tree)


def test_a_symbol_reads_as_a_string_field() -> None:
    assert read_tree('(Program (Var "x"))', Arith) == read_tree("(Program (Var x))", Arith)


# -- properties -----------------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(arith_programs, st.sampled_from([100, 30, 8]))
def test_random_arith_trees_round_trip(tree: Program, width: int) -> None:
    round_trip(tree, Arith, width)


@settings(max_examples=300, deadline=None)
@given(sample_docs, st.sampled_from([100, 30, 8]))
def test_random_sample_trees_round_trip(tree: Doc, width: int) -> None:
    round_trip(tree, Sample, width)


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(AWKWARD_NAMES) | st.text(max_size=20))
def test_any_string_round_trips(name: str) -> None:
    round_trip(Program(Var(name)), Arith)
    round_trip(Doc(name, (Blob(name.encode(), False, name),)), Sample)


def _too_long_lines(text: str, width: int) -> list[str]:
    """Lines longer than `width`, except a line holding a single unbreakable form head."""
    return [
        line
        for line in text.splitlines()
        if len(line) > width and len(line.strip().rstrip(")]").split()) > 2
    ]


short_programs = st.builds(
    Program, arith_exprs(st.from_regex(r"[a-z]{1,3}", fullmatch=True), st.integers(-999, 999))
)


@settings(max_examples=200, deadline=None)
@given(short_programs, st.integers(12, 60))
def test_lines_keep_within_the_width(tree: Program, width: int) -> None:
    text = print_tree(tree, width)
    assert _too_long_lines(text, width) == [], text


# -- layout --------------------------------------------------------------------------------------


NESTED = Program(
    Let("x", Prim("+", (Int(1), Var("y"))), If(Var("x"), Prim("*", (Var("x"), Int(2))), Int(0)))
)


def test_a_tree_that_fits_prints_on_one_line() -> None:
    assert print_tree(NESTED) == (
        "(Program (Let x (Prim + [(Int 1) (Var y)]) "
        "(If (Var x) (Prim * [(Var x) (Int 2)]) (Int 0))))\n"
    )


def test_line_breaking_at_width() -> None:
    assert print_tree(NESTED, width=40) == (
        "(Program\n"
        "  (Let x\n"
        "    (Prim + [(Int 1) (Var y)])\n"
        "    (If\n"
        "      (Var x)\n"
        "      (Prim * [(Var x) (Int 2)])\n"
        "      (Int 0))))\n"
    )


def test_breaking_inside_a_tuple_aligns_items() -> None:
    tree = Program(Prim("+", (Int(111), Int(222), Prim("-", (Var("abc"), Var("defg"))))))
    assert print_tree(tree, width=24) == (
        "(Program\n"
        "  (Prim +\n"
        "    [(Int 111)\n"
        "     (Int 222)\n"
        "     (Prim -\n"
        "       [(Var abc)\n"
        "        (Var defg)])]))\n"
    )


def test_closing_brackets_count_toward_the_width() -> None:
    # (Prim + [(Var x) (Int 2)]) fits in 30 columns at indent 4, but not with ")))" after it.
    text = print_tree(Program(Let("x", Int(1), Prim("+", (Var("x"), Int(2))))), width=30)
    assert all(len(line) <= 30 for line in text.splitlines()), text


def test_width_does_not_change_what_is_read() -> None:
    for width in (1, 5, 20, 100, 1000):
        assert read_tree(print_tree(NESTED, width), Arith) == NESTED


# -- defaults ----------------------------------------------------------------------------------


def test_trailing_default_fields_are_omitted_when_printed() -> None:
    assert print_tree(Doc("d", (Blob(b"a", True),))) == '(Doc d [(Blob #"a" #t)])\n'
    assert print_tree(Doc("d", (Blob(b"a", True, None, 0),))) == '(Doc d [(Blob #"a" #t)])\n'
    assert print_tree(Doc("d", (Tags(("a",), (1, 2), "a"),))) == "(Doc d [(Tags [a] [1 2])])\n"


def test_a_default_before_a_non_default_is_printed() -> None:
    assert print_tree(Doc("d", (Blob(b"a", True, None, 5),))) == '(Doc d [(Blob #"a" #t nil 5)])\n'


def test_trailing_default_fields_are_accepted_when_absent() -> None:
    assert read_tree('(Doc d [(Blob #"a" #t)])', Sample) == Doc("d", (Blob(b"a", True),))
    assert read_tree('(Doc d [(Blob #"a" #t n)])', Sample) == Doc("d", (Blob(b"a", True, "n"),))
    assert read_tree('(Doc d [(Blob #"a" #t nil 4)])', Sample) == Doc(
        "d", (Blob(b"a", True, None, 4),)
    )


def test_the_reader_uses_the_refined_field_types() -> None:
    # In SampleTyped `ty` is a str: nil is not one, and a bare `nil`-looking name must be quoted.
    with pytest.raises(ReadError, match="expected a name or a string"):
        read_tree("(Doc d [(Typed 1 nil)])", SampleTyped)
    assert read_tree('(Doc d [(Typed 1 "nil")])', SampleTyped) == Doc("d", (Typed(1, "nil"),))


# -- comments ------------------------------------------------------------------------------------


def test_comments_are_ignored() -> None:
    text = """
    ; a program
    (Program ; the root
      (Let x (Int 1) ; bind x
        (Var x)))    ; and use it
    ; trailing comment"""
    assert read_tree(text, Arith) == Program(Let("x", Int(1), Var("x")))


def test_a_comment_right_after_an_atom_ends_it() -> None:
    assert read_tree("(Program (Var x;comment\n))", Arith) == Program(Var("x"))
    assert read_tree("(Program (Int 12;comment\n))", Arith) == Program(Int(12))


def test_a_semicolon_inside_a_string_is_not_a_comment() -> None:
    assert read_tree('(Program (Var "a;b"))', Arith) == Program(Var("a;b"))


# -- errors ------------------------------------------------------------------------------------


def read_error(text: str, lang: Language = Arith) -> str:
    with pytest.raises(ReadError) as info:
        read_tree(text, lang, source="t.il")
    return str(info.value)


def test_error_unbalanced_close() -> None:
    assert read_error("(Program (Int 1)))") == "t.il:1:18: unbalanced ')'"


def test_error_mismatched_bracket() -> None:
    assert read_error("(Program (Prim + [(Int 1)))") == "t.il:1:26: unbalanced ')'"


def test_error_never_closed() -> None:
    assert read_error("(Program\n  (Let x (Int 1)\n    (Var x))") == "t.il:1:1: '(' is never closed"


def test_error_unknown_production() -> None:
    assert read_error("(Program\n  (Mul (Int 1)))") == "t.il:2:4: Mul is not a production of Arith"


def test_error_production_of_another_language() -> None:
    assert read_error("(Program (PrimA + []))") == "t.il:1:11: PrimA is not a production of Arith"


def test_error_production_of_the_wrong_nonterminal() -> None:
    assert read_error("(Program (Program (Int 1)))") == "t.il:1:11: Program is not a Expr"


def test_error_wrong_field_count() -> None:
    assert read_error("(Program\n  (Let x (Int 1)))") == "t.il:2:3: Let takes 3 fields, found 2"
    assert read_error("(Program (Int 1 2))") == "t.il:1:10: Int takes 1 field, found 2"


def test_error_wrong_field_count_with_defaults() -> None:
    assert read_error("(Doc d [(Blob #\"\")])", Sample) == (
        "t.il:1:9: Blob takes 2 to 4 fields, found 1"
    )


def test_error_wrong_atom_type() -> None:
    assert read_error("(Program\n  (Int x))") == "t.il:2:8: expected an integer"
    assert read_error("(Program (Var 12))") == "t.il:1:15: expected a name or a string"
    assert read_error('(Doc d [(Blob "x" #t)])', Sample) == (
        't.il:1:15: expected a byte string #"..."'
    )
    assert read_error('(Doc d [(Blob #"x" 1)])', Sample) == "t.il:1:20: expected #t or #f"
    assert read_error("(Doc d [(Tags [] [1 2] c)])", Sample) == "t.il:1:24: expected 'a' | 'b'"


def test_error_list_where_an_atom_is_wanted() -> None:
    assert read_error("(Program (Int (Int 1)))") == "t.il:1:15: expected int, found a list"


def test_error_atom_where_a_node_is_wanted() -> None:
    assert read_error("(Program 3)") == "t.il:1:10: expected a (Expr ...) form"


def test_error_wrong_tuple_shape() -> None:
    assert read_error("(Program (Prim + (Int 1)))") == "t.il:1:18: expected a [...] list"
    assert read_error("(Doc d [(Tags [] [1])])", Sample) == "t.il:1:18: expected 2 items, found 1"


def test_error_inside_an_optional_field_points_inside() -> None:
    text = "(Doc d [(Pair (Blob #\"\" #t) (Blob #\"\" 3))])"
    assert read_error(text, Sample) == "t.il:1:39: expected #t or #f"


def test_error_bad_escapes() -> None:
    assert read_error('(Program (Var "a\\qb"))') == "t.il:1:15: unknown escape '\\q'"
    assert read_error('(Program (Var "a\\x4"))') == (
        "t.il:1:15: bad escape '\\x4' (want two hex digits)"
    )
    assert read_error('(Program (Var "\\xzz"))') == (
        "t.il:1:15: bad escape '\\xzz' (want two hex digits)"
    )


def test_error_bytes_beyond_latin1() -> None:
    assert read_error('(Doc d [(Blob #"€" #t)])', Sample) == (
        "t.il:1:15: a byte string holds only characters up to \\xff"
    )


def test_error_unterminated_string() -> None:
    assert read_error('(Program (Var "abc))') == "t.il:1:15: unterminated string"


def test_error_empty_and_several_trees() -> None:
    assert read_error("") == "t.il:1:1: expected one tree, found 0"
    assert read_error("; only a comment") == "t.il:1:1: expected one tree, found 0"
    two = "(Program (Int 1)) (Program (Int 2))"
    assert read_error(two) == "t.il:1:1: expected one tree, found 2"


def test_error_positions_count_lines_inside_strings() -> None:
    assert read_error('(Program (Let "a\nb" (Int 1)\n (Int x)))') == "t.il:3:7: expected an integer"


def test_read_error_carries_line_and_col() -> None:
    with pytest.raises(ReadError) as info:
        read_tree("(Program\n\n   (Int y))", Arith)
    assert (info.value.line, info.value.col) == (3, 9)
    assert str(info.value).startswith("<il>:3:9: ")
