"""Differential testing on random programs: a generated WYKI program (nanowyki.testing.genprog)
must pass the front end; its behaviour on the reference interpreter, with a generated client
script, is recorded as a transcript (nanowyki.testing.record); the transcript must then hold
after every pass of the default pipeline, with the interpreter of each pass's output IL.

Hypothesis settings: the `ci` profile (25 examples) by default; set
NANOWYKI_HYPOTHESIS_PROFILE=long for a longer run (1000 examples).
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, given, note, settings

from nanowyki import pipeline
from nanowyki.differential import run_every_boundary
from nanowyki.interp import TypedInterpreter, parse_transcript, run_transcript
from nanowyki.testing.genprog import program_of_lines, wyki_programs
from nanowyki.testing.record import ClientAction, checked, client_scripts, record_text

_SLOW = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example]
settings.register_profile("nanowyki-ci", max_examples=25, deadline=None,
                          suppress_health_check=_SLOW)
settings.register_profile("nanowyki-long", max_examples=1000, deadline=None,
                          suppress_health_check=_SLOW)
PROFILE = settings.get_profile("nanowyki-" + os.environ.get("NANOWYKI_HYPOTHESIS_PROFILE", "ci"))


def _lowering_start() -> str | None:
    """The first pass after the front end, if there is one."""
    whole, front = pipeline.default(), pipeline.frontend()
    if len(whole.passes) == len(front.passes):
        return None
    return whole.passes[len(front.passes)].name


@PROFILE
@given(program=wyki_programs(), actions=client_scripts())
def test_generated_program_behaves_the_same_after_every_pass(
    program: str, actions: tuple[ClientAction, ...]
) -> None:
    note(program)
    result = checked(program)  # raises CompileError if the front end rejects it
    text = record_text(result, actions)
    note(text)
    transcript = parse_transcript(text, "<generated>")
    # The recording replays on the reference interpreter it was taken from.
    replay = run_transcript(TypedInterpreter(result.tree, result.facts), transcript)
    assert replay.ok, replay.report()
    start = _lowering_start()
    if start is None:
        return  # no lowering pass yet: the front end's output is the reference itself
    report = run_every_boundary(
        pipeline.default(), result.tree, [transcript], start_at=start, facts=result.facts
    )
    assert report.ok, report.message()
    assert report.no_interpreter == [], report.no_interpreter


def test_program_of_1000_lines_is_accepted() -> None:
    text = program_of_lines(1000, seed=1)
    n = len(text.splitlines())
    assert 900 <= n <= 1100, n
    checked(text)
