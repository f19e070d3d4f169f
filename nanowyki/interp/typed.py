"""`TypedInterpreter`: the reference semantics of WYKI, on the `Typed` IL.

This is the definition the later ILs' interpreters are compared against, transcript by
transcript. It runs the checked program directly:

- values: `int` and `bool` are Python's, a byte string is `bytes`, a struct is a `StructVal`
  (its name and field values in declaration order), an array a `tuple`; all are immutable, so a
  copy is the same object and `a[i] = e` rebinds `a` to a new tuple. `none` is Python's `None`
  (as in `purefns`), and so is the unit value.
- statements are executed by generator methods that yield a `Wait` at each blocking operation;
  a statement that cannot block has a plain method returning `()`. A session is the generator
  of its body (`SessionTask`); datagram and timer runs are generators that never yield.
- expressions are evaluated by plain methods (`eval`); a blocking builtin can stand only as the
  whole value of a `let` or an expression statement, where the statement handles it.
- `break`, `continue`, `return` and `close` are Python exceptions; a run-time fault is
  `purefns.Fault`, tagged with the source position of the innermost statement (`where`).
- unbounded loops (sessions only) spend one unit of the session's fuel per iteration and yield
  when it is spent; the fuel is refilled at each resume. A loop with `max N` faults `fuel`
  when it would enter iteration N+1.
- evaluation order: operands left to right; in an assignment the place's indexes are evaluated
  and bounds-checked first, then the value.
"""

from __future__ import annotations

from collections.abc import Generator, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nanowyki import purefns
from nanowyki.analysis.constants import ConstValues
from nanowyki.builtins import BUILTINS, Where
from nanowyki.framework import Facts, Node
from nanowyki.languages.resolved import CallBuiltin, CallFn, ConstRef, Local, SharedRef, TableCall
from nanowyki.languages.surface import (
    ArrayLit,
    ArrayRepeat,
    Assign,
    Binary,
    Block,
    BoolLit,
    Break,
    BytesLit,
    Close,
    Const,
    Continue,
    Datagram,
    Embed,
    Every,
    Expr,
    ExprStmt,
    Field,
    Fn,
    For,
    If,
    Index,
    IntLit,
    Let,
    Listen,
    Loop,
    NoneLit,
    Return,
    Service,
    Session,
    Sessions,
    Shared,
    Slice,
    Stmt,
    Struct,
    StructValue,
    Table,
    Unary,
    Var,
    While,
)
from nanowyki.languages.types import TBytes

from .base import InterpError, Interpreter, ServiceShape
from .receive import Exact, Line, Need, Some, Until, attempt
from .scheduler import YIELD, GeneratorTask, Task, Wait, WaitInput, WaitOutput, WaitTime
from .world import MAX_REPLY, Connection, UdpClient, World

Value = Any  # int | bool | bytes | StructVal | tuple | None
Waits = Iterable[Wait]

BuiltinCall = CallBuiltin  # for annotations below the `CallBuiltin` method

BLOCKING = frozenset(name for name, b in BUILTINS.items() if b.where is Where.BLOCKING)


@dataclass(frozen=True, slots=True)
class StructVal:
    name: str
    values: tuple[Value, ...]


# -- control flow ------------------------------------------------------------------------------


class _Jump(Exception):
    pass


class BreakSignal(_Jump):
    pass


class ContinueSignal(_Jump):
    pass


class CloseSignal(_Jump):
    pass


class ReturnSignal(_Jump):
    def __init__(self, value: Value) -> None:
        super().__init__()
        self.value = value


BREAK = BreakSignal()
CONTINUE = ContinueSignal()
CLOSE = CloseSignal()


# -- tasks and frames --------------------------------------------------------------------------


class SessionTask(GeneratorTask):
    """A session: its connection and its per-session runtime state."""

    def __init__(self, conn: Connection, fuel: int) -> None:
        super().__init__(f"session '{conn.name}'", conn)
        self.connection = conn
        self.fuel_per_slice = fuel
        self.fuel = fuel
        self.timeout_ms = 0  # set_timeout; 0: receives wait forever
        self.timed_out = False

    def resume(self) -> Wait:
        self.fuel = self.fuel_per_slice
        return super().resume()


class DatagramTask(GeneratorTask):
    def __init__(self, client: UdpClient) -> None:
        super().__init__(f"datagram from '{client.name}'")
        self.client = client


class Frame:
    """One activation: a handler's or a function's local variables, and the task it runs in."""

    __slots__ = ("task", "vars")

    def __init__(self, task: GeneratorTask | None, variables: dict[str, Value] | None = None):
        self.vars: dict[str, Value] = variables if variables is not None else {}
        self.task = task

    def session(self) -> SessionTask:
        if not isinstance(self.task, SessionTask):
            raise InterpError("a session builtin outside a session")
        return self.task


def _tag(err: purefns.Fault, n: Node) -> None:
    """Record where a fault happened (the innermost statement wins)."""
    if getattr(err, "where", None) is None and n.span is not None:
        err.where = str(n.span)  # type: ignore[attr-defined]


def _text(v: Value) -> bytes:
    """An argument of send/reply/log as bytes: ints in decimal."""
    if isinstance(v, bytes):
        return v
    if isinstance(v, bool):
        return b"true" if v else b"false"
    if isinstance(v, int):
        return str(v).encode("ascii")
    raise InterpError(f"cannot send a {type(v).__name__}")


class TypedInterpreter(Interpreter):
    language = "Typed"

    def __init__(self, program: Node, facts: Facts | None = None) -> None:
        super().__init__(program, facts)
        if not isinstance(program, Service):
            raise InterpError(f"expected a Service, got {type(program).__name__}")
        self.service = program
        decls = program.decls
        self.fns: dict[str, Fn] = {d.name: d for d in decls if isinstance(d, Fn)}
        self.const_decls: dict[str, Const] = {d.name: d for d in decls if isinstance(d, Const)}
        self.field_index: dict[str, dict[str, int]] = {
            d.name: {f.name: i for i, f in enumerate(d.fields)}
            for d in decls
            if isinstance(d, Struct)
        }
        self.session_decl = next((d for d in decls if isinstance(d, Session)), None)
        self.datagram_decl = next((d for d in decls if isinstance(d, Datagram)), None)
        self.timers = [d for d in decls if isinstance(d, Every)]
        self.consts: dict[str, Value] = dict(self._known_constants())
        self.shared: dict[str, Value] = {}
        self.tables: dict[str, dict[Value, Value]] = {}
        self.capacity: dict[str, int] = {}
        self.fuel = 1000

    def _known_constants(self) -> Iterable[tuple[str, Value]]:
        """The values uncover-constants computed, where it ran (others are evaluated here)."""
        fact = self.facts.find(ConstValues)
        if fact is None:
            return ()
        return [(k, v) for k, v in fact.values.items() if _plain(v)]

    # -- the runner's interface ----------------------------------------------------------------

    def start(self, world: World, *, fuel: int = 1000) -> ServiceShape:
        self.world = world
        self.fuel = fuel
        frame = Frame(None)
        self.shared = {}
        self.tables = {}
        for d in self.service.decls:
            if isinstance(d, Shared):
                self.shared[d.name] = self.eval(d.value, frame)
            elif isinstance(d, Table):
                if d.capacity is None:
                    raise InterpError(f"table '{d.name}' has no capacity")
                self.tables[d.name] = {}
                self.capacity[d.name] = self.eval(d.capacity, frame)
        return self.shape()

    def shape(self) -> ServiceShape:
        frame = Frame(None)
        listen = next((d for d in self.service.decls if isinstance(d, Listen)), None)
        if listen is None:
            raise InterpError("the service has no 'listen'")
        count = next((d for d in self.service.decls if isinstance(d, Sessions)), None)
        limit = None
        if self.datagram_decl is not None:
            declared = self.datagram_decl.declared
            if not isinstance(declared, TBytes):
                raise InterpError("the datagram parameter is not a byte string")
            limit = declared.bound
        return ServiceShape(
            name=self.service.name,
            proto=listen.proto,
            port=self.eval(listen.port, frame),
            max_sessions=self.eval(count.count, frame) if count else 1024,
            timers=tuple(self._period(t, frame) for t in self.timers),
            datagram_limit=limit,
        )

    def _period(self, t: Every, frame: Frame) -> int:
        n: int = self.eval(t.period, frame)
        return n * 1000 if t.unit == "s" else n

    def session(self, conn: Connection) -> Task:
        if self.session_decl is None:
            raise InterpError("a TCP connection to a service without a session")
        task = SessionTask(conn, self.fuel)
        return task.start(self._session_body(task, self.session_decl))

    def _session_body(self, task: SessionTask, decl: Session) -> Generator[Wait, None, None]:
        try:
            yield from self.Block(decl.body, Frame(task))
        except CloseSignal:
            return  # `close`: the scheduler closes the connection

    def datagram(self, client: UdpClient, data: bytes) -> Task:
        decl = self.datagram_decl
        if decl is None:
            raise InterpError("a datagram to a service without a datagram handler")
        task = DatagramTask(client)
        return task.start(self._datagram_body(task, decl, data))

    def _datagram_body(
        self, task: DatagramTask, decl: Datagram, data: bytes
    ) -> Generator[Wait, None, None]:
        limit = self.shape_datagram_limit(decl)
        if len(data) > limit:
            self.world.drop_oversize(task.client, len(data), limit)
            return
        try:
            yield from self.Block(decl.body, Frame(task, {decl.name: data}))
        except ReturnSignal:
            return  # a bare `return;` ends this run of the handler

    def shape_datagram_limit(self, decl: Datagram) -> int:
        declared = decl.declared
        if not isinstance(declared, TBytes):
            raise InterpError("the datagram parameter is not a byte string")
        return declared.bound

    def timer(self, index: int) -> Task:
        decl = self.timers[index]
        task = GeneratorTask(f"timer {index + 1} (line {decl.span.line if decl.span else '?'})")
        return task.start(self._timer_body(task, decl))

    def _timer_body(self, task: GeneratorTask, decl: Every) -> Generator[Wait, None, None]:
        try:
            yield from self.Block(decl.body, Frame(task))
        except ReturnSignal:
            return  # a bare `return;` ends this run of the timer

    # -- statements ----------------------------------------------------------------------------

    def exec(self, s: Stmt, f: Frame) -> Waits:
        result: Waits = self.handler(s)(self, s, f)
        return result

    def Block(self, b: Block, f: Frame) -> Generator[Wait, None, None]:
        for s in b.stmts:
            try:
                yield from self.handler(s)(self, s, f)
            except purefns.Fault as err:
                _tag(err, s)
                raise

    def value(self, e: Expr, f: Frame) -> Generator[Wait, None, Value]:
        """Evaluate `e`, which may be a blocking call."""
        if isinstance(e, CallBuiltin) and e.func in BLOCKING:
            return (yield from self.blocking(e, f))
        return self.eval(e, f)

    def Let(self, s: Let, f: Frame) -> Generator[Wait, None, None]:
        v = yield from self.value(s.value, f)
        if v is None and s.else_ is not None:
            yield from self.Block(s.else_, f)
            raise InterpError(f"an 'else' block fell through at {s.span}")
        f.vars[s.name] = v

    def Var(self, s: Var, f: Frame) -> Waits:
        f.vars[s.name] = self.eval(s.value, f)
        return ()

    def ExprStmt(self, s: ExprStmt, f: Frame) -> Generator[Wait, None, None]:
        yield from self.value(s.expr, f)

    def Assign(self, s: Assign, f: Frame) -> Waits:
        root, steps = self.place(s.target, f)
        if isinstance(root, SharedRef) and s.op != "=":  # `n op= e`: e, then one atomic update
            v = self.eval(s.value, f)
            current = self.load(root, steps, f)
        else:
            current = self.load(root, steps, f)  # checks the indexes before the value
            v = self.eval(s.value, f)
        match s.op:
            case "=":
                pass
            case "+=" | "-=" | "*=":
                v = purefns.BINARY_OPS[s.op[0]](current, v)
            case "++=":
                v = current + v
                t = s.target.type  # type: ignore[attr-defined]
                if not isinstance(t, TBytes):
                    raise InterpError(f"'++=' on a place of type {t!r} at {s.span}")
                if len(v) > t.bound:
                    raise purefns.Fault("bounds")
            case _:
                raise InterpError(f"unknown assignment operator {s.op!r}")
        self.store(root, steps, v, f)
        return ()

    def If(self, s: If, f: Frame) -> Waits:
        if self.eval(s.cond, f):
            return self.Block(s.then, f)
        if s.else_ is not None:
            return self.Block(s.else_, f)
        return ()

    def While(self, s: While, f: Frame) -> Generator[Wait, None, None]:
        limit = None if s.limit is None else self.eval(s.limit, f)
        turns = 0
        while self.eval(s.cond, f):
            if limit is None:
                if self.out_of_fuel(f):
                    yield YIELD
            elif turns == limit:
                raise purefns.Fault("fuel")
            turns += 1
            try:
                yield from self.Block(s.body, f)
            except BreakSignal:
                break
            except ContinueSignal:
                continue

    def Loop(self, s: Loop, f: Frame) -> Generator[Wait, None, None]:
        limit = None if s.limit is None else self.eval(s.limit, f)
        turns = 0
        while True:
            if limit is None:
                if self.out_of_fuel(f):
                    yield YIELD
            elif turns == limit:
                raise purefns.Fault("fuel")
            turns += 1
            try:
                yield from self.Block(s.body, f)
            except BreakSignal:
                break
            except ContinueSignal:
                continue

    def out_of_fuel(self, f: Frame) -> bool:
        """Spend one unit of the session's fuel; whether it is all spent (then refill)."""
        task = f.session()
        task.fuel -= 1
        if task.fuel > 0:
            return False
        task.fuel = task.fuel_per_slice
        return True

    def For(self, s: For, f: Frame) -> Generator[Wait, None, None]:
        start = self.eval(s.start, f)
        stop = self.eval(s.stop, f)
        for i in range(start, stop):
            f.vars[s.var] = i
            try:
                yield from self.Block(s.body, f)
            except BreakSignal:
                break
            except ContinueSignal:
                continue

    def Break(self, s: Break, f: Frame) -> Waits:
        raise BREAK

    def Continue(self, s: Continue, f: Frame) -> Waits:
        raise CONTINUE

    def Return(self, s: Return, f: Frame) -> Waits:
        raise ReturnSignal(None if s.value is None else self.eval(s.value, f))

    def Close(self, s: Close, f: Frame) -> Waits:
        raise CLOSE

    # -- places --------------------------------------------------------------------------------

    def place(self, e: Expr, f: Frame) -> tuple[Expr, list[tuple[str, Value]]]:
        """A place as its root (`Local` or `SharedRef`) and the field/index steps below it; the
        indexes are evaluated left to right (`a[i][j]`: `i` first)."""
        path: list[Field | Index] = []
        while True:
            match e:
                case Local() | SharedRef():
                    break
                case Field() | Index():
                    path.append(e)
                    e = e.target
                case _:
                    raise InterpError(f"not an assignable place: {type(e).__name__} at {e.span}")
        steps: list[tuple[str, Value]] = [
            ("field", p.name) if isinstance(p, Field) else ("index", self.eval(p.index, f))
            for p in reversed(path)
        ]
        return e, steps

    def load(self, root: Expr, steps: list[tuple[str, Value]], f: Frame) -> Value:
        v = f.vars[root.name] if isinstance(root, Local) else self.shared[root.name]  # type: ignore[attr-defined]
        for kind, key in steps:
            v = self._get(v, kind, key)
        return v

    def store(self, root: Expr, steps: list[tuple[str, Value]], new: Value, f: Frame) -> None:
        if isinstance(root, Local):
            f.vars[root.name] = self._set(f.vars[root.name], steps, new)
        elif isinstance(root, SharedRef):
            self.shared[root.name] = self._set(self.shared[root.name], steps, new)
        else:
            raise InterpError(f"not an assignable place: {type(root).__name__}")

    def _get(self, v: Value, kind: str, key: Value) -> Value:
        if kind == "field":
            return v.values[self.field_index[v.name][key]]
        if isinstance(v, bytes):
            return purefns.index(v, key)
        if not 0 <= key < len(v):
            raise purefns.Fault("bounds")
        return v[key]

    def _set(self, v: Value, steps: list[tuple[str, Value]], new: Value) -> Value:
        if not steps:
            return new
        (kind, key), rest = steps[0], steps[1:]
        if kind == "field":
            i = self.field_index[v.name][key]
            vs = v.values
            return StructVal(v.name, (*vs[:i], self._set(vs[i], rest, new), *vs[i + 1 :]))
        if not 0 <= key < len(v):
            raise purefns.Fault("bounds")
        if isinstance(v, bytes):
            item = self._set(v[key], rest, new)
            return v[:key] + purefns.byte(item) + v[key + 1 :]
        return (*v[:key], self._set(v[key], rest, new), *v[key + 1 :])

    # -- expressions ---------------------------------------------------------------------------

    def eval(self, e: Expr, f: Frame) -> Value:
        return self.handler(e)(self, e, f)

    def IntLit(self, e: IntLit, f: Frame) -> Value:
        return e.value

    def BoolLit(self, e: BoolLit, f: Frame) -> Value:
        return e.value

    def BytesLit(self, e: BytesLit, f: Frame) -> Value:
        return e.value

    def NoneLit(self, e: NoneLit, f: Frame) -> Value:
        return None

    def Local(self, e: Local, f: Frame) -> Value:
        try:
            return f.vars[e.name]
        except KeyError:
            raise InterpError(f"local '{e.name}' read before it is bound at {e.span}") from None

    def SharedRef(self, e: SharedRef, f: Frame) -> Value:
        return self.shared[e.name]

    def ConstRef(self, e: ConstRef, f: Frame) -> Value:
        try:
            return self.consts[e.name]
        except KeyError:
            pass
        decl = self.const_decls.get(e.name)
        if decl is None:
            raise InterpError(f"unknown constant '{e.name}' at {e.span}")
        self.consts[e.name] = v = self.eval(decl.value, Frame(None))
        return v

    def Embed(self, e: Embed, f: Frame) -> Value:
        base = Path(e.span.file).parent if e.span else Path(".")
        return (base / e.path).read_bytes()

    def Unary(self, e: Unary, f: Frame) -> Value:
        v = self.eval(e.operand, f)
        if e.op == "!":
            return not v
        return purefns.UNARY_OPS[e.op](v)

    def Binary(self, e: Binary, f: Frame) -> Value:
        op = e.op
        if op == "&&":
            return self.eval(e.left, f) and self.eval(e.right, f)
        if op == "||":
            return self.eval(e.left, f) or self.eval(e.right, f)
        a = self.eval(e.left, f)
        b = self.eval(e.right, f)
        match op:
            case "==":
                return a == b
            case "!=":
                return a != b
            case "<":
                return a < b
            case "<=":
                return a <= b
            case ">":
                return a > b
            case ">=":
                return a >= b
            case "++":
                return a + b
            case _:
                return purefns.BINARY_OPS[op](a, b)

    def StructValue(self, e: StructValue, f: Frame) -> Value:
        order = self.field_index.get(e.name)
        if order is None:
            raise InterpError(f"unknown struct '{e.name}' at {e.span}")
        given = {fi.name: self.eval(fi.value, f) for fi in e.fields}
        return StructVal(e.name, tuple(given[name] for name in order))

    def Field(self, e: Field, f: Frame) -> Value:
        return self._get(self.eval(e.target, f), "field", e.name)

    def Index(self, e: Index, f: Frame) -> Value:
        target = self.eval(e.target, f)
        return self._get(target, "index", self.eval(e.index, f))

    def Slice(self, e: Slice, f: Frame) -> Value:
        target = self.eval(e.target, f)
        return purefns.slice_(target, self.eval(e.start, f), self.eval(e.stop, f))

    def ArrayLit(self, e: ArrayLit, f: Frame) -> Value:
        return tuple(self.eval(item, f) for item in e.items)

    def ArrayRepeat(self, e: ArrayRepeat, f: Frame) -> Value:
        item = self.eval(e.item, f)
        return (item,) * self.eval(e.count, f)

    def CallFn(self, e: CallFn, f: Frame) -> Value:
        fn = self.fns[e.func]
        args = [self.eval(a, f) for a in e.args]
        frame = Frame(f.task, {p.name: a for p, a in zip(fn.params, args, strict=True)})
        try:
            for w in self.Block(fn.body, frame):
                raise InterpError(f"function '{fn.name}' tried to wait ({w!r})")
        except ReturnSignal as r:
            return r.value
        return None

    def TableCall(self, e: TableCall, f: Frame) -> Value:
        table = self.tables[e.table]
        args = [self.eval(a, f) for a in e.args]
        match e.method, args:
            case "get", [k]:
                return table.get(k)
            case "contains", [k]:
                return k in table
            case "put", [k, v]:
                if k not in table and len(table) >= self.capacity[e.table]:
                    raise purefns.Fault("table_full")
                table[k] = v
                return None
            case "remove", [k]:
                return table.pop(k, _ABSENT) is not _ABSENT
            case "clear", []:
                table.clear()
                return None
            case "size", []:
                return len(table)
            case _:
                raise InterpError(f"unknown table method '{e.method}' with {len(args)} arguments")

    def CallBuiltin(self, e: CallBuiltin, f: Frame) -> Value:
        pure = purefns.PURE_BUILTINS.get(e.func)
        if pure is not None:
            return pure(*[self.eval(a, f) for a in e.args])
        method = getattr(self, "builtin_" + e.func, None)
        if method is None:
            if e.func in BLOCKING:
                raise InterpError(f"blocking '{e.func}' inside an expression at {e.span}")
            raise InterpError(f"unknown builtin '{e.func}' at {e.span}")
        result: Value = method(e, f)
        return result

    # -- runtime builtins (not blocking) -------------------------------------------------------

    def builtin_now_ms(self, e: BuiltinCall, f: Frame) -> Value:
        return self.world.now_ms

    def builtin_unix_time(self, e: BuiltinCall, f: Frame) -> Value:
        return self.world.unix_time

    def builtin_log(self, e: BuiltinCall, f: Frame) -> Value:
        self.world.log_line(b"".join(_text(self.eval(a, f)) for a in e.args))
        return None

    def builtin_peer_closed(self, e: BuiltinCall, f: Frame) -> Value:
        conn = f.session().connection
        return conn.eof and not conn.inbox

    def builtin_set_timeout(self, e: BuiltinCall, f: Frame) -> Value:
        ms = self.eval(e.args[0], f)
        f.session().timeout_ms = max(0, ms)
        return None

    def builtin_timed_out(self, e: BuiltinCall, f: Frame) -> Value:
        return f.session().timed_out

    def builtin_reply(self, e: BuiltinCall, f: Frame) -> Value:
        data = b"".join(_text(self.eval(a, f)) for a in e.args)
        if len(data) > MAX_REPLY:
            raise purefns.Fault("bounds")
        task = f.task
        if not isinstance(task, DatagramTask):
            raise InterpError("'reply' outside a datagram handler")
        self.world.reply(task.client, data)
        return None

    # -- blocking builtins ---------------------------------------------------------------------

    def blocking(self, e: BuiltinCall, f: Frame) -> Generator[Wait, None, Value]:
        args = [self.eval(a, f) for a in e.args]
        match e.func, args:
            case "recv_line", [limit]:
                return (yield from self.receive(Line(limit), f))
            case "recv_until", [delim, limit]:
                return (yield from self.receive(Until(delim, limit), f))
            case "recv_exact", [count, limit]:
                return (yield from self.receive(Exact(count, limit), f))
            case "recv", [limit]:
                return (yield from self.receive(Some(limit), f))
            case "send", _:
                yield from self.send(b"".join(_text(a) for a in args), f)
                return None
            case "sleep", [ms]:
                until = self.world.now_ms + ms
                while self.world.now_ms < until:
                    yield WaitTime(until)
                return None
            case _:
                raise InterpError(f"unknown blocking builtin '{e.func}' at {e.span}")

    def receive(self, need: Need, f: Frame) -> Generator[Wait, None, Value]:
        task = f.session()
        conn = task.connection
        deadline = self.world.now_ms + task.timeout_ms if task.timeout_ms > 0 else None
        while True:
            out = attempt(need, conn.inbox, conn.eof)
            if out is not None:
                del conn.inbox[: out.consumed]
                task.timed_out = False
                return out.value
            if deadline is not None and self.world.now_ms >= deadline:
                task.timed_out = True
                return None
            yield WaitInput(need, deadline)

    def send(self, data: bytes, f: Frame) -> Generator[Wait, None, None]:
        conn = f.session().connection
        while True:
            room = self.world.room(conn)
            if room is None or room >= len(data):
                self.world.write(conn, data)
                return
            self.world.write(conn, data[:room])
            data = data[room:]
            yield WaitOutput()


_ABSENT = object()


def _plain(v: object) -> bool:
    """Whether a constant from uncover-constants is in this interpreter's representation."""
    if isinstance(v, bool | int | bytes):
        return True
    if isinstance(v, tuple):
        return all(_plain(x) for x in v)
    return isinstance(v, StructVal)
