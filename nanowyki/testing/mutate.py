"""Hostile inputs for the compiler: random text, token soups and mutated programs.

    from nanowyki.testing.mutate import compiler_inputs, corpus
    @given(compiler_inputs(corpus()))  # (file name, source text) pairs

Three kinds of input, each a Hypothesis strategy of `Mutant`s:

- `random_texts()`: arbitrary Unicode text, or arbitrary bytes decoded as Latin-1 (so every
  byte value reaches the lexer as a character);
- `token_soups()`: sequences of WYKI tokens (every keyword and operator of the lexer, names,
  numbers, strings, comments) in random order: they pass the lexer and stress the parser;
- `mutants(corpus)`: a program of the corpus (the examples and the reject programs) with a few
  edits: delete, duplicate or swap lines or tokens, replace a token by another, flip a
  character, truncate. Most edits leave a program that parses, so these reach the checks and,
  when they pass the front end, the whole pipeline;
- `mutated_generated_programs()`: the same edits on random well-typed programs (`genprog`).

A mutant keeps the name of the file it came from, so `embed("...")` paths still resolve next to
it. Hypothesis shrinks a mutant toward its unchanged original with fewer, earlier edits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from hypothesis import strategies as st

from nanowyki.syntax.lexer import KEYWORDS, LITERALS, OPERATORS

ROOT = Path(__file__).resolve().parents[2]

# A rough tokenizer for editing: strings, comments, words and numbers, then any one character.
_TOKEN = re.compile(r'"(?:[^"\\\n]|\\.)*"|//[^\n]*|/\*.*?\*/|\w+|\S', re.DOTALL)

SAMPLE_TOKENS = (
    *KEYWORDS,
    *OPERATORS.values(),
    *sorted(LITERALS),
    "x", "line", "n", "len", "send", "recv_line", "itoa", "_",
    "0", "1", "7", "0x7fffffffffffffff", "9223372036854775808", "-1", "1_000", "'a'", "'\\n'",
    '""', '"a"', '"\\r\\n"', '"\\x"', '"\\xff"', "ms", "10s", "//c\n", "/* c */", "\n", "'",
    '"', "/*", "$", "\t",
)  # fmt: skip


@dataclass(frozen=True)
class Mutant:
    """A source text to compile, under the file name it claims."""

    name: str
    text: str
    origin: str  # how it was made, for the failure report

    def __repr__(self) -> str:
        return f"Mutant({self.origin}, {self.name!r}, text=\n{self.text}\n)"


def corpus(root: Path = ROOT) -> tuple[Path, ...]:
    """The programs mutants start from: every example and every reject program."""
    found = sorted((root / "examples").glob("*.wyki")) + sorted(
        (root / "tests" / "reject").glob("*.wyki")
    )
    return tuple(found)


def random_texts() -> st.SearchStrategy[Mutant]:
    unicode = st.text(max_size=200)
    latin1 = st.binary(max_size=200).map(lambda b: b.decode("latin-1"))
    return st.one_of(unicode, latin1).map(lambda t: Mutant("<random>.wyki", t, "random text"))


def token_soups() -> st.SearchStrategy[Mutant]:
    soups = st.lists(st.sampled_from(SAMPLE_TOKENS), max_size=60)
    return st.tuples(soups, st.booleans()).map(_soup)


def _soup(args: tuple[list[str], bool]) -> Mutant:
    tokens, wrapped = args
    body = " ".join(tokens)
    text = f"service s {{ listen tcp 7; session {{ {body} }} }}" if wrapped else body
    return Mutant("<soup>.wyki", text, "token soup" + (" in a session" if wrapped else ""))


@st.composite
def mutants(draw: st.DrawFn, sources: tuple[Path, ...]) -> Mutant:
    path = draw(st.sampled_from(sources))
    return _mutate(draw, str(path), path.read_text(encoding="utf-8"))


@st.composite
def mutated_generated_programs(draw: st.DrawFn) -> Mutant:
    """A random well-typed program (genprog) with a few edits: many still pass the front end,
    in shapes no example has."""
    from .genprog import wyki_programs

    return _mutate(draw, "<generated>.wyki", draw(wyki_programs()))


def _mutate(draw: st.DrawFn, name: str, text: str) -> Mutant:
    edits = draw(st.lists(st.sampled_from(sorted(_EDITS)), min_size=1, max_size=4))
    done = []
    for edit in edits:
        text, what = _EDITS[edit](draw, text)
        done.append(what)
    return Mutant(name, text, f"{Path(name).name}: " + "; ".join(done))


def compiler_inputs(sources: tuple[Path, ...]) -> st.SearchStrategy[Mutant]:
    """Every kind of hostile input, mutants most often (they reach furthest)."""
    return st.one_of(mutants(sources), token_soups(), random_texts())


# -- edits: each takes the draw function and a text, gives the new text and what it did --------


def _index(draw: st.DrawFn, n: int) -> int:
    return int(draw(st.integers(0, max(0, n - 1))))


def _delete_line(draw: st.DrawFn, text: str) -> tuple[str, str]:
    lines = text.split("\n")
    i = _index(draw, len(lines))
    return "\n".join(lines[:i] + lines[i + 1 :]), f"delete line {i + 1}"


def _duplicate_line(draw: st.DrawFn, text: str) -> tuple[str, str]:
    lines = text.split("\n")
    i = _index(draw, len(lines))
    return "\n".join(lines[: i + 1] + lines[i:]), f"duplicate line {i + 1}"


def _swap_lines(draw: st.DrawFn, text: str) -> tuple[str, str]:
    lines = text.split("\n")
    i, j = _index(draw, len(lines)), _index(draw, len(lines))
    lines[i], lines[j] = lines[j], lines[i]
    return "\n".join(lines), f"swap lines {i + 1} and {j + 1}"


def _tokens(text: str) -> list[tuple[int, int]]:
    return [m.span() for m in _TOKEN.finditer(text)]


def _delete_token(draw: st.DrawFn, text: str) -> tuple[str, str]:
    spans = _tokens(text)
    if not spans:
        return text, "delete nothing"
    a, b = spans[_index(draw, len(spans))]
    return text[:a] + text[b:], f"delete {text[a:b]!r} at {a}"


def _duplicate_token(draw: st.DrawFn, text: str) -> tuple[str, str]:
    spans = _tokens(text)
    if not spans:
        return text, "duplicate nothing"
    a, b = spans[_index(draw, len(spans))]
    return text[:b] + " " + text[a:b] + text[b:], f"duplicate {text[a:b]!r} at {a}"


def _swap_tokens(draw: st.DrawFn, text: str) -> tuple[str, str]:
    spans = _tokens(text)
    if len(spans) < 2:
        return text, "swap nothing"
    i = _index(draw, len(spans) - 1)
    (a, b), (c, d) = spans[i], spans[i + 1]
    swapped = text[:a] + text[c:d] + text[b:c] + text[a:b] + text[d:]
    return swapped, f"swap {text[a:b]!r} and {text[c:d]!r} at {a}"


def _replace_token(draw: st.DrawFn, text: str) -> tuple[str, str]:
    spans = _tokens(text)
    if not spans:
        return text, "replace nothing"
    a, b = spans[_index(draw, len(spans))]
    new = draw(st.sampled_from(SAMPLE_TOKENS))
    return text[:a] + new + text[b:], f"replace {text[a:b]!r} at {a} by {new!r}"


def _flip_character(draw: st.DrawFn, text: str) -> tuple[str, str]:
    if not text:
        return text, "flip nothing"
    i = _index(draw, len(text))
    new = chr(draw(st.integers(0, 0x7F) | st.integers(0, 0x10FFFF).filter(_not_surrogate)))
    return text[:i] + new + text[i + 1 :], f"flip {text[i]!r} at {i} to {new!r}"


def _not_surrogate(code: int) -> bool:
    return not 0xD800 <= code <= 0xDFFF


def _truncate(draw: st.DrawFn, text: str) -> tuple[str, str]:
    i = _index(draw, len(text) + 1)
    return text[:i], f"truncate at {i}"


_EDITS = {
    "delete_line": _delete_line,
    "duplicate_line": _duplicate_line,
    "swap_lines": _swap_lines,
    "delete_token": _delete_token,
    "duplicate_token": _duplicate_token,
    "swap_tokens": _swap_tokens,
    "replace_token": _replace_token,
    "flip_character": _flip_character,
    "truncate": _truncate,
}
