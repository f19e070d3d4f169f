"""Small constructors for hand-built Typed programs (the interpreter tests do not need the front
end). Types are filled in where the interpreter reads them (`++=` targets)."""

from __future__ import annotations

from nanowyki.framework import Node
from nanowyki.languages.resolved import CallBuiltin, CallFn, ConstRef, Local, SharedRef, TableCall
from nanowyki.languages.surface import (
    Assign,
    Binary,
    Block,
    BoolLit,
    BytesLit,
    Expr,
    ExprStmt,
    IntLit,
    Let,
    Listen,
    Service,
    Session,
    Sessions,
    Stmt,
)
from nanowyki.languages.types import TBool, TBytes, TInt, Type


def i(v: int) -> IntLit:
    return IntLit(v, TInt())


def t(v: bool) -> BoolLit:
    return BoolLit(v, TBool())


def s(v: bytes | str) -> BytesLit:
    data = v.encode() if isinstance(v, str) else v
    return BytesLit(data, TBytes(max(1, len(data))))


def loc(name: str, ty: Type | None = None) -> Local:
    return Local(name, ty or TInt())


def const(name: str) -> ConstRef:
    return ConstRef(name, TInt())


def shared(name: str) -> SharedRef:
    return SharedRef(name, TInt())


def bi(func: str, *args: Expr) -> CallBuiltin:
    return CallBuiltin(func, tuple(args), TInt())


def fn(func: str, *args: Expr) -> CallFn:
    return CallFn(func, tuple(args), TInt())


def tcall(table: str, method: str, *args: Expr) -> TableCall:
    return TableCall(table, method, tuple(args), TInt())


def op(o: str, a: Expr, b: Expr) -> Binary:
    return Binary(o, a, b, TInt())


def block(*stmts: Stmt) -> Block:
    return Block(tuple(stmts))


def do(func: str, *args: Expr) -> ExprStmt:
    return ExprStmt(bi(func, *args))


def let(name: str, value: Expr, *else_: Stmt) -> Let:
    return Let(name, TInt(), value, block(*else_) if else_ else None)


def let_plain(name: str, value: Expr) -> Let:
    return Let(name, TInt(), value, None)


def assign(target: Expr, o: str, value: Expr) -> Assign:
    return Assign(target, o, value)


def tcp(*body: Stmt, decls: tuple[Node, ...] = (), sessions: int = 1024) -> Service:
    """A TCP service on port 7 whose session is `body`."""
    return Service(
        "test",
        (Listen("tcp", i(7)), Sessions(i(sessions)), *decls, Session(block(*body))),  # type: ignore[arg-type]
    )


# -- running -----------------------------------------------------------------------------------

from dataclasses import dataclass  # noqa: E402

from nanowyki.framework import Facts  # noqa: E402
from nanowyki.interp import TranscriptResult, parse_transcript, run_transcript  # noqa: E402
from nanowyki.interp.scheduler import Scheduler  # noqa: E402
from nanowyki.interp.typed import Frame, TypedInterpreter  # noqa: E402
from nanowyki.interp.world import World  # noqa: E402


def serve(prog: Node, text: str, **kw: object) -> TranscriptResult:
    """Play the transcript `text` against `prog`."""
    return run_transcript(prog, parse_transcript(text, "t.tr"), **kw)  # type: ignore[arg-type]


def ok(prog: Node, text: str, **kw: object) -> TranscriptResult:
    result = serve(prog, text, **kw)
    assert result.ok, result.report()
    return result


def fails(prog: Node, text: str, **kw: object) -> str:
    result = serve(prog, text, **kw)
    assert not result.ok, "the transcript was expected to fail"
    assert result.failure is not None
    return result.failure


def evaluate(e: Expr, decls: tuple[Node, ...] = (), facts: Facts | None = None) -> object:
    """The value of `e` in a fresh run of a service with `decls`, outside any handler."""
    interp = TypedInterpreter(tcp(decls=decls), facts)
    interp.start(World())
    return interp.eval(e, Frame(None))


@dataclass
class Ran:
    output: bytes
    faults: list[str]
    closed: bool
    log: list[bytes]


def run_session(
    *body: Stmt, data: bytes = b"", shut: bool = True, decls: tuple[Node, ...] = ()
) -> Ran:
    """Serve one connection that sends `data` (then shuts) with a session of `body`."""
    interp = TypedInterpreter(tcp(*body, decls=decls))
    world = World()
    interp.start(world)
    sched = Scheduler(world)
    conn = world.connect("a")
    sched.spawn(interp.session(conn))
    if data:
        world.client_send(conn, data)
    if shut:
        world.client_shut(conn)
    sched.run()
    return Ran(bytes(conn.received), [f.kind for f in world.faults], conn.service_closed,
               world.service_log)
