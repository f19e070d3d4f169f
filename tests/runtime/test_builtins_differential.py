"""The C builtins (runtime_c/include/wyki_builtins.h) against their reference, nanowyki/purefns.py.

runtime_c/tests/builtins_driver.c (built with -fsanitize=address,undefined) reads operations
from stdin, one a line, and prints one result a line; every case here is rendered both ways
and the lines must be equal: same values, same `none`s, same faults of the same kind.  One
driver process runs a whole batch of cases.  The driver gives every input and destination a
heap block of exactly its size (the destination: the static bound the emitter would use), so
the sanitizers catch any access one byte out.
"""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nanowyki import purefns
from tests.runtime.conftest import make, requires_toolchain

Arg = int | bytes
Case = tuple[str, tuple[Arg, ...]]

INT_MIN = purefns.INT_MIN
INT_MAX = purefns.INT_MAX
DRIVER_TIMEOUT = 120  # seconds, a bound on a hung driver, not a speed assertion


def _concat(a: bytes, b: bytes, cap: int) -> bytes:
    """`a ++ b` into a place of bound `cap`: as the interpreter's `++=` (fault `bounds`)."""
    v = a + b
    if len(v) > cap:
        raise purefns.Fault("bounds")
    return v


def _bytes_eq(a: bytes, b: bytes) -> bool:
    return a == b


# Every driver operation: its argument kinds (i int, b bytes) and its reference.
OPS: dict[str, tuple[str, Callable[..., Any]]] = {
    "add": ("ii", purefns.add), "sub": ("ii", purefns.sub), "mul": ("ii", purefns.mul),
    "div": ("ii", purefns.div), "mod": ("ii", purefns.mod), "shl": ("ii", purefns.shl),
    "shr": ("ii", purefns.shr), "and": ("ii", purefns.and_), "or": ("ii", purefns.or_),
    "xor": ("ii", purefns.xor), "min": ("ii", purefns.min_), "max": ("ii", purefns.max_),
    "neg": ("i", purefns.neg), "not": ("i", purefns.not_), "abs": ("i", purefns.abs_),
    "itoa": ("i", purefns.itoa), "hex": ("i", purefns.hex_), "byte": ("i", purefns.byte),
    "be16": ("i", purefns.be16), "be32": ("i", purefns.be32),
    "len": ("b", purefns.len_), "nfields": ("b", purefns.nfields),
    "lower": ("b", purefns.lower), "upper": ("b", purefns.upper), "trim": ("b", purefns.trim),
    "trimview": ("b", purefns.trim), "parse_int": ("b", purefns.parse_int),
    "hash": ("b", purefns.hash_),
    "index": ("bi", purefns.index), "field": ("bi", purefns.field),
    "fieldview": ("bi", purefns.field), "u16": ("bi", purefns.u16),
    "u32": ("bi", purefns.u32), "fit": ("bi", purefns.fit),
    "slice": ("bii", purefns.slice_), "sliceview": ("bii", purefns.slice_),
    "find": ("bb", purefns.find), "starts_with": ("bb", purefns.starts_with),
    "ends_with": ("bb", purefns.ends_with), "eq_nocase": ("bb", purefns.eq_nocase),
    "eq": ("bb", _bytes_eq), "concat": ("bbi", _concat), "append": ("bbi", _concat),
}  # fmt: skip

# Operations whose int argument is an index or a capacity into the byte string.
INDEXED = {"index", "field", "fieldview", "u16", "u32", "fit", "slice", "sliceview"}

INT_EDGES = [
    INT_MIN, INT_MIN + 1, -(2**32), -65536, -256, -64, -63, -2, -1, 0, 1, 2, 7, 10, 15, 16,
    62, 63, 64, 65, 255, 256, 65535, 65536, 2**32 - 1, 2**32, 2**62, INT_MAX - 1, INT_MAX,
]  # fmt: skip
BYTE_EDGES = [
    b"", b" ", b"\t", b"\r\n", b"\x00", b"\xff", b"  ", b" \t ", b" a  b ", b"\tx\t", b"a b\tc",
    b"-", b"0", b"-0", b"007", b"+1", b"1_0", b" 1", b"1 ", b"--1", b"12a",
    b"9223372036854775807", b"9223372036854775808", b"-9223372036854775808",
    b"-9223372036854775809", b"99999999999999999999", b"AZaz@[`{", b"GET", b"get",
    b"\x00\x01", b"\xff\xfe\xfd\xfc", b"ab", b"aab", b"abab", b"aaaa",
]  # fmt: skip
ALPHABET = b" \t\r\n\x00\xff-+_09AZaz@[`{\x7f\x80\xc9\xe9"


def render(value: object) -> str:
    """A reference value as the driver prints it."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return f"bool {int(value)}"
    if isinstance(value, int):
        return f"int {value}"
    if isinstance(value, bytes):
        return "bytes x" + value.hex()
    raise TypeError(f"unexpected reference value {value!r}")


def expected(name: str, args: Sequence[Arg]) -> str:
    # purefns.parse_int converts with Python's int(), which refuses more than 4300 digits
    # (sys.int_info.str_digits_check_threshold) with a ValueError: a limit of the host
    # language, not of WYKI.  The C code returns the value; compare with the unlimited one.
    limit = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(0)
    try:
        return render(OPS[name][1](*args))
    except purefns.Fault as fault:
        return f"fault {fault.kind}"
    finally:
        sys.set_int_max_str_digits(limit)


def encode(name: str, args: Sequence[Arg]) -> str:
    words = [name]
    for arg in args:
        words.append("x" + arg.hex() if isinstance(arg, bytes) else str(arg))
    return " ".join(words)


@pytest.fixture(scope="module")
def driver(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("builtins_driver")
    result = make(out, "builtins-driver")
    assert result.returncode == 0, result.stdout + result.stderr
    return out / "tests" / "builtins_driver"


def run_batch(driver: Path, cases: Sequence[Case]) -> None:
    """Run every case in one driver process and compare each line with purefns."""
    env = dict(
        os.environ,
        ASAN_OPTIONS="abort_on_error=0:exitcode=97",
        UBSAN_OPTIONS="halt_on_error=1:exitcode=98:print_stacktrace=1",
    )
    result = subprocess.run(
        [str(driver)],
        input="".join(encode(n, a) + "\n" for n, a in cases),
        capture_output=True,
        text=True,
        timeout=DRIVER_TIMEOUT,
        check=False,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == "", result.stderr
    got = result.stdout.splitlines()
    assert len(got) == len(cases), result.stdout
    for (name, args), line in zip(cases, got, strict=True):
        want = expected(name, args)
        assert line == want, f"{encode(name, args)}: C gave {line!r}, purefns {want!r}"


# -- cases -----------------------------------------------------------------------------------

ints = st.one_of(
    st.sampled_from(INT_EDGES),
    st.integers(INT_MIN, INT_MAX),
    st.integers(-70, 70),
)
strings = st.one_of(
    st.sampled_from(BYTE_EDGES),
    st.binary(max_size=24),
    st.lists(st.sampled_from(ALPHABET), max_size=32).map(bytes),
    st.lists(st.sampled_from(b"ab"), max_size=40).map(bytes),  # periodic: stresses find
    st.builds(
        lambda neg, digits: (b"-" if neg else b"") + digits.encode(),
        st.booleans(),
        st.text("0123456789", min_size=1, max_size=24),
    ),
    st.builds(lambda unit, k: unit * k, st.binary(min_size=1, max_size=4), st.integers(1, 1500)),
)


@st.composite
def case(draw: st.DrawFn) -> Case:
    name = draw(st.sampled_from(sorted(OPS)))
    sig = OPS[name][0]
    if sig == "ii" and name in ("shl", "shr"):
        return name, (draw(ints), draw(st.one_of(st.integers(-3, 66), ints)))
    if "b" not in sig:
        return name, tuple(draw(ints) for _ in sig)
    b = draw(strings)
    near = st.one_of(st.integers(-3, len(b) + 3), st.sampled_from(INT_EDGES))
    if name in INDEXED:
        return name, (b, *(draw(near) for _ in sig[1:]))
    if sig == "b":
        return name, (b,)
    # A second string: often a piece of the first, so that find/starts/ends succeed.
    i = draw(st.integers(0, len(b)))
    j = draw(st.integers(i, len(b)))
    mangled = st.builds(lambda s: s.swapcase(), st.just(b[i:j]))
    p = draw(st.one_of(strings, st.just(b[i:j]), st.just(b[:j]), st.just(b[i:]), mangled))
    if sig == "bb":
        return name, (b, p)
    total = len(b) + len(p)
    low = len(b) if name == "append" else 0  # the place holds b already
    cap = draw(st.one_of(st.integers(low, total + 3), st.sampled_from([total, total - 1])))
    return name, (b, p, max(cap, low))


@requires_toolchain
@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(cases=st.lists(case(), min_size=1, max_size=80))
def test_random_cases_match_purefns(driver: Path, cases: list[Case]) -> None:
    run_batch(driver, cases)


def edge_cases() -> Iterator[Case]:
    """Every operation on every combination of the edge values (one long batch)."""
    for name, (sig, _) in OPS.items():
        if name in ("concat", "append"):
            for a, b in itertools.product(BYTE_EDGES, repeat=2):
                t = len(a) + len(b)
                for cap in {t - 1, t, t + 1}:
                    if cap >= (len(a) if name == "append" else 0):
                        yield name, (a, b, cap)
        elif sig in ("i", "ii"):
            yield from ((name, args) for args in itertools.product(INT_EDGES, repeat=len(sig)))
        elif sig == "b":
            yield from ((name, (b,)) for b in BYTE_EDGES)
        elif sig == "bb":
            yield from ((name, ab) for ab in itertools.product(BYTE_EDGES, repeat=2))
        else:
            for b in BYTE_EDGES:
                near = sorted({*range(-2, len(b) + 3), INT_MIN, INT_MAX, 2**32, -(2**32)})
                yield from ((name, (b, *ij)) for ij in itertools.product(near, repeat=len(sig) - 1))


@requires_toolchain
def test_edge_cases_match_purefns(driver: Path) -> None:
    cases = list(edge_cases())
    assert {name for name, _ in cases} == set(OPS)
    run_batch(driver, cases)


@requires_toolchain
def test_long_strings_match_purefns(driver: Path) -> None:
    """Long inputs: a whole field line, long periodic find patterns, long digit runs."""
    long_a = b"a" * 5000
    near_miss = b"a" * 999 + b"b"
    words = b"  ".join(b"w%d" % k for k in range(800))
    cases: list[Case] = [
        ("find", (long_a, near_miss)),
        ("find", (long_a + b"b", near_miss)),
        ("find", (b"ab" * 3000 + b"abb", b"ab" * 500 + b"b")),
        ("find", (words, b"w799")),
        ("nfields", (words,)),
        ("field", (words, 799)),
        ("field", (words, 800)),
        ("fieldview", (words, 400)),
        ("lower", (words.upper(),)),
        ("hash", (words,)),
        ("trim", (b" \t" * 1000 + b"x" + b"\t " * 1000,)),
        ("parse_int", (b"0" * 5000 + b"1",)),  # past Python's 4300-digit int() limit
        ("parse_int", (b"-" + b"0" * 5000,)),
        ("parse_int", (b"1" * 5000,)),
        ("concat", (long_a, long_a, 10000)),
        ("append", (long_a, long_a, 9999)),
        ("slice", (words, 1000, 2000)),
        ("eq_nocase", (words, words.upper())),
        ("ends_with", (long_a, near_miss)),
    ]
    run_batch(driver, cases)
