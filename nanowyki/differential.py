"""Proof by execution: run a program's transcripts after every pass and name the first pass
that changed what the clients see.

    report = run_every_boundary(pipeline.default(), source_tree, transcripts)
    assert report.ok, report.message()

The program goes through the pipeline one pass at a time. After each pass that changed the tree
(a pass that returns its input unchanged cannot change behaviour), every transcript is played
against the interpreter registered for the pass's output language
(`nanowyki.interp.registry`); the first failure names the pass after which it appeared: a
transcript step that no longer holds, or the interpreter stopping with an error (a form it cannot
run, a jump to a block that does not exist), which is the pass's fault as much as wrong bytes.
Passes whose output language has no interpreter yet are skipped, and the report says so.
"""

from __future__ import annotations

import traceback
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from nanowyki.framework import CheckLevel, Facts, Node, Pipeline, RunOptions
from nanowyki.interp import Interpreter, Transcript, run_transcript
from nanowyki.interp.registry import interpreter_for


@dataclass
class BoundaryReport:
    """What happened at each boundary; `failure` is the first pass that changed behaviour."""

    checked: list[str] = field(default_factory=list)  # passes whose output was run
    unchanged: list[str] = field(default_factory=list)  # passes that returned their input
    no_interpreter: list[str] = field(default_factory=list)  # output IL not yet interpretable
    failure: str | None = None

    @property
    def ok(self) -> bool:
        return self.failure is None

    def message(self) -> str:
        return self.failure or f"same behaviour after {len(self.checked)} passes"


def run_every_boundary(
    pipeline: Pipeline,
    tree: Node,
    transcripts: Sequence[Transcript],
    *,
    start_at: str | None = None,
    facts: Facts | None = None,
    fuel: int = 1000,
) -> BoundaryReport:
    """Run `tree` through `pipeline` pass by pass, playing `transcripts` after each pass
    (sessions run `fuel` turns of unbounded loops before they yield, as the transcripts were
    recorded with)."""
    report = BoundaryReport()
    state = facts or Facts()
    first = pipeline.index(start_at) if start_at else 0
    for p in pipeline.passes[first:]:
        result = pipeline.run(
            tree, RunOptions(start_at=p.name, stop_after=p.name, check=CheckLevel.BOUNDARY), state
        )
        changed = result.tree is not tree
        tree, state = result.tree, result.facts
        if not changed:
            report.unchanged.append(p.name)
            continue
        interp = interpreter_for(p.output.name)
        if interp is None:
            report.no_interpreter.append(p.name)
            continue
        report.checked.append(p.name)
        for transcript in transcripts:
            failure = play(interp, tree, state, transcript, fuel=fuel)
            if failure is not None:
                report.failure = (
                    f"behaviour changed after pass '{p.name}' ({p.input.name} -> "
                    f"{p.output.name}):\n{failure}"
                )
                return report
    return report


def play(
    interp: type[Interpreter], tree: Node, facts: Facts, transcript: Transcript, *, fuel: int = 1000
) -> str | None:
    """Play `transcript` on a fresh `interp` of `tree`: None when every step holds, else the
    failure (starting with the transcript's `file:line:` when a step failed) and the event
    log. An interpreter that stops with an exception of its own fails too: the IL it was given
    is one it cannot run."""
    try:
        played = run_transcript(interp(tree, facts), transcript, fuel=fuel)
    except Exception as err:  # a crash is the verdict: reported, not raised
        where = traceback.extract_tb(err.__traceback__)[-1]
        return (
            f"{transcript.path}: {interp.__name__} stopped with {type(err).__name__}: {err} "
            f"(at {Path(where.filename).name}:{where.lineno} in {where.name})"
        )
    return None if played.ok else played.report()
