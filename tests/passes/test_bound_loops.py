"""bound-loops: every Iterate becomes a BoundedLoop with a numeric limit, or a FueledLoop."""

from __future__ import annotations

from pathlib import Path

import pytest
from pyrsistent import pmap

from nanowyki.analysis.constants import ConstValues
from nanowyki.framework import Facts, InternalError, Node, print_tree, read_tree, walk
from nanowyki.languages.bounded import BoundedLoop, FueledLoop
from nanowyki.languages.core import Core
from nanowyki.languages.iterated import Iterate
from nanowyki.passes.bound_loops import BoundLoops

from .bounded_support import (
    EXAMPLES,
    INT,
    TRUE,
    apply,
    block,
    fn,
    lit,
    log,
    lower,
    lower_example,
    service,
    session,
)

COND = f"(Binary < (Local i {INT}) {lit(3)} (TBool))"


def run(text: str, consts: dict[str, int] | None = None) -> tuple[str, Node, Node]:
    tree = read_tree(text, Core)
    facts = Facts().with_(ConstValues(pmap(consts or {})))
    out, _ = apply(BoundLoops, tree, facts)
    return print_tree(out), out, tree


def expected(text: str) -> str:
    from nanowyki.languages.bounded import Bounded

    return print_tree(read_tree(text, Bounded))


def test_a_literal_limit_becomes_the_number() -> None:
    loop = f"(Iterate {COND} {lit(3)} {block(log())} {block(log('s'))})"
    printed, _, _ = run(service(fn("f", loop)))
    assert printed == expected(
        service(fn("f", f"(BoundedLoop {COND} 3 {block(log())} {block(log('s'))})"))
    )


def test_a_constant_limit_takes_its_value_from_const_values() -> None:
    loop = f"(Iterate {TRUE} (ConstRef N {INT}) {block(log())} {block()})"
    printed, _, _ = run(service(fn("f", loop)), {"N": 17})
    want = service(fn("f", f"(BoundedLoop {TRUE} 17 {block(log())} {block()})"))
    assert printed == expected(want)


def test_a_constant_expression_limit_is_evaluated() -> None:
    limit = f"(Binary * (ConstRef N {INT}) {lit(2)} {INT})"
    printed, _, _ = run(service(fn("f", f"(Iterate {TRUE} {limit} {block()} {block()})")), {"N": 4})
    assert "(BoundedLoop (BoolLit #t (TBool)) 8" in printed


def test_a_session_loop_without_a_limit_is_fueled() -> None:
    loop = f"(Iterate {TRUE} nil {block(log())} {block()})"
    printed, _, _ = run(service(session(loop)))
    assert printed == expected(service(session(f"(FueledLoop {TRUE} {block(log())} {block()})")))


def test_a_session_loop_with_a_limit_stays_bounded() -> None:
    printed, _, _ = run(service(session(f"(Iterate {TRUE} {lit(5)} {block()} {block()})")))
    assert "(BoundedLoop (BoolLit #t (TBool)) 5" in printed and "FueledLoop" not in printed


def test_nested_loops_are_each_converted() -> None:
    inner = f"(Iterate {TRUE} nil {block(log())} {block()})"
    outer = f"(Iterate {TRUE} {lit(2)} {block(inner)} {block()})"
    _, out, _ = run(service(session(outer)))
    kinds = [type(n).__name__ for n in walk(out) if isinstance(n, BoundedLoop | FueledLoop)]
    assert kinds == ["BoundedLoop", "FueledLoop"]
    assert not any(isinstance(n, Iterate) for n in walk(out))


def test_a_loop_inside_an_if_and_an_unwrap_else_is_found() -> None:
    loop = f"(Iterate {TRUE} nil {block()} {block()})"
    unwrap = (
        f'(Unwrap v {INT} (CallBuiltin parse_int [(BytesLit #"1" (TBytes 1))] (TOption {INT}))'
        f" {block(loop, '(Close)')})"
    )
    stmt = f"(If {TRUE} {block(unwrap)} nil)"
    printed, _, _ = run(service(session(stmt)))
    assert "Iterate" not in printed and printed.count("FueledLoop") == 1


def test_a_program_without_loops_comes_back_unchanged() -> None:
    _, out, tree = run(service(fn("f", log()), session(log())))
    assert out is tree


def test_declarations_without_loops_are_shared() -> None:
    loop = f"(Iterate {TRUE} {lit(1)} {block()} {block()})"
    _, out, tree = run(service(fn("f", log()), fn("g", loop)))
    assert out.decls[1] is tree.decls[1]  # type: ignore[attr-defined]
    assert out.decls[2] is not tree.decls[2]  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "where",
    [fn("f", f"(Iterate {TRUE} nil (Block []) (Block []))"),
     f"(Every {lit(1)} s {block(f'(Iterate {TRUE} nil (Block []) (Block []))')})",
     f"(Datagram p (TBytes 8) {block(f'(Iterate {TRUE} nil (Block []) (Block []))')})"],
    ids=["function", "timer", "datagram"],
)  # fmt: skip
def test_a_loop_without_a_limit_outside_the_session_is_an_internal_error(where: str) -> None:
    with pytest.raises(InternalError, match="without a limit outside the session"):
        run(service(where))


def test_a_limit_that_is_not_constant_is_an_internal_error() -> None:
    loop = f"(Iterate {TRUE} (Local n {INT}) {block()} {block()})"
    with pytest.raises(InternalError, match="not a constant"):
        run(service(fn("f", loop)))


def test_an_unknown_constant_limit_is_an_internal_error() -> None:
    loop = f"(Iterate {TRUE} (ConstRef N {INT}) {block()} {block()})"
    with pytest.raises(InternalError, match="'N' is unknown"):
        run(service(fn("f", loop)))


def test_a_zero_limit_is_kept() -> None:
    # `for i in 2..1`: the static trip bound is 0; the condition is false at once
    printed, _, _ = run(service(fn("f", f"(Iterate {TRUE} {lit(0)} {block()} {block()})")))
    assert "(BoundedLoop (BoolLit #t (TBool)) 0" in printed


def test_a_negative_limit_is_an_internal_error() -> None:
    limit = f"(Unary - {lit(1)} {INT})"
    with pytest.raises(InternalError, match="not a non-negative int"):
        run(service(fn("f", f"(Iterate {TRUE} {limit} {block()} {block()})")))


# -- the real front end ------------------------------------------------------------------------


SOURCE = """
service t {
    listen tcp 7;
    const N = 6;
    fn f(s: bytes[10]) -> int {
        var k = 0;
        for i in 0..len(s) { k += i; }
        while k > 0 max N { k -= 1; }
        return k;
    }
    session {
        loop {
            let l = recv_line(10) else { close; };
            for i in 0..3 { send(l); }
            for j in 2..1 { send(l); }
            loop max 2 { break; }
        }
    }
}
"""


def test_real_program_limits(tmp_path: Path) -> None:
    out = lower(SOURCE, "bound-loops", tmp_path).tree
    loops = [n for n in walk(out) if isinstance(n, BoundedLoop | FueledLoop)]
    summary = [(type(n).__name__, getattr(n, "limit", None)) for n in loops]
    assert summary == [
        ("BoundedLoop", 10),  # for i in 0..len(s): at most 10 trips
        ("BoundedLoop", 6),  # max N
        ("FueledLoop", None),  # the session loop
        ("BoundedLoop", 3),
        ("BoundedLoop", 0),  # for j in 2..1: statically empty
        ("BoundedLoop", 2),
    ]


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_every_example(example: Path) -> None:
    out = lower_example(example, "bound-loops").tree
    assert not any(isinstance(n, Iterate) for n in walk(out))
