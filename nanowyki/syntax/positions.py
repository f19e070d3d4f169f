"""Source positions: from character offsets in a source text to `Span`s.

Lines and columns are 1-based and count characters (a tab is one column); a span's end is the
column of its last character, inclusive.
"""

from __future__ import annotations

from bisect import bisect_right

from nanowyki.framework import Diagnostic, Span


class SyntaxProblem(Exception):
    """A lexical or syntax error: the one diagnostic the parser reports."""

    def __init__(self, diagnostic: Diagnostic) -> None:
        super().__init__(diagnostic.headline())
        self.diagnostic = diagnostic


class SourceMap:
    """Turns character offsets of one text into spans of its file."""

    def __init__(self, file: str, text: str) -> None:
        self.file = file
        self.text = text
        self._line_starts = [0] + [i + 1 for i, ch in enumerate(text) if ch == "\n"]

    def line_col(self, index: int) -> tuple[int, int]:
        """The 1-based line and column of the character at `index`."""
        line = bisect_right(self._line_starts, index)
        return line, index - self._line_starts[line - 1] + 1

    def span(self, start: int, end: int) -> Span:
        """The span of the characters `text[start:end]` (at least one character)."""
        line, col = self.line_col(start)
        end_line, end_col = self.line_col(max(start, end - 1))
        return Span(self.file, line, col, end_line, end_col)

    def problem(self, start: int, end: int, message: str, hint: str | None = None) -> SyntaxProblem:
        """A `SyntaxProblem` at `text[start:end]` (raise it)."""
        return SyntaxProblem(Diagnostic(self.span(start, end), message, hint))
