"""hoist-static-data: Cish -> Cish, on printed Cish and on every example."""

from __future__ import annotations

from pathlib import Path

import pytest

from nanowyki.framework import Facts, InternalError, Node, check, print_tree, read_tree, walk
from nanowyki.interp.cish import CishInterpreter
from nanowyki.interp.world import World
from nanowyki.languages.cish import CBytesLit, CConstRef, CDataDef, Cish, CName, CUnit
from nanowyki.passes.convert_to_cish import ConvertToCish
from nanowyki.passes.hoist_static_data import HoistStaticData

from .cish_support import EXAMPLES, placed

BYTES_2 = "(CStructDef wyki_bytes_2 [(CVar len (CUInt32)) (CVar data (CArrayT (CUInt8) 2))])"
BYTES_3 = "(CStructDef wyki_bytes_3 [(CVar len (CUInt32)) (CVar data (CArrayT (CUInt8) 3))])"
PAIR = "(CStructDef s_Pair [(CVar a (CStructT wyki_bytes_2)) (CVar b (CStructT wyki_bytes_3))])"
FRAME = "(CStructDef frame [(CVar state (CUInt32))])"
HI = "(CConstRef HI (CStructT wyki_bytes_2) (CInitList [(CInit len (CIntLit 2 (CUInt32))) " \
     '(CInit data (CBytesInit #"hi"))]))'  # fmt: skip
PAIR_INIT = ('(CInitList [(CInit a (CInitList [(CInit len (CIntLit 2 (CUInt32))) '
             '(CInit data (CBytesInit #"ab"))])) (CInit b (CInitList [(CInit len '
             '(CIntLit 3 (CUInt32))) (CInit data (CBytesInit #"cde"))]))])')  # fmt: skip
P = f"(CConstRef P (CStructT s_Pair) {PAIR_INIT})"


SERVICE = """(CServiceDef (CInitList [(CInit name (CStrLit u)) (CInit proto (CName WYKI_TCP))
  (CInit port (CIntLit 7 (CUInt32))) (CInit max_sessions (CIntLit 4 (CUInt32)))]))"""


def unit(*stmts: str) -> str:
    """A unit whose one function `f` runs `stmts`, after the struct definitions and `frame`."""
    body = " ".join((*stmts, "(CReturn (CIntLit 0 (CStatus)))"))
    return (f"(CUnit u [{BYTES_2} {BYTES_3} {PAIR} {FRAME}"
            f" (CFuncDef f [] (CStatus) [] [{body}]) {SERVICE}])")  # fmt: skip


def log(value: str) -> str:
    """`wyki_log_bytes(value.data, value.len)`: reads `value` twice."""
    return f"(CExprStmt (CCall wyki_log_bytes [(CMember {value} data) (CMember {value} len)]))"


def hoist(text: str) -> Node:
    out, _ = HoistStaticData().apply(read_tree(text, Cish), Facts())
    check(out, Cish)
    assert not any(isinstance(n, CBytesLit | CConstRef) for n in walk(out))
    return out


def decls(out: Node) -> list[str]:
    """The unit's declarations, as `FORM NAME`."""
    assert isinstance(out, CUnit)
    return [f"{type(d).__name__} {getattr(d, 'name', '')}".strip() for d in out.decls]


def test_a_unit_without_literals_or_constants_is_unchanged() -> None:
    tree = read_tree(unit(log("(CName v_x)")), Cish)
    out, _ = HoistStaticData().apply(tree, Facts())
    assert out is tree


def test_a_literal_used_twice_is_defined_once_after_the_struct_definitions() -> None:
    out = hoist(unit(log('(CBytesLit #"hi")'), log('(CBytesLit #"hey")'),
                     log('(CBytesLit #"hi")')))  # fmt: skip
    assert decls(out) == [
        "CStructDef wyki_bytes_2", "CStructDef wyki_bytes_3", "CStructDef s_Pair",
        "CStructDef frame", "CDataDef lit_0", "CDataDef lit_1", "CFuncDef f", "CServiceDef",
    ]  # fmt: skip
    text = print_tree(out)
    assert ('(CDataDef lit_0\n     (CStructT wyki_bytes_2)\n     (CInitList [(CInit len '
            '(CIntLit 2 (CUInt32))) (CInit data (CBytesInit #"hi"))]))') in text  # fmt: skip
    assert '(CInit data (CBytesInit #"hey"))' in text
    reads = [n.name for n in walk(out) if isinstance(n, CName) and n.name.startswith("lit_")]
    assert reads == ["lit_0", "lit_0", "lit_1", "lit_1", "lit_0", "lit_0"]  # first-use order


def test_constants_follow_the_literals_each_once_in_order_of_first_use() -> None:
    out = hoist(unit(log("(CMember " + P + " a)"), log(HI), log('(CBytesLit #"x")'),
                     log("(CMember " + P + " b)")))  # fmt: skip
    assert decls(out)[4:] == ["CDataDef lit_0", "CDataDef k_P", "CDataDef k_HI", "CFuncDef f",
                              "CServiceDef"]  # fmt: skip
    k_p = read_tree(f"(CUnit x [(CDataDef k_P (CStructT s_Pair) {PAIR_INIT})])", Cish)
    assert k_p.decls[0] in out.decls  # type: ignore[attr-defined]
    assert "(CMember (CName k_HI) data)" in print_tree(out)


def test_two_values_for_one_constant_are_a_compiler_bug() -> None:
    other = HI.replace('#"hi"', '#"ho"')
    with pytest.raises(InternalError, match="two values for the constant 'HI'"):
        hoist(unit(log(HI), log(other)))


def test_the_interpreter_reads_a_literal_in_place_as_it_reads_its_static_data() -> None:
    before = read_tree(unit(log(P), log('(CBytesLit #"hi")')), Cish)
    after = hoist(unit(log(P), log('(CBytesLit #"hi")')))
    for tree in (before, after):
        interp = CishInterpreter(tree, Facts())
        interp.start(World())
        reads = [n for n in walk(tree) if isinstance(n, CConstRef | CBytesLit)
                 or (isinstance(n, CName) and n.name in ("k_P", "lit_0"))]  # fmt: skip
        p, hi = reads[0], reads[-1]  # each is read twice: its data and its len
        assert interp.eval(p, {}) == {"a": {"len": 2, "data": bytearray(b"ab")},
                                      "b": {"len": 3, "data": bytearray(b"cde")}}  # fmt: skip
        assert interp.eval(hi, {}) == {"len": 2, "data": bytearray(b"hi")}


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_examples_keep_no_literal_in_place(example: Path) -> None:
    tree, facts = placed(example)
    converted, facts = ConvertToCish().apply(tree, facts)
    out, _ = HoistStaticData().apply(converted, facts)
    check(out, Cish)
    assert not any(isinstance(n, CBytesLit | CConstRef) for n in walk(out))
    defined = {d.name for d in out.decls if isinstance(d, CDataDef)}  # type: ignore[attr-defined]
    read = {n.name for n in walk(out) if isinstance(n, CName)}
    assert {n for n in read if n.startswith(("lit_", "k_"))} <= defined
