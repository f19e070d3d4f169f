"""docs/language.md documents exactly what the front end implements: checked mechanically.

- every ```wyki block is a complete service that passes the front end; ```wyki fragment blocks
  are parts of programs and are skipped (explicitly, by their info string); ```wyki reject
  blocks must be rejected with exactly the diagnostics of their `// expect: L:C: message` lines;
- every builtin of `nanowyki.builtins.BUILTINS` and every table method has a row in a builtin
  table of the doc;
- the doc's keyword list is the lexer's;
- the fault table lists exactly the fault kinds;
- the rule -> reject-file table names every file of tests/reject/ once, and only those, under a
  rule of the numbered list.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from nanowyki import pipeline
from nanowyki.builtins import BUILTINS, FAULT_KINDS, TABLE_METHODS
from nanowyki.framework import CompileError
from nanowyki.syntax.lexer import KEYWORDS

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "language.md"
REJECT = ROOT / "tests" / "reject"
TEXT = DOC.read_text(encoding="utf-8")

FENCE = re.compile(r"^```([^\n`]*)\n(.*?)^```\s*$", re.MULTILINE | re.DOTALL)
EXPECT = re.compile(r"//\s*expect:\s*(\d+):(\d+):\s*(.*?)\s*$")
CODE = re.compile(r"`([^`]+)`")


def wyki_blocks() -> list[tuple[str, int, str]]:
    """Every fenced block whose info string starts with `wyki`: (info, line, code)."""
    blocks = []
    for m in FENCE.finditer(TEXT):
        info = m.group(1).strip()
        if info.split(" ")[0] == "wyki":
            line = TEXT.count("\n", 0, m.start()) + 1
            blocks.append((info, line, m.group(2)))
    return blocks


BLOCKS = wyki_blocks()
KINDS = {"wyki", "wyki fragment", "wyki reject"}


def section(title: str) -> str:
    """The text of the section whose heading is `title` (up to the next heading of its level or
    higher)."""
    m = re.search(rf"^(#+) {re.escape(title)}\s*$", TEXT, re.MULTILINE)
    assert m, f"docs/language.md has no section '{title}'"
    level = len(m.group(1))
    rest = TEXT[m.end() :]
    end = re.search(rf"^#{{1,{level}}} ", rest, re.MULTILINE)
    return rest[: end.start()] if end else rest


def table_rows(text: str) -> list[list[str]]:
    """The body rows of the markdown tables in `text`, as lists of cells."""
    rows = []
    for line in text.splitlines():
        line = line.strip()
        if not line.startswith("|") or set(line) <= set("|-: "):
            continue
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", line.strip("|"))]
        rows.append(cells)
    return rows


def compile_source(code: str, line: int) -> None:
    # The name places embed paths relative to docs/; no block embeds a file.
    pipeline.frontend().run(pipeline.source_tree(str(DOC.parent / f"block{line}.wyki"), code))


# -- (1) the code blocks ------------------------------------------------------------------------


def test_the_doc_has_complete_programs_fragments_and_rejects() -> None:
    kinds = {info for info, _, _ in BLOCKS}
    assert kinds == KINDS


@pytest.mark.parametrize("info,line,code", BLOCKS, ids=[f"line{b[1]}" for b in BLOCKS])
def test_code_block(info: str, line: int, code: str) -> None:
    assert info in KINDS, f"line {line}: unknown info string '{info}' (use {sorted(KINDS)})"
    if info == "wyki fragment":
        assert not code.lstrip().startswith("service"), "a complete service is not a fragment"
        return
    if info == "wyki":
        compile_source(code, line)
        return
    want = [
        (int(m.group(1)), int(m.group(2)), m.group(3))
        for m in (EXPECT.search(text) for text in code.splitlines())
        if m
    ]
    assert want, f"line {line}: a reject block states its '// expect: L:C: message' lines"
    with pytest.raises(CompileError) as caught:
        compile_source(code, line)
    got = [
        (d.span.line if d.span else 0, d.span.col if d.span else 0, d.message)
        for d in caught.value.diagnostics
    ]
    assert got == want


def test_a_broken_block_would_fail() -> None:
    """The block test can fail: a program the front end rejects raises."""
    with pytest.raises(CompileError):
        compile_source("service s { session { close; } }", 0)


# -- (2) builtins and table methods -------------------------------------------------------------


def documented_calls() -> set[str]:
    """`name(` written in the first cell of a row of the builtin tables."""
    text = "".join(
        section(title)
        for title in ("Blocking operations (sessions only)", "Pure builtins (anywhere)")
    )
    names: set[str] = set()
    for row in table_rows(text):
        for code in CODE.findall(row[0]):
            m = re.fullmatch(r"([a-z_][a-z0-9_.]*)\(.*\)", code)
            if m:
                names.add(m.group(1))
    return names


@pytest.mark.parametrize("name", sorted(BUILTINS))
def test_every_builtin_is_in_a_builtin_table(name: str) -> None:
    assert name in documented_calls()


@pytest.mark.parametrize("method", sorted(TABLE_METHODS))
def test_every_table_method_is_in_the_method_table(method: str) -> None:
    assert f"t.{method}" in documented_calls()


def test_the_builtin_tables_document_nothing_else() -> None:
    known = set(BUILTINS) | {f"t.{m}" for m in TABLE_METHODS}
    assert documented_calls() - known == set()


# -- (3) keywords --------------------------------------------------------------------------------


def documented_keywords() -> list[str]:
    m = re.search(r"^- Keywords: (.*?)\.\n", TEXT, re.MULTILINE | re.DOTALL)
    assert m, "docs/language.md has no '- Keywords: ...' item"
    return CODE.findall(m.group(1))


def test_the_keyword_list_is_the_lexers() -> None:
    assert documented_keywords() == list(KEYWORDS)


# -- (4) faults ----------------------------------------------------------------------------------


def test_the_fault_table_lists_every_fault_kind() -> None:
    rows = table_rows(section("Runtime faults"))
    kinds = [m.group(1) for m in (CODE.fullmatch(row[0]) for row in rows) if m]
    assert sorted(kinds) == sorted(FAULT_KINDS)


# -- (5) rules and reject files ------------------------------------------------------------------


def numbered_rules() -> set[int]:
    text = section("Safety rules")
    return {int(n) for n in re.findall(r"^(\d+)\. ", text, re.MULTILINE)}


def rule_table() -> dict[str, int]:
    table: dict[str, int] = {}
    for row in table_rows(section("Rules and their reject tests")):
        if not row[0].isdigit():
            continue
        for name in CODE.findall(row[1]):
            assert name not in table, f"'{name}' is listed under rules {table[name]} and {row[0]}"
            table[name] = int(row[0])
    return table


def test_the_rules_are_numbered_without_gaps() -> None:
    rules = numbered_rules()
    assert rules == set(range(1, len(rules) + 1))


def test_every_reject_file_is_under_a_rule() -> None:
    files = {p.stem for p in REJECT.glob("*.wyki")}
    table = rule_table()
    assert sorted(files - set(table)) == [], "reject files missing from the rule table"
    assert sorted(set(table) - files) == [], "the rule table names files that do not exist"


def test_the_rule_table_uses_the_numbered_rules() -> None:
    assert set(rule_table().values()) <= numbered_rules()


def test_the_fuel_the_doc_names_is_the_compiled_code_s_and_the_interpreter_s() -> None:
    """A loop without a bound yields once every N iterations that did not wait: the same N in
    the doc, the C runtime (`WYKI_FUEL`) and the interpreters' default."""
    import inspect

    from nanowyki.interp.base import Interpreter

    said = re.search(r"it yields once every (\d+) iterations", DOC.read_text())
    assert said is not None
    header = (ROOT / "runtime_c" / "include" / "wyki_gen.h").read_text()
    define = re.search(r"#define WYKI_FUEL (\d+)", header)
    assert define is not None
    default = inspect.signature(Interpreter.start).parameters["fuel"].default
    assert int(said.group(1)) == int(define.group(1)) == default
