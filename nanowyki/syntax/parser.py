"""The WYKI parser (SLY, LALR(1)): the grammar of docs/language.md, building `Surface` nodes.

Every node gets the span of the text it was parsed from: a binary expression covers both
operands, a call its name through ')', a parenthesized expression its parentheses, a statement
its first token through its ';' or closing '}'. `else if` becomes an else block holding one
`If` (the block's span is the `If`'s).

The tables are built once, when the class is created; the grammar has no conflicts (the
precedence table resolves the operator ones, comparisons are `nonassoc` so they do not chain).
The first syntax error raises a `SyntaxProblem` naming what the parser could accept there and
what it found (see `expected`); there is no recovery, so there are no cascades.
"""

# SLY names a grammar rule after its method, so a nonterminal with several productions is a
# method defined several times: that is the idiom, not a mistake.
# ruff: noqa: F811

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, TypeVar

from sly import Parser

from nanowyki.framework import Node, Span
from nanowyki.languages import surface as S
from nanowyki.languages.types import TypeExpr

from . import syntax_errors
from .lexer import WykiLexer
from .positions import SourceMap

if TYPE_CHECKING:
    F = TypeVar("F", bound=Callable[..., Any])

    def _(rule: str, *more: str) -> Callable[[F], F]: ...


class GrammarLog:
    """Collects SLY's messages about the grammar instead of printing them (a test asserts that
    there are none)."""

    def __init__(self) -> None:
        self.messages: list[str] = []

    def _add(self, msg: str, *args: Any, **kwargs: Any) -> None:
        self.messages.append(msg % args if args else msg)

    debug = info = warning = error = critical = _add


N = TypeVar("N", bound=Node)


class WykiParser(Parser):  # type: ignore[misc]
    tokens = WykiLexer.tokens
    log = GrammarLog()
    debugfile = None
    start = "program"

    precedence = (
        ("left", "OROR"),
        ("left", "ANDAND"),
        ("nonassoc", "EQ", "NE", "<", "LE", ">", "GE"),
        ("left", "|"),
        ("left", "^"),
        ("left", "&"),
        ("left", "SHL", "SHR"),
        ("left", "+", "-", "CONCAT"),
        ("left", "*", "/", "%"),
        ("right", "UNARY"),
        ("left", "[", "."),
    )

    def __init__(self, source: SourceMap) -> None:
        self.source = source
        self.snapshot: list[int] = []  # the state stack when the lookahead was read
        self.previous: Any = None  # the token before the lookahead
        self.lookahead: Any = None

    # -- driving ---------------------------------------------------------------------------------

    def run(self) -> S.Service:
        result: S.Service = self.parse(self._tokens(WykiLexer(self.source).tokens_of()))
        return result

    def _tokens(self, tokens: Iterator[Any]) -> Iterator[Any]:
        """The lexer's tokens, remembering the parser's configuration as each one is read."""
        for tok in tokens:
            self.snapshot = list(self.statestack)
            self.previous, self.lookahead = self.lookahead, tok
            yield tok
        self.snapshot = list(self.statestack)
        self.previous, self.lookahead = self.lookahead, None

    def error(self, token: Any) -> Any:
        raise syntax_errors.syntax_error(self, token)

    # -- spans -----------------------------------------------------------------------------------

    def span(self, p: Any) -> Span:
        """The span of the whole production."""
        return self.source.span(p.index, p.end)

    def sym_span(self, p: Any, i: int) -> Span:
        """The span of the `i`-th symbol of the production."""
        sym = p._slice[i]
        return self.source.span(sym.index, sym.end)

    def between(self, p: Any, first: int, last: int) -> Span:
        """The span from the start of symbol `first` to the end of symbol `last`."""
        return self.source.span(p._slice[first].index, p._slice[last].end)

    @staticmethod
    def widen(n: N, span: Span) -> N:
        return dataclasses.replace(n, span=span)

    # -- program and declarations ----------------------------------------------------------------

    @_("SERVICE name '{' decls '}'")
    def program(self, p: Any) -> S.Service:
        return S.Service(p.name, tuple(p.decls), span=self.span(p))

    @_("")
    def decls(self, p: Any) -> list[S.Decl]:
        return []

    @_("decls decl")  # type: ignore[no-redef]
    def decls(self, p: Any) -> list[S.Decl]:
        p.decls.append(p.decl)
        return p.decls  # type: ignore[no-any-return]

    @_("LISTEN TCP expr ';'", "LISTEN UDP expr ';'")
    def decl(self, p: Any) -> S.Decl:
        return S.Listen(p[1], p.expr, span=self.span(p))

    @_("SESSIONS expr ';'")  # type: ignore[no-redef]
    def decl(self, p: Any) -> S.Decl:
        return S.Sessions(p.expr, span=self.span(p))

    @_("CONST name '=' expr ';'")  # type: ignore[no-redef]
    def decl(self, p: Any) -> S.Decl:
        return S.Const(p.name, None, p.expr, span=self.span(p))

    @_("CONST name ':' type '=' expr ';'")  # type: ignore[no-redef]
    def decl(self, p: Any) -> S.Decl:
        return S.Const(p.name, p.type, p.expr, span=self.span(p))

    @_("STRUCT name '{' field_decls '}'")  # type: ignore[no-redef]
    def decl(self, p: Any) -> S.Decl:
        return S.Struct(p.name, tuple(p.field_decls), span=self.span(p))

    @_("TABLE name ':' MAP '<' type ',' type '>' '[' expr ']' ';'")  # type: ignore[no-redef]
    def decl(self, p: Any) -> S.Decl:
        return S.Table(p.name, p.type0, p.type1, p.expr, span=self.span(p))

    @_("TABLE name ':' MAP '<' type ',' type '>' ';'")  # type: ignore[no-redef]
    def decl(self, p: Any) -> S.Decl:
        return S.Table(p.name, p.type0, p.type1, None, span=self.span(p))

    @_("SHARED name ':' type '=' expr ';'")  # type: ignore[no-redef]
    def decl(self, p: Any) -> S.Decl:
        return S.Shared(p.name, p.type, p.expr, span=self.span(p))

    @_("FN name '(' params ')' block")  # type: ignore[no-redef]
    def decl(self, p: Any) -> S.Decl:
        return S.Fn(p.name, tuple(p.params), None, p.block, span=self.span(p))

    @_("FN name '(' params ')' ARROW type block")  # type: ignore[no-redef]
    def decl(self, p: Any) -> S.Decl:
        return S.Fn(p.name, tuple(p.params), p.type, p.block, span=self.span(p))

    @_("SESSION block")  # type: ignore[no-redef]
    def decl(self, p: Any) -> S.Decl:
        return S.Session(p.block, span=self.span(p))

    @_("DATAGRAM name ':' type block")  # type: ignore[no-redef]
    def decl(self, p: Any) -> S.Decl:
        return S.Datagram(p.name, p.type, p.block, span=self.span(p))

    @_("EVERY expr MS block", "EVERY expr S block")  # type: ignore[no-redef]
    def decl(self, p: Any) -> S.Decl:
        return S.Every(p.expr, p[2], p.block, span=self.span(p))

    @_("NAME", "MS", "S")
    def name(self, p: Any) -> str:
        """`ms` and `s` are keywords only after the period of `every`; elsewhere they are names."""
        return p[0]  # type: ignore[no-any-return]

    # Comma-separated lists, with an optional trailing comma.

    @_("", "field_decl_list", "field_decl_list ','")
    def field_decls(self, p: Any) -> list[S.FieldDecl]:
        return p[0] if len(p) else []

    @_("field_decl")
    def field_decl_list(self, p: Any) -> list[S.FieldDecl]:
        return [p.field_decl]

    @_("field_decl_list ',' field_decl")  # type: ignore[no-redef]
    def field_decl_list(self, p: Any) -> list[S.FieldDecl]:
        p.field_decl_list.append(p.field_decl)
        return p.field_decl_list  # type: ignore[no-any-return]

    @_("name ':' type")
    def field_decl(self, p: Any) -> S.FieldDecl:
        return S.FieldDecl(p.name, p.type, span=self.span(p))

    @_("", "param_list", "param_list ','")
    def params(self, p: Any) -> list[S.Param]:
        return p[0] if len(p) else []

    @_("param")
    def param_list(self, p: Any) -> list[S.Param]:
        return [p.param]

    @_("param_list ',' param")  # type: ignore[no-redef]
    def param_list(self, p: Any) -> list[S.Param]:
        p.param_list.append(p.param)
        return p.param_list  # type: ignore[no-any-return]

    @_("name ':' type")
    def param(self, p: Any) -> S.Param:
        return S.Param(p.name, p.type, span=self.span(p))

    # -- types -----------------------------------------------------------------------------------

    @_("INT")
    def type(self, p: Any) -> TypeExpr:
        return S.IntType(span=self.span(p))

    @_("BOOL")  # type: ignore[no-redef]
    def type(self, p: Any) -> TypeExpr:
        return S.BoolType(span=self.span(p))

    @_("BYTES")  # type: ignore[no-redef]
    def type(self, p: Any) -> TypeExpr:
        return S.BytesType(None, span=self.span(p))

    @_("BYTES '[' expr ']'")  # type: ignore[no-redef]
    def type(self, p: Any) -> TypeExpr:
        return S.BytesType(p.expr, span=self.span(p))

    @_("name")  # type: ignore[no-redef]
    def type(self, p: Any) -> TypeExpr:
        return S.NamedType(p.name, span=self.span(p))

    @_("'[' type ';' expr ']'")  # type: ignore[no-redef]
    def type(self, p: Any) -> TypeExpr:
        return S.ArrayType(p.type, p.expr, span=self.span(p))

    @_("type '?'")  # type: ignore[no-redef]
    def type(self, p: Any) -> TypeExpr:
        return S.OptionType(p.type, span=self.span(p))

    # -- blocks and statements -------------------------------------------------------------------

    @_("'{' stmts '}'")
    def block(self, p: Any) -> S.Block:
        return S.Block(tuple(p.stmts), span=self.span(p))

    @_("")
    def stmts(self, p: Any) -> list[S.Stmt]:
        return []

    @_("stmts stmt")  # type: ignore[no-redef]
    def stmts(self, p: Any) -> list[S.Stmt]:
        p.stmts.append(p.stmt)
        return p.stmts  # type: ignore[no-any-return]

    @_("LET name '=' expr ';'")
    def stmt(self, p: Any) -> S.Stmt:
        return S.Let(p.name, None, p.expr, None, span=self.span(p))

    @_("LET name ':' type '=' expr ';'")  # type: ignore[no-redef]
    def stmt(self, p: Any) -> S.Stmt:
        return S.Let(p.name, p.type, p.expr, None, span=self.span(p))

    @_("LET name '=' expr ELSE block ';'")  # type: ignore[no-redef]
    def stmt(self, p: Any) -> S.Stmt:
        return S.Let(p.name, None, p.expr, p.block, span=self.span(p))

    @_("LET name ':' type '=' expr ELSE block ';'")  # type: ignore[no-redef]
    def stmt(self, p: Any) -> S.Stmt:
        return S.Let(p.name, p.type, p.expr, p.block, span=self.span(p))

    @_("VAR name '=' expr ';'")  # type: ignore[no-redef]
    def stmt(self, p: Any) -> S.Stmt:
        return S.Var(p.name, None, p.expr, span=self.span(p))

    @_("VAR name ':' type '=' expr ';'")  # type: ignore[no-redef]
    def stmt(self, p: Any) -> S.Stmt:
        return S.Var(p.name, p.type, p.expr, span=self.span(p))

    @_(  # type: ignore[no-redef]
        "expr '=' expr ';'",
        "expr PLUS_ASSIGN expr ';'",
        "expr MINUS_ASSIGN expr ';'",
        "expr TIMES_ASSIGN expr ';'",
        "expr CONCAT_ASSIGN expr ';'",
    )
    def stmt(self, p: Any) -> S.Stmt:
        syntax_errors.check_place(self.source, p.expr0)
        return S.Assign(p.expr0, p[1], p.expr1, span=self.span(p))

    @_("if_stmt")  # type: ignore[no-redef]
    def stmt(self, p: Any) -> S.Stmt:
        return p.if_stmt

    @_("WHILE expr block")  # type: ignore[no-redef]
    def stmt(self, p: Any) -> S.Stmt:
        return S.While(p.expr, None, p.block, span=self.span(p))

    @_("WHILE expr MAX expr block")  # type: ignore[no-redef]
    def stmt(self, p: Any) -> S.Stmt:
        return S.While(p.expr0, p.expr1, p.block, span=self.span(p))

    @_("LOOP block")  # type: ignore[no-redef]
    def stmt(self, p: Any) -> S.Stmt:
        return S.Loop(None, p.block, span=self.span(p))

    @_("LOOP MAX expr block")  # type: ignore[no-redef]
    def stmt(self, p: Any) -> S.Stmt:
        return S.Loop(p.expr, p.block, span=self.span(p))

    @_("FOR name IN expr DOTDOT expr block")  # type: ignore[no-redef]
    def stmt(self, p: Any) -> S.Stmt:
        return S.For(p.name, p.expr0, p.expr1, p.block, span=self.span(p))

    @_("BREAK ';'")  # type: ignore[no-redef]
    def stmt(self, p: Any) -> S.Stmt:
        return S.Break(span=self.span(p))

    @_("CONTINUE ';'")  # type: ignore[no-redef]
    def stmt(self, p: Any) -> S.Stmt:
        return S.Continue(span=self.span(p))

    @_("RETURN ';'")  # type: ignore[no-redef]
    def stmt(self, p: Any) -> S.Stmt:
        return S.Return(None, span=self.span(p))

    @_("RETURN expr ';'")  # type: ignore[no-redef]
    def stmt(self, p: Any) -> S.Stmt:
        return S.Return(p.expr, span=self.span(p))

    @_("CLOSE ';'")  # type: ignore[no-redef]
    def stmt(self, p: Any) -> S.Stmt:
        return S.Close(span=self.span(p))

    @_("expr ';'")  # type: ignore[no-redef]
    def stmt(self, p: Any) -> S.Stmt:
        return S.ExprStmt(p.expr, span=self.span(p))

    @_("IF expr block")
    def if_stmt(self, p: Any) -> S.If:
        return S.If(p.expr, p.block, None, span=self.span(p))

    @_("IF expr block ELSE block")  # type: ignore[no-redef]
    def if_stmt(self, p: Any) -> S.If:
        return S.If(p.expr, p.block0, p.block1, span=self.span(p))

    @_("IF expr block ELSE if_stmt")  # type: ignore[no-redef]
    def if_stmt(self, p: Any) -> S.If:
        inner: S.If = p.if_stmt
        return S.If(p.expr, p.block, S.Block((inner,), span=inner.span), span=self.span(p))

    # -- expressions -----------------------------------------------------------------------------

    @_(
        "expr OROR expr", "expr ANDAND expr",
        "expr EQ expr", "expr NE expr", "expr '<' expr", "expr LE expr", "expr '>' expr",
        "expr GE expr",
        "expr '|' expr", "expr '^' expr", "expr '&' expr", "expr SHL expr", "expr SHR expr",
        "expr '+' expr", "expr '-' expr", "expr CONCAT expr",
        "expr '*' expr", "expr '/' expr", "expr '%' expr",
    )  # fmt: skip
    def expr(self, p: Any) -> S.Expr:
        return S.Binary(p[1], p.expr0, p.expr1, span=self.span(p))

    @_("'!' expr %prec UNARY", "'-' expr %prec UNARY", "'~' expr %prec UNARY")  # type: ignore
    def expr(self, p: Any) -> S.Expr:
        return S.Unary(p[0], p.expr, span=self.span(p))

    @_("expr '[' expr ']'")  # type: ignore[no-redef]
    def expr(self, p: Any) -> S.Expr:
        return S.Index(p.expr0, p.expr1, span=self.span(p))

    @_("expr '[' expr DOTDOT expr ']'")  # type: ignore[no-redef]
    def expr(self, p: Any) -> S.Expr:
        return S.Slice(p.expr0, p.expr1, p.expr2, span=self.span(p))

    @_("expr '.' name")  # type: ignore[no-redef]
    def expr(self, p: Any) -> S.Expr:
        return S.Field(p.expr, p.name, span=self.span(p))

    @_("expr '.' name '(' args ')'")  # type: ignore[no-redef]
    def expr(self, p: Any) -> S.Expr:
        target = syntax_errors.method_target(self.source, p.expr, p.name)
        args = syntax_errors.positional(self.source, p.args, f"method '{p.name}'")
        return S.MethodCall(target, p.name, args, span=self.span(p))

    @_("name '(' args ')'", "MAX '(' args ')'")  # type: ignore[no-redef]
    def expr(self, p: Any) -> S.Expr:
        name: str = p[0]
        args: list[S.Expr | S.FieldInit] = p.args
        span = self.span(p)
        if args and all(isinstance(a, S.FieldInit) for a in args):
            if name == "max":
                syntax_errors.positional(self.source, args, "'max'")
            return S.StructValue(
                name, tuple(a for a in args if isinstance(a, S.FieldInit)), span=span
            )
        return S.Call(name, syntax_errors.positional(self.source, args, f"'{name}'"), span=span)

    @_("name")  # type: ignore[no-redef]
    def expr(self, p: Any) -> S.Expr:
        return S.Name(p.name, span=self.span(p))

    @_("NUMBER")  # type: ignore[no-redef]
    def expr(self, p: Any) -> S.Expr:
        return S.IntLit(p.NUMBER, span=self.span(p))

    @_("STRING")  # type: ignore[no-redef]
    def expr(self, p: Any) -> S.Expr:
        return S.BytesLit(p.STRING, span=self.span(p))

    @_("TRUE", "FALSE")  # type: ignore[no-redef]
    def expr(self, p: Any) -> S.Expr:
        return S.BoolLit(p[0] == "true", span=self.span(p))

    @_("NONE")  # type: ignore[no-redef]
    def expr(self, p: Any) -> S.Expr:
        return S.NoneLit(span=self.span(p))

    @_("'(' expr ')'")  # type: ignore[no-redef]
    def expr(self, p: Any) -> S.Expr:
        return self.widen(p.expr, self.span(p))

    @_("'[' items ']'")  # type: ignore[no-redef]
    def expr(self, p: Any) -> S.Expr:
        return S.ArrayLit(tuple(p.items), span=self.span(p))

    @_("'[' expr ';' expr ']'")  # type: ignore[no-redef]
    def expr(self, p: Any) -> S.Expr:
        return S.ArrayRepeat(p.expr0, p.expr1, span=self.span(p))

    @_("EMBED '(' STRING ')'")  # type: ignore[no-redef]
    def expr(self, p: Any) -> S.Expr:
        path = syntax_errors.embed_path(self.source, p.STRING, p._slice[2])
        return S.Embed(path, span=self.span(p))

    @_("", "item_list", "item_list ','")
    def items(self, p: Any) -> list[S.Expr]:
        return p[0] if len(p) else []

    @_("expr")
    def item_list(self, p: Any) -> list[S.Expr]:
        return [p.expr]

    @_("item_list ',' expr")  # type: ignore[no-redef]
    def item_list(self, p: Any) -> list[S.Expr]:
        p.item_list.append(p.expr)
        return p.item_list  # type: ignore[no-any-return]

    @_("", "arg_list", "arg_list ','")
    def args(self, p: Any) -> list[S.Expr | S.FieldInit]:
        return p[0] if len(p) else []

    @_("arg")
    def arg_list(self, p: Any) -> list[S.Expr | S.FieldInit]:
        return [p.arg]

    @_("arg_list ',' arg")  # type: ignore[no-redef]
    def arg_list(self, p: Any) -> list[S.Expr | S.FieldInit]:
        p.arg_list.append(p.arg)
        return p.arg_list  # type: ignore[no-any-return]

    @_("expr")
    def arg(self, p: Any) -> S.Expr | S.FieldInit:
        return p.expr

    @_("name ':' expr")  # type: ignore[no-redef]
    def arg(self, p: Any) -> S.Expr | S.FieldInit:
        return S.FieldInit(p.name, p.expr, span=self.span(p))


def parse(name: str, text: str) -> S.Service:
    """The `Surface` tree of the WYKI program `text` from file `name`.

    Raises `SyntaxProblem` at the first lexical or syntax error.
    """
    return WykiParser(SourceMap(name, text)).run()
