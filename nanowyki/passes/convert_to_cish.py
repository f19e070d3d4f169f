"""convert-to-cish: the service as a C translation unit."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from nanowyki.framework import InternalError, Node, Transform, walk
from nanowyki.framework.span import Span
from nanowyki.languages.cish import (
    CArrayT,
    CArrow,
    CAssign,
    CBoolLit,
    CBoolT,
    CBytesLit,
    CCall,
    CCase,
    CConstRef,
    CDataDef,
    CDecl,
    CExpr,
    CExprStmt,
    CFuncDef,
    CGlobalDef,
    CGoto,
    CIf,
    CInit,
    CInitList,
    CInt64,
    CIntLit,
    Cish,
    CLabel,
    CMember,
    CName,
    CPointerT,
    CReturn,
    CRuntimeT,
    CSizeof,
    CStatus,
    CStmt,
    CStrLit,
    CStructDef,
    CStructT,
    CSwitch,
    CUInt8,
    CUInt32,
    CUnary,
    CUnit,
    CVar,
    CVoid,
)
from nanowyki.languages.evented import SessionMachine, StateMachine
from nanowyki.languages.linear import (
    BasicBlock,
    Branch,
    CloseExit,
    DatagramGraph,
    Exit,
    FaultExit,
    FnGraph,
    Goto,
    Ret,
    TimerGraph,
)
from nanowyki.languages.placed import BuildResult, Placed, RetBuilt
from nanowyki.languages.pooled import PooledCfg
from nanowyki.languages.socketless import (
    FuelSpend,
    RxBegin,
    RxExact,
    RxLine,
    RxSome,
    RxUntil,
    SleepBegin,
    SleepDone,
    Suspend,
    TxWrite,
)
from nanowyki.languages.surface import (
    ArrayLit,
    BoolLit,
    BytesLit,
    Const,
    IntLit,
    Param,
    Service,
    Shared,
    Stmt,
    Struct,
    StructValue,
    Table,
)
from nanowyki.languages.types import TBool, TBytes, TInt, TTable, TUnit, Type

from .cish_lower import Body, addr, fault, holds_bytes, i64, u32
from .cish_types import c_type, field_name, label_name, struct_defs, var_name
from .hoist_static_data import bytes_init

# The session's runtime state, kept in its frame before the machine's slots.
RUNTIME_FIELDS = (
    CVar("state", CUInt32()),
    CVar("rx_deadline", CInt64()),  # now_ms at which the pending receive times out, 0: never
    CVar("wake_ms", CInt64()),  # now_ms at which the pending sleep ends
    CVar("tx_sent", CUInt32()),  # bytes of the pending send already queued
    CVar("timeout_ms", CInt64()),  # set_timeout(ms); 0: no timeout
    CVar("timed_out", CBoolT()),  # timed_out()
)
SUSPEND_STATUS = {"input": "WYKI_NEED_INPUT", "output": "WYKI_NEED_OUTPUT",
                  "time": "WYKI_SLEEP", "yield": "WYKI_YIELD"}  # fmt: skip
STEP_PARAMS = (CVar("f", CPointerT(CStructT("frame"))),
               CVar("c", CPointerT(CRuntimeT("struct wyki_conn"))))  # fmt: skip
SCRATCH = CVar("scratch", CPointerT(CVoid()))


class _Function:
    """The locals of one C function being built, and its `Body`."""

    def __init__(self, pass_: ConvertToCish, context: str, frame: frozenset[str]) -> None:
        self.locals: list[CVar] = [CVar("st", CStatus())]
        self.count = 0
        self.body = Body(lambda n: n in frame, pass_.constant,
                         lambda s: pass_.structs[s], self.fresh, context, pass_.copier)

    def fresh(self, t: Type) -> str:
        self.count += 1
        name = f"tmp_{self.count}"
        self.locals.append(CVar(name, c_type(t)))
        return name


class ConvertToCish(Transform):
    """Placed -> Cish: the service as a C translation unit.

    Establishes: a `CUnit` holding the struct definitions of every type the program uses (each
    after the types it holds; a literal's `bytes[len]` included), a `wyki_atomic64` per shared
    variable, a table handle per table and the `wyki_tables` declarations, `fn_NAME` per
    function, `datagram` for the datagram handler, `timer_K` per timer, and for the session
    `struct frame` (state, runtime state, frame slots) and `step` (a switch on `f->state` that
    jumps to the labelled blocks; state 0 is the entry, then each resume label in order).
    Copies cost what they copy: `copy_TYPE(dst, src)` per aggregate type holding byte strings
    that is copied or passed by value (see cish_lower). A byte-string literal is a `CBytesLit`
    and a read of a `const` a `CConstRef`, in place (hoist-static-data defines their static
    data). The forms of `Placed` are printed as they are: a `SharedUpdate` is one atomic
    `wyki_shared_OP(&g_n, b, &t)`, a `ConcatInto` or `AppendInto` a `wyki_concat` into its
    buffer with its capacity, a `BuildResult` computes its value into `*out` (and `RetBuilt`
    only returns).
    Every C statement of a function body carries the span of the statement or exit it comes
    from (the C emitter's `#line`).
    Assumes: a checked `Placed` program (constants inlined, every operand an atom).

        (SessionMachine (StateMachine b.1 [(Slot d (TBytes 4))] [(Slot r (TBool))]
          [(BasicBlock b.1 [(FuelSpend r)] (Branch (Local r (TBool)) b.1 b.2))
           (BasicBlock b.2 [] (Suspend yield b.1))]))
        ->
        (CFuncDef step [f c] (CStatus) [st fuel v_r]
          [(CAssign (CName fuel) (CName WYKI_FUEL))
           (CSwitch (CArrow (CName f) state) [(CCase 0 [(CGoto l_b__1)]) (CCase nil [fault])])
           (CLabel l_b__1) (CAssign (CName v_r) (CCall wyki_fuel_spend [&fuel]))
           (CIf (CName v_r) [(CGoto l_b__1)] [(CGoto l_b__2)])
           (CLabel l_b__2) (CAssign (CArrow f state) 0) (CReturn (CName WYKI_YIELD))])
    """

    name = "convert-to-cish"
    input = Placed
    output = Cish

    def transform(self, tree: Node) -> Node:
        if not isinstance(tree, Service):
            raise self.fail(tree, "expected a Service")
        self.copiers: dict[str, CFuncDef | None] = {}  # None: being built
        self.consts = {d.name: d for d in tree.decls if isinstance(d, Const)}
        structs: dict[str, tuple[tuple[str, Type], ...]] = {
            d.name: tuple((f.name, f.declared) for f in d.fields if isinstance(f.declared, Type))
            for d in tree.decls if isinstance(d, Struct)}  # fmt: skip
        self.structs = structs
        for fields in structs.values():
            for _, t in fields:
                if not isinstance(t, Type):
                    raise self.fail(tree, "a struct field without a resolved type")
        globals_: list[CDecl] = []
        funcs: list[CDecl] = []
        frame_defs: list[CDecl] = []
        tables: list[CInit] = []
        timers = 0
        for d in tree.decls:
            match d:
                case Shared(name, _, IntLit(value) | BoolLit(value)):
                    init = CCall("WYKI_ATOMIC64_INIT", (i64(int(value)),))
                    globals_.append(CGlobalDef("g_" + name, CRuntimeT("wyki_atomic64"), init))
                case Table(name, Type() as key, Type() as value, IntLit(capacity)):
                    handle = CPointerT(CRuntimeT("struct wyki_table"))
                    globals_.append(CGlobalDef("t_" + name, handle, None))
                    tables.append(_table_decl(name, key, value, capacity))
                case FnGraph(name, params, Type() as result, PooledCfg() as g):
                    funcs.append(self.function(name, params, result, g))
                case DatagramGraph(name, Type() as declared, PooledCfg() as g):
                    funcs.append(self.datagram(name, declared, g))
                case TimerGraph(_, _, PooledCfg() as g):
                    funcs.append(self.handler(f"timer_{timers}", (SCRATCH,), g, "timer", []))
                    timers += 1
                case SessionMachine(StateMachine() as m):
                    frame_defs.append(CStructDef("frame", RUNTIME_FIELDS + tuple(
                        CVar(var_name(s.name), c_type(s.type)) for s in m.frame)))
                    funcs.append(self.step(m))
                case Shared() | Table():
                    raise self.fail(d, "an initial value or capacity that is not a literal")
                case _:
                    pass  # listen, sessions, constants, structs: in the descriptor and types
        if tables:
            decl_t = CArrayT(CRuntimeT("struct wyki_table_decl"), len(tables))
            globals_.append(CDataDef("wyki_tables", decl_t, CInitList(tuple(tables))))
        used = [n for n in walk(tree) if isinstance(n, Type) and not isinstance(n, TTable | TUnit)]
        copiers = [f for f in self.copiers.values() if f is not None]
        # A literal's own `bytes[len]`, which no declared type may name (`reply(0)` sends "0").
        code = CUnit(tree.name, (*globals_, *copiers, *funcs))
        used += [TBytes(len(n.value)) for n in walk(code) if isinstance(n, CBytesLit)]
        defs = struct_defs(used, lambda s: structs[s])
        return CUnit(tree.name, (*defs, *frame_defs, *globals_, *copiers, *funcs))

    def copier(self, t: Type) -> str:
        """`copy_TYPE`, the function copying a value of type `t` member by member (defined,
        with the copiers it calls, at its first use)."""
        struct = c_type(t)
        assert isinstance(struct, CStructT)
        name = "copy_" + struct.name
        if name not in self.copiers:
            self.copiers[name] = None  # types do not nest in themselves: no cycle
            body = Body(lambda n: False, self.constant, lambda s: self.structs[s],
                        _no_fresh, "fn", self.copier).copy_members(t)  # fmt: skip
            params = (CVar("dst", CPointerT(struct)), CVar("src", CPointerT(struct)))
            self.copiers[name] = CFuncDef(name, params, CVoid(), (), (*body, CReturn(None)))
        return name

    def constant(self, name: str) -> CConstRef:
        """The WYKI `const NAME` read in place (hoist-static-data makes it `k_NAME`)."""
        d = self.consts.get(name)
        if d is None or not isinstance(d.declared, Type):
            raise InternalError(self.name, f"no constant '{name}'")
        return CConstRef(name, c_type(d.declared), self.const_init(d.value))

    def const_init(self, e: Node) -> CExpr:
        """The C initializer of a constant's (literal) value."""
        match e:
            case IntLit(value):
                return i64(value)
            case BoolLit(value):
                return CBoolLit(value)
            case BytesLit(value):
                return bytes_init(value)
            case ArrayLit(items):
                inner = CInitList(tuple(CInit(None, self.const_init(x)) for x in items))
                return CInitList((CInit("items", inner),))
            case StructValue(_, fields):
                return CInitList(tuple(CInit(field_name(f.name), self.const_init(f.value))
                                       for f in fields))  # fmt: skip
            case _:
                raise self.fail(e, "a constant whose value is not a literal")

    # -- functions and handlers ------------------------------------------------------------------

    def function(self, name: str, params: tuple[Param, ...], result: Type,
                 g: PooledCfg) -> CFuncDef:  # fmt: skip
        cparams: list[CVar] = []
        for p in params:
            pt = _declared(p)
            if isinstance(pt, TBytes):  # passed as the `data, len` pair of the call
                cparams += [CVar(var_name(p.name) + "_data", CPointerT(CUInt8())),
                            CVar(var_name(p.name) + "_len", CUInt32())]  # fmt: skip
            else:
                cparams.append(CVar(var_name(p.name), c_type(pt)))
                if holds_bytes(pt, lambda s: self.structs[s]):  # lift-locals-to-scratch's copy
                    self.copier(pt)
        if not isinstance(result, TUnit):
            cparams.append(CVar("out", CPointerT(c_type(result))))
        prologue: list[CStmt] = []
        extra: list[CVar] = []
        for p in params:
            pt, pn = _declared(p), var_name(p.name)
            if isinstance(pt, TBytes):
                extra.append(CVar(pn, c_type(pt)))
                prologue += [
                    CExprStmt(CCall("memcpy", (CMember(CName(pn), "data"), CName(pn + "_data"),
                                               CName(pn + "_len")))),
                    CAssign(CMember(CName(pn), "len"), CName(pn + "_len")),
                ]
        self.result = result
        fn = self.handler("fn_" + name, tuple(cparams), g, "fn", prologue)
        return CFuncDef(fn.name, fn.params, fn.result, (*extra, *fn.locals), fn.body)

    def datagram(self, name: str, declared: Type, g: PooledCfg) -> CFuncDef:
        params = (SCRATCH, CVar("d", CPointerT(CRuntimeT("struct wyki_dgram"))))
        v = CName(var_name(name))
        take = [
            CExprStmt(CCall("memcpy", (CMember(v, "data"), CArrow(CName("d"), "pkt"),
                                       CArrow(CName("d"), "len")))),
            CAssign(CMember(v, "len"), CArrow(CName("d"), "len")),
        ]
        fn = self.handler("datagram", params, g, "datagram", take)
        return CFuncDef(fn.name, fn.params, fn.result,
                        (CVar(var_name(name), c_type(declared)), *fn.locals), fn.body)  # fmt: skip

    def handler(self, name: str, params: tuple[CVar, ...], g: PooledCfg, context: str,
                prologue: list[CStmt]) -> CFuncDef:  # fmt: skip
        fn = _Function(self, context, frozenset())
        body: list[CStmt] = list(prologue)
        for b in _entry_first(g.entry, g.blocks):
            body.append(CLabel(label_name(b.label)))
            body += self.block(b.stmts, lambda s: self.handler_stmt(s, fn, context))
            body += _at(b.exit.span, self.exit(b.exit, fn, context, {}))
        slots = [CVar(var_name(s.name), c_type(s.type)) for s in g.slots]
        return CFuncDef(name, params, CStatus(), (*slots, *fn.locals), tuple(body))

    def handler_stmt(self, s: Stmt, fn: _Function, context: str) -> list[CStmt]:
        match s:
            case BuildResult(value) if context == "fn":
                return fn.body.build_result(self.result, value)
            case _:
                return fn.body.stmt(s)

    def step(self, m: StateMachine) -> CFuncDef:
        fn = _Function(self, "session", frozenset(s.name for s in m.frame))
        states = {m.entry: 0}
        for b in m.blocks:
            if isinstance(b.exit, Suspend):
                states.setdefault(b.exit.resume, len(states))
        state = CArrow(CName("f"), "state")
        cases = [CCase(CIntLit(k, CUInt32()), (CGoto(label_name(lab)),))
                 for lab, k in states.items()]  # fmt: skip
        cases.append(CCase(None, (fault("bounds"),)))
        body: list[CStmt] = [CAssign(CName("fuel"), CName("WYKI_FUEL")),
                             CSwitch(state, tuple(cases))]  # fmt: skip
        for b in _entry_first(m.entry, m.blocks):
            body.append(CLabel(label_name(b.label)))
            body += self.block(b.stmts, lambda s: self.session_stmt(s, fn))
            body += _at(b.exit.span, self.exit(b.exit, fn, "session", states))
        slots = [CVar(var_name(s.name), c_type(s.type)) for s in m.locals]
        locals_ = (CVar("fuel", CInt64()), *slots, *fn.locals)
        return CFuncDef("step", STEP_PARAMS, CStatus(), locals_, tuple(body))

    def block(self, stmts: tuple[Stmt, ...], lower: Callable[[Stmt], list[CStmt]]) -> list[CStmt]:
        """The C of a block's statements, each carrying its span."""
        return [c for s in stmts for c in _at(s.span, lower(s))]

    # -- the session's own statements ----------------------------------------------------------

    def session_stmt(self, s: Stmt, fn: _Function) -> list[CStmt]:
        b = fn.body
        f = CName("f")
        c = CName("c")
        deadline = CArrow(f, "rx_deadline")
        match s:
            case RxBegin():
                call = CCall("wyki_deadline", (CArrow(f, "timeout_ms"),))
                return [CAssign(deadline, call)]
            case RxLine(dest, limit, ready):
                return self.receive(fn, "wyki_rx_line", [b.atom(limit)], dest, ready)
            case RxUntil(dest, delim, limit, ready):
                return self.receive(fn, "wyki_rx_until", [*b.args(delim), b.atom(limit)], dest,
                                    ready)  # fmt: skip
            case RxExact(dest, count, limit, ready):
                return self.receive(fn, "wyki_rx_exact", [b.atom(count), b.atom(limit)], dest,
                                    ready)  # fmt: skip
            case RxSome(dest, limit, ready):
                return self.receive(fn, "wyki_rx_some", [b.atom(limit)], dest, ready)
            case TxWrite(value, done):
                sent = addr(CArrow(f, "tx_sent"))
                vt = getattr(value, "type", None)
                if isinstance(vt, TInt | TBool):
                    kind = "int" if isinstance(vt, TInt) else "bool"
                    call = CCall(f"wyki_tx_send_{kind}", (c, b.atom(value), sent))
                else:
                    call = CCall("wyki_tx_send", (c, *b.args(value), sent))
                return [CAssign(b.var(done), call)]
            case SleepBegin(ms):
                return [CAssign(CArrow(f, "wake_ms"), CCall("wyki_after_ms", (b.atom(ms),)))]
            case SleepDone(done):
                call = CCall("wyki_sleep_done", (c, CArrow(f, "wake_ms")))
                return [CAssign(b.var(done), call)]
            case FuelSpend(ok):
                return [CAssign(b.var(ok), CCall("wyki_fuel_spend", (addr(CName("fuel")),)))]
            case _:
                return b.stmt(s)

    def receive(self, fn: _Function, func: str, args: list[object], dest: str,
                ready: str) -> list[CStmt]:  # fmt: skip
        b = fn.body
        f = CName("f")
        d = b.var(dest)
        outs = [addr(CMember(d, "some")), CMember(CMember(d, "value"), "data"),
                addr(CMember(CMember(d, "value"), "len"))]  # fmt: skip
        call = CCall(func, (CName("c"), CArrow(f, "rx_deadline"), *args,  # type: ignore[arg-type]
                            addr(CArrow(f, "timed_out")), *outs))  # fmt: skip
        return [CAssign(b.var(ready), call)]

    # -- exits -----------------------------------------------------------------------------------

    def exit(self, x: Exit, fn: _Function, context: str, states: dict[str, int]) -> list[CStmt]:
        match x:
            case Goto(target):
                return [CGoto(label_name(target))]
            case Branch(cond, then, else_):
                return [CIf(fn.body.atom(cond), (CGoto(label_name(then)),),
                            (CGoto(label_name(else_)),))]  # fmt: skip
            case FaultExit(kind):
                return [fault(kind)]
            case CloseExit() if context == "session":
                return [CReturn(CName("WYKI_DONE"))]
            case Suspend(reason, resume) if context == "session":
                return [CAssign(CArrow(CName("f"), "state"), CIntLit(states[resume], CUInt32())),
                        CReturn(CName(SUSPEND_STATUS[reason]))]  # fmt: skip
            case RetBuilt() if context == "fn":
                return [CReturn(CIntLit(0, CStatus()))]  # the result is in *out already
            case Ret(value) if context == "fn":
                out: list[CStmt] = []
                if value is not None and not isinstance(self.result, TUnit):
                    out += fn.body.copy(CUnary("*", CName("out")), self.result, value)
                return [*out, CReturn(CIntLit(0, CStatus()))]
            case Ret(None) if context in ("datagram", "timer"):
                return [CReturn(CName("WYKI_DONE"))]
            case _:
                raise self.fail(x, f"no C form for this exit in a {context}")


def _at(span: Span | None, stmts: list[CStmt]) -> list[CStmt]:
    """`stmts`, the C of one WYKI statement, carrying its span (for the emitter's #line)."""
    if span is None:
        return stmts
    return [replace(c, span=span) if c.span is None else c for c in stmts]


def _no_fresh(t: Type) -> str:
    raise InternalError("convert-to-cish", "a copy function needs no temporary")


def _declared(p: Param) -> Type:
    if not isinstance(p.declared, Type):
        raise InternalError("convert-to-cish", f"parameter '{p.name}' has no resolved type")
    return p.declared


def _entry_first(entry: str, blocks: tuple[BasicBlock, ...]) -> list[BasicBlock]:
    return sorted(blocks, key=lambda b: b.label != entry)


def _table_decl(name: str, key: Type, value: Type, capacity: int) -> CInit:
    def size(t: Type) -> CIntLit | CSizeof:
        return u32(t.bound) if isinstance(t, TBytes) else CSizeof(c_type(t))

    return CInit(None, CInitList((
        CInit("name", CStrLit(name)), CInit("key_size", size(key)),
        CInit("value_size", size(value)), CInit("capacity", u32(capacity)),
        CInit("handle", addr(CName("t_" + name))),
    )))  # fmt: skip
