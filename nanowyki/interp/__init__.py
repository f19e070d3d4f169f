"""The reference interpreters and the transcript runner.

    from nanowyki.interp import run_transcript, run_transcript_file
    result = run_transcript_file(typed_tree, facts, "tests/transcripts/echo/single.tr")
    assert result.ok, result.report()

- `transcript`: the `.tr` format (docs/transcripts.md): parsing, escapes, `show_bytes`.
- `world`: the clients, the clock, faults and the event log; no program code.
- `scheduler`: the `Task` interface (`resume() -> Wait`) and the round-robin scheduler.
- `receive`: the receive operations as data, shared by the scheduler and every interpreter.
- `base`: `Interpreter`, what the runner needs from any IL's interpreter.
- `typed`: `TypedInterpreter`, the reference semantics on the Typed IL.
- `runner`: plays a transcript and reports the first failure.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from nanowyki.framework import Facts, Node

from .base import InterpError, Interpreter, ServiceShape
from .runner import TranscriptResult, TranscriptRunner
from .scheduler import RunawayError, Scheduler, Task, Wait
from .transcript import Transcript, TranscriptError, parse_transcript, read_transcript, show_bytes
from .typed import TypedInterpreter
from .world import World

__all__ = [
    "InterpError",
    "Interpreter",
    "RunawayError",
    "Scheduler",
    "ServiceShape",
    "Task",
    "Transcript",
    "TranscriptError",
    "TranscriptResult",
    "TypedInterpreter",
    "Wait",
    "World",
    "parse_transcript",
    "read_transcript",
    "run_transcript",
    "run_transcript_file",
    "show_bytes",
]

InterpreterSource = Interpreter | Callable[[], Interpreter] | Node


def _interpreter(source: InterpreterSource, facts: Facts | None) -> Interpreter:
    if isinstance(source, Interpreter):
        return source
    if isinstance(source, Node):
        return TypedInterpreter(source, facts)
    made = source()
    if not isinstance(made, Interpreter):
        raise TypeError(f"the interpreter factory returned {type(made).__name__}")
    return made


def run_transcript(
    interpreter: InterpreterSource,
    transcript: Transcript | str | Path,
    *,
    facts: Facts | None = None,
    fuel: int = 1000,
    budget: int = 1000,
) -> TranscriptResult:
    """Play `transcript` (a parsed one, or the path of a `.tr` file) against a fresh run of the
    service. `interpreter` is an `Interpreter`, a function making one, or a Typed program (run
    by `TypedInterpreter` with `facts`). `fuel`: loop turns a session runs before it yields;
    `budget`: resumes allowed before the service must be quiet after a step."""
    if not isinstance(transcript, Transcript):
        transcript = read_transcript(transcript)
    interp = _interpreter(interpreter, facts)
    return TranscriptRunner(interp, transcript, fuel=fuel, budget=budget).run()


def run_transcript_file(program: Node, facts: Facts | None, path: str | Path) -> TranscriptResult:
    """Play the transcript file at `path` against the Typed `program`."""
    return run_transcript(TypedInterpreter(program, facts), read_transcript(path))
