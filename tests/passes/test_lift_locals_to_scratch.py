"""lift-locals-to-scratch: Cish -> Cish, on printed Cish and on every example (and its C stack)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from nanowyki import pipeline
from nanowyki.emit_c import emit_c
from nanowyki.framework import Facts, InternalError, RunOptions, check, print_tree, read_tree, walk
from nanowyki.languages.cish import (
    CArrayT,
    CCall,
    CFuncDef,
    Cish,
    CName,
    CStructDef,
    CStructT,
    CUnit,
)
from nanowyki.passes.lift_locals_to_scratch import LiftLocalsToScratch

from .cish_support import EXAMPLES, ROOT

# fn_pick takes a struct by value and has a byte-string local; fn_len has only scalars and
# calls nothing that needs the scratch; step calls both.
UNIT = """
(CUnit u
  [(CStructDef wyki_bytes_8 [(CVar len (CUInt32)) (CVar data (CArrayT (CUInt8) 8))])
   (CStructDef s_P [(CVar n (CInt64)) (CVar b (CStructT wyki_bytes_8))])
   (CStructDef frame [(CVar state (CUInt32)) (CVar v_p (CStructT s_P))])
   (CFuncDef fn_len [(CVar v_n (CInt64)) (CVar out (CPointerT (CInt64)))] (CStatus)
     [(CVar st (CStatus))]
     [(CAssign (CUnary * (CName out)) (CName v_n)) (CReturn (CIntLit 0 (CStatus)))])
   (CFuncDef fn_pick [(CVar v_p (CStructT s_P)) (CVar out (CPointerT (CStructT wyki_bytes_8)))]
     (CStatus)
     [(CVar st (CStatus)) (CVar v_b (CStructT wyki_bytes_8))]
     [(CAssign (CName v_b) (CMember (CName v_p) b))
      (CAssign (CUnary * (CName out)) (CName v_b))
      (CReturn (CIntLit 0 (CStatus)))])
   (CFuncDef step
     [(CVar f (CPointerT (CStructT frame))) (CVar c (CPointerT (CRuntimeT "struct wyki_conn")))]
     (CStatus)
     [(CVar st (CStatus)) (CVar v_t__1 (CStructT wyki_bytes_8)) (CVar v_t__2 (CInt64))]
     [(CAssign (CName st) (CCall fn_pick [(CArrow (CName f) v_p) (CUnary & (CName v_t__1))]))
      (CIf (CBinary != (CName st) (CIntLit 0 (CStatus))) [(CReturn (CName st))] [])
      (CAssign (CName st) (CCall fn_len [(CIntLit 3 (CInt64)) (CUnary & (CName v_t__2))]))
      (CReturn (CName WYKI_DONE))])])
"""

LIFTED = """
(CUnit u
  [(CStructDef wyki_bytes_8 [(CVar len (CUInt32)) (CVar data (CArrayT (CUInt8) 8))])
   (CStructDef s_P [(CVar n (CInt64)) (CVar b (CStructT wyki_bytes_8))])
   (CStructDef scratch_fn_pick [(CVar v_p (CStructT s_P)) (CVar v_b (CStructT wyki_bytes_8))])
   (CStructDef scratch_step [(CVar v_t__1 (CStructT wyki_bytes_8))])
   (CStructDef scratch
     [(CVar fn_pick (CStructT scratch_fn_pick)) (CVar step (CStructT scratch_step))])
   (CStructDef frame [(CVar state (CUInt32)) (CVar v_p (CStructT s_P))])
   (CFuncDef fn_len [(CVar v_n (CInt64)) (CVar out (CPointerT (CInt64)))] (CStatus)
     [(CVar st (CStatus))]
     [(CAssign (CUnary * (CName out)) (CName v_n)) (CReturn (CIntLit 0 (CStatus)))])
   (CFuncDef fn_pick
     [(CVar w (CPointerT (CStructT scratch))) (CVar out (CPointerT (CStructT wyki_bytes_8)))]
     (CStatus)
     [(CVar st (CStatus)) (CVar s (CPointerT (CStructT scratch_fn_pick)))]
     [(CAssign (CName s) (CUnary & (CArrow (CName w) fn_pick)))
      (CAssign (CArrow (CName s) v_b) (CMember (CArrow (CName s) v_p) b))
      (CAssign (CUnary * (CName out)) (CArrow (CName s) v_b))
      (CReturn (CIntLit 0 (CStatus)))])
   (CFuncDef step
     [(CVar f (CPointerT (CStructT frame))) (CVar c (CPointerT (CRuntimeT "struct wyki_conn")))]
     (CStatus)
     [(CVar w (CPointerT (CStructT scratch)))
      (CVar st (CStatus))
      (CVar v_t__2 (CInt64))
      (CVar s (CPointerT (CStructT scratch_step)))]
     [(CAssign (CName w) (CCall wyki_conn_scratch [(CName c)]))
      (CAssign (CName s) (CUnary & (CArrow (CName w) step)))
      (CAssign (CMember (CArrow (CName w) fn_pick) v_p) (CArrow (CName f) v_p))
      (CAssign (CName st) (CCall fn_pick [(CName w) (CUnary & (CArrow (CName s) v_t__1))]))
      (CIf (CBinary != (CName st) (CIntLit 0 (CStatus))) [(CReturn (CName st))] [])
      (CAssign (CName st) (CCall fn_len [(CIntLit 3 (CInt64)) (CUnary & (CName v_t__2))]))
      (CReturn (CName WYKI_DONE))])])
"""


def lift(text: str) -> str:
    out, _ = LiftLocalsToScratch().apply(read_tree(text, Cish), Facts())
    check(out, Cish)
    return print_tree(out)


def test_aggregate_locals_and_struct_parameters_move_to_the_worker_scratch() -> None:
    assert lift(UNIT) == print_tree(read_tree(LIFTED, Cish))


COPY_S_P = """
   (CFuncDef copy_s_P
     [(CVar dst (CPointerT (CStructT s_P))) (CVar src (CPointerT (CStructT s_P)))] (CVoid) []
     [(CAssign (CMember (CUnary * (CName dst)) n) (CMember (CUnary * (CName src)) n))
      (CReturn nil)])
   (CFuncDef fn_len"""


def test_a_struct_argument_with_a_copy_function_is_stored_by_it() -> None:
    with_copier = UNIT.replace("\n   (CFuncDef fn_len", COPY_S_P, 1)
    assert with_copier != UNIT
    text = " ".join(lift(with_copier).split())
    store = ("(CExprStmt (CCall copy_s_P [(CUnary & (CMember (CArrow (CName w) fn_pick) v_p)) "
             "(CUnary & (CArrow (CName f) v_p))]))")  # fmt: skip
    assert store in text
    assert "(CAssign (CMember (CArrow (CName w) fn_pick) v_p)" not in text


def test_a_function_with_only_scalars_and_no_such_callee_is_left_alone() -> None:
    before = read_tree(UNIT, Cish)
    after, _ = LiftLocalsToScratch().apply(before, Facts())

    def fn_len(unit: object) -> CFuncDef:
        assert isinstance(unit, CUnit)
        return next(d for d in unit.decls if isinstance(d, CFuncDef) and d.name == "fn_len")

    assert fn_len(after) is fn_len(before)
    assert "scratch_fn_len" not in print_tree(after)


def test_a_unit_without_aggregate_locals_is_unchanged() -> None:
    scalars = UNIT.replace("(CVar v_t__1 (CStructT wyki_bytes_8))", "(CVar v_t__1 (CInt64))")
    scalars = scalars.replace(
        "(CVar v_p (CStructT s_P)) (CVar out", "(CVar v_p (CInt64)) (CVar out"
    )
    scalars = scalars.replace(" (CVar v_b (CStructT wyki_bytes_8))]\n     [", "]\n     [")
    tree = read_tree(scalars, Cish)
    out, _ = LiftLocalsToScratch().apply(tree, Facts())
    assert out is tree


def compiled(path: Path) -> CUnit:
    result = pipeline.default().run(pipeline.source_tree(path), RunOptions())
    assert isinstance(result.tree, CUnit)
    return result.tree


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_no_function_of_an_example_keeps_an_aggregate_on_the_stack(path: Path) -> None:
    unit = compiled(path)
    funcs = {d.name: d for d in unit.decls if isinstance(d, CFuncDef)}
    for f in funcs.values():
        for v in (*f.params, *f.locals):
            assert not isinstance(v.type, CStructT | CArrayT), (f.name, v.name)
        for call in (n for n in walk(f) if isinstance(n, CCall) and n.func in funcs):
            callee = funcs[call.func]
            takes_scratch = bool(callee.params) and callee.params[0].name == "w"
            assert takes_scratch == (bool(call.args) and call.args[0] == CName("w"))
    structs = {d.name for d in unit.decls if isinstance(d, CStructDef)}
    assert ("scratch" in structs) == any(s.startswith("scratch_") for s in structs)


# Deterministic: gcc's own account of each function's frame (-fstack-usage), not a timing.
FRAME_LIMIT = 512  # bytes; before this pass http's step took 65 920 and kv's 75 312


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_every_generated_function_has_a_small_c_frame(path: Path, tmp_path: Path) -> None:
    if shutil.which("gcc") is None:
        pytest.fail("gcc is needed (Debian package gcc)")
    c_file = tmp_path / f"{path.stem}.c"
    c_file.write_text(emit_c(compiled(path)))
    include = ["-I", str(ROOT / "runtime_c" / "include"), "-I", str(ROOT / "runtime_c" / "common")]
    subprocess.run(["gcc", "-std=c11", "-O2", "-fstack-usage", "-Wframe-larger-than=2048",
                    "-Werror", *include, "-c", "-o", str(tmp_path / "svc.o"), str(c_file)],
                   check=True, cwd=tmp_path)  # fmt: skip
    frames = {}
    for line in (tmp_path / "svc.su").read_text().splitlines():
        where, size, _ = line.split("\t")
        frames[where] = int(size)
    assert frames and max(frames.values()) <= FRAME_LIMIT, frames


def test_a_call_inside_an_expression_is_an_internal_error() -> None:
    nested = UNIT.replace(
        "(CAssign (CName st) (CCall fn_pick [(CArrow (CName f) v_p) (CUnary & (CName v_t__1))]))",
        "(CIf (CCall fn_pick [(CArrow (CName f) v_p) (CUnary & (CName v_t__1))]) [] [])",
    )
    assert nested != UNIT
    with pytest.raises(InternalError, match="fn_pick"):
        LiftLocalsToScratch().apply(read_tree(nested, Cish), Facts())
