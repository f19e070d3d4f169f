"""lift-locals-to-scratch: every aggregate local in a per-worker static frame, off the C stack."""

from __future__ import annotations

from typing import TypeVar, cast

from nanowyki.framework import InternalError, Node, Transform, walk
from nanowyki.framework.node import map_children
from nanowyki.framework.span import Span
from nanowyki.languages.cish import (
    CArrayT,
    CArrow,
    CAssign,
    CCall,
    CCase,
    CDecl,
    CExpr,
    CExprStmt,
    CFuncDef,
    CIf,
    Cish,
    CMember,
    CName,
    CPointerT,
    CStmt,
    CStructDef,
    CStructT,
    CSwitch,
    CType,
    CUnary,
    CUnit,
    CVar,
)

N = TypeVar("N", bound=Node)
SCRATCH = "scratch"  # the worker's scratch: `struct scratch`, one member per function
WORKER = "w"  # a function's pointer to it (a parameter of `fn_*`, a local of the handlers)
OWN = "s"  # a function's own part of it, `&w->NAME`


class LiftLocalsToScratch(Transform):
    """Cish -> Cish: move the aggregate locals and parameters into the worker's scratch.

    WYKI has no recursion (the call graph is a DAG) and no function blocks, so at most one
    activation of each C function exists per worker at a time: its locals can live in a static
    frame per worker instead of on the C stack. Only the aggregates move (byte strings,
    optionals, structs: the kilobytes); scalars stay C locals, in registers. A struct passed by
    value moves too: the caller stores it in the callee's part, just before the call. Then the
    C stack use of generated code is small and constant, whatever the byte-string bounds, which
    the kernel's 16 KiB stack needs.

    Establishes: `struct scratch_NAME` per function with aggregate locals or parameters, and
    `struct scratch` holding one of each (the runtime allocates one per worker,
    `sizeof(struct scratch)` bytes, and hands it to the handlers: the `scratch` parameter,
    `wyki_conn_scratch(c)` in `step`); in such a function, `s = &w->NAME;` first and every use
    of a moved local `x` is `s->x`; every `fn_*` that needs the scratch (its own, or a
    callee's) takes `struct scratch *w` first, and every call passes it. A unit without
    aggregate locals is unchanged.
    Assumes: the unit came from convert-to-cish (handlers `step`, `datagram`, `timer_K`; other
    functions are `fn_*`, called only by name, as the whole value of a statement: `st = f(..)`)
    and has no recursion.

        (CFuncDef fn_f [(CVar p (CStructT s_P)) out] (CStatus) [st (CVar v_b (CStructT B))] B)
        ->
        (CStructDef scratch_fn_f [(CVar p (CStructT s_P)) (CVar v_b (CStructT B))])
        (CStructDef scratch [(CVar fn_f (CStructT scratch_fn_f))])
        (CFuncDef fn_f [w out] (CStatus) [st (CVar s (CPointerT scratch_fn_f))]
          [(CAssign (CName s) (CUnary & (CArrow (CName w) fn_f))) ...(CArrow (CName s) v_b)...])
        and a call `st = fn_f(x, &r);` becomes `w->fn_f.p = x; st = fn_f(w, &r);`
        (`copy_s_P(&w->fn_f.p, &x);` when convert-to-cish defined a copy function for s_P)
    """

    name = "lift-locals-to-scratch"
    input = Cish
    output = Cish

    def transform(self, tree: Node) -> Node:
        if not isinstance(tree, CUnit):
            raise self.fail(tree, "expected a CUnit")
        funcs = {d.name: d for d in tree.decls if isinstance(d, CFuncDef)}
        moved = {name: tuple(v for v in (*f.params, *f.locals) if _aggregate(v))
                 for name, f in funcs.items()}  # fmt: skip
        needs: dict[str, bool] = {}

        def needs_scratch(name: str) -> bool:  # its own locals or a callee's (a DAG)
            if name not in needs:
                callees = {n.func for n in walk(funcs[name]) if isinstance(n, CCall)}
                needs[name] = bool(moved[name]) or any(
                    needs_scratch(g) for g in callees if g in funcs
                )
            return needs[name]

        for name in funcs:
            needs_scratch(name)
        if not any(moved.values()):
            return tree
        self.funcs = funcs
        self.needs = needs
        parts = [CStructDef(_part(n), vs) for n, vs in moved.items() if vs]
        whole = CStructDef(SCRATCH, tuple(CVar(n, CStructT(_part(n))) for n, vs in moved.items()
                                          if vs))  # fmt: skip
        decls: list[CDecl] = []
        for d in tree.decls:
            if isinstance(d, CFuncDef):
                d = self.function(d, moved[d.name])
            elif isinstance(d, CStructDef) and d.name == "frame":
                decls += [*parts, whole]
            decls.append(d)
        if whole not in decls:  # no session: the parts go before the first function
            first = next(i for i, d in enumerate(decls) if isinstance(d, CFuncDef))
            decls[first:first] = [*parts, whole]
        return CUnit(tree.name, tuple(decls))

    def function(self, f: CFuncDef, moved: tuple[CVar, ...]) -> CFuncDef:
        if not self.needs[f.name]:
            return f
        self.moved_names = {v.name for v in moved}
        worker = CVar(WORKER, CPointerT(CStructT(SCRATCH)))
        params = tuple(v for v in f.params if v.name not in self.moved_names)
        locals_ = tuple(v for v in f.locals if v.name not in self.moved_names)
        prologue: list[CStmt] = []
        if f.name.startswith("fn_"):
            params = (worker, *params)
        else:
            locals_ = (worker, *locals_)
            prologue.append(CAssign(CName(WORKER), _handler_scratch(f.name)))
        if moved:
            locals_ = (*locals_, CVar(OWN, CPointerT(CStructT(_part(f.name)))))
            prologue.append(CAssign(CName(OWN), CUnary("&", CArrow(CName(WORKER), f.name))))
        body = self.block(f.body)
        return CFuncDef(f.name, params, f.result, locals_, (*prologue, *body), span=f.span)

    def block(self, body: tuple[CStmt, ...]) -> tuple[CStmt, ...]:
        out: list[CStmt] = []
        for s in body:
            match s:
                case CAssign(target, CCall() as call) if call.func in self.funcs:
                    out += self.pass_aggregates(call, s.span)
                    s = CAssign(self.expr(target), self.call(call), span=s.span)
                case CExprStmt(CCall() as call) if call.func in self.funcs:
                    out += self.pass_aggregates(call, s.span)
                    s = CExprStmt(self.call(call), span=s.span)
                case CIf(cond, then, else_):
                    s = CIf(self.expr(cond), self.block(then), self.block(else_), span=s.span)
                case CSwitch(value, cases):
                    cases = tuple(CCase(c.value, self.block(c.body), span=c.span) for c in cases)
                    s = CSwitch(self.expr(value), cases, span=s.span)
                case _:
                    s = self.expr(s)
            out.append(s)
        return tuple(out)

    def pass_aggregates(self, call: CCall, span: Span | None) -> list[CStmt]:
        """The stores of `call`'s aggregate arguments into its callee's part of the scratch,
        which precede the statement of the call (and carry its span, as the emitter's
        statements inherit it)."""
        callee = self.funcs[call.func]
        if len(call.args) != len(callee.params):
            raise InternalError(self.name, f"'{call.func}' called with {len(call.args)} "
                                f"arguments, declared with {len(callee.params)}")  # fmt: skip
        part = CArrow(CName(WORKER), call.func)
        pairs = zip(callee.params, call.args, strict=True)
        return [self.store(CMember(part, p.name), p.type, self.expr(a), span)
                for p, a in pairs if _aggregate(p)]  # fmt: skip

    def store(self, dest: CExpr, t: CType, value: CExpr, span: Span | None) -> CStmt:
        """`dest = value;`, by the type's copy function when it has one (convert-to-cish made
        `copy_TYPE` for each by-value parameter type holding byte strings)."""
        copier = f"copy_{t.name}" if isinstance(t, CStructT) else ""
        if copier in self.funcs:
            return CExprStmt(CCall(copier, (CUnary("&", dest), CUnary("&", value))), span=span)
        return CAssign(dest, value, span=span)

    def call(self, call: CCall) -> CCall:
        """A call of a unit function without its aggregate arguments (pass_aggregates stored
        them), with the scratch first if the callee needs it."""
        params = self.funcs[call.func].params
        kept = tuple(self.expr(a) for p, a in zip(params, call.args, strict=True)
                     if not _aggregate(p))  # fmt: skip
        if self.needs[call.func]:
            kept = (CName(WORKER), *kept)
        return CCall(call.func, kept, span=call.span)

    def expr(self, n: N) -> N:
        """`n` with each moved local `x` read as `s->x`."""
        match n:
            case CName(name) if name in self.moved_names:
                return cast(N, CArrow(CName(OWN), name))
            case CCall(func) if func in self.funcs:
                raise InternalError(self.name, f"a call of '{func}' that is not a whole "
                                    "statement (`st = f(...);`)")  # fmt: skip
            case _:
                return cast(N, map_children(n, self.expr))


def _handler_scratch(handler: str) -> CExpr:
    """Where a handler finds the scratch: the connection's (`step`), else its parameter."""
    if handler == "step":
        return CCall("wyki_conn_scratch", (CName("c"),))
    return CName("scratch")


def _aggregate(v: CVar) -> bool:
    return isinstance(v.type, CStructT | CArrayT)


def _part(function: str) -> str:
    return f"scratch_{function}"
