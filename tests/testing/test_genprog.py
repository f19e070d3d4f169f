"""The program generator: its programs pass the front end, cover the language, and are
deterministic for a seed; its literals mean what they say."""

from __future__ import annotations

import re

import pytest

from nanowyki import pipeline, purefns
from nanowyki.analysis.constants import ConstValues
from nanowyki.framework import CompileError, RunResult
from nanowyki.testing.choice import RandomChooser
from nanowyki.testing.exprs import ExprGen, Scope, Var
from nanowyki.testing.genprog import Forms, Size, generate, program_of_lines
from nanowyki.testing.types import INT, BytesT, bytes_lit, int_lit, string_lit


def front(text: str) -> RunResult:
    return pipeline.frontend().run(pipeline.source_tree("generated.wyki", text))


def consts_of(decls: str) -> dict[str, object]:
    text = f"service t {{ listen tcp 7; {decls} session {{ close; }} }}"
    return dict(front(text).facts.get(ConstValues).values)


SIZES = [Size(), Size(fns=0, stmts=2, depth=1, expr=1), Size(fns=5, stmts=6, depth=3, expr=3)]


@pytest.mark.parametrize("size", SIZES, ids=["default", "small", "large"])
@pytest.mark.parametrize("seed", range(12))
def test_generated_program_passes_the_front_end(seed: int, size: Size) -> None:
    front(generate(RandomChooser(seed), size))


@pytest.mark.parametrize("seed", range(12))
def test_a_program_of_every_form_passes_the_front_end(seed: int) -> None:
    """UDP services too, timers, sleeps, timeouts and spinning session loops."""
    front(generate(RandomChooser(seed), Size(), Forms(udp=True)))


def test_programs_of_lines_hold_no_new_forms() -> None:
    """The benchmarks' programs keep to the forms they had (`LINES_ONLY`)."""
    text = program_of_lines(300, 2)
    assert [w for w in ("every ", "sleep(", "set_timeout(", "datagram ") if w in text] == []
    assert not re.search(r"\bvar c\d+ = 0;", text)  # no spinning loop


def test_the_same_seed_gives_the_same_program() -> None:
    assert generate(RandomChooser(5)) == generate(RandomChooser(5))
    assert program_of_lines(200, 3) == program_of_lines(200, 3)


def test_different_seeds_give_different_programs() -> None:
    assert len({generate(RandomChooser(s)) for s in range(10)}) == 10


@pytest.mark.parametrize("n", [100, 300])
def test_program_of_lines_has_about_n_lines_and_is_accepted(n: int) -> None:
    text = program_of_lines(n, seed=2)
    assert n * 0.8 <= len(text.splitlines()) <= n * 1.3
    front(text)


CONSTRUCTS = {
    "function": r"\bfn f\d+\(",
    "optional result": r"-> [^{]*\? \{",
    "call in a function": r"fn f\d+[^\n]*\{\n(?:(?!    \}\n)[\s\S])*\bf\d+\(",
    "struct": r"\bstruct S\d+",
    "struct value": r"\bS\d+\(m0: ",
    "table": r"table tbl: map<",
    "shared": r"\bshared hits: int",
    "const": r"\bconst K\d+",
    "array repeat": r"\[[^\[\]]+; \d+\]",
    "let": r"\blet v\d+ = ",
    "var with type": r"\bvar v\d+: bytes\[",
    "compound assignment": r" (\+=|-=|\*=) ",
    "append": r" \+\+= ",
    "field assignment": r"\bv\d+\.m\d+ = ",
    "element assignment": r"\bv\d+\[[^\]]+\] = ",
    "else if": r"\} else if ",
    "else": r"\} else \{",
    "for constant": r"\bfor i\d+ in 0\.\.\d+ \{",
    "for len": r"\bfor i\d+ in 0\.\.min\(len\(",
    "for from a loop variable": r"\bfor i\d+ in i\d+\.\.",
    "while max": r"\bwhile w\d+ < .* max \d+ \{",
    "loop max": r"\bloop max \d+ \{",
    "input loop": r"let l\d+ = recv_line\(\d+\) else",
    "break": r"\bbreak;",
    "continue": r"\bcontinue;",
    "return none": r"\breturn none;",
    "send several": r"\bsend\([^;]*, [^;]*\);",
    "put": r"\btbl\.put\(",
    "get": r"\btbl\.get\(",
    "remove": r"\btbl\.remove\(",
    "contains": r"\btbl\.contains\(",
    "size": r"\btbl\.size\(\)",
    "parse_int": r"= parse_int\(",
    "find": r"= find\(",
    "fit": r"= fit\(",
    "recv_exact": r"recv_exact\(",
    "recv_until": r"recv_until\(",
    "recv": r"\brecv\(",
    "division": r" / ",
    "remainder": r" % ",
    "shift": r" (<<|>>) ",
    "concatenation": r" \+\+ ",
    "slice": r"\[[^\[\]]*\.\.[^\[\]]*\]",
    "narrowing slice": r"\[0\.\.min\(len\(",
    "index": r"\w\[[^\].]+\]",
    "comparison of bytes": r"\) (==|!=) \(|\w (==|!=) \"",
    "logic": r" (&&|\|\|) ",
}
BUILTINS = ["field", "nfields", "len", "itoa", "lower", "upper", "trim", "starts_with",
            "ends_with", "eq_nocase", "hash", "min", "max", "abs", "byte", "be16", "be32", "hex",
            "u16"]


def test_generator_covers_the_language() -> None:
    texts = "\n".join(generate(RandomChooser(s), Size(fns=4, stmts=5, depth=3)) for s in
                      range(60))
    missing = [name for name, pattern in CONSTRUCTS.items() if not re.search(pattern, texts)]
    missing += [f for f in BUILTINS if f"{f}(" not in texts]
    assert missing == []


@pytest.mark.parametrize("value", [b"", b"a", b'"', b"\\", b"\r\n\t\0", bytes(range(256))])
def test_string_literals_mean_their_bytes(value: bytes) -> None:
    assert consts_of(f"const X = {string_lit(value)};")["X"] == value
    assert bytes_lit(value).ty == BytesT(len(value))


@pytest.mark.parametrize("value", [0, 5, -5, purefns.INT_MAX, purefns.INT_MIN])
def test_int_literals_mean_their_value(value: int) -> None:
    assert consts_of(f"const X = {int_lit(value).text};")["X"] == value


def test_constant_division_by_zero_is_avoided() -> None:
    gen = ExprGen(RandomChooser(0), Scope())
    e = gen.binop("/", int_lit(5), int_lit(0))
    assert e.const == 0 and "/ 0" not in e.text


def test_constant_overflow_is_avoided() -> None:
    gen = ExprGen(RandomChooser(0), Scope())
    e = gen.binop("*", int_lit(purefns.INT_MAX), int_lit(2))
    assert e.text == str(purefns.INT_MAX)  # the left operand alone


def test_constant_shift_stays_in_range() -> None:
    gen = ExprGen(RandomChooser(0), Scope())
    e = gen.binop("<<", int_lit(1), int_lit(64))
    assert e.const == 1 and e.text == "(1 << 0)"


def test_narrowing_fits_the_bound_and_the_checker_agrees() -> None:
    scope = Scope(locals=[[Var("b", BytesT(64))]])
    gen = ExprGen(RandomChooser(1), scope)
    e = gen.narrow(gen.name(scope.locals[0][0]), 8)
    assert e.ty == BytesT(8)
    front(f"service t {{ listen tcp 7; fn f(b: bytes[64]) -> bytes[8] {{ return {e.text}; }}"
          " session { close; } }")


def test_slice_bound_follows_the_ranges_of_its_bounds() -> None:
    """`b[i..j]` holds at most min(B, upper(j)) - lower(i) bytes; here `b[2..min(len(b), 6)]`
    has bound 4, and the checker accepts storing it in a bytes[4]."""
    scope = Scope(locals=[[Var("b", BytesT(64))]])
    gen = ExprGen(RandomChooser(1), scope)
    b = gen.name(scope.locals[0][0])
    e = gen.sliced(b, int_lit(2), gen.call_int("min", gen.call_int("len", b), int_lit(6)))
    assert e.ty == BytesT(4)
    front(f"service t {{ listen tcp 7; fn f(b: bytes[64]) -> bytes[4] {{ return {e.text}; }}"
          " session { close; } }")


def test_a_constant_index_stays_inside_the_byte_string() -> None:
    gen = ExprGen(RandomChooser(3), Scope())
    e = gen.index(bytes_lit(b"abc"), int_lit(10))
    assert e.const in (ord("a"), ord("b"), ord("c"))


def test_a_loop_variable_has_the_range_of_its_loop() -> None:
    """In `for i in 2..5`, `b[i..min(len(b), 8)]` has bound 8 - 2 = 6, exactly as the checker
    computes it: it fits a bytes[6] and not a bytes[5]."""
    scope = Scope(locals=[[Var("b", BytesT(64)), Var("i", INT, loop=True, lo=2, hi=4)]])
    gen = ExprGen(RandomChooser(1), scope)
    b, i = (gen.name(v) for v in scope.locals[0])
    e = gen.sliced(b, i, gen.call_int("min", gen.call_int("len", b), int_lit(8)))
    assert e.ty == BytesT(6)

    def program(n: int) -> str:
        return (f"service t {{ listen tcp 7; fn f(b: bytes[64]) -> int {{ for i in 2..5 {{ "
                f"let x: bytes[{n}] = {e.text}; }} return 0; }} session {{ close; }} }}")

    front(program(6))
    with pytest.raises(CompileError, match="does not fit in bytes"):
        front(program(5))
