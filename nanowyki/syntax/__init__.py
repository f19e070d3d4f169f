"""WYKI concrete syntax: the SLY lexer and parser behind the `parse-source` pass.

- `positions`: character offsets to spans, and `SyntaxProblem`, the exception that carries the
  one diagnostic a lexical or syntax error produces;
- `escapes`: byte string and character literal escapes;
- `lexer`: `WykiLexer`, the tokens (keywords, literals, operators, comments);
- `expected`: what a syntax error message says was expected and found;
- `parser`: `WykiParser`, the grammar of docs/language.md, and `parse(name, text)`.
"""

from .parser import parse
from .positions import SyntaxProblem

__all__ = ["SyntaxProblem", "parse"]
