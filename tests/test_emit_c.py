"""nanowyki.emit_c: Cish printed as C11, every example compiled warning-free against wyki.h, and
`run-passes --emit c`."""

from __future__ import annotations

import functools
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from nanowyki import cli, pipeline
from nanowyki.emit_c import EmitError, emit_c
from nanowyki.framework.span import Span
from nanowyki.languages.cish import (
    CArrayT,
    CArrow,
    CAssign,
    CBinary,
    CBoolLit,
    CBoolT,
    CBytesInit,
    CCall,
    CCase,
    CCast,
    CDataDef,
    CExpr,
    CExprStmt,
    CFuncDef,
    CGoto,
    CIf,
    CInit,
    CInitList,
    CInt64,
    CIntLit,
    CLabel,
    CMember,
    CName,
    CPointerT,
    CReturn,
    CRuntimeT,
    CServiceDef,
    CStatus,
    CStmt,
    CStrLit,
    CStructDef,
    CStructT,
    CSwitch,
    CUInt8,
    CUInt32,
    CUnary,
    CUnit,
    CVar,
    CVoid,
)

ROOT = Path(__file__).resolve().parent.parent
INCLUDE = ROOT / "runtime_c" / "include"
EXAMPLES = sorted((ROOT / "examples").glob("*.wyki"))
CFLAGS = ["-std=c11", "-Wall", "-Wextra", "-Werror"]
STRICT = [*CFLAGS, "-pedantic", "-O2", "-Wshadow", "-Wstrict-prototypes", "-Wmissing-prototypes"]

requires_gcc = pytest.mark.skipif(shutil.which("gcc") is None, reason="needs gcc")


@functools.cache
def lowered(path: Path) -> CUnit:
    tree = pipeline.default().run(pipeline.source_tree(str(path.relative_to(ROOT)),
                                                       path.read_text())).tree  # fmt: skip
    assert isinstance(tree, CUnit)
    return tree


def compile_c(text: str, tmp_path: Path, flags: list[str], name: str = "svc") -> str:
    """gcc's diagnostics for `text` compiled to an object file ('' when there are none)."""
    src = tmp_path / f"{name}.c"
    src.write_text(text)
    done = subprocess.run(
        ["gcc", *flags, "-I", str(INCLUDE), "-c", "-o", str(tmp_path / f"{name}.o"), str(src)],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0 or done.stderr, "gcc failed without a diagnostic"
    return done.stderr


def expr_text(e: CExpr) -> str:
    """The C of `e`, as the emitter prints it in `e;`."""
    unit = CUnit("t", (CFuncDef("f", (), CVoid(), (), (CExprStmt(e),)),))
    text = emit_c(unit)
    body = text[text.index("f(void)\n{\n") + len("f(void)\n{\n"):]
    return body.split("\n")[0].strip().removesuffix(";")


a, b, c, p = CName("a"), CName("b"), CName("c"), CName("p")


# -- every example -------------------------------------------------------------------------------


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_emitting_is_deterministic(example: Path) -> None:
    unit = lowered(example)
    assert emit_c(unit) == emit_c(unit)
    again = pipeline.default().run(pipeline.source_tree(str(example.relative_to(ROOT)),
                                                        example.read_text())).tree  # fmt: skip
    assert isinstance(again, CUnit) and emit_c(again) == emit_c(unit)


@requires_gcc
@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_every_example_compiles_warning_free(example: Path, tmp_path: Path) -> None:
    assert compile_c(emit_c(lowered(example)), tmp_path, CFLAGS) == ""


@requires_gcc
@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_every_example_compiles_pedantic_optimized(example: Path, tmp_path: Path) -> None:
    # -O2 enables the flow warnings (-Wmaybe-uninitialized); the runtime's own build flags
    assert compile_c(emit_c(lowered(example)), tmp_path, STRICT) == ""


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_line_directives_name_the_wyki_file(example: Path) -> None:
    text = emit_c(lowered(example))
    name = str(example.relative_to(ROOT))
    lines = [int(n) for n in re.findall(rf'^#line (\d+) "{re.escape(name)}"$', text, re.M)]
    assert lines, "no #line names the .wyki file"
    assert all(1 <= n <= len(example.read_text().splitlines()) for n in lines)


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_exactly_one_include(example: Path) -> None:
    text = emit_c(lowered(example))
    assert re.findall(r"^#include .*$", text, re.M) == ['#include "wyki.h"']
    assert text.index("#define WYKI_FUEL") < text.index('#include "wyki.h"')


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_returning_to_c_lines_counts_them_right(example: Path) -> None:
    # a `#line N "x.c"` makes the next line N: it must be that line's real number
    lines = emit_c(lowered(example), c_file="x.c").split("\n")
    for i, line in enumerate(lines):
        m = re.fullmatch(r'#line (\d+) "x\.c"', line)
        if m:
            assert int(m.group(1)) == i + 2


# -- precedence ----------------------------------------------------------------------------------


def test_parentheses_only_where_needed() -> None:
    assert expr_text(CBinary("*", CBinary("+", a, b), c)) == "(a + b) * c"  # type: ignore[arg-type]
    assert expr_text(CBinary("+", a, CBinary("*", b, c))) == "a + b * c"  # type: ignore[arg-type]
    assert expr_text(CBinary("+", CBinary("*", a, b), c)) == "a * b + c"  # type: ignore[arg-type]


def test_left_associativity() -> None:
    assert expr_text(CBinary("-", CBinary("-", a, b), c)) == "a - b - c"  # type: ignore[arg-type]
    assert expr_text(CBinary("-", a, CBinary("-", b, c))) == "a - (b - c)"  # type: ignore[arg-type]


def test_cish_operators() -> None:
    assert expr_text(CBinary("&&", CBinary("==", a, b), c)) == "a == b && c"
    assert expr_text(CBinary("==", CBinary("&&", a, b), c)) == "(a && b) == c"
    assert expr_text(CBinary("!=", CBinary("&", a, b), c)) == "(a & b) != c"
    assert expr_text(CUnary("!", CBinary("==", a, b))) == "!(a == b)"
    assert expr_text(CUnary("~", CName("a"))) == "~a"


def test_parentheses_gcc_asks_for() -> None:
    # not needed by the grammar, but -Wparentheses / -Wlogical-not-parentheses reject them
    assert expr_text(CBinary("||", a, CBinary("&&", b, c))) == "a || (b && c)"
    assert expr_text(CBinary("&", a, CBinary("==", b, c))) == "a & (b == c)"
    assert expr_text(CBinary("|", a, CBinary("&", b, c))) == "a | (b & c)"
    assert expr_text(CBinary("==", CUnary("!", a), b)) == "(!a) == b"
    assert expr_text(CBinary("<", CBinary("<", a, b), c)) == "(a < b) < c"


def test_postfix_and_unary() -> None:
    assert expr_text(CMember(CUnary("*", p), "x")) == "p->x"
    assert expr_text(CMember(CUnary("*", CBinary("==", a, b)), "x")) == "(a == b)->x"
    assert expr_text(CUnary("*", CMember(p, "x"))) == "*p.x"
    assert expr_text(CUnary("&", CArrow(CName("f"), "timed_out"))) == "&f->timed_out"
    assert expr_text(CUnary("&", CUnary("&", a))) == "&(&a)"  # never the label address `&&a`
    assert expr_text(CCast(CUInt32(), CCall("sizeof", (a,)))) == "(uint32_t)sizeof(a)"
    assert expr_text(CMember(CCast(CStructT("s"), a), "x")) == "((struct s)a).x"
    assert expr_text(CCall("g", (CBinary("==", a, b), c))) == "g(a == b, c)"


def test_literals() -> None:
    assert expr_text(CIntLit(5, CUInt32())) == "5u"
    assert expr_text(CIntLit(5, CInt64())) == "5"
    assert expr_text(CIntLit(2**40, CInt64())) == "INT64_C(1099511627776)"
    assert expr_text(CIntLit(-(2**40), CInt64())) == "-INT64_C(1099511627776)"
    assert expr_text(CIntLit(-(2**63), CInt64())) == "WYKI_INT_MIN"
    assert expr_text(CUnary("~", CIntLit(-1, CInt64()))) == "~-1"
    assert expr_text(CMember(CIntLit(-1, CStatus()), "x")) == "(-1).x"  # nonsense, but grouped
    assert expr_text(CBoolLit(True)) == "true"
    assert expr_text(CStrLit('a"b\\c\n\x01é?')) == r'"a\"b\\c\n\x01\xc3\xa9\?"'
    assert expr_text(CStrLit("\x01g")) == r'"\x01g"'  # g cannot continue the \x escape
    assert expr_text(CStrLit("\x01a")) == r'"\x01\x61"'  # ... but a hex digit would


def test_negative_unsigned_literal_is_a_compiler_bug() -> None:
    with pytest.raises(EmitError, match="negative literal"):
        expr_text(CIntLit(-1, CUInt32()))


def test_unknown_form_is_a_compiler_bug() -> None:
    class Weird(CExpr):
        pass

    with pytest.raises(EmitError, match="no C form for the expression Weird"):
        expr_text(Weird())


# -- declarations --------------------------------------------------------------------------------


def test_structs_in_dependency_order_and_prototypes_first() -> None:
    outer = CStructDef("outer", (CVar("in", CArrayT(CStructT("inner"), 2)),))
    inner = CStructDef("inner", (CVar("x", CInt64()), CVar("d", CArrayT(CUInt8(), 4))))
    late = CFuncDef("late", (), CStatus(), (), (CReturn(CIntLit(0, CStatus())),))
    early = CFuncDef("early", (), CStatus(), (), (CReturn(CCall("late", ())),))
    text = emit_c(CUnit("t", (outer, early, inner, late)))
    assert text.index("struct inner {") < text.index("struct outer {")
    assert "\tstruct inner in[2];\n" in text and "\tuint8_t d[4];\n" in text
    assert text.index("static int late(void);") < text.index("static int early(void)\n")


@requires_gcc
def test_a_function_nothing_calls_compiles(tmp_path: Path) -> None:
    lonely = CFuncDef("fn_lonely", (CVar("out", CPointerT(CInt64())),), CStatus(), (),
                      (CReturn(CIntLit(0, CStatus())),))  # fmt: skip
    step = CFuncDef("step", (), CStatus(), (), (CReturn(CName("WYKI_DONE")),))
    text = emit_c(CUnit("t", (lonely, step)))
    assert "static int fn_lonely(int64_t *out) __attribute__((unused));" in text
    assert "step_entry" not in text  # no descriptor names the step
    assert compile_c(text, tmp_path, STRICT) == ""


@requires_gcc
def test_a_literal_whose_length_no_declared_type_names_compiles(tmp_path: Path) -> None:
    """`reply(0)` sends the literal "0": its `struct wyki_bytes_1` is defined although no
    declared type is `bytes[1]` (found by the generated-program fuzzer)."""
    text = ("service gen {\n    listen udp 7000;\n    shared flag: bool = false;\n"
            "    datagram pkt: bytes[64] {\n        flag = false;\n        reply(0);\n"
            "    }\n}\n")  # fmt: skip
    unit = pipeline.default().run(pipeline.source_tree("gen.wyki", text)).tree
    assert isinstance(unit, CUnit)
    c = emit_c(unit)
    assert "struct wyki_bytes_1 {" in c
    assert compile_c(c, tmp_path, CFLAGS) == ""


def test_declarators() -> None:
    params = (CVar("data", CPointerT(CUInt8())), CVar("n", CUInt32()),
              CVar("out", CPointerT(CBoolT())), CVar("s", CPointerT(CVoid())))  # fmt: skip
    fn = CFuncDef("g", params, CStatus(), (CVar("x", CPointerT(CArrayT(CInt64(), 3))),),
                  (CReturn(CIntLit(0, CStatus())),))  # fmt: skip
    text = emit_c(CUnit("t", (fn,)))
    # byte-string parameters are read-only views
    assert "static int g(const uint8_t *data, uint32_t n, bool *out, void *s)" in text
    assert "\tint64_t (*x)[3] __attribute__((unused));\n" in text


def test_unread_parameters_are_voided_and_unread_locals_marked_unused() -> None:
    fn = CFuncDef("g", (CVar("s", CPointerT(CVoid())),), CStatus(),
                  (CVar("st", CStatus()), CVar("y", CInt64()), CVar("z", CInt64())),
                  (CAssign(CName("y"), CIntLit(1, CInt64())),
                   CAssign(CName("z"), CName("z")), CReturn(CIntLit(0, CStatus()))))  # fmt: skip
    text = emit_c(CUnit("t", (fn,)))
    assert "(void)s;" in text
    assert "\tint st __attribute__((unused));\n" in text
    assert "\tint64_t y __attribute__((unused));\n" in text
    assert "\tint64_t z;\n" in text  # read by `z = z`
    assert "(void)st;" not in text and "(void)y;" not in text  # never read before it is set


def test_byte_data() -> None:
    item = CStructDef("wyki_bytes_3", (CVar("len", CUInt32()), CVar("data", CArrayT(CUInt8(), 3))))
    init = CInitList((CInit("len", CIntLit(3, CUInt32())), CInit("data", CBytesInit(b"*/x"))))
    text = emit_c(CUnit("t", (item, CDataDef("lit_0", CStructT("wyki_bytes_3"), init))))
    assert ('static const struct wyki_bytes_3 lit_0 = '
            '{ .len = 3u, .data = { 0x2a, 0x2f, 0x78 } /* "*\\/x" */ };') in text
    long = CDataDef("lit_1", CArrayT(CUInt8(), 30), CBytesInit(bytes(range(65, 95))))
    text = emit_c(CUnit("t", (long,)))
    assert 'static const uint8_t lit_1[30] = { /* "ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\\\]^" */' in text
    assert "\t0x41, 0x42," in text


def test_service_descriptor_names_the_step_adapter() -> None:
    step = CFuncDef("step", (CVar("f", CPointerT(CStructT("frame"))),
                             CVar("c", CPointerT(CRuntimeT("struct wyki_conn")))), CStatus(), (),
                    (CReturn(CName("WYKI_DONE")),))  # fmt: skip
    svc = CServiceDef(CInitList((CInit("name", CStrLit("s")), CInit("step", CName("step")))))
    text = emit_c(CUnit("s", (CStructDef("frame", (CVar("state", CUInt32()),)), step, svc)))
    assert "static int step_entry(void *frame, struct wyki_conn *c)\n{\n\treturn step(frame, c);" \
        in text
    assert "const struct wyki_service wyki_service = { .name = \"s\", .step = step_entry };" \
        in text


# -- statements ----------------------------------------------------------------------------------


def body_text(body: tuple[CStmt, ...], locals_: tuple[CVar, ...] = ()) -> str:
    text = emit_c(CUnit("t", (CFuncDef("g", (), CStatus(), locals_, body),)), c_file="t.c")
    return text[text.index("static int g(void)\n{\n") + len("static int g(void)\n{\n"):]


def test_statement_shapes() -> None:
    body = (
        CSwitch(CName("s"), (CCase(CIntLit(0, CUInt32()), (CGoto("l_a"),)),
                             CCase(None, (CReturn(CIntLit(1, CStatus())),)))),
        CLabel("l_a"),
        CIf(CName("x"), (CGoto("l_a"),), (CGoto("l_b"),)),
        CIf(CName("x"), (CAssign(CName("y"), CName("z")),), ()),
        CIf(CName("x"), (CAssign(CName("y"), CName("z")),),
            (CIf(CName("w"), (CReturn(None),), (CAssign(CName("y"), CName("w")),)),)),
        CLabel("l_unused"),
        CExprStmt(CCall("h", ())),
        CLabel("l_b"),
    )  # fmt: skip
    assert body_text(body) == (
        "\tswitch (s) {\n"
        "\tcase 0u:\n\t\tgoto l_a;\n"
        "\tdefault:\n\t\treturn 1;\n"
        "\t}\n"
        "l_a:\n"
        "\tif (x) goto l_a; else goto l_b;\n"
        "\tif (x) {\n\t\ty = z;\n\t}\n"
        "\tif (x) {\n\t\ty = z;\n\t} else if (w) {\n\t\treturn;\n\t} else {\n\t\ty = w;\n\t}\n"
        "/* l_unused: (no goto) */\n"
        "\th();\n"
        "l_b:;\n"
        "}\n"
    )


def test_line_directives_follow_spans() -> None:
    here = Span("x.wyki", 7, 1, 7, 10)
    there = Span("x.wyki", 9, 1, 9, 10)
    body = (
        CAssign(CName("y"), CName("z"), span=here),
        CAssign(CName("y"), CName("z")),  # no span: back to C lines
        CIf(CName("x"), (CAssign(CName("y"), CName("z")),), (), span=there),  # inherited inside
        CReturn(CIntLit(0, CStatus()), span=there),
    )
    text = emit_c(CUnit("t", (CFuncDef("g", (), CStatus(), (), body),)), c_file="t.c")
    lines = text.split("\n")
    start = lines.index("static int g(void)") + 2
    assert lines[start:] == [
        '#line 7 "x.wyki"', "\ty = z;",
        f'#line {start + 4} "t.c"', "\ty = z;",
        '#line 9 "x.wyki"', "\tif (x) {",
        '#line 9 "x.wyki"', "\t\ty = z;",
        "\t}",
        '#line 9 "x.wyki"', "\treturn 0;",
        f'#line {start + 13} "t.c"', "}", "",
    ]


# -- the runtime header --------------------------------------------------------------------------

HARNESS = r"""
#include "wyki.h"
#include <stdio.h>
static int64_t now = 100;
int64_t wyki_now_ms(void) { return now; }
static int failures;
#define CHECK(x) do { if (!(x)) { printf("FAIL %d: %s\n", __LINE__, #x); failures++; } } while (0)
int main(void)
{
	uint8_t txb[8];
	struct wyki_conn c = { .tx = { txb, sizeof(txb), 0, 0 } };
	uint32_t sent = 0;
	int64_t fuel = 2, t = -1;

	CHECK(!wyki_tx_send(&c, (const uint8_t *)"0123456789", 10, &sent) && sent == 8);
	c.tx.head = c.tx.tail = 0;
	CHECK(wyki_tx_send(&c, (const uint8_t *)"0123456789", 10, &sent) && sent == 0);
	CHECK(memcmp(txb, "89", 2) == 0 && c.tx.tail == 2);
	CHECK(wyki_tx_send_int(&c, -42, &sent) && memcmp(txb + 2, "-42", 3) == 0);
	CHECK(wyki_tx_send_bool(&c, false, &sent) == false && sent == 3);
	CHECK(wyki_fuel_spend(&fuel) && !wyki_fuel_spend(&fuel) && fuel == WYKI_FUEL);
	wyki_set_timeout(&t, -5);
	CHECK(t == 0);
	CHECK(wyki_deadline(0) == 0 && wyki_deadline(50) == 150);
	CHECK(wyki_deadline(WYKI_INT_MAX) == WYKI_INT_MAX && wyki_after_ms(5) == 105);
	CHECK(wyki_sleep_done(&c, 100) && !wyki_sleep_done(&c, 101) && c.wake_ms == 101);
	CHECK(!wyki_peer_closed_all(&c));
	CHECK(wyki_table_status(WYKI_TABLE_OK) == 0);
	CHECK(wyki_table_status(WYKI_TABLE_FULL) == WYKI_FAULT_STATUS(WYKI_FAULT_TABLE_FULL));
	CHECK(wyki_table_status(WYKI_TABLE_TOO_BIG) == WYKI_ST_BOUNDS);
	printf("%d failures\n", failures);
	return failures != 0;
}
"""


@requires_gcc
def test_inline_runtime_functions(tmp_path: Path) -> None:
    src = tmp_path / "harness.c"
    src.write_text(HARNESS)
    exe = tmp_path / "harness"
    built = subprocess.run(["gcc", *CFLAGS, "-I", str(INCLUDE), "-o", str(exe), str(src)],
                           capture_output=True, text=True, timeout=120, check=False)  # fmt: skip
    assert built.returncode == 0, built.stderr
    ran = subprocess.run([str(exe)], capture_output=True, text=True, timeout=30, check=False)
    assert ran.stdout == "0 failures\n", ran.stdout


# -- the command ---------------------------------------------------------------------------------


def test_cli_emit_c(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["run-passes", str(ROOT / "examples" / "echo.wyki"), "--emit", "c"]) == 0
    out = capsys.readouterr().out
    assert '#include "wyki.h"' in out and "const struct wyki_service wyki_service" in out


@requires_gcc
def test_cli_emit_c_to_a_file_compiles(tmp_path: Path) -> None:
    target = tmp_path / "echo.c"
    argv = ["run-passes", str(ROOT / "examples" / "echo.wyki"), "--emit", "c", "-o", str(target)]
    assert cli.main(argv) == 0
    text = target.read_text()
    assert f'"{target}"' in text  # the #line back to C lines names the file written
    assert compile_c(text, tmp_path, CFLAGS, name="echo") == ""


def test_cli_emit_c_needs_the_whole_pipeline(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["run-passes", str(ROOT / "examples" / "echo.wyki"), "--emit", "c",
            "--stop-after", "lower-waits"]
    assert cli.main(argv) == 2
    assert "--emit c prints the Cish" in capsys.readouterr().err
