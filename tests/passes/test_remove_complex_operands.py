"""remove-complex-operands: A-normal form, evaluation order and faults unchanged."""

from __future__ import annotations

from pathlib import Path

import pytest

from nanowyki.framework import Facts, check, print_tree, read_tree
from nanowyki.framework.errors import InternalError
from nanowyki.interp import parse_transcript, run_transcript
from nanowyki.interp.flat import FlatInterpreter
from nanowyki.interp.registry import interpreter_for
from nanowyki.languages.bounded import Bounded
from nanowyki.languages.flat import Flat
from nanowyki.passes.remove_complex_operands import RemoveComplexOperands

from .flat_support import (
    BOOL,
    EXAMPLES,
    INT,
    TRUE,
    block,
    fn,
    lit,
    local,
    log,
    same,
    service,
    to_pass,
    transcripts_fail,
)


def run(text: str) -> tuple[str, object, object]:
    tree = read_tree(text, Bounded)
    out, _ = RemoveComplexOperands().apply(tree, Facts())
    check(out, Flat)
    return print_tree(out), out, tree


def flat(text: str) -> str:
    return same(text, Flat)


def call(f: str, *args: str, t: str = INT) -> str:
    return f"(CallFn {f} [{' '.join(args)}] {t})"


def add(a: str, b: str) -> str:
    return f"(Binary + {a} {b} {INT})"


def decl(name: str, value: str, t: str = INT) -> str:
    return f"(Declare {name} {t} {value})"


def t(n: int, ty: str = INT) -> str:
    return local(f"t.{n}", ty)


def test_a_nested_operand_gets_a_temporary() -> None:
    text = service(fn(f"(Return {add(call('g', local('x')), lit(1))})", result=INT))
    want = service(fn(
        decl("t.1", call("g", local("x"))),
        decl("t.2", add(t(1), lit(1))),
        f"(Return {t(2)})",
        result=INT,
    ))  # fmt: skip
    assert run(text)[0] == flat(want)


def test_operands_are_computed_left_to_right() -> None:
    text = service(fn(decl("x", add(call("g"), call("h")))))
    want = service(fn(decl("t.1", call("g")), decl("t.2", call("h")), decl("x", add(t(1), t(2)))))
    assert run(text)[0] == flat(want)


def test_an_operation_as_a_whole_value_stays() -> None:
    _, out, tree = run(service(fn(decl("x", add(local("y"), lit(1))))))
    assert out is tree


def test_a_shared_read_is_a_declare_of_its_own() -> None:
    text = service(fn(decl("x", add("(SharedRef n (TInt))", lit(1)))))
    want = service(fn(decl("t.1", "(SharedRef n (TInt))"), decl("x", add(t(1), lit(1)))))
    assert run(text)[0] == flat(want)


def test_and_evaluates_its_right_operand_only_when_needed() -> None:
    cond = f"(Binary && {local('a', BOOL)} {call('g', t=BOOL)} {BOOL})"
    text = service(fn(f"(If {cond} {block(log(lit(1)))} nil)"))
    update = block(f"(Assign {t(1, BOOL)} = {call('g', t=BOOL)})")
    want = service(fn(
        decl("t.1", local("a", BOOL), BOOL),
        f"(If {t(1, BOOL)} {update} nil)",
        f"(If {t(1, BOOL)} {block(log(lit(1)))} nil)",
    ))  # fmt: skip
    assert run(text)[0] == flat(want)


def test_or_evaluates_its_right_operand_only_when_the_left_is_false() -> None:
    cond = f"(Binary || {local('a', BOOL)} {call('g', t=BOOL)} {BOOL})"
    text = service(fn(decl("x", cond, BOOL)))
    update = block(f"(Assign {t(1, BOOL)} = {call('g', t=BOOL)})")
    want = service(fn(
        decl("t.1", local("a", BOOL), BOOL),
        f"(If {t(1, BOOL)} {block()} {update})",
        decl("x", t(1, BOOL), BOOL),
    ))  # fmt: skip
    assert run(text)[0] == flat(want)


def test_operands_before_an_and_are_computed_before_it() -> None:
    both = f"(Binary && {local('a', BOOL)} {call('p', t=BOOL)} {BOOL})"
    text = service(fn(decl("x", call("k", call("g"), both))))
    printed = run(text)[0]
    assert printed.index("(CallFn g") < printed.index("(CallFn p")


def test_the_test_block_of_a_loop_is_flattened() -> None:
    cond = f"(Unary ! (Binary < {local('i')} {call('g')} {BOOL}) {BOOL})"
    test = block(f"(If {cond} (Block [(Break)]) nil)")
    loop = f"(BoundedLoop {TRUE} 4 {block()} {block()} {test})"
    printed, _, _ = run(service(fn(loop)))
    assert "(Declare t.1 (TInt) (CallFn g" in printed


def test_a_loop_condition_that_is_not_true_is_a_compiler_bug() -> None:
    loop = f"(BoundedLoop {local('c', BOOL)} 4 {block()} {block()})"
    with pytest.raises(InternalError):
        run(service(fn(loop)))


def test_a_deep_assignment_reads_updates_and_writes_back() -> None:
    arr = "(TArray (TArray (TInt) 2) 2)"
    row = "(TArray (TInt) 2)"
    target = f"(Index (Index {local('a', arr)} {local('i')} {row}) {local('j')} {INT})"
    text = service(fn(f"(Assign {target} = {lit(5)})"))
    want = service(fn(
        decl("t.1", f"(Index {local('a', arr)} {local('i')} {row})", row),
        f"(Assign (Index {t(1, row)} {local('j')} {INT}) = {lit(5)})",
        f"(Assign (Index {local('a', arr)} {local('i')} {row}) = {t(1, row)})",
    ))  # fmt: skip
    assert run(text)[0] == flat(want)


def test_a_deep_assignment_computes_its_indexes_outermost_first() -> None:
    arr = "(TArray (TArray (TInt) 2) 2)"
    row = "(TArray (TInt) 2)"
    target = f"(Index (Index {local('a', arr)} {call('g')} {row}) {call('h')} {INT})"
    printed = run(service(fn(f"(Assign {target} = {lit(5)})")))[0]
    assert printed.index("(CallFn h") < printed.index("(CallFn g")  # as the Typed interpreter


def test_an_indexed_place_is_checked_before_a_complex_value() -> None:
    arr = "(TArray (TInt) 2)"
    target = f"(Index {local('a', arr)} {local('i')} {INT})"
    text = service(fn(f"(Assign {target} = {add(call('g'), lit(1))})"))
    want = service(fn(
        decl("t.2", target),  # the check; t.1 was named first, for g()
        decl("t.1", call("g")),
        f"(Assign {target} = {add(t(1), lit(1))})",
    ))  # fmt: skip
    assert run(text)[0] == flat(want)


def test_service_level_expressions_become_literals() -> None:
    from pyrsistent import pmap

    from nanowyki.analysis.constants import ConstValues

    decl_ = f"(Const N {INT} {add(lit(1), f'(Binary * {lit(2)} {lit(3)} {INT})')})"
    tree = read_tree(service(decl_), Bounded)
    out, _ = RemoveComplexOperands().apply(tree, Facts().with_(ConstValues(pmap({"N": 7}))))
    assert print_tree(out) == flat(service(f"(Const N {INT} {lit(7)})"))


def test_a_flat_program_is_the_same_object() -> None:
    text = service(fn(decl("x", call("g", local("y"))), log(local("x"))))
    _, out, tree = run(text)
    assert out is tree


def test_flat_is_registered_with_its_interpreter() -> None:
    assert interpreter_for("Flat") is FlatInterpreter


def test_faults_happen_in_the_same_order(tmp_path: Path) -> None:
    text = """service t {
        listen udp 9;
        datagram p: bytes[8] {
            var a = [0, 0];
            let i = len(p);
            if len(p) > 1 && p[1] == 'x' { reply("x"); } else {
                a[i] = 100 / (len(p) - 3);
                reply(itoa(a[0] + a[1]));
            }
        }
    }"""
    tree, facts = to_pass(tmp_path / "t.wyki", text, RemoveComplexOperands)
    check(tree, Flat)
    # 'abc': index 3 out of bounds (checked before the division by zero); 'a': 100 / -2
    script = "udp q > a\nq < -50\nudp q > abc\nfault bounds\nq silent\nudp q > zx\nq < x\n"
    played = run_transcript(FlatInterpreter(tree, facts), parse_transcript(script))
    assert played.ok, played.report()


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_every_example_keeps_its_transcripts(example: Path) -> None:
    tree, facts = to_pass(example, None, RemoveComplexOperands)
    check(tree, Flat)
    assert transcripts_fail(example, tree, facts, "Flat") == []
