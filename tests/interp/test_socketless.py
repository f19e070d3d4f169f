"""SocketlessInterpreter: receives and sends are tests of the connection's buffers, a state
that cannot go on suspends; every session behaves exactly as the Typed thread (and the Evented
machine), and the replies to one batch of pipelined requests leave in one write."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from nanowyki import pipeline
from nanowyki.framework import Facts, Node, RunOptions, walk
from nanowyki.interp import TypedInterpreter, parse_transcript, run_transcript
from nanowyki.interp.base import InterpError, Interpreter
from nanowyki.interp.evented import DROPPED, EventedInterpreter
from nanowyki.interp.receive import Exact, Line, Some, Until
from nanowyki.interp.registry import interpreter_for
from nanowyki.interp.runner import TranscriptResult, TranscriptRunner
from nanowyki.interp.scheduler import FINISHED, YIELD, Scheduler, WaitInput, WaitOutput, WaitTime
from nanowyki.interp.socketless import SocketlessInterpreter, SocketlessTask
from nanowyki.interp.world import World
from nanowyki.languages.evented import Await, SessionMachine, StateMachine
from nanowyki.languages.socketless import Suspend
from nanowyki.languages.surface import Service

from .session_trace import Action, trace

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples").glob("*.wyki"))
TO_SOCKETLESS = RunOptions(stop_after="lower-waits")  # the pipeline goes on into Cish

def compile_all(tmp_path: Path, body: str) -> tuple[Interpreter, Interpreter, Interpreter]:
    """The Typed, Evented and Socketless interpreters of a one-session service."""
    path = tmp_path / "t.wyki"
    text = f"service t {{ listen tcp 7; session {{ {body} }} }}"
    checked = pipeline.frontend().run(pipeline.source_tree(path, text))
    evented = pipeline.default().run(pipeline.source_tree(path, text),
                                     RunOptions(stop_after="lift-live-variables"))
    lowered = pipeline.default().run(pipeline.source_tree(path, text), TO_SOCKETLESS)
    assert lowered.language == "Socketless"
    assert not any(isinstance(n, Await) for n in walk(lowered.tree))
    return (TypedInterpreter(checked.tree, checked.facts),
            EventedInterpreter(evented.tree, evented.facts),
            SocketlessInterpreter(lowered.tree, lowered.facts))


def same_trace(tmp_path: Path, body: str, actions: list[Action], *, room: int | None = None,
               fuel: int = 1000) -> list[tuple[object, bytes]]:
    """The Socketless machine's trace, which must be the Typed thread's and the Evented
    machine's, resume for resume and byte for byte."""
    typed, evented, socketless = compile_all(tmp_path, body)
    expected = trace(typed, actions, room=room, fuel=fuel)
    assert trace(evented, actions, room=room, fuel=fuel) == expected
    assert trace(socketless, actions, room=room, fuel=fuel) == expected
    return expected


# -- the interpreter -----------------------------------------------------------------------------


def test_registered_for_buffered_and_socketless() -> None:
    assert interpreter_for("Buffered") is SocketlessInterpreter
    assert interpreter_for("Socketless") is SocketlessInterpreter
    assert issubclass(SocketlessInterpreter, EventedInterpreter)


def test_a_session_is_a_socketless_task(tmp_path: Path) -> None:
    *_, socketless = compile_all(tmp_path, "close;")
    world = World()
    socketless.start(world)
    task = socketless.session(world.connect("a"))
    assert isinstance(task, SocketlessTask) and task.state == task.machine.entry
    assert task.need is None and task.deadline is None and task.sent == 0


def test_a_receive_completes_at_once_when_its_bytes_are_there(tmp_path: Path) -> None:
    body = 'let l = recv_line(8) else { close; }; send(l, "!"); close;'
    assert same_trace(tmp_path, body, [b"hi\n", "resume"]) == [(FINISHED, b"hi!")]


def test_a_receive_waits_with_its_need_then_completes(tmp_path: Path) -> None:
    body = 'let l = recv_line(8) else { close; }; send(l, "!"); close;'
    assert same_trace(tmp_path, body, ["resume", b"h", "resume", b"i\n", "resume"]) == [
        (WaitInput(Line(8)), b""), (WaitInput(Line(8)), b""), (FINISHED, b"hi!")]


def test_the_need_of_every_receive_kind_is_reported(tmp_path: Path) -> None:
    body = ('let a = recv_until(";", 8) else { close; }; '
            'let b = recv_exact(3, 8) else { close; }; '
            'let c = recv(8) else { close; }; send(a, "|", b, "|", c); close;')
    out = same_trace(tmp_path, body, ["resume", b"ab;", "resume", b"xyz", "resume", b"12",
                                      "resume"])
    assert [w for w, _ in out] == [WaitInput(Until(b";", 8)), WaitInput(Exact(3, 8)),
                                   WaitInput(Some(8)), FINISHED]
    assert out[-1][1] == b"ab|xyz|12"


def test_a_receive_times_out_from_its_start(tmp_path: Path) -> None:
    body = ('set_timeout(100); let l = recv_line(8) else { if timed_out() { send("timeout"); } '
            'close; }; if timed_out() { send("?"); } send(l); close;')
    assert same_trace(tmp_path, body, ["resume", 60, "resume", 40, "resume"]) == [
        (WaitInput(Line(8), 100), b""), (WaitInput(Line(8), 100), b""), (FINISHED, b"timeout")]
    assert same_trace(tmp_path, body, ["resume", 60, b"ok\n", "resume"])[-1] == (FINISHED, b"ok")


def test_each_receive_fixes_its_own_deadline(tmp_path: Path) -> None:
    body = ('set_timeout(100); let a = recv_line(8) else { close; }; '
            'let b = recv_line(8) else { send("late"); close; }; send(a, b); close;')
    out = same_trace(tmp_path, body, ["resume", 70, b"x\n", "resume", 99, "resume", 1, "resume"])
    assert [w for w, _ in out] == [WaitInput(Line(8), 100), WaitInput(Line(8), 170),
                                   WaitInput(Line(8), 170), FINISHED]


def test_end_of_input_gives_none(tmp_path: Path) -> None:
    body = 'let l = recv(8) else { send("eof"); close; }; close;'
    assert same_trace(tmp_path, body, ["resume", "shut", "resume"])[-1] == (FINISHED, b"eof")


def test_sleep_waits_for_the_clock_and_sleep_0_does_not(tmp_path: Path) -> None:
    body = 'var n = 5; sleep(n * 10); send("woke ", n); sleep(0); close;'
    assert same_trace(tmp_path, body, ["resume", 49, "resume", 1, "resume"]) == [
        (WaitTime(50), b""), (WaitTime(50), b""), (FINISHED, b"woke 5")]


def test_a_send_waits_for_output_room_and_resumes_where_it_stopped(tmp_path: Path) -> None:
    body = 'var n = 0; send("hello world"); n = 7; send(n); close;'
    out = same_trace(tmp_path, body, ["resume", "resume", "resume"], room=4)
    assert out == [(WaitOutput(), b"hell"), (WaitOutput(), b"o wo"), (FINISHED, b"rld7")]


def test_the_send_progress_is_reset_for_the_next_send(tmp_path: Path) -> None:
    body = 'send("abcdef"); send("ghijkl"); close;'
    out = same_trace(tmp_path, body, ["resume"] * 4, room=5)
    assert b"".join(w for _, w in out) == b"abcdefghijkl"


def test_checkpoints_spend_fuel_and_yield(tmp_path: Path) -> None:
    body = 'var n = 0; loop { n = n + 1; if n == 25 { send(n); close; } }'
    out = same_trace(tmp_path, body, ["resume"] * 3, fuel=10)
    assert [w for w, _ in out] == [YIELD, YIELD, FINISHED] and out[-1][1] == b"25"


@pytest.mark.parametrize("fuel", [1, 2, 3, 7])
def test_the_checkpoint_that_finds_no_fuel_spends_its_unit(tmp_path: Path, fuel: int) -> None:
    body = 'var n = 0; loop { n = n + 1; if n == 9 { send(n); close; } }'
    assert same_trace(tmp_path, body, ["resume"] * 12, fuel=fuel)


def test_a_fault_ends_the_machine(tmp_path: Path) -> None:
    body = 'let l = recv_line(8) else { close; }; send(100 / len(trim(l))); close;'
    assert same_trace(tmp_path, body, ["resume", b" \n", "resume"])[-1] == (
        "fault division", b"")


def test_locals_are_dropped_at_every_suspend(tmp_path: Path) -> None:
    body = 'let l = recv_line(8) else { close; }; send(l); let m = recv_line(8) else { close; };'
    *_, socketless = compile_all(tmp_path, body + " close;")
    world = World()
    socketless.start(world)
    task = socketless.session(world.connect("a"))
    assert isinstance(task, SocketlessTask)
    assert task.resume() == WaitInput(Line(8))
    frame_names = {s.name for s in task.machine.frame}
    live = {k for k, v in task.frame.vars.items() if v is not DROPPED}
    assert live <= frame_names
    assert all(task.frame.vars[s.name] is DROPPED for s in task.machine.locals)
    # it resumes at the attempt, not at the block that started the receive
    assert task.state.startswith("try.")


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


def test_a_variable_wrongly_left_local_is_caught_after_a_suspend(tmp_path: Path) -> None:
    *_, socketless = compile_all(tmp_path, 'let l = recv_line(8) else { close; }; send(l); close;')
    tree = socketless.program
    m = next(n for n in walk(tree) if isinstance(n, StateMachine))
    slot = next(s for s in m.frame if s.name == "l")
    broken = SocketlessInterpreter(with_local(tree, slot.name), Facts())
    assert trace(broken, [b"hi\n", "resume"]) == [(FINISHED, b"hi")]  # no suspend: kept
    with pytest.raises(InterpError, match="frame"):
        trace(broken, [b"hi\n", "resume", "resume"], room=1)  # the send suspends


def test_a_suspend_for_input_without_a_pending_receive_is_an_interpreter_error(
    tmp_path: Path,
) -> None:
    *_, socketless = compile_all(tmp_path, "close;")
    tree = socketless.program
    m = next(n for n in walk(tree) if isinstance(n, StateMachine))
    blocks = (dataclasses.replace(m.blocks[0], exit=Suspend("input", m.entry)), *m.blocks[1:])
    bad = SocketlessInterpreter(_with_machine(tree, dataclasses.replace(m, blocks=blocks)),
                                Facts())
    with pytest.raises(InterpError, match="without a receive"):
        trace(bad, ["resume"])


def _with_machine(tree: Node, m: StateMachine) -> Node:
    assert isinstance(tree, Service)
    decls = tuple(dataclasses.replace(d, body=m) if isinstance(d, SessionMachine) else d
                  for d in tree.decls)
    return dataclasses.replace(tree, decls=decls)


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_every_transcript_of_every_example(example: Path) -> None:
    result = pipeline.default().run(pipeline.source_tree(example), TO_SOCKETLESS)
    assert result.language == "Socketless"
    bad = []
    for path in sorted((ROOT / "tests" / "transcripts" / example.stem).glob("*.tr")):
        played = run_transcript(SocketlessInterpreter(result.tree, result.facts), path)
        if not played.ok:
            bad.append(f"{path.name}: {played.report()}")
    assert not bad, "\n".join(bad)


# -- coalescing: one batch of requests, one write ------------------------------------------------

HELLO = ("HTTP/1.1 200 OK\\r\\nServer: nanowyki\\r\\nDate: Thu, 01 Jan 2026 00:00:00 GMT\\r\\n"
         "Content-Type: text/plain\\r\\nContent-Length: 13\\r\\nConnection: keep-alive\\r\\n\\r\\n")
GET = "GET /hello HTTP/1.1\\r\\nHost: localhost\\r\\n\\r\\n"

HTTP_BATCH = f"""
open a
a > {GET}{GET}{GET}
a < {HELLO}
a < Hello, world\\n
a < {HELLO}
a < Hello, world\\n
a < {HELLO}
a < Hello, world\\n
a > {GET}
a < {HELLO}
a < Hello, world\\n
a close
"""

KV_BATCH = """
open a
a > set a 1 0 1\\r\\nA\\r\\nset b 2 0 2\\r\\nBB\\r\\n
a < STORED\\r\\nSTORED\\r\\n
a > get a\\r\\nget b\\r\\nget a b\\r\\n
a < VALUE a 1 1\\r\\nA\\r\\nEND\\r\\n
a < VALUE b 2 2\\r\\nBB\\r\\nEND\\r\\n
a < VALUE a 1 1\\r\\nA\\r\\nVALUE b 2 2\\r\\nBB\\r\\nEND\\r\\n
a close
"""


class SmallRingRunner(TranscriptRunner):
    """A transcript runner whose sessions have an output ring of `room` bytes."""

    def __init__(self, interp: Interpreter, text: str, room: int) -> None:
        super().__init__(interp, parse_transcript(text))
        self.world = World(out_capacity=room)
        self.sched = Scheduler(self.world, budget=self.sched.budget)


def socketless(example: str) -> SocketlessInterpreter:
    result = pipeline.default().run(pipeline.source_tree(ROOT / "examples" / f"{example}.wyki"),
                                    TO_SOCKETLESS)
    return SocketlessInterpreter(result.tree, result.facts)


def writes_per_batch(result: TranscriptResult) -> list[list[str]]:
    """For each `a > ...` step, the writes to `a` (`a < N bytes` events) until the next step."""
    batches: list[list[str]] = []
    current: list[str] | None = None
    for event in result.log_text().splitlines():
        text = event.split("] ", 1)[1]
        if text.startswith("step "):
            current = [] if text.startswith("step a > ") else None
            if current is not None:
                batches.append(current)
        elif current is not None and text.startswith("a < "):
            current.append(text)
    return batches


def test_pipelined_http_requests_are_answered_in_one_write() -> None:
    played = run_transcript(socketless("http"), parse_transcript(HTTP_BATCH))
    assert played.ok, played.report()
    one = len(HELLO.replace("\\r\\n", "\r\n")) + len("Hello, world\n")
    assert writes_per_batch(played) == [[f"a < {3 * one} bytes"], [f"a < {one} bytes"]]
    log = played.log_text()  # the writes were the scheduler's, not the flush of a close
    assert log.index("closed by the service") > log.index("step a close")


def test_pipelined_kv_commands_are_answered_in_one_write() -> None:
    played = run_transcript(socketless("kv"), parse_transcript(KV_BATCH))
    assert played.ok, played.report()
    gets = (b"VALUE a 1 1\r\nA\r\nEND\r\nVALUE b 2 2\r\nBB\r\nEND\r\n"
            b"VALUE a 1 1\r\nA\r\nVALUE b 2 2\r\nBB\r\nEND\r\n")
    assert writes_per_batch(played) == [["a < 16 bytes"], [f"a < {len(gets)} bytes"]]


def test_a_full_output_ring_splits_the_batch_into_several_writes() -> None:
    played = SmallRingRunner(socketless("kv"), KV_BATCH, room=8).run()
    assert played.ok, played.report()
    batches = writes_per_batch(played)
    assert len(batches[1]) > 1 and all(w.endswith(" bytes") for w in batches[1])
