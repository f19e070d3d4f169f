"""build-concat-chains-in-place: `t1 = a ++ b; t2 = t1 ++ c` is built in `t2`, one copy per
operand, each link with the capacity of the temporary it replaces."""

from __future__ import annotations

from pathlib import Path

from nanowyki.framework import walk
from nanowyki.languages.placed import AppendInto, ConcatInto
from nanowyki.languages.surface import Binary
from nanowyki.passes.build_concat_chains_in_place import BuildConcatChainsInPlace

from .placed_support import b, bb, compiled, fn, loc, machine, rewritten, run, same, service

A = loc("a", b(4))


def link(target: str, bound: int, left: str, declared: int | None = None) -> str:
    """`target = left ++ a`, `target` a `bytes[declared]` (the link's own bound by default)."""
    t = b(declared or bound)
    return f"(Assign {loc(target, t)} = (Binary ++ {left} {A} {b(bound)}))"


def session(stmts: list[str], locals_: list[str] | None = None) -> str:
    """A session building `t.2 = (a ++ a) ++ a` (and more) into its locals."""
    frame = [f"(Slot a {b(4)})", f"(Slot r {b(12)})", f"(Slot p {b(12)})"]
    if locals_ is None:
        locals_ = [f"(Slot t.1 {b(8)})", f"(Slot t.2 {b(12)})"]
    return service(machine(frame, locals_, [bb("b.1", stmts, "(CloseExit)")]))


FIRST = link("t.1", 8, A)
SECOND = link("t.2", 12, loc("t.1", b(8)))
KEEP = f"(Assign {loc('r', b(12))} = {loc('t.2', b(12))})"


def chains(stmts: list[str]) -> str:
    return rewritten(BuildConcatChainsInPlace, session(stmts))


def test_a_concatenation_chain_is_built_in_its_last_temporary() -> None:
    # a ++ a straight into t.2 with t.1's capacity, then `++ a` appended in place
    assert chains([FIRST, SECOND, KEEP]) == same(session(
        [f"(ConcatInto t.2 {A} {A} 8)", f"(AppendInto t.2 {A} 12)", KEEP],
        [f"(Slot t.2 {b(12)})"],  # t.1 is no slot any more
    ))  # fmt: skip


def test_a_longer_chain_appends_each_operand_with_its_own_capacity() -> None:
    third = link("r", 16, loc("t.2", b(12)), declared=16)
    text = session([FIRST, SECOND, third]).replace(f"(Slot r {b(12)})", f"(Slot r {b(16)})")
    out = rewritten(BuildConcatChainsInPlace, text)
    assert f"(ConcatInto r {A} {A} 8)" in out
    assert f"(AppendInto r {A} 12)" in out and f"(AppendInto r {A} 16)" in out
    assert "(Slot t." not in out  # both intermediates are gone


def test_a_chain_whose_intermediate_is_read_again_is_not_fused() -> None:
    again = f"(Assign {loc('p', b(12))} = {loc('t.1', b(8))})"
    for stmts in ([FIRST, again, SECOND, KEEP], [FIRST, SECOND, KEEP, again]):
        tree, out = run(BuildConcatChainsInPlace, session(stmts))  # t.1 needed between, after
        assert out is tree


def test_a_chain_is_not_built_in_a_buffer_read_before_its_end() -> None:
    early = f"(Assign {loc('p', b(12))} = {loc('t.2', b(12))})"  # t.2's old value
    tree, out = run(BuildConcatChainsInPlace, session([FIRST, early, SECOND, KEEP]))
    assert out is tree


def test_a_chain_is_not_built_in_a_buffer_smaller_than_a_link() -> None:
    # as written, t.2 and its value are a bytes[6]: t.1's capacity 8 would not fit in it
    small = f"(Assign {loc('t.2', b(6))} = (Binary ++ {loc('t.1', b(8))} {A} {b(6)}))"
    tree, out = run(BuildConcatChainsInPlace, session([FIRST, small]))
    assert out is tree


def test_a_single_concatenation_is_no_chain() -> None:
    tree, out = run(BuildConcatChainsInPlace, session([FIRST]))
    assert out is tree


def test_a_chain_in_a_function_graph_drops_its_slots_too() -> None:
    text = service(fn("f", b(12), [f"(Slot a {b(4)})", f"(Slot t.1 {b(8)})", f"(Slot t.2 {b(12)})"],
                      [bb("b.1", [FIRST, SECOND], f"(Ret {loc('t.2', b(12))})")]))  # fmt: skip
    out = rewritten(BuildConcatChainsInPlace, text)
    assert out == same(service(fn("f", b(12), [f"(Slot a {b(4)})", f"(Slot t.2 {b(12)})"], [
        bb("b.1", [f"(ConcatInto t.2 {A} {A} 8)", f"(AppendInto t.2 {A} 12)"],
           f"(Ret {loc('t.2', b(12))})")])))  # fmt: skip


SEND = """
service c {
    listen tcp 7000;
    sessions 4;
    session {
        let line = recv_line(64) else { close; };
        let reply = "<" ++ line ++ ">" ++ line ++ "\\n";
        send(reply);
        close;
    }
}
"""


def test_a_source_chain_is_one_concat_and_appends(tmp_path: Path) -> None:
    tree = compiled(tmp_path / "c.wyki", SEND, upto="build-concat-chains-in-place")
    links = [type(n).__name__ for n in walk(tree) if isinstance(n, ConcatInto | AppendInto)]
    assert links == ["ConcatInto", "AppendInto", "AppendInto", "AppendInto"]
    assert not any(isinstance(n, Binary) and n.op == "++" for n in walk(tree))
