"""explicate-control: structured control flow becomes graphs of basic blocks (Flat -> Linear)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from nanowyki.analysis.cfg import predecessors, reachable, successors, tidy
from nanowyki.framework import Facts, InternalError, check, print_tree, read_tree, walk
from nanowyki.languages.flat import Flat
from nanowyki.languages.linear import BasicBlock, Branch, Cfg, CloseExit, Exit, Goto, Linear, Ret
from nanowyki.languages.resolved import Local
from nanowyki.languages.surface import Block, Service, Session
from nanowyki.languages.types import TBool
from nanowyki.passes.explicate_control import ExplicateControl

from .core_support import norm
from .linear_support import (
    BOOL,
    EXAMPLES,
    INT,
    TRUE,
    block,
    fn,
    local,
    log,
    run,
    run_example,
    send,
    service,
    session,
)

C = local("c", BOOL)
PARAM_C = "(Param c (TBool))"


def lower(text: str) -> str:
    tree = read_tree(text, Flat)
    out, _ = ExplicateControl().apply(tree, Facts())
    check(out, Linear)
    return print_tree(out)


def graphs(tree: object) -> list[Cfg]:
    return [n for n in walk(tree) if isinstance(n, Cfg)]  # type: ignore[arg-type]


# -- does not fire -------------------------------------------------------------------------------


def test_a_service_without_bodies_is_returned_as_it_is() -> None:
    tree = read_tree(service("(Const N (TInt) (IntLit 3 (TInt)))"), Flat)
    out, _ = ExplicateControl().apply(tree, Facts())
    assert out is tree


def test_the_service_declarations_around_a_body_are_kept_as_the_same_objects() -> None:
    tree = read_tree(service(session("(Close)")), Flat)
    out, _ = ExplicateControl().apply(tree, Facts())
    assert isinstance(out, Service) and isinstance(tree, Service)
    assert out.decls[0] is tree.decls[0]


# -- straight code, exits ----------------------------------------------------------------------


def test_straight_session_is_one_block_and_code_after_close_is_dropped() -> None:
    assert norm(lower(service(session(log("a"), "(Close)", log("dead"))))) == norm("""
      (Service s [(Listen tcp (IntLit 7 (TInt)))
        (SessionGraph (Cfg b.1 [(BasicBlock b.1 [(Log (BytesLit #"a" (TBytes 1)))] (CloseExit))]))])
    """)


def test_falling_off_the_session_closes_and_off_a_datagram_or_timer_returns() -> None:
    text = service(
        session(log("a")),
        f"(Datagram p (TBytes 8) {block(log('d'))})",
        f"(Every (IntLit 5 (TInt)) ms {block(log('t'))})",
    )
    out = lower(text)
    assert "(SessionGraph (Cfg b.1 [(BasicBlock b.1 [(Log" in norm(out)
    assert norm('(BasicBlock b.2 [(Log (BytesLit #"d" (TBytes 1)))] (Ret nil))') in norm(out)
    assert norm('(TimerGraph (IntLit 5 (TInt)) ms (Cfg b.3 [(BasicBlock b.3') in norm(out)
    assert norm('(DatagramGraph p (TBytes 8) (Cfg b.2') in norm(out)
    assert out.count("(CloseExit)") == 1 and out.count("(Ret nil)") == 2


def test_unit_function_falls_off_with_ret_nil_and_return_becomes_ret() -> None:
    out = lower(service(fn("f", "(Return (IntLit 4 (TInt)))", result=INT), fn("g", log("x"))))
    assert "(Ret (IntLit 4 (TInt)))" in out
    assert norm('(BasicBlock b.2 [(Log (BytesLit #"x" (TBytes 1)))] (Ret nil))') in norm(out)


def test_a_function_with_a_result_that_falls_off_is_an_internal_error() -> None:
    with pytest.raises(InternalError, match="can reach its end"):
        lower(service(fn("f", log("x"), result=INT)))


# -- if ------------------------------------------------------------------------------------------


def test_if_else_branches_and_joins() -> None:
    text = service(fn("f", f"(If {C} {block(log('a'))} {block(log('b'))})", log("c"),
                      params=PARAM_C))
    assert norm(lower(text)) == norm("""
      (Service s [(Listen tcp (IntLit 7 (TInt)))
        (FnGraph f [(Param c (TBool))] (TUnit)
          (Cfg b.1
            [(BasicBlock b.1 [] (Branch (Local c (TBool)) b.2 b.3))
             (BasicBlock b.2 [(Log (BytesLit #"a" (TBytes 1)))] (Goto b.4))
             (BasicBlock b.3 [(Log (BytesLit #"b" (TBytes 1)))] (Goto b.4))
             (BasicBlock b.4 [(Log (BytesLit #"c" (TBytes 1)))] (Ret nil))]))])
    """)


def test_if_whose_branches_both_return_has_no_join_block() -> None:
    text = service(fn("f", f"(If {C} (Block [(Return (IntLit 1 (TInt)))]) "
                           "(Block [(Return (IntLit 2 (TInt)))]))", result=INT, params=PARAM_C))
    assert norm(lower(text)) == norm("""
      (Service s [(Listen tcp (IntLit 7 (TInt)))
        (FnGraph f [(Param c (TBool))] (TInt)
          (Cfg b.1
            [(BasicBlock b.1 [] (Branch (Local c (TBool)) b.2 b.3))
             (BasicBlock b.2 [] (Ret (IntLit 1 (TInt))))
             (BasicBlock b.3 [] (Ret (IntLit 2 (TInt))))]))])
    """)


def test_if_without_else_branches_to_the_join_and_empty_arms_vanish() -> None:
    out = lower(service(fn("f", f"(If {C} {block()} nil)", log("z"), params=PARAM_C)))
    # both arms reach the join: the branch became a jump, and the jump was merged away
    assert norm(out).endswith(norm('(Cfg b.1 [(BasicBlock b.1 [(Log (BytesLit #"z" (TBytes 1)))] '
                                   "(Ret nil))]))])"))


# -- loops ---------------------------------------------------------------------------------------


def test_bounded_loop_counts_after_its_test_and_faults_past_its_limit() -> None:
    loop = (f"(BoundedLoop {TRUE} 3 {block(log('a'))} {block(log('s'))} "
            f"(Block [(If {C} (Block []) (Block [(Break)]))]))")
    assert norm(lower(service(fn("f", loop, params=PARAM_C)))) == norm("""
      (Service s [(Listen tcp (IntLit 7 (TInt)))
        (FnGraph f [(Param c (TBool))] (TUnit)
          (Cfg b.1
            [(BasicBlock b.1 [(Declare turn.4 (TInt) (IntLit 0 (TInt)))] (Goto b.2))
             (BasicBlock b.2 [] (Branch (Local c (TBool)) b.7 b.8))
             (BasicBlock b.7
               [(Assign (Local turn.4 (TInt)) =
                  (Binary + (Local turn.4 (TInt)) (IntLit 1 (TInt)) (TInt)))
                (Declare t.9 (TBool) (Binary > (Local turn.4 (TInt)) (IntLit 3 (TInt)) (TBool)))]
               (Branch (Local t.9 (TBool)) b.10 b.11))
             (BasicBlock b.10 [] (FaultExit fuel))
             (BasicBlock b.11 [(Log (BytesLit #"a" (TBytes 1))) (Log (BytesLit #"s" (TBytes 1)))]
               (Goto b.2))
             (BasicBlock b.8 [] (Ret nil))]))])
    """)


def test_continue_jumps_to_the_step_block() -> None:
    loop = (f"(BoundedLoop {TRUE} 2 (Block [(If {C} (Block [(Continue)]) nil) {log('b')}]) "
            f"{block(log('s'))} nil)")
    out = norm(lower(service(fn("f", loop, params=PARAM_C))))
    assert norm("(BasicBlock b.7 [] (Branch (Local c (TBool)) b.3 b.9))") in out
    assert norm('(BasicBlock b.9 [(Log (BytesLit #"b" (TBytes 1)))] (Goto b.3))') in out
    assert norm('(BasicBlock b.3 [(Log (BytesLit #"s" (TBytes 1)))] (Goto b.2))') in out
    assert "(Ret nil)" not in out  # no break: the loop only ends by its fault


def test_nested_loops_break_leaves_only_the_inner_loop() -> None:
    inner = f"(BoundedLoop {TRUE} 2 (Block [(Break)]) {block()} nil)"
    outer = f"(BoundedLoop {TRUE} 5 (Block [{inner} {log('after')}]) {block()} nil)"
    out = lower(service(fn("f", outer)))
    tree = read_tree(out, Linear)
    (g,) = graphs(tree)
    after = [b for b in g.blocks if "after" in print_tree(b)]
    assert len(after) == 1 and isinstance(after[0].exit, Goto)
    assert out.count("(FaultExit fuel)") == 2


def test_fueled_loop_keeps_its_checkpoint_first_in_the_head_block() -> None:
    loop = f"(FueledLoop {TRUE} {block('(Checkpoint)', send('a'))} {block()} nil)"
    assert norm(lower(service(session(loop)))) == norm("""
      (Service s [(Listen tcp (IntLit 7 (TInt)))
        (SessionGraph (Cfg b.2
          [(BasicBlock b.2 [(Checkpoint) (Send (BytesLit #"a" (TBytes 1)))] (Goto b.2))]))])
    """)


def test_a_loop_condition_other_than_true_is_an_internal_error() -> None:
    tree = read_tree(service(session(f"(FueledLoop {TRUE} {block('(Checkpoint)')} {block()} nil)")),
                     Flat)
    assert isinstance(tree, Service) and isinstance(tree.decls[1], Session)
    loop = tree.decls[1].body.stmts[0]
    bad = dataclasses.replace(loop, cond=Local("c", TBool()))
    tree = dataclasses.replace(tree, decls=(tree.decls[0], Session(Block((bad,)))))
    with pytest.raises(InternalError, match="not 'true'"):
        ExplicateControl().apply(tree, Facts())


# -- let ... else ------------------------------------------------------------------------------


def test_unwrap_tests_the_optional_then_takes_its_payload() -> None:
    unwrap = ("(Unwrap d (TBytes 8) (CallBuiltin recv [(IntLit 8 (TInt))] (TOption (TBytes 8))) "
              "(Block [(Close)]))")
    assert norm(lower(service(session(unwrap, "(Send (Local d (TBytes 8)))")))) == norm("""
      (Service s [(Listen tcp (IntLit 7 (TInt)))
        (SessionGraph (Cfg b.1
          [(BasicBlock b.1
             [(Declare o.2 (TOption (TBytes 8))
                (CallBuiltin recv [(IntLit 8 (TInt))] (TOption (TBytes 8))))
              (Declare t.3 (TBool) (IsNone (Local o.2 (TOption (TBytes 8))) (TBool)))]
             (Branch (Local t.3 (TBool)) b.4 b.5))
           (BasicBlock b.4 [] (CloseExit))
           (BasicBlock b.5
             [(Declare d (TBytes 8) (Payload (Local o.2 (TOption (TBytes 8))) (TBytes 8)))
              (Send (Local d (TBytes 8)))]
             (CloseExit))]))])
    """)


def test_an_else_block_that_falls_through_is_an_internal_error() -> None:
    unwrap = "(Unwrap d (TInt) (CallBuiltin parse_int [(BytesLit #\"1\" (TBytes 1))] " \
             "(TOption (TInt))) (Block []))"
    with pytest.raises(InternalError, match="falls through"):
        lower(service(session(unwrap)))


# -- tidy ----------------------------------------------------------------------------------------


def bb(label: str, exit: Exit) -> BasicBlock:
    return BasicBlock(label, (), exit)


def test_tidy_threads_jumps_through_empty_blocks_and_drops_unreachable_ones() -> None:
    blocks = [bb("a", Goto("b")), bb("b", Goto("c")), bb("c", CloseExit()), bb("d", Ret(None))]
    entry, out = tidy("a", blocks)
    assert entry == "c" and [b.label for b in out] == ["c"]


def test_tidy_turns_a_branch_with_one_target_into_a_jump_then_merges() -> None:
    cond = Local("c", TBool())
    blocks = [bb("a", Branch(cond, "x", "y")), bb("x", Goto("z")), bb("y", Goto("z")),
              bb("z", Ret(None))]
    entry, out = tidy("a", blocks)
    assert entry == "a" and [(b.label, b.exit) for b in out] == [("a", Ret(None))]


def test_tidy_keeps_a_cycle_of_empty_blocks_and_a_self_loop() -> None:
    entry, out = tidy("a", [bb("a", Goto("b")), bb("b", Goto("a"))])
    assert {b.label for b in out} <= {"a", "b"} and out[0].label == entry
    entry, out = tidy("s", [bb("s", Goto("s"))])
    assert [b.label for b in out] == ["s"]


def test_graph_helpers() -> None:
    blocks = {"a": bb("a", Goto("b")), "b": bb("b", Ret(None))}
    assert successors(Goto("x")) == ("x",) and successors(CloseExit()) == ()
    assert reachable("a", blocks) == ["a", "b"]
    assert predecessors(blocks.values()) == {"b": ["a"]}


# -- the real pipeline ---------------------------------------------------------------------------


def check_graph(g: Cfg) -> None:
    labels = [b.label for b in g.blocks]
    assert len(labels) == len(set(labels)) and g.blocks[0].label == g.entry
    table = {b.label: b for b in g.blocks}
    assert set(reachable(g.entry, table)) == set(labels)  # nothing unreachable
    for b in g.blocks:
        assert b.stmts or not isinstance(b.exit, Goto), f"empty jump-only block {b.label}"


def test_source_program_with_a_for_loop_and_a_while(tmp_path: Path) -> None:
    src = """service t {
        listen tcp 7;
        fn sum(n: int) -> int {
            var s = 0;
            for i in 0..10 { if i >= n { break; } s += i; }
            return s;
        }
        session {
            var k = 0;
            while k < 3 { send(itoa(sum(k))); k += 1; }
            close;
        }
    }"""
    result = run(src, "explicate-control", tmp_path)
    check(result.tree, Linear)
    for g in graphs(result.tree):
        check_graph(g)
    assert "(FaultExit fuel)" in print_tree(result.tree)


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_every_example_becomes_tidy_graphs(example: Path) -> None:
    result = run_example(example, "explicate-control")
    gs = graphs(result.tree)
    assert gs
    for g in gs:
        check_graph(g)


def test_deterministic() -> None:
    text = service(session(f"(FueledLoop {TRUE} {block('(Checkpoint)', send('a'))} {block()} nil)"))
    assert lower(text) == lower(text)
