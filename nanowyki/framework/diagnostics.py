"""User diagnostics: what a compiler says about a bad program.

A `Diagnostic` has a span, a message and an optional hint. Front-end passes collect them and
raise `CompileError` with all the independent errors they found; `render` prints each one like
a good compiler does::

    examples/bad.wyki:4:13: error: unknown name 'lenght'
        4 |     let n = lenght(line);
          |             ^~~~~~
    hint: did you mean 'len'?
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .span import Span


@dataclass(frozen=True, slots=True)
class Diagnostic:
    span: Span | None
    message: str
    hint: str | None = None
    severity: str = "error"

    def headline(self) -> str:
        where = f"{self.span}: " if self.span else ""
        return f"{where}{self.severity}: {self.message}"


class CompileError(Exception):
    """A program was rejected: carries every diagnostic found."""

    def __init__(self, diagnostics: Iterable[Diagnostic]) -> None:
        self.diagnostics = sorted(
            diagnostics,
            key=lambda d: (d.span.file, d.span.line, d.span.col) if d.span else ("", 0, 0),
        )
        super().__init__("\n".join(d.headline() for d in self.diagnostics))


# A source line longer than this is shown as a window around the span, cut with "...".
WIDTH = 100
CONTEXT = 30  # characters kept before the span in a cut line


def render(diag: Diagnostic, source: str | None) -> str:
    """The diagnostic with the source line and a caret under its span. A span running onto
    later lines is underlined to the end of its first line and says where it ends; a long line
    is cut to a window around the span."""
    lines = [diag.headline()]
    span = diag.span
    if span is not None and source is not None:
        text_lines = source.splitlines()
        if 1 <= span.line <= len(text_lines):
            text = text_lines[span.line - 1]
            number = str(span.line)
            gutter = " " * len(number)
            end = span.end_col if span.end_line == span.line else len(text)
            width = max(1, end - span.col + 1)
            start = 0
            if len(text) > WIDTH:  # cut: keep CONTEXT characters before the span
                start = max(0, span.col - 1 - CONTEXT)
                stop = min(len(text), start + WIDTH)
                width = min(width, stop - (span.col - 1))
                text = ("..." if start else "") + text[start:stop] + (
                    "..." if stop < len(text) else "")  # fmt: skip
                start -= 3 if start else 0
            # Columns count characters: keep the line's tabs under the caret so it lines up.
            lead = "".join(ch if ch == "\t" else " " for ch in text[: span.col - 1 - start])
            more = f" (to line {span.end_line})" if span.end_line > span.line else ""
            lines.append(f"    {number} | {text}")
            lines.append(f"    {gutter} | {lead}^{'~' * (width - 1)}{more}")
    if diag.hint:
        lines.append(f"hint: {diag.hint}")
    return "\n".join(lines)
