"""A session's state machine as a Graphviz `dot` graph (`nanowyki run-passes F --emit dot`).

    from nanowyki.dot import service_dot
    print(service_dot(evented_tree))          # one `digraph` per session machine

One node per basic block: its label, then its statements in short (at most `MAX_LINES` lines of
at most `MAX_WIDTH` characters). The machine's states -- its entry and every block an `Await`
resumes at, where the machine rests while it waits -- are drawn with a double border; the other
blocks are plain boxes run within the same step. Edges: a `Goto` (plain), a `Branch` (`true`,
`false`), and an `Await` (bold, labelled with the blocking operation, e.g.
`line = recv_line(8192)`, `send(t.3)`, `sleep(100)`, `checkpoint`). The ends of the machine
(`close`, `end`, `fault KIND`) are ovals. The output depends only on the tree: deterministic.

It draws `Buffered`, `Socketless` and `Placed` machines too (`--emit dot --stop-after
lower-waits`): a `Suspend` is a dashed red edge labelled with what it waits for (`wait input`,
`wait output`, `wait time`, `yield`) to the state it re-enters, which is drawn as a state; the
buffer statements read `ready.4 = try l = recv_line(8192)`, `done.5 = tx t.3`, and so on, and
`Placed`'s `t.1 = n; n += k (atomic)`, `t.2 = a ++ b (in 8)`, `t.2 ++= c (in 12)`.
"""

from __future__ import annotations

from nanowyki.framework import Language, Node, print_tree
from nanowyki.languages.evented import (
    Await,
    CheckpointOp,
    Op,
    RecvExactOp,
    RecvLineOp,
    RecvSomeOp,
    RecvUntilOp,
    SendOp,
    SessionMachine,
    SleepOp,
    StateMachine,
)
from nanowyki.languages.iterated import Log, Narrow, Reply
from nanowyki.languages.linear import (
    BasicBlock,
    Branch,
    CloseExit,
    Exit,
    FaultExit,
    Goto,
    IsNone,
    Payload,
    Ret,
)
from nanowyki.languages.placed import AppendInto, ConcatInto, SharedUpdate
from nanowyki.languages.resolved import CallBuiltin, CallFn, ConstRef, Local, SharedRef, TableCall
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
    ArrayRepeat,
    Assign,
    Binary,
    BoolLit,
    BytesLit,
    ExprStmt,
    Field,
    Index,
    IntLit,
    NoneLit,
    Service,
    Slice,
    StructValue,
    Unary,
)

MAX_LINES = 6  # statement lines shown per block
MAX_WIDTH = 40  # characters per line


def draws(language: Language) -> bool:
    """Whether `service_dot` draws the programs of `language`: a `Service` whose sessions are
    `StateMachine`s: from `Evented` (split-states) until `Cish`, which has neither."""
    return Service in language and StateMachine in language


def service_dot(tree: Node) -> str:
    """Every session state machine of the service, each as one `digraph`."""
    if not isinstance(tree, Service):
        raise TypeError(f"expected a Service, got {type(tree).__name__}")
    found = [d for d in tree.decls if isinstance(d, SessionMachine)]
    if not found:
        return f'digraph "{_esc(tree.name)}" {{\n  label="{_esc(tree.name)}: no session";\n}}\n'
    parts = []
    for d in found:
        if not isinstance(d.body, StateMachine):
            raise TypeError(f"a session machine that is not a StateMachine: {d.body!r}")
        parts.append(machine_dot(f"{tree.name} session", d.body))
    return "".join(parts)


def machine_dot(title: str, m: StateMachine) -> str:
    """One state machine as a `digraph` named `title`."""
    states = {m.entry} | {b.exit.resume for b in m.blocks if isinstance(b.exit, Await | Suspend)}
    lines = [
        f'digraph "{_esc(title)}" {{',
        f'  label="{_esc(title)}: {len(states)} states, frame: '
        f'{_esc(", ".join(s.name for s in m.frame) or "-")}";',
        "  labelloc=t; rankdir=TB;",
        '  node [shape=box, fontname="monospace", fontsize=10];',
        '  edge [fontname="monospace", fontsize=9];',
        "  start [shape=point];",
        f'  start -> "{_esc(m.entry)}";',
    ]
    ends: dict[str, str] = {}  # end node id -> its label, in order of first use
    for b in m.blocks:
        extra = ", peripheries=2, style=bold" if b.label in states else ""
        lines.append(f'  "{_esc(b.label)}" [label="{_block_label(b)}"{extra}];')
        for target, attrs in _edges(b.exit, ends):
            lines.append(f'  "{_esc(b.label)}" -> "{_esc(target)}"{attrs};')
    for ident, label in ends.items():
        lines.append(f'  "{ident}" [label="{_esc(label)}", shape=oval];')
    lines.append("}")
    return "\n".join(lines) + "\n"


def _edges(x: Exit, ends: dict[str, str]) -> list[tuple[str, str]]:
    """(target node, edge attributes) for each way out of a block."""

    def end(label: str) -> str:
        ident = f"end: {label}"
        ends.setdefault(ident, label)
        return ident

    match x:
        case Goto(target):
            return [(target, "")]
        case Branch(_, then, else_):
            return [(then, ' [label="true"]'), (else_, ' [label="false"]')]
        case Await(op, dest, resume):
            text = describe_op(op) if dest is None else f"{dest} = {describe_op(op)}"
            return [(resume, f' [label="{_esc(text)}", style=bold, color=blue]')]
        case Suspend(reason, resume):
            text = "yield" if reason == "yield" else f"wait {reason}"
            return [(resume, f' [label="{text}", style="bold,dashed", color=red]')]
        case Ret(value):
            return [(end("end"), "" if value is None else f' [label="{_esc(atom(value))}"]')]
        case CloseExit():
            return [(end("close"), "")]
        case FaultExit(kind):
            return [(end(f"fault {kind}"), "")]
        case _:
            raise TypeError(f"unknown exit {type(x).__name__}")


def _block_label(b: BasicBlock) -> str:
    shown = [describe_stmt(s) for s in b.stmts]
    if len(shown) > MAX_LINES:
        shown = [*shown[: MAX_LINES - 1], f"... {len(shown) - MAX_LINES + 1} more"]
    texts = [b.label, *(_cut(t) for t in shown)]
    return "".join(_esc(t) + "\\l" for t in texts)


def _cut(text: str) -> str:
    return text if len(text) <= MAX_WIDTH else text[: MAX_WIDTH - 3] + "..."


def _esc(text: str) -> str:
    """`text` inside a dot double-quoted string."""
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


# -- short descriptions of statements, operations and expressions -----------------------------


def describe_op(op: Op) -> str:
    match op:
        case RecvLineOp(limit):
            return f"recv_line({atom(limit)})"
        case RecvUntilOp(delim, limit):
            return f"recv_until({atom(delim)}, {atom(limit)})"
        case RecvExactOp(count, limit):
            return f"recv_exact({atom(count)}, {atom(limit)})"
        case RecvSomeOp(limit):
            return f"recv({atom(limit)})"
        case SendOp(value):
            return f"send({atom(value)})"
        case SleepOp(ms):
            return f"sleep({atom(ms)})"
        case CheckpointOp():
            return "checkpoint"
        case _:
            raise TypeError(f"unknown operation {type(op).__name__}")


def describe_stmt(s: Node) -> str:
    match s:
        case Assign(target, op, value):
            return f"{expr(target)} {op} {expr(value)}"
        case ExprStmt(e):
            return expr(e)
        case Log(value):
            return f"log({atom(value)})"
        case Reply(value):
            return f"reply({atom(value)})"
        case RxBegin():
            return "recv starts"
        case RxLine(dest, limit, ready):
            return f"{ready} = try {dest} = recv_line({atom(limit)})"
        case RxUntil(dest, delim, limit, ready):
            return f"{ready} = try {dest} = recv_until({atom(delim)}, {atom(limit)})"
        case RxExact(dest, count, limit, ready):
            return f"{ready} = try {dest} = recv_exact({atom(count)}, {atom(limit)})"
        case RxSome(dest, limit, ready):
            return f"{ready} = try {dest} = recv({atom(limit)})"
        case TxWrite(value, done):
            return f"{done} = tx {atom(value)}"
        case SleepBegin(ms):
            return f"wake at now + {atom(ms)}"
        case SleepDone(done):
            return f"{done} = woke"
        case FuelSpend(ok):
            return f"{ok} = spend fuel"
        case _:
            return _describe_placed(s)


def _describe_placed(s: Node) -> str:
    match s:
        case SharedUpdate(old, shared, op, operand):
            return f"{old} = {shared}; {shared} {op}= {atom(operand)} (atomic)"
        case ConcatInto(buffer, left, right, capacity):
            return f"{buffer} = {atom(left)} ++ {atom(right)} (in {capacity})"
        case AppendInto(buffer, right, capacity):
            return f"{buffer} ++= {atom(right)} (in {capacity})"
        case _:
            return _one_line(s)


def atom(e: Node) -> str:
    return expr(e)


def expr(e: Node) -> str:
    """A short, source-like text for a (flat) expression."""
    match e:
        case IntLit(value):
            return str(value)
        case BoolLit(value):
            return "true" if value else "false"
        case BytesLit(value):
            return _bytes(value)
        case NoneLit():
            return "none"
        case Local(name) | ConstRef(name) | SharedRef(name):
            return name
        case _:
            return _compound(e)


def _compound(e: Node) -> str:
    match e:
        case Unary(op, operand):
            return f"{op}{expr(operand)}"
        case Binary(op, left, right):
            return f"{expr(left)} {op} {expr(right)}"
        case CallFn(func, args) | CallBuiltin(func, args):
            return f"{func}({', '.join(expr(a) for a in args)})"
        case TableCall(table, method, args):
            return f"{table}.{method}({', '.join(expr(a) for a in args)})"
        case Field(target, name):
            return f"{expr(target)}.{name}"
        case Index(target, index):
            return f"{expr(target)}[{expr(index)}]"
        case Slice(target, start, stop):
            return f"{expr(target)}[{expr(start)}..{expr(stop)}]"
        case StructValue(name, fields):
            return f"{name} {{{', '.join(f'{fi.name}: {expr(fi.value)}' for fi in fields)}}}"
        case ArrayLit(items):
            return f"[{', '.join(expr(i) for i in items)}]"
        case ArrayRepeat(item, count):
            return f"[{expr(item)}; {expr(count)}]"
        case Narrow(value):
            return f"narrow({expr(value)})"
        case IsNone(value):
            return f"{expr(value)} is none"
        case Payload(value):
            return f"{expr(value)}!"
        case _:
            return _one_line(e)


def _bytes(value: bytes) -> str:
    out = []
    for c in value:
        ch = chr(c)
        if ch == '"' or ch == "\\":
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        elif 0x20 <= c < 0x7F:
            out.append(ch)
        else:
            out.append(f"\\x{c:02x}")
    return '"' + "".join(out) + '"'


def _one_line(n: Node) -> str:
    """Any other form: its printed IL on one line."""
    return " ".join(print_tree(n).split())
