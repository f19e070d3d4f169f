"""hoist-locals: every local of a body becomes a static slot of its graph (Linear -> Pooled)."""

from __future__ import annotations

from pathlib import Path

import pytest

from nanowyki.framework import Facts, InternalError, check, print_tree, read_tree, walk
from nanowyki.languages.iterated import Declare
from nanowyki.languages.linear import BasicBlock, DatagramGraph, Linear
from nanowyki.languages.pooled import Pooled, PooledCfg
from nanowyki.languages.resolved import Local
from nanowyki.languages.surface import Service
from nanowyki.passes.hoist_locals import HoistLocals

from .core_support import norm
from .linear_support import EXAMPLES, run, run_example


def hoist(text: str) -> str:
    out, _ = HoistLocals().apply(read_tree(text, Linear), Facts())
    check(out, Pooled)
    return print_tree(out)


def graph(blocks: str, entry: str = "b.1") -> str:
    return f"(Service s [(Listen tcp (IntLit 7 (TInt))) (SessionGraph (Cfg {entry} [{blocks}]))])"


def test_declare_becomes_an_assignment_to_a_slot() -> None:
    text = graph("(BasicBlock b.1 [(Declare x (TInt) (IntLit 1 (TInt)))"
                 " (Send (Local x (TInt)))] (CloseExit))")
    assert norm(hoist(text)) == norm("""
      (Service s [(Listen tcp (IntLit 7 (TInt)))
        (SessionGraph (PooledCfg b.1 [(Slot x (TInt))]
          [(BasicBlock b.1 [(Assign (Local x (TInt)) = (IntLit 1 (TInt)))
                            (Send (Local x (TInt)))] (CloseExit))]))])
    """)


def test_slots_are_in_order_of_first_declaration_and_a_redeclared_name_is_one_slot() -> None:
    text = graph(
        "(BasicBlock b.1 [(Declare b (TBool) (BoolLit #t (TBool)))] (Goto b.2))"
        "(BasicBlock b.2 [(Declare a (TBytes 4) (BytesLit #\"x\" (TBytes 1)))"
        " (Declare b (TBool) (BoolLit #f (TBool)))] (Goto b.2))"
    )
    out = norm(hoist(text))
    assert norm("(PooledCfg b.1 [(Slot b (TBool)) (Slot a (TBytes 4))]") in out
    assert "Declare" not in out


def test_parameters_and_the_datagram_packet_are_not_slots() -> None:
    text = ("(Service s [(Listen udp (IntLit 53 (TInt)))"
            " (FnGraph f [(Param n (TInt))] (TInt) (Cfg b.1 [(BasicBlock b.1"
            " [(Declare m (TInt) (Binary + (Local n (TInt)) (IntLit 1 (TInt)) (TInt)))]"
            " (Ret (Local m (TInt))))]))"
            " (DatagramGraph p (TBytes 9) (Cfg b.2 [(BasicBlock b.2 [(Reply (Local p (TBytes 9)))]"
            " (Ret nil))]))])")
    out = norm(hoist(text))
    assert norm("(FnGraph f [(Param n (TInt))] (TInt) (PooledCfg b.1 [(Slot m (TInt))]") in out
    assert norm("(DatagramGraph p (TBytes 9) (PooledCfg b.2 []") in out


def test_a_graph_without_locals_keeps_its_blocks_as_the_same_objects() -> None:
    tree = read_tree(graph("(BasicBlock b.1 [(Send (BytesLit #\"x\" (TBytes 1)))] (CloseExit))"),
                     Linear)
    out, _ = HoistLocals().apply(tree, Facts())
    before = [n for n in walk(tree) if isinstance(n, BasicBlock)]
    after = [n for n in walk(out) if isinstance(n, BasicBlock)]
    assert after[0] is before[0]
    (cfg,) = [n for n in walk(out) if isinstance(n, PooledCfg)]
    assert cfg.slots == ()


def test_a_service_without_graphs_is_returned_as_it_is() -> None:
    tree = read_tree("(Service s [(Listen tcp (IntLit 7 (TInt)))])", Linear)
    out, _ = HoistLocals().apply(tree, Facts())
    assert out is tree


def test_one_name_with_two_types_is_an_internal_error() -> None:
    text = graph("(BasicBlock b.1 [(Declare x (TInt) (IntLit 1 (TInt)))"
                 " (Declare x (TBool) (BoolLit #t (TBool)))] (CloseExit))")
    with pytest.raises(InternalError, match="two types"):
        hoist(text)


def test_source_program(tmp_path: Path) -> None:
    src = """service t {
        listen tcp 7;
        session {
            let line = recv_line(64) else { close; };
            let n = parse_int(line) else { send("?\\r\\n"); close; };
            send(itoa(n * 2));
            close;
        }
    }"""
    result = run(src, "hoist-locals", tmp_path)
    assert isinstance(result.tree, Service)
    (cfg,) = [n for n in walk(result.tree) if isinstance(n, PooledCfg)]
    names = [s.name for s in cfg.slots]
    assert "line" in names and "n" in names
    assert names.index("line") < names.index("n")
    assert len(names) == len(set(names))


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_every_example_has_no_declare_left_and_every_local_is_a_slot(example: Path) -> None:
    result = run_example(example, "hoist-locals")
    assert not any(isinstance(n, Declare) for n in walk(result.tree))
    check(result.tree, Pooled)
    assert isinstance(result.tree, Service)
    for d in result.tree.decls:
        body = getattr(d, "body", None)
        if not isinstance(body, PooledCfg):
            continue
        known = {s.name for s in body.slots}
        known |= {p.name for p in getattr(d, "params", ())}
        if isinstance(d, DatagramGraph):
            known.add(d.name)
        used = {n.name for n in walk(body) if isinstance(n, Local)}
        assert used <= known, used - known
