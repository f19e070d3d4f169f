"""`CishInterpreter`: the `Cish` IL run with C's semantics, against a model of the runtime.

No WYKI form is left, so this interpreter subclasses only `Interpreter` and runs the C tree:

- memory: an `int64_t`, `uint32_t` or `bool` is a Python int or bool (`uint32_t` masked, casts
  wrap); a struct is a dict of its members (copied whole by `=`, as C copies a struct); a
  `uint8_t` array member is a `bytearray` of its size (so a byte string is its `len` member and
  `data` bytes with a capacity: a write past the capacity is an `InterpError`); other arrays
  are lists. `&x` of a struct is the struct itself (a pointer to it); of a scalar, a `Ref` to
  where it is stored; an array passed to a function decays to itself (a pointer to its start).
- control: a function's statements run in order; `goto` jumps to a `CLabel` of the function's
  top-level statement list (the only place one can be); `return` ends the call. The locals are
  created (zeroed) at every call, so nothing but the frame survives a step's return.
- the runtime: every function called that is not defined in the unit is a method `rt_NAME` here
  (wyki.h, wyki_builtins.h, and the helpers convert-to-cish documents). Checked arithmetic and
  the builtins return 0 or `WYKI_FAULT_STATUS(kind)` and write through their pointers.

A session task calls `step(f, c)` and maps its status to the scheduler's `Wait`:
`WYKI_NEED_INPUT` -> `WaitInput` with the receive the step last tried (recorded by the
`wyki_rx_*` helper that was not ready) and its deadline; `WYKI_NEED_OUTPUT` -> `WaitOutput`;
`WYKI_SLEEP` -> `WaitTime(f->wake_ms)`; `WYKI_YIELD` -> `Yield`; `WYKI_DONE` -> `Finished`; a
fault status raises `purefns.Fault(kind)`. The service's shape comes from the `wyki_service`
descriptor when the unit has one, else from the `ServiceShape` fact.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from nanowyki import purefns
from nanowyki.builtins import BUILTINS, FAULT_KINDS
from nanowyki.framework import Facts, Node
from nanowyki.languages.cish import (
    CArrayT,
    CArrow,
    CAssign,
    CBinary,
    CBoolLit,
    CBoolT,
    CBytesInit,
    CBytesLit,
    CCall,
    CCast,
    CConstRef,
    CDataDef,
    CExpr,
    CExprStmt,
    CFuncDef,
    CGlobalDef,
    CGoto,
    CIf,
    CIndex,
    CInitList,
    CInt64,
    CIntLit,
    CLabel,
    CMember,
    CName,
    CReturn,
    CServiceDef,
    CSizeof,
    CStatus,
    CStmt,
    CStrLit,
    CStructDef,
    CStructT,
    CSwitch,
    CType,
    CUInt8,
    CUInt32,
    CUnary,
    CUnit,
)
from nanowyki.passes.check_service_shape import ServiceShape as ShapeFact
from nanowyki.passes.hoist_static_data import bytes_init, bytes_type

from .base import InterpError, Interpreter, ServiceShape
from .receive import Exact, Line, Need, Some, Until, attempt
from .scheduler import FINISHED, YIELD, Task, Wait, WaitInput, WaitOutput, WaitTime
from .world import MAX_REPLY, Connection, UdpClient, World

STATUS = {"WYKI_NEED_INPUT": 0, "WYKI_NEED_OUTPUT": 1, "WYKI_SLEEP": 2, "WYKI_YIELD": 3,
          "WYKI_DONE": 4}  # fmt: skip
FAULT_BASE = 16
FAULTS = {"WYKI_FAULT_" + k.upper(): i for i, k in enumerate(FAULT_KINDS, 1)}
TABLE_RC = {"WYKI_TABLE_OK": 0, "WYKI_TABLE_NOT_FOUND": 1, "WYKI_TABLE_FULL": 2,
            "WYKI_TABLE_TOO_BIG": 3}  # fmt: skip
MASK64 = (1 << 64) - 1


def wrap64(n: int) -> int:
    n &= MASK64
    return n - (1 << 64) if n >> 63 else n


def status_of(kind: str) -> int:
    return FAULT_BASE + FAULT_KINDS.index(kind) + 1


@dataclass
class Ref:
    """A pointer to a scalar: where it is stored."""

    container: Any
    key: Any

    def get(self) -> Any:
        return self.container[self.key]

    def set(self, v: Any) -> None:
        self.container[self.key] = v


class _Goto(Exception):
    def __init__(self, label: str) -> None:
        self.label = label


class _Return(Exception):
    def __init__(self, value: Any) -> None:
        self.value = value


@dataclass
class Table:
    name: str
    capacity: int
    entries: dict[Any, Any]


class Conn:
    """`struct wyki_conn` as the runtime helpers see it: the world's connection and the task."""

    def __init__(self, task: CishSessionTask) -> None:
        self.task = task


@dataclass
class Dgram:
    """`struct wyki_dgram`."""

    client: UdpClient
    pkt: bytearray
    len: int

    def __getitem__(self, member: str) -> Any:
        return getattr(self, member)


class CishSessionTask(Task):
    def __init__(self, interp: CishInterpreter, conn: Connection) -> None:
        self.name = f"session '{conn.name}'"
        self.conn = conn
        self.connection = conn
        self.interp = interp
        self.frame: dict[str, Any] = interp.zero(CStructT("frame"))
        self.need: Need | None = None
        self.deadline: int | None = None

    def resume(self) -> Wait:
        st = self.interp.call("step", [self.frame, Conn(self)])
        match st:
            case 0:
                if self.need is None:
                    raise InterpError("step waits for input without trying a receive")
                return WaitInput(self.need, self.deadline)
            case 1:
                return WaitOutput()
            case 2:
                return WaitTime(self.frame["wake_ms"])
            case 3:
                return YIELD
            case 4:
                return FINISHED
            case _:
                raise self.interp.fault(st)


class _OnceTask(Task):
    def __init__(self, name: str, run: Callable[[], int], interp: CishInterpreter) -> None:
        self.name = name
        self.conn = None
        self.run = run
        self.interp = interp
        self.done = False

    def resume(self) -> Wait:
        if not self.done:
            self.done = True
            st = self.run()
            if st != STATUS["WYKI_DONE"]:
                raise self.interp.fault(st)
        return FINISHED


class CishInterpreter(Interpreter):
    language = "Cish"

    def __init__(self, program: Node, facts: Facts | None = None) -> None:
        super().__init__(program, facts)
        if not isinstance(program, CUnit):
            raise InterpError(f"expected a CUnit, got {type(program).__name__}")
        self.unit = program
        self.structs = {d.name: d for d in program.decls if isinstance(d, CStructDef)}
        self.funcs = {d.name: d for d in program.decls if isinstance(d, CFuncDef)}
        self.labels = {
            name: {s.name: i for i, s in enumerate(fn.body) if isinstance(s, CLabel)}
            for name, fn in self.funcs.items()
        }
        self.globals: dict[str, Any] = {}
        self.scratch: Any = None
        self.fuel = 1000

    # -- the runner's interface ----------------------------------------------------------------

    def start(self, world: World, *, fuel: int = 1000) -> ServiceShape:
        self.world = world
        self.fuel = fuel
        self.globals = {"WYKI_FUEL": fuel, "WYKI_TCP": 1, "WYKI_UDP": 2, **STATUS, **FAULTS,
                        **TABLE_RC}  # fmt: skip
        for d in self.unit.decls:
            if isinstance(d, CDataDef | CGlobalDef):
                self.globals[d.name] = self.zero(d.type) if d.init is None else self.init(
                    d.init, d.type)  # fmt: skip
        # one worker: every function's static frame (lift-locals-to-scratch), if it has one
        self.scratch = self.zero(CStructT("scratch")) if "scratch" in self.structs else None
        for decl in self.globals.get("wyki_tables", []):
            handle = decl["handle"]
            handle.set(Table(decl["name"], decl["capacity"], {}))
        return self.shape()

    def shape(self) -> ServiceShape:
        desc = next((d for d in self.unit.decls if isinstance(d, CServiceDef)), None)
        if desc is not None:
            v = self.init(desc.init, CStructT("wyki_service"))
            return ServiceShape(
                name=v["name"], proto="tcp" if v["proto"] == 1 else "udp", port=v["port"],
                max_sessions=v["max_sessions"],
                timers=tuple(t["period_ms"] for t in v.get("timers") or []),
                datagram_limit=v.get("max_datagram") if v["proto"] == 2 else None,
            )  # fmt: skip
        fact = self.facts.find(ShapeFact)
        if fact is None:
            raise InterpError("a Cish unit without a descriptor nor a ServiceShape fact")
        return ServiceShape(
            name=self.unit.name, proto=fact.proto, port=fact.port,
            max_sessions=fact.sessions if fact.proto == "tcp" else 1024, timers=fact.timers,
            datagram_limit=fact.datagram_bound if fact.proto == "udp" else None,
        )  # fmt: skip

    def session(self, conn: Connection) -> Task:
        if "step" not in self.funcs:
            raise InterpError("a TCP connection to a unit without a step function")
        return CishSessionTask(self, conn)

    def datagram(self, client: UdpClient, data: bytes) -> Task:
        limit = self.shape().datagram_limit or 0

        def run() -> int:
            if len(data) > limit:
                self.world.drop_oversize(client, len(data), limit)
                return STATUS["WYKI_DONE"]
            d = Dgram(client, bytearray(data), len(data))
            return int(self.call("datagram", [self.scratch, d]))

        return _OnceTask(f"datagram from '{client.name}'", run, self)

    def timer(self, index: int) -> Task:
        def run() -> int:
            return int(self.call(f"timer_{index}", [self.scratch]))

        return _OnceTask(f"timer {index + 1}", run, self)

    def fault(self, status: int) -> Exception:
        k = status - FAULT_BASE - 1
        if 0 <= k < len(FAULT_KINDS):
            return purefns.Fault(FAULT_KINDS[k])
        return InterpError(f"a function returned the status {status}")

    # -- memory ----------------------------------------------------------------------------------

    def zero(self, t: CType) -> Any:
        match t:
            case CInt64() | CUInt32() | CUInt8() | CStatus():
                return 0
            case CBoolT():
                return False
            case CStructT(name):
                d = self.structs.get(name)
                if d is None:
                    raise InterpError(f"no definition of struct {name}")
                return {f.name: self.zero(f.type) for f in d.fields}
            case CArrayT(CUInt8(), size):
                return bytearray(size)
            case CArrayT(element, size):
                return [self.zero(element) for _ in range(size)]
            case _:
                return None

    def init(self, e: CExpr, t: CType) -> Any:
        if isinstance(e, CInitList):
            if all(i.field is None for i in e.items):
                elem = t.element if isinstance(t, CArrayT) else CInt64()
                return [self.init(i.value, elem) for i in e.items]
            fields = self.structs[t.name].fields if isinstance(t, CStructT) and \
                t.name in self.structs else ()  # fmt: skip
            types = {f.name: f.type for f in fields}
            v = self.zero(t) if isinstance(t, CStructT) and t.name in self.structs else {}
            for i in e.items:
                assert i.field is not None
                ft = types.get(i.field, CInt64())
                if isinstance(ft, CArrayT) and isinstance(i.value, CBytesInit):
                    v[i.field][: len(i.value.value)] = i.value.value
                else:
                    v[i.field] = self.init(i.value, ft)
            return v
        return self.eval(e, {})

    # -- functions and statements ---------------------------------------------------------------

    def call(self, name: str, args: list[Any]) -> Any:
        fn = self.funcs.get(name)
        if fn is None:
            rt = getattr(self, "rt_" + name, None)
            if rt is None:
                raise InterpError(f"call of an unknown function '{name}'")
            return rt(*args)
        if len(args) != len(fn.params):
            raise InterpError(f"'{name}' called with {len(args)} arguments")
        env: dict[str, Any] = {}
        for p, a in zip(fn.params, args, strict=True):
            env[p.name] = copy.deepcopy(a) if isinstance(p.type, CStructT) else a
        for v in fn.locals:
            env[v.name] = self.zero(v.type)
        labels = self.labels[name]
        pc = 0
        body = fn.body
        try:
            while pc < len(body):
                try:
                    self.exec(body[pc], env)
                    pc += 1
                except _Goto as g:
                    if g.label not in labels:
                        raise InterpError(f"goto {g.label}: no such label in '{name}'") from None
                    pc = labels[g.label]
        except _Return as r:
            return r.value
        raise InterpError(f"'{name}' ran off its end")

    def exec(self, s: CStmt, env: dict[str, Any]) -> None:
        match s:
            case CAssign(target, value):
                self.assign(target, self.eval(value, env), env)
            case CExprStmt(expr):
                self.eval(expr, env)
            case CIf(cond, then, else_):
                for x in then if self.eval(cond, env) else else_:
                    self.exec(x, env)
            case CSwitch(value, cases):
                v = self.eval(value, env)
                chosen = next((c for c in cases if c.value is not None and
                               self.eval(c.value, env) == v), None)  # fmt: skip
                chosen = chosen or next((c for c in cases if c.value is None), None)
                for x in chosen.body if chosen else ():
                    self.exec(x, env)
            case CGoto(label):
                raise _Goto(label)
            case CLabel():
                pass
            case CReturn(value):
                raise _Return(None if value is None else self.eval(value, env))
            case _:
                raise InterpError(f"no C statement {type(s).__name__}")

    def assign(self, target: CExpr, v: Any, env: dict[str, Any]) -> None:
        v = copy.deepcopy(v) if isinstance(v, dict) else v
        if isinstance(target, CUnary) and target.op == "*":
            p = self.eval(target.operand, env)
            if isinstance(p, dict):
                p.clear()
                p.update(v)
            else:
                p.set(v)
            return
        container, key = self.ref(target, env)
        old = container[key]
        if isinstance(old, (bytearray, list)):
            raise InterpError("an array assigned whole")
        container[key] = v

    def ref(self, e: CExpr, env: dict[str, Any]) -> tuple[Any, Any]:
        match e:
            case CName(name):
                return (env, name) if name in env else (self.globals, name)
            case CMember(target, field):
                return self.eval(target, env), field
            case CArrow(target, field):
                return self.deref(self.eval(target, env)), field
            case CIndex(target, index):
                arr = self.eval(target, env)
                i = self.eval(index, env)
                if not 0 <= i < len(arr):
                    raise InterpError(f"index {i} out of its array (unchecked access)")
                return arr, i
            case CUnary("*", operand):
                p = self.eval(operand, env)
                if isinstance(p, Ref):
                    return p.container, p.key
                raise InterpError("dereference of a struct pointer as a place")
            case _:
                raise InterpError(f"not an lvalue: {type(e).__name__}")

    def deref(self, p: Any) -> Any:
        return p.get() if isinstance(p, Ref) else p

    def eval(self, e: CExpr, env: dict[str, Any]) -> Any:  # noqa: C901 - one case per form
        match e:
            case CIntLit(value, CUInt32()):
                return value & 0xFFFF_FFFF
            case CIntLit(value):
                return value
            case CBoolLit(value):
                return value
            case CStrLit(value):
                return value
            case CBytesInit(value):
                return bytearray(value)
            case CBytesLit(value):  # what hoist-static-data makes `lit_K`
                return self.init(bytes_init(value), bytes_type(value))
            case CConstRef(_, t, init):  # what hoist-static-data makes `k_NAME`
                return self.init(init, t)
            case CName(name):
                if name in env:
                    return env[name]
                if name in self.globals:
                    return self.globals[name]
                if name in self.funcs:
                    return name
                raise InterpError(f"unknown name '{name}'")
            case CMember() | CArrow() | CIndex():
                container, key = self.ref(e, env)
                return container[key]
            case CCall(func, args):
                return self.call(func, [self.eval(a, env) for a in args])
            case CUnary("!", x):
                return not self.eval(x, env)
            case CUnary("~", x):
                return ~self.eval(x, env)
            case CUnary("&", x):
                container, key = self.ref(x, env)
                v = container[key]
                return v if isinstance(v, dict | bytearray | list) else Ref(container, key)
            case CUnary("*", x):
                return self.deref(self.eval(x, env))
            case CBinary("&&", a, b):
                return bool(self.eval(a, env)) and bool(self.eval(b, env))
            case CBinary("||", a, b):
                return bool(self.eval(a, env)) or bool(self.eval(b, env))
            case CBinary(op, a, b):
                return _BINARY[op](self.eval(a, env), self.eval(b, env))
            case CCast(CUInt32(), x):
                return self.eval(x, env) & 0xFFFF_FFFF
            case CCast(CInt64(), x):
                return wrap64(self.eval(x, env))
            case CCast(CBoolT(), x):
                return bool(self.eval(x, env))
            case CCast(_, x):
                return self.eval(x, env)
            case CSizeof():
                return 8
            case CInitList():
                return self.init(e, CInt64())
            case _:
                raise InterpError(f"no C expression {type(e).__name__}")

    # -- the runtime: status, checked arithmetic, builtins ---------------------------------------

    def rt_WYKI_FAULT_STATUS(self, kind: int) -> int:
        return FAULT_BASE + kind

    def rt_WYKI_ATOMIC64_INIT(self, v: int) -> int:
        return v

    def _checked(self, fn: Callable[..., Any], args: list[Any], out: Any) -> int:
        try:
            r = fn(*args)
        except purefns.Fault as err:
            return status_of(err.kind)
        self._write(out, r)
        return 0

    def _write(self, out: Any, v: Any) -> None:
        if isinstance(out, dict):
            out.clear()
            out.update(copy.deepcopy(v))
        else:
            out.set(v)

    def rt_wyki_add(self, a: int, b: int, out: Ref) -> int:
        return self._checked(purefns.add, [a, b], out)

    def rt_wyki_sub(self, a: int, b: int, out: Ref) -> int:
        return self._checked(purefns.sub, [a, b], out)

    def rt_wyki_mul(self, a: int, b: int, out: Ref) -> int:
        return self._checked(purefns.mul, [a, b], out)

    def rt_wyki_div(self, a: int, b: int, out: Ref) -> int:
        return self._checked(purefns.div, [a, b], out)

    def rt_wyki_mod(self, a: int, b: int, out: Ref) -> int:
        return self._checked(purefns.mod, [a, b], out)

    def rt_wyki_shl(self, a: int, b: int, out: Ref) -> int:
        return self._checked(purefns.shl, [a, b], out)

    def rt_wyki_shr(self, a: int, b: int, out: Ref) -> int:
        return self._checked(purefns.shr, [a, b], out)

    def rt_wyki_neg(self, a: int, out: Ref) -> int:
        return self._checked(purefns.neg, [a], out)

    def rt_wyki_check_index(self, i: int, n: int) -> int:
        return 0 if 0 <= i < n else status_of("bounds")

    def rt_wyki_check_len(self, n: int, cap: int) -> int:
        return 0 if n <= cap else status_of("bounds")

    def rt_wyki_bytes_eq(self, ad: bytearray, al: int, bd: bytearray, bl: int, r: Ref) -> int:
        r.set(bytes(ad[:al]) == bytes(bd[:bl]))
        return 0

    def rt_wyki_bytes_copy(self, dst: bytearray, cap: int, dst_len: Ref, src: bytearray,
                           n: int) -> int:  # fmt: skip
        if n > cap:
            return status_of("bounds")
        self._put_bytes(dst, cap, dst_len, bytes(src[:n]))
        return 0

    def rt_wyki_bytes_set(self, dst: bytearray, dst_len: Ref, src: bytearray, n: int) -> None:
        self._put_bytes(dst, len(dst), dst_len, bytes(src[:n]))

    def rt_wyki_fit(self, d: bytearray, n: int, bound: int, some: Ref) -> int:
        some.set(n <= bound)
        return 0

    def _put_bytes(self, data: bytearray, cap: int, len_ref: Ref, v: bytes) -> None:
        if len(v) > cap or len(v) > len(data):
            raise InterpError(f"{len(v)} bytes written into a capacity of {cap}")
        data[: len(v)] = v
        len_ref.set(len(v))

    def rt_wyki_concat(self, ad: bytearray, al: int, bd: bytearray, bl: int, od: bytearray,
                       cap: int, olen: Ref) -> int:  # fmt: skip
        v = bytes(ad[:al]) + bytes(bd[:bl])
        if len(v) > cap:
            return status_of("bounds")
        self._put_bytes(od, cap, olen, v)
        return 0

    def rt_wyki_index(self, d: bytearray, n: int, i: int, out: Ref) -> int:
        return self._checked(purefns.index, [bytes(d[:n]), i], out)

    def rt_wyki_slice(self, d: bytearray, n: int, i: int, j: int, od: bytearray, cap: int,
                      olen: Ref) -> int:  # fmt: skip
        try:
            v = purefns.slice_(bytes(d[:n]), i, j)
        except purefns.Fault as err:
            return status_of(err.kind)
        self._put_bytes(od, cap, olen, v)
        return 0

    def __getattr__(self, name: str) -> Any:
        if name.startswith("rt_wyki_") and name[8:] in purefns.PURE_BUILTINS and \
                name[8:] != "fit":
            return lambda *args: self._builtin(name[8:], list(args))
        raise AttributeError(name)

    def _builtin(self, name: str, args: list[Any]) -> int:
        """`wyki_NAME(operands..., results...)`: byte-string operands as `data, len`."""
        arity = BUILTINS[name].min_args
        wargs: list[Any] = []
        i = 0
        while len(wargs) < arity:
            a = args[i]
            if isinstance(a, bytearray):
                wargs.append(bytes(a[: args[i + 1]]))
                i += 2
            else:
                wargs.append(a)
                i += 1
        outs = args[i:]
        try:
            r = purefns.PURE_BUILTINS[name](*wargs)
        except purefns.Fault as err:
            return status_of(err.kind)
        if len(outs) in (2, 4):  # an optional result: `&some` first
            outs[0].set(r is not None)
            if r is None:
                return 0
            outs = outs[1:]
        if len(outs) == 3:
            self._put_bytes(outs[0], outs[1], outs[2], r)
        else:
            outs[0].set(r)
        return 0

    # -- the runtime: connections ----------------------------------------------------------------

    def _receive(self, c: Conn, deadline: int, need: Need, timed_out: Ref, some: Ref,
                 data: bytearray, len_ref: Ref) -> bool:  # fmt: skip
        conn = c.task.connection
        out = attempt(need, conn.inbox, conn.eof)
        if out is not None:
            del conn.inbox[: out.consumed]
            timed_out.set(False)
            some.set(out.value is not None)
            if out.value is not None:
                self._put_bytes(data, len(data), len_ref, out.value)
            return True
        if deadline != 0 and self.world.now_ms >= deadline:
            timed_out.set(True)
            some.set(False)
            return True
        c.task.need = need
        c.task.deadline = deadline if deadline != 0 else None
        return False

    def rt_wyki_rx_line(self, c: Conn, dl: int, limit: int, *outs: Any) -> bool:
        return self._receive(c, dl, Line(limit), *outs)

    def rt_wyki_rx_until(self, c: Conn, dl: int, dd: bytearray, dn: int, limit: int,
                         *outs: Any) -> bool:  # fmt: skip
        return self._receive(c, dl, Until(bytes(dd[:dn]), limit), *outs)

    def rt_wyki_rx_exact(self, c: Conn, dl: int, count: int, limit: int, *outs: Any) -> bool:
        return self._receive(c, dl, Exact(count, limit), *outs)

    def rt_wyki_rx_some(self, c: Conn, dl: int, limit: int, *outs: Any) -> bool:
        return self._receive(c, dl, Some(limit), *outs)

    def rt_wyki_deadline(self, ms: int) -> int:
        return self.world.now_ms + ms if ms > 0 else 0

    def rt_wyki_after_ms(self, ms: int) -> int:
        return max(purefns.INT_MIN, min(purefns.INT_MAX, self.world.now_ms + ms))

    def rt_wyki_conn_scratch(self, c: Conn) -> Any:
        return self.scratch

    def rt_wyki_sleep_done(self, c: Conn, wake: int) -> bool:
        return bool(self.world.now_ms >= wake)

    def rt_wyki_fuel_spend(self, fuel: Ref) -> bool:
        fuel.set(fuel.get() - 1)
        if fuel.get() > 0:
            return True
        fuel.set(self.fuel)
        return False

    def _send(self, c: Conn, text: bytes, sent: Ref) -> bool:
        conn = c.task.connection
        rest = text[sent.get():]
        room = self.world.room(conn)
        if room is not None and room < len(rest):
            self.world.write(conn, rest[:room])
            sent.set(sent.get() + room)
            return False
        self.world.write(conn, rest)
        sent.set(0)
        return True

    def rt_wyki_tx_send(self, c: Conn, d: bytearray, n: int, sent: Ref) -> bool:
        return self._send(c, bytes(d[:n]), sent)

    def rt_wyki_tx_send_int(self, c: Conn, v: int, sent: Ref) -> bool:
        return self._send(c, str(v).encode("ascii"), sent)

    def rt_wyki_tx_send_bool(self, c: Conn, v: bool, sent: Ref) -> bool:
        return self._send(c, b"true" if v else b"false", sent)

    def rt_wyki_peer_closed_all(self, c: Conn) -> bool:
        conn = c.task.connection
        return bool(conn.eof and not conn.inbox)

    def rt_wyki_set_timeout(self, ref: Ref, ms: int) -> None:
        ref.set(max(0, ms))

    def rt_wyki_now_ms(self) -> int:
        return self.world.now_ms

    def rt_wyki_unix_time(self) -> int:
        return self.world.unix_time

    def rt_wyki_log_bytes(self, d: bytearray, n: int) -> None:
        self.world.log_line(bytes(d[:n]))

    def rt_wyki_log_int(self, v: int) -> None:
        self.world.log_line(str(v).encode("ascii"))

    def rt_wyki_log_bool(self, v: bool) -> None:
        self.world.log_line(b"true" if v else b"false")

    def _reply(self, d: Dgram, data: bytes) -> int:
        if len(data) > MAX_REPLY:
            return status_of("bounds")
        self.world.reply(d.client, data)
        return 0

    def rt_wyki_reply_bytes(self, d: Dgram, data: bytearray, n: int) -> int:
        return self._reply(d, bytes(data[:n]))

    def rt_wyki_reply_int(self, d: Dgram, v: int) -> int:
        return self._reply(d, str(v).encode("ascii"))

    def rt_wyki_reply_bool(self, d: Dgram, v: bool) -> int:
        return self._reply(d, b"true" if v else b"false")

    def rt_memcpy(self, dst: bytearray, src: bytearray, n: int) -> None:
        if n > len(dst) or n > len(src):
            raise InterpError(f"memcpy of {n} bytes past an array")
        dst[:n] = src[:n]

    def rt_sizeof(self, v: Any) -> int:
        return 8

    # -- the runtime: shared integers and tables --------------------------------------------------

    def rt_wyki_atomic_load(self, r: Ref) -> int:
        return int(r.get())

    def rt_wyki_atomic_store(self, r: Ref, v: int) -> None:
        r.set(v)

    def _shared_update(self, op: Callable[[int, int], int], r: Ref, v: int, old: Ref) -> int:
        """`n op= v` on a shared n (one worker: atomic as it is); the old value into `old`."""
        seen = int(r.get())
        st = self._checked(op, [seen, v], r)
        if st == 0:
            old.set(seen)
        return st

    def rt_wyki_shared_add(self, r: Ref, v: int, old: Ref) -> int:
        return self._shared_update(purefns.add, r, v, old)

    def rt_wyki_shared_sub(self, r: Ref, v: int, old: Ref) -> int:
        return self._shared_update(purefns.sub, r, v, old)

    def rt_wyki_shared_mul(self, r: Ref, v: int, old: Ref) -> int:
        return self._shared_update(purefns.mul, r, v, old)

    def _key(self, p: Any, n: int) -> Any:
        if isinstance(p, bytearray):
            return bytes(p[:n])
        v = self.deref(p)
        return repr(v) if isinstance(v, dict) else v

    def rt_wyki_table_put(self, t: Table, kp: Any, kn: int, vp: Any, vn: int) -> int:
        k = self._key(kp, kn)
        v = bytes(vp[:vn]) if isinstance(vp, bytearray) else copy.deepcopy(self.deref(vp))
        if k not in t.entries and len(t.entries) >= t.capacity:
            return TABLE_RC["WYKI_TABLE_FULL"]
        t.entries[k] = v
        return 0

    def rt_wyki_used_size(self, start: Any, tail: bytearray, tail_len: int) -> int:
        return tail_len  # a put here stores the whole value, whatever length it is given

    def rt_wyki_table_status(self, rc: int) -> int:
        return {0: 0, 2: status_of("table_full")}.get(rc, status_of("bounds"))

    def rt_wyki_table_get_bytes(self, t: Table, kp: Any, kn: int, some: Ref, data: bytearray,
                                cap: int, len_ref: Ref) -> int:  # fmt: skip
        v = t.entries.get(self._key(kp, kn))
        some.set(v is not None)
        if v is not None:
            self._put_bytes(data, cap, len_ref, v)
        return 0

    def rt_wyki_table_get_fixed(self, t: Table, kp: Any, kn: int, some: Ref, out: Any,
                                size: int) -> int:  # fmt: skip
        v = t.entries.get(self._key(kp, kn))
        some.set(v is not None)
        if v is not None:
            self._write(out, copy.deepcopy(v))
        return 0

    def rt_wyki_table_contains(self, t: Table, kp: Any, kn: int) -> bool:
        return self._key(kp, kn) in t.entries

    def rt_wyki_table_remove(self, t: Table, kp: Any, kn: int) -> int:
        return 0 if t.entries.pop(self._key(kp, kn), None) is not None else 1

    def rt_wyki_table_clear(self, t: Table) -> None:
        t.entries.clear()

    def rt_wyki_table_size(self, t: Table) -> int:
        return len(t.entries)


_BINARY: dict[str, Callable[[Any, Any], Any]] = {
    "==": lambda a, b: a == b, "!=": lambda a, b: a != b, "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b, ">": lambda a, b: a > b, ">=": lambda a, b: a >= b,
    "&": lambda a, b: a & b, "|": lambda a, b: a | b, "^": lambda a, b: a ^ b,
}  # fmt: skip
