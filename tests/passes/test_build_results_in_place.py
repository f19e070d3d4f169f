"""build-results-in-place: `t = e; return t;` becomes `BuildResult(e)` and `RetBuilt` when the
aggregate `t` is only built to be returned."""

from __future__ import annotations

from pathlib import Path

from nanowyki.framework import walk
from nanowyki.languages.linear import FnGraph
from nanowyki.languages.placed import BuildResult, RetBuilt
from nanowyki.passes.build_results_in_place import BuildResultsInPlace

from .placed_support import BOOL, INT, b, bb, compiled, fn, lit, loc, rewritten, run, same, service

P = "(TStruct P)"
STRUCT = "(Struct P [(FieldDecl n (TInt)) (FieldDecl name (TBytes 8))])"


def value(n: str = loc("k")) -> str:
    return f"(StructValue P [(FieldInit n {n}) (FieldInit name (BytesLit #\"x\" (TBytes 1)))] {P})"


def program(slots: list[str], blocks: list[str], result: str = P) -> str:
    return service(STRUCT, fn("make", result, slots, blocks))


def build(slots: list[str], blocks: list[str], result: str = P) -> str:
    return rewritten(BuildResultsInPlace, program(slots, blocks, result))


def returns(t: str = "t.1", typ: str = P, e: str = value()) -> str:
    return bb("b.1", [f"(Assign {loc(t, typ)} = {e})"], f"(Ret {loc(t, typ)})")


def test_a_result_built_just_before_its_return_is_built_in_place() -> None:
    out = build([f"(Slot t.1 {P})", "(Slot x (TInt))"], [returns()])
    built = bb("b.1", [f"(BuildResult {value()})"], "(RetBuilt)")
    assert out == same(program(["(Slot x (TInt))"], [built]))  # and t.1 is no slot any more


def test_every_return_of_the_same_local_is_built_in_place() -> None:
    branch = bb("b.1", [], f"(Branch (BoolLit #t {BOOL}) b.2 b.3)")
    again = bb("b.3", [f"(Assign {loc('t.1', P)} = {value(lit(2))})"], f"(Ret {loc('t.1', P)})")
    out = build([f"(Slot t.1 {P})"], [branch, returns().replace("b.1", "b.2"), again])
    assert out == same(program([], [
        branch,
        bb("b.2", [f"(BuildResult {value()})"], "(RetBuilt)"),
        bb("b.3", [f"(BuildResult {value(lit(2))})"], "(RetBuilt)"),
    ]))  # fmt: skip


def test_a_result_read_before_its_return_is_copied_out() -> None:
    read = f"(Assign {loc('x')} = (Field {loc('t.1', P)} n {INT}))"
    blocks = [bb("b.1", [f"(Assign {loc('t.1', P)} = {value()})", read], f"(Ret {loc('t.1', P)})")]
    tree, out = run(BuildResultsInPlace, program([f"(Slot t.1 {P})", "(Slot x (TInt))"], blocks))
    assert out is tree
    # nor when the return is in another block than the assignment
    split = [bb("b.1", [f"(Assign {loc('t.1', P)} = {value()})"], "(Goto b.2)"),
             bb("b.2", [], f"(Ret {loc('t.1', P)})")]  # fmt: skip
    tree, out = run(BuildResultsInPlace, program([f"(Slot t.1 {P})"], split))
    assert out is tree


def test_a_local_of_another_type_than_the_result_or_a_scalar_result_is_left_alone() -> None:
    narrow = returns(typ=b(8), e=f"(BytesLit #\"x\" {b(1)})")  # bytes[8] into a bytes[16] result
    tree, out = run(BuildResultsInPlace, program([f"(Slot t.1 {b(8)})"], [narrow], result=b(16)))
    assert out is tree
    scalar = returns(typ=INT, e=f"(Binary + {loc('k')} {lit(1)} {INT})")  # nothing to save
    tree, out = run(BuildResultsInPlace, program(["(Slot t.1 (TInt))"], [scalar], result=INT))
    assert out is tree


COPIES = """
service c {
    listen tcp 7000;
    sessions 4;
    struct P { n: int, name: bytes[64] }
    fn make(name: bytes[64]) -> P { return P(n: 1, name: name); }
    fn pick(p: P, q: P) -> P {
        var r = p;
        if r.n < q.n { r = q; }
        return r;
    }
    session {
        let line = recv_line(64) else { close; };
        let p = pick(make(line), make("x"));
        send(p.name, "\\n");
        close;
    }
}
"""


def test_a_function_returning_a_new_struct_builds_it_in_place(tmp_path: Path) -> None:
    tree = compiled(tmp_path / "c.wyki", COPIES, upto="build-results-in-place")
    fns = {d.name: d for d in walk(tree) if isinstance(d, FnGraph)}
    make = fns["make"]
    assert [type(n) for n in walk(make) if isinstance(n, BuildResult | RetBuilt)] == [
        BuildResult, RetBuilt]  # fmt: skip
    assert make.body.slots == ()  # type: ignore[attr-defined]  # no temporary P
    # must not fire: r is read before the return (r.n), so it is copied out at the return
    assert not any(isinstance(n, BuildResult | RetBuilt) for n in walk(fns["pick"]))
