"""fuse-shared-updates: `t = n; n = t op b` on a shared `n` becomes one `SharedUpdate`."""

from __future__ import annotations

from pathlib import Path

import pytest

from nanowyki.framework import walk
from nanowyki.languages.placed import SharedUpdate
from nanowyki.languages.resolved import SharedRef
from nanowyki.languages.surface import Assign
from nanowyki.passes.fuse_shared_updates import FuseSharedUpdates

from .placed_support import INT, bb, compiled, fn, lit, loc, rewritten, run, same, service

COUNT = "(SharedRef count (TInt))"
HITS = "(SharedRef hits (TInt))"
READ = f"(Assign {loc('t.1')} = {COUNT})"


def write(op: str = "+", operand: str = loc("k"), old: str = loc("t.1"), n: str = COUNT) -> str:
    return f"(Assign {n} = (Binary {op} {old} {operand} {INT}))"


def program(*stmts: str) -> str:
    return service(
        "(Shared count (TInt) (IntLit 0 (TInt)))",
        "(Shared hits (TInt) (IntLit 0 (TInt)))",
        fn("bump", INT, ["(Slot t.1 (TInt))", "(Slot t.2 (TInt))"],
           [bb("b.1", list(stmts), f"(Ret {loc('t.1')})")]),
    )  # fmt: skip


def fuse(*stmts: str) -> str:
    return rewritten(FuseSharedUpdates, program(*stmts))


@pytest.mark.parametrize("op", ["+", "-", "*"])
def test_a_read_then_its_write_is_one_atomic_update(op: str) -> None:
    assert fuse(READ, write(op)) == same(program(f"(SharedUpdate t.1 count {op} {loc('k')})"))


def test_the_update_keeps_the_statements_around_it_and_a_literal_operand() -> None:
    before = f"(Assign {loc('t.2')} = {lit(1)})"
    assert fuse(before, READ, write("-", lit(3)), before) == same(
        program(before, f"(SharedUpdate t.1 count - {lit(3)})", before)
    )


def test_a_read_not_followed_at_once_by_its_write_is_left_alone() -> None:
    between = f"(Assign {loc('t.2')} = {lit(1)})"
    for stmts in [
        (READ, between, write()),  # a statement between them
        (READ,),  # a read alone
        (READ, write(n=HITS)),  # the write of another shared variable
        (READ, f"(Assign {COUNT} = {loc('t.1')})"),  # a plain store, no operation
        (READ, write(old=loc("t.2"))),  # an operation on another local
        (READ, write("/")),  # not an update the runtime does atomically
        (READ, write(operand=loc("t.1"))),  # `t + t`: the operand is the old value
    ]:
        tree, out = run(FuseSharedUpdates, program(*stmts))
        assert out is tree, stmts


def test_a_block_without_a_shared_update_is_the_same_object() -> None:
    tree, out = run(FuseSharedUpdates, program(f"(Assign {loc('t.1')} = {lit(1)})"))
    assert out is tree


COMPOUND = """
service c {
    listen tcp 7000;
    sessions 4;
    shared count: int = 0;
    fn bump(k: int) -> int {
        count += k * 2;
        let seen = count;
        let twice = seen * 2;
        count = seen - 1;
        return twice;
    }
    session {
        send(bump(1), "\\n");
        close;
    }
}
"""


def test_a_compound_assignment_to_a_shared_variable_is_one_atomic_update(tmp_path: Path) -> None:
    tree = compiled(tmp_path / "c.wyki", COMPOUND, upto="fuse-shared-updates")
    (update,) = [n for n in walk(tree) if isinstance(n, SharedUpdate)]
    assert (update.shared, update.op) == ("count", "+")
    assert update.span is not None and update.span.line == 7  # `count += k * 2;`
    # a read then a write with a statement between them stay two atomic steps
    apart = [n for n in walk(tree) if isinstance(n, Assign) and SharedRef in (
        type(n.target), type(n.value))]  # fmt: skip
    assert len(apart) == 2  # `let seen = count;` and `count = seen - 1;`
