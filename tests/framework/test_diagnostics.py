"""`render`: the headline, the source line, a caret under the span, and a hint."""

from __future__ import annotations

from nanowyki.framework import Diagnostic, Span, render
from nanowyki.framework.diagnostics import CONTEXT, WIDTH


def shown(source: str, line: int, col: int, end_line: int, end_col: int) -> list[str]:
    diag = Diagnostic(Span("f.wyki", line, col, end_line, end_col), "bad", hint="fix it")
    return render(diag, source).splitlines()


def test_a_span_on_one_line_is_underlined_exactly() -> None:
    assert shown("let x = oops;\n", 1, 9, 1, 12) == [
        "f.wyki:1:9: error: bad",
        "    1 | let x = oops;",
        "      |         ^~~~",
        "hint: fix it",
    ]


def test_tabs_before_the_span_are_kept_so_the_caret_lines_up() -> None:
    assert shown("\tx = oops;\n", 1, 6, 1, 9)[2] == "      | \t    ^~~~"


def test_a_span_running_onto_later_lines_says_where_it_ends() -> None:
    source = "if a {\n  b;\n}\n"
    assert shown(source, 1, 1, 3, 1)[1:3] == [
        "    1 | if a {",
        "      | ^~~~~~ (to line 3)",
    ]


def test_a_long_line_is_cut_to_a_window_around_the_span() -> None:
    text = "x" * 500 + " oops " + "y" * 500
    col = 502  # `oops`
    out = shown(text, 1, col, 1, col + 3)
    line, caret = out[1], out[2]
    assert line.startswith("    1 | ...") and line.endswith("...")
    assert len(line) <= len("    1 | ") + WIDTH + 6
    # The caret stands under `oops` in the cut line.
    assert line[caret.index("^")] == "o" and line[caret.index("^") :].startswith("oops")
    assert caret.endswith("^~~~")
    assert line.index("oops") - len("    1 | ...") == CONTEXT


def test_a_long_line_with_the_span_at_its_start_is_cut_only_at_the_end() -> None:
    text = "oops" + "y" * 300
    line, caret = shown(text, 1, 1, 1, 4)[1:3]
    assert line.startswith("    1 | oops") and line.endswith("...")
    assert caret == "      | ^~~~"


def test_a_long_span_in_a_long_line_is_underlined_to_the_window_edge() -> None:
    text = "a" * 10 + "b" * 400
    line, caret = shown(text, 1, 11, 1, 410)[1:3]
    assert len(caret) <= len(line)


def test_without_source_or_span_only_the_headline_and_hint() -> None:
    assert render(Diagnostic(None, "bad", hint="h"), None) == "error: bad\nhint: h"
