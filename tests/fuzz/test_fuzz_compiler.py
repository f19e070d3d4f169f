"""Fuzzing the compiler: no input makes it crash (issue #8).

Random text, token soups and mutated programs (nanowyki.testing.mutate) go through the front
end, as `nanowyki check` runs it; a program the front end accepts goes on through every
lowering pass with checking on (each pass's output checked against its language) and is printed
as C. The verdict is either success or a `CompileError` whose every diagnostic has a position
in the file and renders as `file:line:col: error: ...`. Anything else, including a
`CompileError` raised after the front end, is a compiler bug.

Random well-typed programs (nanowyki.testing.genprog) take the same road, and some of their C is
compiled by cc with -Wall -Wextra -Werror.

Budget: tests/fuzz/budget.py (fixed and derandomized; NANOWYKI_FUZZ_SECONDS for a long run).
Crashes found by these fuzzers are pinned by tests/fuzz/test_fuzz_regressions.py.
"""

from __future__ import annotations

import contextlib
import io
import subprocess
from pathlib import Path

from hypothesis import strategies as st

from nanowyki import pipeline
from nanowyki.build import BASE_FLAGS, RUNTIME
from nanowyki.cli import main
from nanowyki.emit_c import emit_c
from nanowyki.framework import CompileError, RunOptions, render
from nanowyki.testing.genprog import Forms, wyki_programs
from nanowyki.testing.mutate import (
    Mutant,
    corpus,
    mutants,
    mutated_generated_programs,
    random_texts,
    token_soups,
)
from tests.fuzz.budget import fuzz
from tests.fuzz.tools import require_tool

CORPUS = corpus()
EXAMPLES = tuple(p for p in CORPUS if p.parent.name == "examples")


def compile_or_diagnose(m: Mutant) -> str | CompileError:
    """The C for `m`, or the CompileError the front end rejected it with (checked to be well
    formed); any other exception propagates."""
    tree = pipeline.source_tree(m.name, m.text)
    try:
        front = pipeline.frontend().run(tree)
    except CompileError as err:
        assert_well_formed(err, m)
        return err
    whole = pipeline.default()
    first_lowering = whole.passes[len(pipeline.frontend().passes)].name
    result = whole.run(front.tree, RunOptions(start_at=first_lowering), facts=front.facts)
    return emit_c(result.tree)


def assert_well_formed(err: CompileError, m: Mutant) -> None:
    assert err.diagnostics, "a CompileError without diagnostics"
    n_lines = m.text.count("\n") + 1
    for diag in err.diagnostics:
        span = diag.span
        assert span is not None, f"a diagnostic without a position: {diag.message}"
        assert span.file == m.name
        assert 1 <= span.line <= n_lines and span.col >= 1, (span, diag.message)
        shown = render(diag, m.text)
        assert shown.startswith(f"{m.name}:{span.line}:{span.col}: error: "), shown
        assert diag.message.strip(), shown


def check_input(m: Mutant) -> None:
    compile_or_diagnose(m)


def test_random_text_gets_diagnostics_only() -> None:
    fuzz(random_texts(), check_input, examples=300)


def test_token_soups_get_diagnostics_only() -> None:
    fuzz(token_soups(), check_input, examples=300)


def test_mutated_examples_and_reject_programs_get_diagnostics_or_c() -> None:
    fuzz(mutants(CORPUS), check_input, examples=400)


def test_mutated_examples_get_diagnostics_or_c() -> None:
    """Mutants of the five examples only: most of them pass the parser, many the front end."""
    fuzz(mutants(EXAMPLES), check_input, examples=100)


def test_mutated_generated_programs_get_diagnostics_or_c() -> None:
    fuzz(mutated_generated_programs(), check_input, examples=60)


def test_random_bytes_through_the_command_line(tmp_path: Path) -> None:
    """`nanowyki check` on arbitrary bytes: exit 0, 1 (diagnostics) or 2 (not UTF-8), never 3."""
    path = tmp_path / "fuzz.wyki"

    def check(data: bytes) -> None:
        path.write_bytes(data)
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            rc = main(["check", str(path)])
        assert rc in (0, 1, 2), err.getvalue()
        assert "Traceback" not in err.getvalue()
        if rc == 1:
            assert err.getvalue().startswith(f"{path}:"), err.getvalue()
        if rc == 2:
            assert err.getvalue() == f"nanowyki: error: cannot read '{path}': not UTF-8 text\n"

    fuzz(st.binary(max_size=200), check, examples=200)


def test_generated_programs_compile_to_c_with_checking_on() -> None:
    def check(text: str) -> None:
        out = compile_or_diagnose(Mutant("<generated>.wyki", text, "generated"))
        assert isinstance(out, str), out  # well-typed by construction: never rejected

    fuzz(wyki_programs(forms=Forms(udp=True)), check, examples=40)


def test_generated_programs_c_compiles_with_werror(tmp_path: Path) -> None:
    cc = require_tool("cc", "gcc")
    c_file = tmp_path / "gen.c"
    include = ["-I", str(RUNTIME / "include"), "-I", str(RUNTIME / "common")]

    def check(text: str) -> None:
        out = compile_or_diagnose(Mutant("<generated>.wyki", text, "generated"))
        assert isinstance(out, str), out
        c_file.write_text(out)
        cmd = [cc, *BASE_FLAGS, "-fsyntax-only", *include, str(c_file)]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
        assert done.returncode == 0, done.stderr

    fuzz(wyki_programs(forms=Forms(udp=True)), check, examples=10)
