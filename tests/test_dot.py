"""nanowyki.dot: a session's state machine as Graphviz dot, and `run-passes --emit dot`."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from nanowyki import cli
from nanowyki.dot import MAX_LINES, describe_op, describe_stmt, machine_dot, service_dot
from nanowyki.framework import Facts, Node, read_tree, walk
from nanowyki.languages.evented import CheckpointOp, Evented, StateMachine
from nanowyki.languages.placed import AppendInto, ConcatInto, SharedUpdate
from nanowyki.languages.resolved import Local
from nanowyki.languages.surface import BytesLit, IntLit
from nanowyki.languages.types import TBytes, TInt
from tests.clients.conftest import require_tool
from tests.passes.evented_support import (
    MINE,
    assign,
    b,
    bb,
    echo_pooled,
    lit,
    loc,
    machine,
    opt,
    pooled,
    service,
)

ROOT = Path(__file__).resolve().parent.parent

ECHO = r'''digraph "s session" {
  label="s session: 4 states, frame: t.1, data";
  labelloc=t; rankdir=TB;
  node [shape=box, fontname="monospace", fontsize=10];
  edge [fontname="monospace", fontsize=9];
  start [shape=point];
  start -> "b.1";
  "b.1" [label="b.1\l", peripheries=2, style=bold];
  "b.1" -> "resume.4" [label="checkpoint", style=bold, color=blue];
  "resume.4" [label="resume.4\l", peripheries=2, style=bold];
  "resume.4" -> "resume.5" [label="t.1 = recv(CHUNK)", style=bold, color=blue];
  "resume.5" [label="resume.5\lt.2 = t.1 is none\l", peripheries=2, style=bold];
  "resume.5" -> "b.2" [label="true"];
  "resume.5" -> "b.3" [label="false"];
  "b.2" [label="b.2\l"];
  "b.2" -> "end: close";
  "b.3" [label="b.3\ldata = t.1!\l"];
  "b.3" -> "resume.6" [label="send(data)", style=bold, color=blue];
  "resume.6" [label="resume.6\l", peripheries=2, style=bold];
  "resume.6" -> "b.1";
  "end: close" [label="close", shape=oval];
}
'''


def lifted(tree: Node) -> Node:
    facts = Facts()
    for p in MINE:
        tree, facts = p().apply(tree, facts)
    return tree


def the_machine(text: str) -> StateMachine:
    tree = read_tree(text, Evented)
    return next(n for n in walk(tree) if isinstance(n, StateMachine))


def test_echo_golden() -> None:
    assert service_dot(lifted(pooled(echo_pooled()))) == ECHO


def test_deterministic() -> None:
    tree = lifted(pooled(echo_pooled()))
    assert service_dot(tree) == service_dot(lifted(pooled(echo_pooled())))


def test_every_operation_is_labelled() -> None:
    o = opt(b(8))
    delim = '(BytesLit #"\\r\\n" (TBytes 2))'
    m = the_machine(service(machine([], [], [
        bb("b.1", [], f"(Await (RecvLineOp {lit(8)}) a r.1)"),
        bb("r.1", [], f"(Await (RecvUntilOp {delim} {lit(8)}) c r.2)"),
        bb("r.2", [], f"(Await (RecvExactOp {loc('n')} {lit(8)}) e r.3)"),
        bb("r.3", [], f"(Await (SleepOp {lit(100)}) nil r.4)"),
        bb("r.4", [], f"(Await (SendOp {loc('x', o)}) nil r.5)"),
        bb("r.5", [], "(FaultExit fuel)"),
    ])))
    text = machine_dot("t", m)
    for label in ["a = recv_line(8)", 'c = recv_until(\\"\\\\r\\\\n\\", 8)', "e = recv_exact(n, 8)",
                  "sleep(100)", "send(x)"]:
        assert f'[label="{label}", style=bold, color=blue]' in text
    assert '"r.5" -> "end: fault fuel";' in text
    assert '"end: fault fuel" [label="fault fuel", shape=oval];' in text
    assert "6 states" in text and "frame: -" in text


def test_blocks_that_are_not_states_are_plain_boxes() -> None:
    m = the_machine(service(machine([], [], [
        bb("b.1", [], "(Goto b.2)"),
        bb("b.2", [], "(Await (CheckpointOp) nil r.1)"),
        bb("r.1", [], "(Ret nil)"),
    ])))
    text = machine_dot("t", m)
    assert '"b.1" [label="b.1\\l", peripheries=2, style=bold];' in text  # the entry
    assert '"b.2" [label="b.2\\l"];' in text  # reached by a jump within the first step
    assert '"r.1" -> "end: end";' in text


def test_long_blocks_and_lines_are_cut() -> None:
    stmts = [assign(loc(f"v{i}"), lit(10**12 + i)) for i in range(MAX_LINES + 3)]
    stmts.append(assign(loc("w"), f"(Binary + {loc('a_rather_long_variable_name')} "
                                  f"{loc('another_rather_long_name')} (TInt))"))
    m = the_machine(service(machine([], [], [bb("b.1", stmts, "(CloseExit)")])))
    text = machine_dot("t", m)
    assert f"... {len(stmts) - MAX_LINES + 1} more\\l" in text
    assert text.count("\\l") == 1 + MAX_LINES


def test_descriptions_read_like_source() -> None:
    t = the_machine(service(machine([], [], [bb("b.1", [
        assign(f"(Index {loc('a', '(TArray (TInt) 4)')} {lit(1)} (TInt))", lit(2)),
        f"(ExprStmt (TableCall kv put [{loc('k')} {loc('v')}] (TUnit)))",
        assign(loc("s", b(4)), f"(Slice {loc('x', b(8))} {lit(0)} {lit(4)} {b(4)})"),
        f"(Log {loc('s', b(4))})",
    ], "(CloseExit)")])))
    lines = [describe_stmt(s) for s in t.blocks[0].stmts]
    assert lines == ["a[1] = 2", "kv.put(k, v)", "s = x[0..4]", "log(s)"]
    assert describe_op(CheckpointOp()) == "checkpoint"


def test_placed_statements_read_like_source() -> None:
    a, one = Local("a", TBytes(4)), IntLit(1, TInt())
    stmts = [SharedUpdate("t.1", "count", "+", one), ConcatInto("r", a, BytesLit(b"!"), 5),
             AppendInto("r", a, 9)]  # fmt: skip
    assert [describe_stmt(s) for s in stmts] == [
        "t.1 = count; count += 1 (atomic)", 'r = a ++ "!" (in 5)', "r ++= a (in 9)"]  # fmt: skip


def test_a_udp_service_has_no_machine() -> None:
    tree = read_tree(service(
        "(DatagramGraph q (TBytes 512) (PooledCfg b.1 [] [(BasicBlock b.1 [] (Ret nil))]))",
        proto="udp"), Evented)
    assert service_dot(tree) == 'digraph "s" {\n  label="s: no session";\n}\n'


def test_cli_emit_dot(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["run-passes", str(ROOT / "examples" / "echo.wyki"), "--emit", "dot"]) == 0
    out = capsys.readouterr().out
    assert out.startswith('digraph "echo session" {') and out.endswith("}\n")
    assert "recv(4096)" in out and "send(data)" in out


def test_cli_emit_dot_to_a_file(tmp_path: Path) -> None:
    target = tmp_path / "echo.dot"
    argv = ["run-passes", str(ROOT / "examples" / "echo.wyki"), "--emit", "dot", "-o", str(target)]
    assert cli.main(argv) == 0
    assert target.read_text().startswith("digraph")


NO_MACHINE = ["hoist-locals", "convert-to-cish", "emit-service-descriptor"]


@pytest.mark.parametrize("stop_after", NO_MACHINE)
def test_cli_emit_dot_where_no_machine_exists(
    stop_after: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Before split-states and from convert-to-cish on there is no state machine to draw: a
    usage error that names the passes after which there is one."""
    argv = ["run-passes", str(ROOT / "examples" / "echo.wyki"), "--emit", "dot",
            "--stop-after", stop_after]  # fmt: skip
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("nanowyki: error: --emit dot draws the sessions' state machines")
    assert f"which exist after the passes 'split-states' to '{last_drawn()}'" in err
    assert f"not after '{stop_after}'" in err


def last_drawn() -> str:
    """The last pass whose output has state machines (today: the last into Placed)."""
    from nanowyki import pipeline

    p = pipeline.default()
    return p.names[p.index("convert-to-cish") - 1]


def test_cli_emit_dot_after_every_pass_that_has_machines(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from nanowyki import pipeline

    p = pipeline.default()
    for name in p.names[p.index("split-states") : p.index("convert-to-cish")]:
        argv = ["run-passes", str(ROOT / "examples" / "echo.wyki"), "--emit", "dot",
                "--stop-after", name]  # fmt: skip
        assert cli.main(argv) == 0, name
        assert capsys.readouterr().out.startswith('digraph "echo session" {'), name


def test_cli_emit_dot_from_a_later_dump_draws_after_the_start_pass(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A run that starts after lift-live-variables (where --emit dot stops by default) stops
    at its start pass."""
    evented = tmp_path / "evented.il"
    echo = str(ROOT / "examples" / "echo.wyki")
    dump = ["run-passes", echo, "--stop-after", "lift-live-variables", "-o", str(evented)]
    assert cli.main(dump) == 0
    resumed = ["run-passes", str(evented), "--start-at", "lower-receives", "--emit", "dot"]
    assert cli.main(resumed) == 0
    drawn = capsys.readouterr().out
    assert cli.main(["run-passes", echo, "--stop-after", "lower-receives", "--emit", "dot"]) == 0
    assert drawn == capsys.readouterr().out
    assert "ready." in drawn  # the Buffered machine: `ready.N = try ...`


def test_cli_emit_il_is_the_default(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["run-passes", str(ROOT / "examples" / "echo.wyki"), "--stop-after", "split-states"]
    assert cli.main(argv) == 0
    assert capsys.readouterr().out.startswith("(Service echo")


def test_graphviz_accepts_every_example(tmp_path: Path) -> None:
    require_tool("dot", "graphviz")
    for example in sorted((ROOT / "examples").glob("*.wyki")):
        target = tmp_path / f"{example.stem}.dot"
        assert cli.main(["run-passes", str(example), "--emit", "dot", "-o", str(target)]) == 0
        done = subprocess.run(["dot", "-Tsvg", str(target)], capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        assert "<svg" in done.stdout


def test_the_drawing_in_the_docs_is_what_echo_gives_today(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """docs/state-machines.md shows echo's dot and its rendering: both stay true."""
    doc = (ROOT / "docs" / "state-machines.md").read_text()
    shown = doc.split("```dot\n", 1)[1].split("```", 1)[0]
    assert cli.main(["run-passes", str(ROOT / "examples" / "echo.wyki"), "--emit", "dot"]) == 0
    assert capsys.readouterr().out == shown
    svg = (ROOT / "docs" / "img" / "echo-states.svg").read_text()
    states = [line.split('"')[1] for line in shown.splitlines() if "[label=" in line]
    for text in [*states, "o.4 = recv(4096)", "send(data)", "checkpoint"]:
        assert text.replace(">", "&gt;") in svg, f"the SVG lacks {text!r}: re-render it"
