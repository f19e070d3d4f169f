"""EventedInterpreter: sessions run as state machines, step for step as the Typed interpreter
runs them as threads; only frame slots survive an Await."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from nanowyki import pipeline
from nanowyki.framework import Facts, Node, RunOptions, walk
from nanowyki.interp import TypedInterpreter, read_transcript, run_transcript
from nanowyki.interp.base import InterpError, Interpreter
from nanowyki.interp.evented import EventedInterpreter, MachineTask
from nanowyki.interp.receive import Line
from nanowyki.interp.registry import interpreter_for
from nanowyki.interp.scheduler import FINISHED, YIELD, WaitInput, WaitOutput, WaitTime
from nanowyki.interp.world import World
from nanowyki.languages.evented import SessionMachine, StateMachine
from nanowyki.languages.surface import Service

from .session_trace import Action, trace

ROOT = Path(__file__).resolve().parents[2]
TO_EVENTED = RunOptions(stop_after="lift-live-variables")  # the pipeline goes on past Evented

def compile_both(tmp_path: Path, body: str) -> tuple[Interpreter, Interpreter]:
    """The Typed and the Evented interpreters of a one-session service."""
    path = tmp_path / "t.wyki"
    text = f"service t {{ listen tcp 7; session {{ {body} }} }}"
    checked = pipeline.frontend().run(pipeline.source_tree(path, text))
    lowered = pipeline.default().run(pipeline.source_tree(path, text), TO_EVENTED)
    assert any(isinstance(n, StateMachine) for n in walk(lowered.tree))
    return TypedInterpreter(checked.tree, checked.facts), EventedInterpreter(
        lowered.tree, lowered.facts)


def same_trace(tmp_path: Path, body: str, actions: list[Action], *, room: int | None = None,
               fuel: int = 1000) -> list[tuple[object, bytes]]:
    """The trace of the Evented machine, which must be the Typed thread's."""
    typed, evented = compile_both(tmp_path, body)
    expected = trace(typed, actions, room=room, fuel=fuel)
    assert trace(evented, actions, room=room, fuel=fuel) == expected
    return expected


def test_registered_for_evented() -> None:
    assert interpreter_for("Evented") is EventedInterpreter


def test_a_session_is_a_machine_task(tmp_path: Path) -> None:
    _, evented = compile_both(tmp_path, "close;")
    evented.start(World())
    task = evented.session(World().connect("a"))
    assert isinstance(task, MachineTask) and task.state == task.machine.entry


def test_a_receive_completes_at_once_when_its_bytes_are_there(tmp_path: Path) -> None:
    body = 'let l = recv_line(8) else { close; }; send(l, "!"); close;'
    assert same_trace(tmp_path, body, [b"hi\n", "resume"]) == [(FINISHED, b"hi!")]


def test_a_receive_waits_then_completes(tmp_path: Path) -> None:
    body = 'let l = recv_line(8) else { close; }; send(l, "!"); close;'
    assert same_trace(tmp_path, body, ["resume", b"h", "resume", b"i\n", "resume"]) == [
        (WaitInput(Line(8)), b""), (WaitInput(Line(8)), b""), (FINISHED, b"hi!")]


def test_a_receive_times_out_from_its_start(tmp_path: Path) -> None:
    body = ('set_timeout(100); let l = recv_line(8) else { if timed_out() { send("timeout"); } '
            'close; }; if timed_out() { send("?"); } send(l); close;')
    assert same_trace(tmp_path, body, ["resume", 60, "resume", 40, "resume"]) == [
        (WaitInput(Line(8), 100), b""), (WaitInput(Line(8), 100), b""), (FINISHED, b"timeout")]
    assert same_trace(tmp_path, body, ["resume", 60, b"ok\n", "resume"])[-1] == (FINISHED, b"ok")


def test_end_of_input_gives_none(tmp_path: Path) -> None:
    body = 'let l = recv(8) else { send("eof"); close; }; close;'
    assert same_trace(tmp_path, body, ["resume", "shut", "resume"])[-1] == (FINISHED, b"eof")


def test_every_receive_kind(tmp_path: Path) -> None:
    body = ('let a = recv_until(";", 8) else { close; }; '
            'let b = recv_exact(3, 8) else { close; }; '
            'let c = recv(8) else { close; }; send(a, "|", b, "|", c); close;')
    assert same_trace(tmp_path, body, [b"ab;xyz12", "resume"]) == [(FINISHED, b"ab|xyz|12")]


def test_sleep_waits_for_the_clock(tmp_path: Path) -> None:
    body = 'var n = 5; sleep(n * 10); send("woke ", n); sleep(0); close;'
    assert same_trace(tmp_path, body, ["resume", 49, "resume", 1, "resume"]) == [
        (WaitTime(50), b""), (WaitTime(50), b""), (FINISHED, b"woke 5")]


def test_send_waits_for_output_room(tmp_path: Path) -> None:
    body = 'var n = 0; send("hello world"); n = 7; send(n); close;'
    out = same_trace(tmp_path, body, ["resume", "resume", "resume"], room=4)
    assert out == [(WaitOutput(), b"hell"), (WaitOutput(), b"o wo"), (FINISHED, b"rld7")]


def test_checkpoints_spend_fuel_and_yield(tmp_path: Path) -> None:
    body = 'var n = 0; loop { n = n + 1; if n == 25 { send(n); close; } }'
    out = same_trace(tmp_path, body, ["resume"] * 3, fuel=10)
    assert [w for w, _ in out] == [YIELD, YIELD, FINISHED] and out[-1][1] == b"25"


def test_a_fault_ends_the_machine(tmp_path: Path) -> None:
    body = 'let l = recv_line(8) else { close; }; send(100 / len(trim(l))); close;'
    assert same_trace(tmp_path, body, ["resume", b" \n", "resume"])[-1] == (
        "fault division", b"")


def test_locals_are_dropped_at_every_await(tmp_path: Path) -> None:
    body = 'let l = recv_line(8) else { close; }; send(l); let m = recv_line(8) else { close; };'
    _, evented = compile_both(tmp_path, body + " close;")
    assert isinstance(evented, EventedInterpreter)
    world = World()
    evented.start(world)
    task = evented.session(world.connect("a"))
    assert isinstance(task, MachineTask)
    task.resume()
    local_names = {s.name for s in task.machine.locals}
    frame_names = {s.name for s in task.machine.frame}
    live = {k for k, v in task.frame.vars.items() if v is not _dropped()}
    assert live <= frame_names and local_names.isdisjoint(live)


def _dropped() -> object:
    from nanowyki.interp.evented import DROPPED

    return DROPPED


def with_local(tree: Node, name: str) -> Node:
    """`tree` with frame slot `name` wrongly moved to the locals."""
    assert isinstance(tree, Service)
    decls = list(tree.decls)
    for i, d in enumerate(decls):
        if isinstance(d, SessionMachine) and isinstance(d.body, StateMachine):
            m = d.body
            moved = tuple(s for s in m.frame if s.name == name)
            assert moved, f"{name} is not in the frame"
            body = dataclasses.replace(m, frame=tuple(s for s in m.frame if s.name != name),
                                       locals=(*m.locals, *moved))
            decls[i] = dataclasses.replace(d, body=body)
    return dataclasses.replace(tree, decls=tuple(decls))


def test_a_variable_wrongly_left_local_breaks_the_transcript() -> None:
    result = pipeline.default().run(pipeline.source_tree(ROOT / "examples" / "echo.wyki"),
                                     TO_EVENTED)
    transcript = read_transcript(ROOT / "tests" / "transcripts" / "echo" / "single.tr")
    assert run_transcript(EventedInterpreter(result.tree, result.facts), transcript).ok
    m = next(n for n in walk(result.tree) if isinstance(n, StateMachine))
    for slot in m.frame:
        broken = EventedInterpreter(with_local(result.tree, slot.name), result.facts)
        played = run_transcript(broken, transcript)
        assert not played.ok, f"{slot.name} did not need the frame"
        assert "should be in the machine's frame" in played.report()


def test_reading_a_dropped_local_is_an_interpreter_error(tmp_path: Path) -> None:
    _, evented = compile_both(tmp_path, 'let l = recv_line(8) else { close; }; send(l); close;')
    tree = evented.program
    m = next(n for n in walk(tree) if isinstance(n, StateMachine))
    broken = EventedInterpreter(with_local(tree, m.frame[0].name), Facts())
    with pytest.raises(InterpError, match="frame"):
        trace(broken, [b"hi\n", "resume"])


EXAMPLES = sorted((ROOT / "examples").glob("*.wyki"))


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_every_transcript_of_every_example(example: Path) -> None:
    result = pipeline.default().run(pipeline.source_tree(example), TO_EVENTED)
    bad = []
    for path in sorted((ROOT / "tests" / "transcripts" / example.stem).glob("*.tr")):
        played = run_transcript(EventedInterpreter(result.tree, result.facts), path)
        if not played.ok:
            bad.append(f"{path.name}: {played.report()}")
    assert not bad, "\n".join(bad)
