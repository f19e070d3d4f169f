"""convert-to-cish: Placed -> Cish, on printed Placed IL and on real programs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from nanowyki.framework import Facts, InternalError, Node, check, print_tree, read_tree, walk
from nanowyki.languages.cish import (
    CAssign,
    CCall,
    CDataDef,
    CFuncDef,
    CGlobalDef,
    CInt64,
    CIntLit,
    Cish,
    CLabel,
    CMember,
    CName,
    CStructDef,
    CSwitch,
    CUnary,
)
from nanowyki.languages.placed import Placed
from nanowyki.passes.convert_to_cish import ConvertToCish

from .cish_support import EXAMPLES, placed

SMALL = """
(Service s
  [(Listen tcp (IntLit 7 (TInt)))
   (Shared hits (TInt) (IntLit 0 (TInt)))
   (SessionMachine
     (StateMachine b.1
       [(Slot n (TInt))]
       [(Slot t.1 (TInt)) (Slot ok.1 (TBool))]
       [(BasicBlock b.1
          [(Assign (Local t.1 (TInt)) = (Binary + (Local n (TInt)) (IntLit 1 (TInt)) (TInt)))
           (Assign (Local n (TInt)) = (Local t.1 (TInt)))
           (FuelSpend ok.1)]
          (Branch (Local ok.1 (TBool)) b.2 b.3))
        (BasicBlock b.2 [] (CloseExit))
        (BasicBlock b.3 [] (Suspend yield b.1))]))])
"""

SMALL_C = """
(CUnit s
  [(CStructDef frame
     [(CVar state (CUInt32))
      (CVar rx_deadline (CInt64))
      (CVar wake_ms (CInt64))
      (CVar tx_sent (CUInt32))
      (CVar timeout_ms (CInt64))
      (CVar timed_out (CBoolT))
      (CVar v_n (CInt64))])
   (CGlobalDef g_hits (CRuntimeT wyki_atomic64) (CCall WYKI_ATOMIC64_INIT [(CIntLit 0 (CInt64))]))
   (CFuncDef step
     [(CVar f (CPointerT (CStructT frame))) (CVar c (CPointerT (CRuntimeT "struct wyki_conn")))]
     (CStatus)
     [(CVar fuel (CInt64)) (CVar v_t__1 (CInt64)) (CVar v_ok__1 (CBoolT)) (CVar st (CStatus))]
     [(CAssign (CName fuel) (CName WYKI_FUEL))
      (CSwitch
        (CArrow (CName f) state)
        [(CCase (CIntLit 0 (CUInt32)) [(CGoto l_b__1)])
         (CCase nil [(CReturn (CCall WYKI_FAULT_STATUS [(CName WYKI_FAULT_BOUNDS)]))])])
      (CLabel l_b__1)
      (CAssign
        (CName st)
        (CCall wyki_add [(CArrow (CName f) v_n) (CIntLit 1 (CInt64)) (CUnary & (CName v_t__1))]))
      (CIf (CBinary != (CName st) (CIntLit 0 (CStatus))) [(CReturn (CName st))] [])
      (CAssign (CArrow (CName f) v_n) (CName v_t__1))
      (CAssign (CName v_ok__1) (CCall wyki_fuel_spend [(CUnary & (CName fuel))]))
      (CIf (CName v_ok__1) [(CGoto l_b__2)] [(CGoto l_b__3)])
      (CLabel l_b__2)
      (CReturn (CName WYKI_DONE))
      (CLabel l_b__3)
      (CAssign (CArrow (CName f) state) (CIntLit 0 (CUInt32)))
      (CReturn (CName WYKI_YIELD))])])
"""


def convert(text: str) -> str:
    out, _ = ConvertToCish().apply(read_tree(text, Placed), Facts())
    check(out, Cish)
    return print_tree(out)


def test_a_session_becomes_a_frame_struct_and_a_step_with_a_switch_on_the_state() -> None:
    assert convert(SMALL) == print_tree(read_tree(SMALL_C, Cish))


def test_frame_slots_are_reached_through_f_and_locals_are_step_locals() -> None:
    text = convert(SMALL)
    assert "(CArrow (CName f) v_n)" in text  # a frame slot
    assert "(CVar v_t__1 (CInt64))" in text and "(CArrow (CName f) v_t__1)" not in text


def test_checked_addition_is_a_call_whose_status_is_tested() -> None:
    text = convert(SMALL)
    assert "(CCall wyki_add" in text
    assert "(CIf (CBinary != (CName st) (CIntLit 0 (CStatus))) [(CReturn (CName st))] [])" in text


RECEIVE = """
(Service r
  [(Listen tcp (IntLit 7 (TInt)))
   (SessionMachine
     (StateMachine b.1
       [(Slot o.1 (TOption (TBytes 16)))]
       [(Slot ready.1 (TBool)) (Slot t.2 (TBool)) (Slot done.1 (TBool))]
       [(BasicBlock b.1 [(RxBegin)] (Goto rx.1))
        (BasicBlock rx.1 [(RxLine o.1 (IntLit 16 (TInt)) ready.1)]
          (Branch (Local ready.1 (TBool)) b.2 w.1))
        (BasicBlock w.1 [] (Suspend input rx.1))
        (BasicBlock b.2 [(Assign (Local t.2 (TBool)) = (IsNone (Local o.1 (TOption (TBytes 16)))
                                                          (TBool)))]
          (Branch (Local t.2 (TBool)) b.3 tx.1))
        (BasicBlock tx.1 [(TxWrite (BytesLit #"hi" (TBytes 2)) done.1)]
          (Branch (Local done.1 (TBool)) b.3 w.2))
        (BasicBlock w.2 [] (Suspend output tx.1))
        (BasicBlock b.3 [] (CloseExit))]))])
"""


def test_receives_and_sends_become_runtime_calls_and_suspensions_become_returns() -> None:
    text = convert(RECEIVE)
    assert "(CCall wyki_deadline [(CArrow (CName f) timeout_ms)])" in text
    assert "(CCall wyki_rx_line" in text and "(CCall wyki_tx_send" in text
    assert "(CReturn (CName WYKI_NEED_INPUT))" in text
    assert "(CReturn (CName WYKI_NEED_OUTPUT))" in text
    # states: the entry 0, then each resume label in block order
    assert "(CCase (CIntLit 1 (CUInt32)) [(CGoto l_rx__1)])" in text
    assert "(CCase (CIntLit 2 (CUInt32)) [(CGoto l_tx__1)])" in text


def test_byte_string_literals_stay_in_place_with_the_struct_of_their_own_length() -> None:
    text = convert(RECEIVE)
    assert '(CBytesLit #"hi")' in text and "CDataDef" not in text  # hoist-static-data's job
    bytes2 = "(CStructDef wyki_bytes_2 [(CVar len (CUInt32)) (CVar data (CArrayT (CUInt8) 2))])"
    opt16 = "(CStructDef wyki_opt_b16 [(CVar some (CBoolT)) (CVar value (CStructT wyki_bytes_16))])"
    assert bytes2 in text and opt16 in text


def test_struct_definitions_come_before_their_users() -> None:
    out, _ = ConvertToCish().apply(read_tree(RECEIVE, Placed), Facts())
    names = [d.name for d in out.decls if isinstance(d, CStructDef)]  # type: ignore[attr-defined]
    assert names.index("wyki_bytes_16") < names.index("wyki_opt_b16") < names.index("frame")


def test_a_return_in_a_session_is_an_internal_error() -> None:
    bad = SMALL.replace("(BasicBlock b.2 [] (CloseExit))", "(BasicBlock b.2 [] (Ret nil))")
    with pytest.raises(InternalError, match="no C form for this exit in a session"):
        convert(bad)


SOURCE = """
service u {
    listen udp 5300;
    shared count: int = 0;
    shared on: bool = false;
    table seen: map<bytes[8], int>[4];
    fn twice(b: bytes[8]) -> bytes[16] { return b ++ b; }
    datagram pkt: bytes[8] {
        count += 1;
        on = !on;
        seen.put(pkt, count);
        reply(twice(pkt), " ", itoa(count));
    }
    every 1 s { count = 0; }
}
"""


def test_functions_datagrams_timers_tables_and_shared_variables(tmp_path: Path) -> None:
    tree, facts = placed(tmp_path / "u.wyki", SOURCE)
    out, _ = ConvertToCish().apply(tree, facts)
    check(out, Cish)
    funcs = {d.name: d for d in out.decls if isinstance(d, CFuncDef)}  # type: ignore[attr-defined]
    assert set(funcs) == {"fn_twice", "datagram", "timer_0"}
    twice = funcs["fn_twice"]
    assert [p.name for p in twice.params] == ["v_b_data", "v_b_len", "out"]
    globals_ = {d.name for d in out.decls if isinstance(d, CGlobalDef)}  # type: ignore[attr-defined]
    assert globals_ == {"g_count", "g_on", "t_seen"}
    assert any(isinstance(d, CDataDef) and d.name == "wyki_tables" for d in out.decls)  # type: ignore
    calls = {n.func for n in walk(out) if isinstance(n, CCall)}
    assert {
        "wyki_atomic_load",
        "wyki_atomic_store",
        "wyki_table_put",
        "wyki_table_status",
        "wyki_reply_bytes",
        "wyki_itoa",
        "wyki_concat",
        "fn_twice",
    } <= calls


def test_labels_only_at_the_top_level_of_function_bodies(tmp_path: Path) -> None:
    for example in EXAMPLES:
        tree, facts = placed(example)
        out, _ = ConvertToCish().apply(tree, facts)
        for d in out.decls:  # type: ignore[attr-defined]
            if isinstance(d, CFuncDef):
                nested = [
                    n
                    for s in d.body
                    if not isinstance(s, CLabel)
                    for n in walk(s)
                    if isinstance(n, CLabel)
                ]
                assert nested == [], d.name


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_every_example_converts_into_valid_cish(example: Path) -> None:
    tree, facts = placed(example)
    out, _ = ConvertToCish().apply(tree, facts)
    check(out, Cish)
    has_session = any(isinstance(d, CFuncDef) and d.name == "step" for d in out.decls)  # type: ignore
    if has_session:
        step = next(d for d in out.decls if isinstance(d, CFuncDef) and d.name == "step")  # type: ignore
        assert isinstance(step.body[1], CSwitch)


COPIES = """
service c {
    listen tcp 7000;
    sessions 4;
    struct P { n: int, name: bytes[64] }
    struct Q { a: int, b: bool }
    shared count: int = 0;
    fn make(name: bytes[64]) -> P { return P(n: 1, name: name); }
    fn pick(p: P, q: P) -> P {
        var r = p;
        if r.n < q.n { r = q; }
        return r;
    }
    fn flip(q: Q) -> Q { var r = q; r.b = !r.b; return r; }
    fn bump(k: int) -> int {
        count += k * 2;
        let seen = count;
        let twice = seen * 2;
        count = seen - 1;
        return twice;
    }
    session {
        let line = recv_line(64) else { close; };
        var copy: bytes[64] = line;
        copy = line;
        let p = pick(make(copy), make("x"));
        send(p.name, " ", flip(Q(a: 1, b: true)).a, " ", bump(1), "\\n");
        close;
    }
}
"""


def converted(tmp_path: Path, source: str) -> tuple[str, dict[str, CFuncDef]]:
    tree, facts = placed(tmp_path / "c.wyki", source)
    out, _ = ConvertToCish().apply(tree, facts)
    check(out, Cish)
    funcs = {d.name: d for d in out.decls if isinstance(d, CFuncDef)}  # type: ignore[attr-defined]
    return print_tree(out), funcs


def calls(node: Node, func: str) -> list[str]:
    """The arguments of each call of `func` under `node`, printed on one line."""
    found = [n for n in walk(node) if isinstance(n, CCall) and n.func == func]
    return [" ".join(" ".join(print_tree(a).split()) for a in c.args) for c in found]


def test_a_byte_string_copy_costs_its_length(tmp_path: Path) -> None:
    _, funcs = converted(tmp_path, COPIES)
    sets = calls(funcs["step"], "wyki_bytes_set")
    assert any(a.startswith("(CMember (CName v_copy) data)") for a in sets)
    whole = [
        n for n in walk(funcs["step"]) if isinstance(n, CAssign) and n.target == CName("v_copy")
    ]
    assert whole == []  # never the whole bytes[64] struct


def test_a_struct_holding_byte_strings_is_copied_by_its_copy_function(tmp_path: Path) -> None:
    _, funcs = converted(tmp_path, COPIES)
    copy = " ".join(print_tree(funcs["copy_s_P"]).split())
    assert "(CAssign (CMember (CUnary * (CName dst)) n) (CMember (CUnary * (CName src)) n))" in copy
    assert calls(funcs["copy_s_P"], "wyki_bytes_set") == [
        "(CMember (CMember (CUnary * (CName dst)) name) data) "
        "(CUnary & (CMember (CMember (CUnary * (CName dst)) name) len)) "
        "(CMember (CMember (CUnary * (CName src)) name) data) "
        "(CMember (CMember (CUnary * (CName src)) name) len)"
    ]
    assert "(CUnary & (CName v_r)) (CUnary & (CName v_p))" in calls(funcs["fn_pick"], "copy_s_P")
    # must not fire: a struct of scalars is copied by C's `=` (no copy function)
    assert "copy_s_Q" not in funcs
    assert CAssign(CUnary("*", CName("out")), CName("v_r")) in walk(funcs["fn_flip"])


def test_a_result_built_in_place_is_computed_into_out(tmp_path: Path) -> None:
    _, funcs = converted(tmp_path, COPIES)
    make = funcs["fn_make"]  # BuildResult(P(n: 1, name: name)) and RetBuilt
    assert [v.name for v in make.locals if "t__" in v.name] == []  # no temporary P
    assert CAssign(CMember(CUnary("*", CName("out")), "n"), CIntLit(1, CInt64())) in walk(make)
    assert calls(make, "copy_s_P") == []  # RetBuilt copies nothing out
    # a plain return copies its local out
    assert "(CName out) (CUnary & (CName v_r))" in calls(funcs["fn_pick"], "copy_s_P")


def test_a_shared_update_is_one_atomic_call_leaving_the_old_value(tmp_path: Path) -> None:
    _, funcs = converted(tmp_path, COPIES)
    (add,) = calls(funcs["fn_bump"], "wyki_shared_add")
    assert add.startswith("(CUnary & (CName g_count)) (CName v_t__")
    assert re.search(r"\(CUnary & \(CName v_t__\d+\)\)$", add)  # &old: the old value
    # a plain read and a plain write are an atomic load and an atomic store
    assert calls(funcs["fn_bump"], "wyki_atomic_load") != []
    assert calls(funcs["fn_bump"], "wyki_atomic_store") != []


def chain(*links: str) -> str:
    """A session building links into its local `t.2`."""
    return f"""
(Service s
  [(Listen tcp (IntLit 7 (TInt)))
   (SessionMachine
     (StateMachine b.1
       [(Slot a (TBytes 4))]
       [(Slot t.2 (TBytes 12))]
       [(BasicBlock b.1 [{" ".join(links)}] (CloseExit))]))])
"""


def concats(text: str) -> list[str]:
    """Each `wyki_concat` call as `left -> dest (capacity)`, on the variables' names."""
    tree = read_tree(text, Cish)
    found = []
    for args in (c.args for c in walk(tree) if isinstance(c, CCall) and c.func == "wyki_concat"):
        left, dest = (" ".join(print_tree(x).split()) for x in (args[0], args[4]))
        found.append(f"{left} -> {dest} ({args[5].value})")  # type: ignore[attr-defined]
    return [x.replace("(CMember ", "").replace(" data)", "") for x in found]


def test_a_concatenation_chain_is_written_then_appended_in_its_buffer() -> None:
    a = "(Local a (TBytes 4))"
    text = convert(chain(f"(ConcatInto t.2 {a} {a} 8)", f"(AppendInto t.2 {a} 12)"))
    # a ++ a straight into t.2 with the first link's capacity, then `++ a` appended in place
    assert concats(text) == [
        "(CArrow (CName f) v_a) -> (CName v_t__2) (8)",
        "(CName v_t__2) -> (CName v_t__2) (12)",
    ]
