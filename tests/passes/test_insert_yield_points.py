"""insert-yield-points: every FueledLoop body starts with exactly one Checkpoint."""

from __future__ import annotations

from pathlib import Path

import pytest

from nanowyki.framework import Node, print_tree, read_tree, walk
from nanowyki.languages.bounded import Bounded, BoundedLoop, Checkpoint, FueledLoop
from nanowyki.passes.insert_yield_points import InsertYieldPoints

from .bounded_support import EXAMPLES, TRUE, apply, block, lit, log, lower_example, send, service
from .bounded_support import session as session_decl


def run(text: str) -> tuple[Node, Node]:
    tree = read_tree(text, Bounded)
    out, _ = apply(InsertYieldPoints, tree)
    return out, tree


def fueled(*stmts: str, step: str = block()) -> str:
    return f"(FueledLoop {TRUE} {block(*stmts)} {step})"


def same(text: str) -> str:
    return print_tree(read_tree(text, Bounded))


def test_a_checkpoint_heads_the_fueled_loop_body() -> None:
    out, _ = run(service(session_decl(fueled(send(), log()))))
    assert print_tree(out) == same(service(session_decl(fueled("(Checkpoint)", send(), log()))))


def test_an_empty_fueled_body_gets_a_checkpoint() -> None:
    out, _ = run(service(session_decl(fueled())))
    assert print_tree(out) == same(service(session_decl(fueled("(Checkpoint)"))))


def test_the_step_block_is_left_alone() -> None:
    out, _ = run(service(session_decl(fueled(log(), step=block(log("s"))))))
    assert print_tree(out) == same(
        service(session_decl(fueled("(Checkpoint)", log(), step=block(log("s")))))
    )


def test_the_exit_test_block_is_kept() -> None:
    test = block("(If (Local c (TBool)) (Block [(Break)]) nil)")
    loop = f"(FueledLoop {TRUE} {block(send())} {block()} {test})"
    out, _ = run(service(session_decl(loop)))
    want = f"(FueledLoop {TRUE} {block('(Checkpoint)', send())} {block()} {test})"
    assert print_tree(out) == same(service(session_decl(want)))


def test_idempotent_never_two_checkpoints() -> None:
    once, _ = run(service(session_decl(fueled(send()))))
    twice, _ = apply(InsertYieldPoints, once)
    assert twice is once


def test_a_body_already_headed_by_a_checkpoint_is_the_same_object() -> None:
    out, tree = run(service(session_decl(fueled("(Checkpoint)", send()))))
    assert out is tree


def test_a_checkpoint_later_in_the_body_does_not_count() -> None:
    out, _ = run(service(session_decl(fueled(log(), "(Checkpoint)"))))
    body = next(n for n in walk(out) if isinstance(n, FueledLoop)).body
    assert [type(s).__name__ for s in body.stmts] == ["Checkpoint", "Log", "Checkpoint"]


def test_nested_fueled_loops_each_get_one() -> None:
    out, _ = run(service(session_decl(fueled(fueled(send()), log()))))
    loops = [n for n in walk(out) if isinstance(n, FueledLoop)]
    assert len(loops) == 2
    assert all(isinstance(lp.body.stmts[0], Checkpoint) for lp in loops)
    assert sum(isinstance(n, Checkpoint) for n in walk(out)) == 2


def test_a_fueled_loop_inside_a_bounded_loop_gets_one() -> None:
    inner = fueled(send())
    out, _ = run(service(session_decl(f"(BoundedLoop {TRUE} 3 {block(inner)} {block()})")))
    assert sum(isinstance(n, Checkpoint) for n in walk(out)) == 1


def test_bounded_loops_get_no_checkpoint_and_are_shared() -> None:
    bounded = f"(BoundedLoop {TRUE} 4 {block(log())} {block()})"
    text = service(session_decl(bounded), f"(Fn f [] (TUnit) {block(bounded)})")
    out, tree = run(text)
    assert out is tree


def test_a_service_without_loops_is_unchanged() -> None:
    out, tree = run(service(session_decl(send(), log()), f"(Every {lit(1)} s {block(log())})"))
    assert out is tree


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_every_example(example: Path) -> None:
    out = lower_example(example, "insert-yield-points").tree
    for n in walk(out):
        if isinstance(n, FueledLoop):
            assert isinstance(n.body.stmts[0], Checkpoint)
            assert not any(isinstance(s, Checkpoint) for s in n.body.stmts[1:])
        if isinstance(n, BoundedLoop):
            assert not (n.body.stmts and isinstance(n.body.stmts[0], Checkpoint))
    checkpoints = sum(isinstance(n, Checkpoint) for n in walk(out))
    assert checkpoints == sum(isinstance(n, FueledLoop) for n in walk(out))
    if example.stem != "dns":  # the UDP example has no session; every TCP one a session loop
        assert checkpoints >= 1
