"""parse-source: the WYKI lexer and parser (nanowyki/syntax), and the pass around them."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from nanowyki.framework import (
    CompileError,
    Facts,
    Node,
    Pipeline,
    SourceText,
    Span,
    check,
    iter_children,
    print_tree,
    walk,
)
from nanowyki.languages import surface as S
from nanowyki.passes.expand_embeds import ExpandEmbeds
from nanowyki.passes.parse_source import ParseSource
from nanowyki.syntax import SyntaxProblem, parse
from nanowyki.syntax.lexer import KEYWORDS, WykiLexer
from nanowyki.syntax.parser import WykiParser
from nanowyki.syntax.positions import SourceMap

ROOT = Path(__file__).parent.parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.wyki"))
REJECT = ROOT / "tests" / "reject"
MINE = sorted([*REJECT.glob("syntax_*.wyki"), *REJECT.glob("embed_*.wyki")])


# -- helpers -------------------------------------------------------------------------------------


def tokens(text: str) -> list[tuple[str, Any]]:
    return [(t.type, t.value) for t in WykiLexer(SourceMap("t.wyki", text)).tokens_of()]


def session(*stmts: str) -> str:
    body = "\n".join("        " + s for s in stmts)
    return "service s {\n    session {\n" + body + "\n    }\n}\n"


def stmts(*lines: str) -> list[S.Stmt]:
    tree = parse("t.wyki", session(*lines))
    decl = tree.decls[0]
    assert isinstance(decl, S.Session)
    return list(decl.body.stmts)


def stmt(line: str) -> S.Stmt:
    (only,) = stmts(line)
    return only


def printed(n: Node) -> str:
    return print_tree(n, width=1000).strip()


def expr(text: str) -> S.Expr:
    s = stmt(f"let _ = {text};")
    assert isinstance(s, S.Let)
    return s.value


def pexpr(text: str) -> str:
    return printed(expr(text))


def decl(text: str) -> S.Decl:
    tree = parse("t.wyki", "service s {\n" + text + "\n}\n")
    (only,) = tree.decls
    return only


def error(text: str) -> tuple[int, int, str, str | None]:
    with pytest.raises(SyntaxProblem) as caught:
        parse("t.wyki", text)
    d = caught.value.diagnostic
    assert d.span is not None
    return d.span.line, d.span.col, d.message, d.hint


def stmt_error(line: str) -> tuple[int, int, str, str | None]:
    """The error for `line` placed as the only statement of a session (on line 3, col 9)."""
    return error(session(line))


def span(n: Node) -> tuple[int, int, int, int]:
    assert n.span is not None
    return n.span.line, n.span.col, n.span.end_line, n.span.end_col


# -- the grammar itself --------------------------------------------------------------------------


def test_grammar_builds_quietly_without_conflicts() -> None:
    assert WykiParser.log.messages == []
    assert WykiParser._lrtable.sr_conflicts == []
    assert WykiParser._lrtable.rr_conflicts == []
    assert WykiParser.debugfile is None


def test_building_the_parser_writes_no_file(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.chdir(tmp_path)
    parse("t.wyki", session("close;"))
    assert list(tmp_path.iterdir()) == []


# -- lexer -------------------------------------------------------------------------------------


def test_every_keyword_is_its_own_token() -> None:
    found = tokens(" ".join(KEYWORDS))
    assert found == [(kw.upper(), kw) for kw in KEYWORDS]


def test_names_that_merely_contain_keywords_are_names() -> None:
    assert tokens("services letter _ _x1 iff Int x_2") == [
        ("NAME", "services"),
        ("NAME", "letter"),
        ("NAME", "_"),
        ("NAME", "_x1"),
        ("NAME", "iff"),
        ("NAME", "Int"),
        ("NAME", "x_2"),
    ]


def test_decimal_hex_and_underscore_integers() -> None:
    assert tokens("0 42 0x2a 0X2A 65_536 0xff_ff 007") == [
        ("NUMBER", 0),
        ("NUMBER", 42),
        ("NUMBER", 42),
        ("NUMBER", 42),
        ("NUMBER", 65536),
        ("NUMBER", 0xFFFF),
        ("NUMBER", 7),
    ]


def test_out_of_range_integer_is_kept_exactly() -> None:
    big = 2**63
    assert tokens(str(big)) == [("NUMBER", big)]
    assert tokens("0x1_0000_0000_0000_0000") == [("NUMBER", 2**64)]


def test_character_literals_are_integers() -> None:
    assert tokens(r"'a' '\n' '\x41' '\0' '\'' '\\' '\"' '\r' '\t' '\xff' '\"'") == [
        ("NUMBER", v) for v in [97, 10, 0x41, 0, 39, 92, 34, 13, 9, 255, 34]
    ]


def test_byte_string_escapes() -> None:
    assert tokens(r'"a\r\n\t\0\\\"\'\x00\xFFz"') == [("STRING", b"a\r\n\t\0\\\"'\x00\xffz")]


def test_empty_string_and_non_ascii_text_in_strings() -> None:
    assert tokens('"" "é"') == [("STRING", b""), ("STRING", "é".encode())]


def test_comments_are_skipped() -> None:
    text = "a // line comment ; } \n b /* block\n comment * / */ c /**/ d // end"
    assert tokens(text) == [("NAME", "a"), ("NAME", "b"), ("NAME", "c"), ("NAME", "d")]


def test_block_comments_do_not_nest() -> None:
    assert tokens("/* a /* b */ c */") == [("NAME", "c"), ("*", "*"), ("/", "/")]


def test_operators_longest_first() -> None:
    text = (
        "|| && == != <= >= << >> ++= ++ += -= *= -> .. "
        + ". = < > + - * / % ! ~ & | ^ ? { } ( ) [ ] ; : ,"
    )
    assert [t for t, _ in tokens(text)] == [
        "OROR",
        "ANDAND",
        "EQ",
        "NE",
        "LE",
        "GE",
        "SHL",
        "SHR",
        "CONCAT_ASSIGN",
        "CONCAT",
        "PLUS_ASSIGN",
        "MINUS_ASSIGN",
        "TIMES_ASSIGN",
        "ARROW",
        "DOTDOT",
        ".",
        "=",
        "<",
        ">",
        "+",
        "-",
        "*",
        "/",
        "%",
        "!",
        "~",
        "&",
        "|",
        "^",
        "?",
        "{",
        "}",
        "(",
        ")",
        "[",
        "]",
        ";",
        ":",
        ",",
    ]


def test_adjacent_operators_without_spaces() -> None:
    assert [t for t, _ in tokens("a+++b")] == ["NAME", "CONCAT", "+", "NAME"]
    assert [t for t, _ in tokens("x++=y")] == ["NAME", "CONCAT_ASSIGN", "NAME"]
    assert [t for t, _ in tokens("0..10")] == ["NUMBER", "DOTDOT", "NUMBER"]
    assert [t for t, _ in tokens("a<=-b")] == ["NAME", "LE", "-", "NAME"]


def lex_error(text: str) -> tuple[int, int, str]:
    with pytest.raises(SyntaxProblem) as caught:
        tokens(text)
    d = caught.value.diagnostic
    assert d.span is not None
    return d.span.line, d.span.col, d.message


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ('x\n  "ab\\qc"', (2, 6, "unknown escape '\\q'")),
        ('"\\x4"', (1, 2, "'\\x' must be followed by two hexadecimal digits")),
        ('"\\xg0"', (1, 2, "'\\x' must be followed by two hexadecimal digits")),
        ('a "abc\n"', (1, 3, "unterminated string literal")),
        ('"abc', (1, 1, "unterminated string literal")),
        ("x /* never closed", (1, 3, "unterminated comment")),
        ("x\n\n   @", (3, 4, "unexpected character '@'")),
        ("#", (1, 1, "unexpected character '#'")),
        ("`", (1, 1, "unexpected character '`'")),
        ("é", (1, 1, "unexpected character 'é' (U+00E9)")),
        ("\x01", (1, 1, "unexpected character U+0001")),
        ("12ab", (1, 1, "invalid integer literal '12ab'")),
        ("1_", (1, 1, "invalid integer literal '1_'")),
        ("1__0", (1, 1, "invalid integer literal '1__0'")),
        ("0x", (1, 1, "invalid integer literal '0x'")),
        ("0xg", (1, 1, "invalid integer literal '0xg'")),
        ("''", (1, 1, "a character literal stands for one byte, but '' is empty")),
        ("'ab'", (1, 1, "a character literal stands for one byte, but 'ab' holds 2 bytes")),
        ("'é'", (1, 1, "a character literal stands for one byte, but 'é' holds 2 bytes")),
        ("'a", (1, 1, "unterminated character literal")),
        ("'\\q'", (1, 2, "unknown escape '\\q'")),
    ],
)
def test_lexical_errors_have_exact_positions(text: str, want: tuple[int, int, str]) -> None:
    assert lex_error(text) == want


def test_number_glued_to_a_unit_gets_a_hint() -> None:
    with pytest.raises(SyntaxProblem) as caught:
        tokens("every 100ms")
    assert caught.value.diagnostic.hint == "separate the number from its unit: '100 ms'"


def test_bad_escape_hint_lists_the_escapes() -> None:
    with pytest.raises(SyntaxProblem) as caught:
        tokens(r'"\a"')
    assert caught.value.diagnostic.hint == (
        "the escapes are \\r \\n \\t \\0 \\\\ \\\" \\' and \\xHH (two hexadecimal digits)"
    )


def test_leading_byte_order_mark_is_skipped() -> None:
    assert tokens("\ufeffservice") == [("SERVICE", "service")]
    assert lex_error("a \ufeff") == (1, 3, "unexpected character U+FEFF")


def test_columns_count_characters_and_tabs_count_one() -> None:
    text = '"é"\t@'
    assert lex_error(text) == (1, 5, "unexpected character '@'")


# -- declarations --------------------------------------------------------------------------------


def test_empty_service() -> None:
    tree = parse("t.wyki", "service empty { }")
    assert printed(tree) == "(Service empty [])"
    assert span(tree) == (1, 1, 1, 17)


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("listen tcp 7;", "(Listen tcp (IntLit 7))"),
        ("listen udp PORT + 1;", "(Listen udp (Binary + (Name PORT) (IntLit 1)))"),
        ("sessions 1_024;", "(Sessions (IntLit 1024))"),
        ("const N = 4;", "(Const N nil (IntLit 4))"),
        ('const B: bytes[3] = "abc";', '(Const B (BytesType (IntLit 3)) (BytesLit #"abc"))'),
        ('const L = embed("www/a.html");', "(Const L nil (Embed www/a.html))"),
        (
            "struct P { a: int, b: bool, c: [bytes[4]; 2] }",
            "(Struct P [(FieldDecl a (IntType)) (FieldDecl b (BoolType)) "
            "(FieldDecl c (ArrayType (BytesType (IntLit 4)) (IntLit 2)))])",
        ),
        ("struct P { a: int, }", "(Struct P [(FieldDecl a (IntType))])"),
        ("struct E { }", "(Struct E [])"),
        (
            "table t: map<int, bytes[8]>[100];",
            "(Table t (IntType) (BytesType (IntLit 8)) (IntLit 100))",
        ),
        ("table t: map<bytes[4], P>;", "(Table t (BytesType (IntLit 4)) (NamedType P) nil)"),
        ("shared hits: int = 0;", "(Shared hits (IntType) (IntLit 0))"),
        ("fn f() { }", "(Fn f [] nil (Block []))"),
        (
            "fn f(a: int, b: bytes[2],) -> int? { return a; }",
            "(Fn f [(Param a (IntType)) (Param b (BytesType (IntLit 2)))] (OptionType (IntType)) "
            "(Block [(Return (Name a))]))",
        ),
        ("session { close; }", "(Session (Block [(Close)]))"),
        (
            "datagram pkt: bytes[512] { }",
            "(Datagram pkt (BytesType (IntLit 512)) (Block []))",
        ),
        ("every 100 ms { }", "(Every (IntLit 100) ms (Block []))"),
        ("every 2 * N s { }", "(Every (Binary * (IntLit 2) (Name N)) s (Block []))"),
    ],
)
def test_declarations(text: str, want: str) -> None:
    assert printed(decl(text)) == want


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("int", "(IntType)"),
        ("bool", "(BoolType)"),
        ("bytes", "(BytesType nil)"),
        ("bytes[N + 1]", "(BytesType (Binary + (Name N) (IntLit 1)))"),
        ("Point", "(NamedType Point)"),
        ("[int; 4]", "(ArrayType (IntType) (IntLit 4))"),
        ("[[bool; 2]; 3]", "(ArrayType (ArrayType (BoolType) (IntLit 2)) (IntLit 3))"),
        ("int?", "(OptionType (IntType))"),
        ("bytes[4]??", "(OptionType (OptionType (BytesType (IntLit 4))))"),
        ("[int; 2]?", "(OptionType (ArrayType (IntType) (IntLit 2)))"),
    ],
)
def test_types(text: str, want: str) -> None:
    d = decl(f"const X: {text} = 0;")
    assert isinstance(d, S.Const) and d.declared is not None
    assert printed(d.declared) == want


# -- statements ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("let x = 1;", "(Let x nil (IntLit 1) nil)"),
        ("let _ = f();", "(Let _ nil (Call f []) nil)"),
        ("let x: int = 1;", "(Let x (IntType) (IntLit 1) nil)"),
        (
            "let l = recv_line(9) else { close; };",
            "(Let l nil (Call recv_line [(IntLit 9)]) (Block [(Close)]))",
        ),
        (
            "let l: bytes[9] = recv(9) else { return; };",
            "(Let l (BytesType (IntLit 9)) (Call recv [(IntLit 9)]) (Block [(Return nil)]))",
        ),
        ("var v = 0;", "(Var v nil (IntLit 0))"),
        ("var v: bool = true;", "(Var v (BoolType) (BoolLit #t))"),
        ("x = 1;", "(Assign (Name x) = (IntLit 1))"),
        ("x += 1;", "(Assign (Name x) += (IntLit 1))"),
        ("x -= 1;", "(Assign (Name x) -= (IntLit 1))"),
        ("x *= 2;", "(Assign (Name x) *= (IntLit 2))"),
        ('b ++= "x";', '(Assign (Name b) ++= (BytesLit #"x"))'),
        ("p.f = 1;", "(Assign (Field (Name p) f) = (IntLit 1))"),
        ("a[i] = 1;", "(Assign (Index (Name a) (Name i)) = (IntLit 1))"),
        (
            "a[i].f[j].g = 1;",
            "(Assign (Field (Index (Field (Index (Name a) (Name i)) f) (Name j)) g) = (IntLit 1))",
        ),
        ("if c { }", "(If (Name c) (Block []) nil)"),
        ("if c { } else { break; }", "(If (Name c) (Block []) (Block [(Break)]))"),
        ("while c { }", "(While (Name c) nil (Block []))"),
        ("while c max 100 { }", "(While (Name c) (IntLit 100) (Block []))"),
        ("while c max max(a, b) { }", "(While (Name c) (Call max [(Name a) (Name b)]) (Block []))"),
        ("loop { continue; }", "(Loop nil (Block [(Continue)]))"),
        ("loop max N { }", "(Loop (Name N) (Block []))"),
        (
            "for i in 0..len(b) { }",
            "(For i (IntLit 0) (Call len [(Name b)]) (Block []))",
        ),
        (
            "for i in a + 1..b * 2 { }",
            "(For i (Binary + (Name a) (IntLit 1)) (Binary * (Name b) (IntLit 2)) (Block []))",
        ),
        ("break;", "(Break)"),
        ("continue;", "(Continue)"),
        ("return;", "(Return nil)"),
        ("return x + 1;", "(Return (Binary + (Name x) (IntLit 1)))"),
        ("close;", "(Close)"),
        ("send(a, 1);", "(ExprStmt (Call send [(Name a) (IntLit 1)]))"),
        ("t.put(k, v);", "(ExprStmt (MethodCall t put [(Name k) (Name v)]))"),
        ("x;", "(ExprStmt (Name x))"),
    ],
)
def test_statements(text: str, want: str) -> None:
    assert printed(stmt(text)) == want


def test_else_if_is_an_else_block_holding_one_if() -> None:
    s = stmt("if a { x = 1; } else if b { x = 2; } else { x = 3; }")
    assert printed(s) == (
        "(If (Name a) (Block [(Assign (Name x) = (IntLit 1))]) "
        "(Block [(If (Name b) (Block [(Assign (Name x) = (IntLit 2))]) "
        "(Block [(Assign (Name x) = (IntLit 3))]))]))"
    )
    assert isinstance(s, S.If) and s.else_ is not None
    inner = s.else_.stmts[0]
    assert s.else_.span == inner.span
    assert span(inner) == (3, 30, 3, 60)


def test_ms_and_s_are_names_except_as_the_unit_of_every() -> None:
    tree = parse("t.wyki", "service s { const ms = 1; every ms s { let s = ms; } every 2 ms { } }")
    assert printed(tree) == (
        "(Service s [(Const ms nil (IntLit 1)) "
        "(Every (Name ms) s (Block [(Let s nil (Name ms) nil)])) "
        "(Every (IntLit 2) ms (Block []))])"
    )


def test_statement_sequence_keeps_order() -> None:
    assert [type(s).__name__ for s in stmts("let a = 1;", "var b = 2;", "b = a;", "close;")] == [
        "Let",
        "Var",
        "Assign",
        "Close",
    ]


# -- expressions ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("42", "(IntLit 42)"),
        ("'A'", "(IntLit 65)"),
        ('"hi\\n"', '(BytesLit #"hi\\n")'),
        ("true", "(BoolLit #t)"),
        ("false", "(BoolLit #f)"),
        ("none", "(NoneLit)"),
        ("x", "(Name x)"),
        ("(x)", "(Name x)"),
        ("!b", "(Unary ! (Name b))"),
        ("-x", "(Unary - (Name x))"),
        ("~x", "(Unary ~ (Name x))"),
        ("--x", "(Unary - (Unary - (Name x)))"),
        ("-9223372036854775808", "(Unary - (IntLit 9223372036854775808))"),
        ("f()", "(Call f [])"),
        ("f(1, g(2),)", "(Call f [(IntLit 1) (Call g [(IntLit 2)])])"),
        ("max(1, 2)", "(Call max [(IntLit 1) (IntLit 2)])"),
        ("t.get(k)", "(MethodCall t get [(Name k)])"),
        ("t.clear()", "(MethodCall t clear [])"),
        ("P(x: 1, y: b)", "(StructValue P [(FieldInit x (IntLit 1)) (FieldInit y (Name b))])"),
        ("P(x: 1,)", "(StructValue P [(FieldInit x (IntLit 1))])"),
        ("r.body", "(Field (Name r) body)"),
        ("r.a.b", "(Field (Field (Name r) a) b)"),
        ("f(x).a", "(Field (Call f [(Name x)]) a)"),
        ("b[0]", "(Index (Name b) (IntLit 0))"),
        ("m[1][2]", "(Index (Index (Name m) (IntLit 1)) (IntLit 2))"),
        ("b[i..j]", "(Slice (Name b) (Name i) (Name j))"),
        (
            "b[i + 1..len(b)]",
            "(Slice (Name b) (Binary + (Name i) (IntLit 1)) (Call len [(Name b)]))",
        ),
        ("[]", "(ArrayLit [])"),
        ("[1, 2, 3]", "(ArrayLit [(IntLit 1) (IntLit 2) (IntLit 3)])"),
        ("[1, 2,]", "(ArrayLit [(IntLit 1) (IntLit 2)])"),
        ("[0; 16]", "(ArrayRepeat (IntLit 0) (IntLit 16))"),
        ("[[1]; N]", "(ArrayRepeat (ArrayLit [(IntLit 1)]) (Name N))"),
        ('embed("a b/c.txt")', '(Embed "a b/c.txt")'),
    ],
)
def test_expressions(text: str, want: str) -> None:
    assert pexpr(text) == want


def b(op: str, left: str, right: str) -> str:
    return f"(Binary {op} {left} {right})"


A, B, C = "(Name a)", "(Name b)", "(Name c)"


@pytest.mark.parametrize(
    ("text", "want"),
    [
        # one operator of each level under one of the next looser level, both ways round
        ("a || b && c", b("||", A, b("&&", B, C))),
        ("a && b || c", b("||", b("&&", A, B), C)),
        ("a && b == c", b("&&", A, b("==", B, C))),
        ("a == b && c", b("&&", b("==", A, B), C)),
        ("a < b | c", b("<", A, b("|", B, C))),
        ("a | b >= c", b(">=", b("|", A, B), C)),
        ("a | b ^ c", b("|", A, b("^", B, C))),
        ("a ^ b | c", b("|", b("^", A, B), C)),
        ("a ^ b & c", b("^", A, b("&", B, C))),
        ("a & b ^ c", b("^", b("&", A, B), C)),
        ("a & b << c", b("&", A, b("<<", B, C))),
        ("a >> b & c", b("&", b(">>", A, B), C)),
        ("a << b + c", b("<<", A, b("+", B, C))),
        ("a - b >> c", b(">>", b("-", A, B), C)),
        ("a + b * c", b("+", A, b("*", B, C))),
        ("a % b ++ c", b("++", b("%", A, B), C)),
        ("-a * b", b("*", "(Unary - (Name a))", B)),
        ("!a && b", b("&&", "(Unary ! (Name a))", B)),
        ("-a[0]", "(Unary - (Index (Name a) (IntLit 0)))"),
        ("~a.f", "(Unary ~ (Field (Name a) f))"),
        ("!f(a)", "(Unary ! (Call f [(Name a)]))"),
        # left associativity
        ("a - b - c", b("-", b("-", A, B), C)),
        ("a / b / c", b("/", b("/", A, B), C)),
        ("a ++ b ++ c", b("++", b("++", A, B), C)),
        ("a + b - c ++ a", b("++", b("-", b("+", A, B), C), A)),
        ("a << b >> c", b(">>", b("<<", A, B), C)),
        ("a || b || c", b("||", b("||", A, B), C)),
        ("a && b && c", b("&&", b("&&", A, B), C)),
        ("a | b | c", b("|", b("|", A, B), C)),
        ("a * b % c", b("%", b("*", A, B), C)),
        # parentheses
        ("(a + b) * c", b("*", b("+", A, B), C)),
        ("a - (b - c)", b("-", A, b("-", B, C))),
        ("(a < b) == c", b("==", b("<", A, B), C)),
        ("a != b", b("!=", A, B)),
        ("a <= b", b("<=", A, B)),
        ("a > b", b(">", A, B)),
    ],
)
def test_precedence_and_associativity(text: str, want: str) -> None:
    assert pexpr(text) == want


# -- spans ---------------------------------------------------------------------------------------


def test_spans_of_expressions() -> None:
    # session(...) puts the statement on line 3 at column 9; `let _ = ` puts the value at 17.
    e = expr("a + b * (c - 1)")
    assert isinstance(e, S.Binary) and isinstance(e.right, S.Binary)
    assert span(e) == (3, 17, 3, 31)
    assert span(e.left) == (3, 17, 3, 17)
    assert span(e.right) == (3, 21, 3, 31)
    assert span(e.right.right) == (3, 25, 3, 31)  # the parenthesized operand with its parens
    call = expr("send(x, 12)")
    assert span(call) == (3, 17, 3, 27)
    method = expr("t.get(k)")
    assert span(method) == (3, 17, 3, 24)
    assert span(expr('"ab\\n"')) == (3, 17, 3, 22)
    assert span(expr("-x")) == (3, 17, 3, 18)
    sl = expr("b[1..n]")
    assert isinstance(sl, S.Slice)
    assert span(sl) == (3, 17, 3, 23)
    assert span(sl.stop) == (3, 22, 3, 22)
    sv = expr("P(x: 1, y: 22)")
    assert isinstance(sv, S.StructValue)
    assert span(sv) == (3, 17, 3, 30)
    assert [span(f) for f in sv.fields] == [(3, 19, 3, 22), (3, 25, 3, 29)]


def test_spans_of_statements_cover_their_semicolon_or_brace() -> None:
    ss = stmts(
        "let x: int = 1;",
        "if x == 1 {",
        "    close;",
        "}",
        "x += 2 ;",
    )
    assert span(ss[0]) == (3, 9, 3, 23)
    let = ss[0]
    assert isinstance(let, S.Let) and let.declared is not None
    assert span(let.declared) == (3, 16, 3, 18)
    assert span(ss[1]) == (4, 9, 6, 9)
    if_ = ss[1]
    assert isinstance(if_, S.If)
    assert span(if_.then) == (4, 19, 6, 9)
    assert span(if_.then.stmts[0]) == (5, 13, 5, 18)
    assert span(ss[2]) == (7, 9, 7, 16)


def test_spans_of_declarations_params_and_types() -> None:
    text = "service s {\n  fn f(a: int, b: [bytes[4]; 2]?) -> bool {\n    return true;\n  }\n}"
    tree = parse("t.wyki", text)
    assert span(tree) == (1, 1, 5, 1)
    fn = tree.decls[0]
    assert isinstance(fn, S.Fn)
    assert span(fn) == (2, 3, 4, 3)
    assert [span(p) for p in fn.params] == [(2, 8, 2, 13), (2, 16, 2, 32)]
    opt = fn.params[1].declared
    assert isinstance(opt, S.OptionType)
    assert span(opt) == (2, 19, 2, 32)
    assert span(opt.inner) == (2, 19, 2, 31)
    assert fn.result is not None and span(fn.result) == (2, 38, 2, 41)
    assert span(fn.body) == (2, 43, 4, 3)
    assert fn.body.span == Span("t.wyki", 2, 43, 4, 3)


def all_nodes_have_spans_inside_their_parents(tree: Node) -> None:
    for n in walk(tree):
        assert n.span is not None, f"{type(n).__name__} has no span"
        for _, child in iter_children(n):
            assert child.span is not None
            assert (n.span.line, n.span.col) <= (child.span.line, child.span.col)
            assert (child.span.end_line, child.span.end_col) <= (n.span.end_line, n.span.end_col)


EVERYTHING = """
// Every production of the grammar at least once.
service all {
    listen tcp 7;
    sessions 10;
    const N: int = 0x10;
    const E = embed("x.bin");
    struct P { a: int, b: bytes[4], c: [bool; 2] }
    table t: map<int, P?>[N];
    table u: map<bytes[2], int>;
    shared hits: int = 0;
    fn f(a: int, b: bytes) -> P {
        return P(a: a, b: b[0..1], c: [true; 2]);
    }
    every 1 s { hits = 0; }
    datagram d: bytes[8] { }
    session {
        let x = recv(4) else { close; };
        var y: int = -x[0] * 2 + ~1;
        y += 1; y -= 1; y *= 1;
        var s = "a"; s ++= "b";
        if y < 3 || !(y >= 4) && y != 5 { } else if false { } else { y = 1; }
        while y > 0 max 10 { y = y - 1; continue; }
        loop max 3 { break; }
        for i in 0..N { t.put(i, f(i, "ab")); }
        let z = [1, 2, 3];
        let w = t.get(1) else { return; };
        send(w.b, z[1] >> 1 << 2 & 3 | 4 ^ 5 / 6 % 7, none, max(1, 2));
        close;
    }
}
"""


def test_every_node_has_a_span_inside_its_parent() -> None:
    all_nodes_have_spans_inside_their_parents(parse("t.wyki", EVERYTHING))


def test_tree_belongs_to_surface() -> None:
    check(parse("t.wyki", EVERYTHING), S.Surface)


# -- examples and invented programs --------------------------------------------------------------


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_parses(path: Path) -> None:
    tree = parse(str(path), path.read_text(encoding="utf-8"))
    check(tree, S.Surface)
    all_nodes_have_spans_inside_their_parents(tree)


INVENTED = {
    "kv": """
service kv {
    listen tcp 11211;
    sessions 64;
    table store: map<bytes[32], bytes[256]>[1024];
    shared gets: int = 0;
    session {
        set_timeout(60_000);
        loop {
            let line = recv_line(300) else { close; };
            let cmd = field(line, 0);
            if cmd == "get" {
                gets += 1;
                let v = store.get(field(line, 1)[0..32]) else { send("END\\r\\n"); continue; };
                send("VALUE ", v, "\\r\\n");
            } else if cmd == "set" {
                store.put(field(line, 1)[0..32], field(line, 2)[0..256]);
                send("STORED\\r\\n");
            } else if eq_nocase(cmd, "quit") { close; }
            else { send("ERROR\\r\\n"); }
        }
    }
}
""",
    "dns": """
service dns {
    listen udp 53;
    const TTL = 300;
    datagram q: bytes[512] {
        if len(q) < 12 { return; }
        let id = u16(q, 0);
        var i = 12;
        while i < len(q) && q[i] != 0 max 512 { i += q[i] + 1; }
        reply(be16(id), be16(0x8180), q[4..len(q)], be32(TTL));
    }
    every 1 s { log("tick ", now_ms()); }
}
""",
    "ratelimit": """
service ratelimit {
    listen tcp 9000;
    struct Bucket { tokens: int, last: int, }
    table buckets: map<int, Bucket>[4096];
    fn refill(b: Bucket, now: int) -> Bucket {
        let add = (now - b.last) / 100;
        return Bucket(tokens: min(b.tokens + add, 10), last: now);
    }
    session {
        var b = Bucket(tokens: 10, last: now_ms());
        loop {
            let req = recv_line(128) else { close; };
            b = refill(b, now_ms());
            if b.tokens <= 0 { send("SLOW DOWN\\n"); continue; }
            b.tokens -= 1;
            send(upper(req), "\\n");
        }
    }
}
""",
}


@pytest.mark.parametrize("name", sorted(INVENTED))
def test_invented_program_parses(name: str) -> None:
    tree = parse(f"{name}.wyki", INVENTED[name])
    assert isinstance(tree, S.Service) and tree.name == name
    check(tree, S.Surface)
    all_nodes_have_spans_inside_their_parents(tree)


def test_printing_is_stable_across_parses() -> None:
    text = INVENTED["kv"]
    assert print_tree(parse("a", text)) == print_tree(parse("a", text))


# -- syntax errors -------------------------------------------------------------------------------

# The session(...) wrapper puts the statement on line 3, column 9.


@pytest.mark.parametrize(
    ("line", "want"),
    [
        (
            "let x = a < b < c;",
            (
                3,
                23,
                "comparison operators cannot be chained",
                "combine the comparisons with '&&': a < b && b < c",
            ),
        ),
        (
            "let x = a == b != c;",
            (
                3,
                24,
                "comparison operators cannot be chained",
                "combine the comparisons with '&&': a == b && b != c",
            ),
        ),
        (
            "let x = 1 }",
            (3, 19, "expected ';', 'else' or an operator, found '}'", "end the statement with ';'"),
        ),
        (
            "let x = 1 let y = 2;",
            (
                3,
                19,
                "expected ';', 'else' or an operator, found 'let'",
                "end the statement with ';'",
            ),
        ),
        ("close", (3, 14, "expected ';', found '}'", "end the statement with ';'")),
        ("let x: = 1;", (3, 16, "expected a type, found '='", None)),
        ("let = 1;", (3, 13, "expected a name, found '='", None)),
        (
            "let in = 1;",
            (3, 13, "expected a name, found 'in'", "'in' is a keyword; choose another name"),
        ),
        ("let x 1;", (3, 15, "expected ':' or '=', found integer 1", None)),
        ("let x = (1 + ;", (3, 22, "expected an expression, found ';'", None)),
        ("let x = f(1 2);", (3, 21, "expected ',', ')' or an operator, found integer 2", None)),
        ("let x = 1 +* 2;", (3, 20, "expected an expression, found '*'", None)),
        ("if x = 1 { }", (3, 14, "expected '{' or an operator, found '='", "compare with '=='")),
        (
            "if x { };",
            (
                3,
                17,
                "expected '}', 'else' or a statement, found ';'",
                "no ';' is needed after a '}' that ends a statement",
            ),
        ),
        ("while x max { }", (3, 21, "expected an expression, found '{'", None)),
        ("for i in 0 { }", (3, 20, "expected '..' or an operator, found '{'", None)),
        ("for i = 0..1 { }", (3, 15, "expected 'in', found '='", None)),
        ("else { }", (3, 9, "expected '}' or a statement, found 'else'", None)),
        (
            "x + 1 = 2;",
            (
                3,
                9,
                "cannot assign to this expression",
                "assign to a variable, a field ('x.f = e;') or an element ('a[i] = e;')",
            ),
        ),
        (
            "f(x) = 2;",
            (
                3,
                9,
                "cannot assign to this expression",
                "assign to a variable, a field ('x.f = e;') or an element ('a[i] = e;')",
            ),
        ),
        (
            "b[0..1] = 2;",
            (
                3,
                9,
                "cannot assign to this expression",
                "assign to a variable, a field ('x.f = e;') or an element ('a[i] = e;')",
            ),
        ),
        (
            "f(x).a = 2;",
            (
                3,
                9,
                "cannot assign to this expression",
                "assign to a variable, a field ('x.f = e;') or an element ('a[i] = e;')",
            ),
        ),
        (
            "let v = P(x: 1, 2);",
            (
                3,
                25,
                "cannot mix named and positional arguments",
                "a struct value names every field, 'S(f: e, g: e)'; "
                "a call passes every argument by position",
            ),
        ),
        (
            "let v = f(1, x: 2);",
            (
                3,
                22,
                "cannot mix named and positional arguments",
                "a struct value names every field, 'S(f: e, g: e)'; "
                "a call passes every argument by position",
            ),
        ),
        (
            "let v = t.get(k: 1);",
            (3, 23, "named arguments are only for struct values, not for method 'get'", None),
        ),
        (
            "let v = max(a: 1);",
            (3, 21, "named arguments are only for struct values, not for 'max'", None),
        ),
        (
            "let v = f().get(1);",
            (
                3,
                17,
                "method 'get' must be called on a table name",
                "table methods are called as 't.get(k)', where 't' is a table",
            ),
        ),
        (
            "let v = a.b.get(1);",
            (
                3,
                17,
                "method 'get' must be called on a table name",
                "table methods are called as 't.get(k)', where 't' is a table",
            ),
        ),
        ("let v = embed(x);", (3, 23, "expected a string, found name 'x'", None)),
        ("let v = 1..2;", (3, 18, "expected ';', 'else' or an operator, found '..'", None)),
        ("let v = [1; 2; 3];", (3, 22, "expected ']' or an operator, found ';'", None)),
    ],
)
def test_statement_syntax_errors(line: str, want: tuple[int, int, str, str | None]) -> None:
    assert stmt_error(line) == want


def test_missing_semicolon_before_a_new_line_points_after_the_statement() -> None:
    assert stmt_error("let x = 1\n        send(x);") == (
        3,
        18,
        "expected ';', 'else' or an operator, found name 'send'",
        "end the statement with ';'",
    )


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("", (1, 1, "expected 'service', found end of file", None)),
        ("session { }", (1, 1, "expected 'service', found 'session'", None)),
        ("service { }", (1, 9, "expected a name, found '{'", None)),
        ("service s { } x", (1, 15, "expected end of file, found name 'x'", None)),
        (
            "service s { listen tcp; }",
            (1, 23, "expected an expression, found ';'", "give the port: 'listen tcp 8080;'"),
        ),
        (
            "service s { listen udp; }",
            (1, 23, "expected an expression, found ';'", "give the port: 'listen udp 8080;'"),
        ),
        ("service s { listen 80; }", (1, 20, "expected 'tcp' or 'udp', found integer 80", None)),
        ("service s { let x = 1; }", (1, 13, "expected '}' or a declaration, found 'let'", None)),
        (
            "service s { every 5 { } }",
            (1, 21, "expected 'ms', 's' or an operator, found '{'", None),
        ),
        ("service s { table t: map<int>[4]; }", (1, 29, "expected ',' or '?', found '>'", None)),
        ("service s { table t: int; }", (1, 22, "expected 'map', found 'int'", None)),
        (
            "service s { struct P { a: int b: int } }",
            (1, 31, "expected ',', '}' or '?', found name 'b'", None),
        ),
        ("service s { fn f(a) { } }", (1, 19, "expected ':', found ')'", None)),
        ("service s { fn f() -> { } }", (1, 23, "expected a type, found '{'", None)),
        (
            "service s { const X: int = 'ab'; }",
            (
                1,
                28,
                "a character literal stands for one byte, but 'ab' holds 2 bytes",
                'write several bytes as a string: "..."',
            ),
        ),
        (
            "service s {\n  session { loop { }\n}",
            (
                3,
                2,
                "expected '}' or a declaration, found end of file",
                "the '{' at 1:11 is never closed",
            ),
        ),
        (
            "service s {\n  session {\n    loop {\n",
            (
                3,
                11,
                "expected '}' or a statement, found end of file",
                "the '{' at 3:10 is never closed",
            ),
        ),
        (
            'service s { session { send("a" ++ "b" ; } }',
            (1, 39, "expected ',', ')' or an operator, found ';'", None),
        ),
    ],
)
def test_program_syntax_errors(text: str, want: tuple[int, int, str, str | None]) -> None:
    assert error(text) == want


def test_missing_semicolon_at_end_of_file() -> None:
    assert error("service s { listen tcp 7") == (
        1,
        25,
        "expected ';' or an operator, found end of file",
        "end the statement with ';'",
    )


def test_only_the_first_syntax_error_is_reported() -> None:
    with pytest.raises(CompileError) as caught:
        Pipeline([ParseSource]).run(SourceText("t.wyki", session("let = 1;", "let = 2;", "@")))
    assert [d.headline() for d in caught.value.diagnostics] == [
        "t.wyki:3:13: error: expected a name, found '='"
    ]


def test_long_string_is_shortened_in_found() -> None:
    message = stmt_error('let x = 1 "abcdefghijklmnopqrstuvwxyz";')[2]
    assert message == "expected ';', 'else' or an operator, found string \"abcdefghijklmnopqrs...\""


def test_character_literal_is_shown_as_written() -> None:
    assert stmt_error("let x = 1 'a';")[2] == (
        "expected ';', 'else' or an operator, found character 'a'"
    )


# -- the pass ------------------------------------------------------------------------------------


def test_pass_signature() -> None:
    assert ParseSource.name == "parse-source"
    assert ParseSource.signature_problem() is None
    assert ParseSource.purpose() == "parse WYKI source text."


def test_pass_parses_a_source_tree() -> None:
    tree, _ = ParseSource().apply(SourceText("x.wyki", "service s { listen tcp 7; }"), Facts())
    assert printed(tree) == "(Service s [(Listen tcp (IntLit 7))])"
    assert tree.span == Span("x.wyki", 1, 1, 1, 27)


def test_pass_turns_a_syntax_error_into_a_compile_error() -> None:
    with pytest.raises(CompileError) as caught:
        ParseSource().apply(SourceText("x.wyki", "service s {"), Facts())
    (d,) = caught.value.diagnostics
    assert d.headline() == "x.wyki:1:12: error: expected '}' or a declaration, found end of file"
    assert d.hint == "the '{' at 1:11 is never closed"


def test_pass_in_a_pipeline_checks_its_output() -> None:
    result = Pipeline([ParseSource]).run(SourceText("t.wyki", EVERYTHING))
    assert isinstance(result.tree, S.Service)


# -- the reject files of this pass, run through parse-source and expand-embeds only -------------

EXPECT = re.compile(r"//\s*expect:\s*(\d+):(\d+):\s*(.*?)\s*$")


def test_there_are_enough_syntax_reject_files() -> None:
    assert len(list(REJECT.glob("syntax_*.wyki"))) >= 10


@pytest.mark.parametrize("path", MINE, ids=[p.stem for p in MINE])
def test_reject_file_through_the_parser(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    want = [(int(m[1]), int(m[2]), m[3]) for m in map(EXPECT.search, text.splitlines()) if m]
    assert want
    with pytest.raises(CompileError) as caught:
        Pipeline([ParseSource, ExpandEmbeds]).run(SourceText(str(path), text))
    got = [(d.span.line, d.span.col, d.message) for d in caught.value.diagnostics if d.span]
    assert got == want
