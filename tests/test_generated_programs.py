"""Differential testing on random programs: a generated case (nanowyki.testing.cases) is a WYKI
program (nanowyki.testing.genprog: a TCP service or a UDP one, with timers, sleeps, receive
timeouts and session loops that spin without receiving), a client script that fits it (lines or
datagrams, and `advance` steps that fire timers and wake sleepers) and the fuel its sessions
run with. The program must pass the front end; its behaviour on the reference interpreter is
recorded as a transcript (nanowyki.testing.record); the transcript must then hold after every
pass of the default pipeline, with the interpreter of each pass's output IL and the same fuel.

Hypothesis settings: the `ci` profile (15 examples) by default; set
NANOWYKI_HYPOTHESIS_PROFILE=long for a longer run (1000 examples, about 3 minutes).

The rest checks the check: seeded samples of cases hold every form the generator promises,
and a pass broken on purpose (it drops the sleeps, doubles the timer periods, or yields one
turn late) is named by the differential check on them.
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Callable
from functools import cache
from typing import Any

import pytest
from hypothesis import HealthCheck, given, note, settings

from nanowyki import pipeline
from nanowyki.differential import run_every_boundary
from nanowyki.framework import Facts, Node, Pass, Pipeline, Rewriter, RunResult
from nanowyki.interp import TypedInterpreter, parse_transcript, run_transcript
from nanowyki.interp.transcript import Advance, SendDatagram
from nanowyki.languages.bounded import Checkpoint, FueledLoop
from nanowyki.languages.resolved import CallBuiltin
from nanowyki.languages.surface import Block, Every, ExprStmt, IntLit
from nanowyki.passes.lift_loop_conditions import LiftLoopConditions
from nanowyki.testing.cases import Case, random_case, wyki_cases
from nanowyki.testing.genprog import program_of_lines
from nanowyki.testing.record import checked, record_text

_SLOW = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example]
settings.register_profile("nanowyki-ci", max_examples=15, deadline=None,
                          suppress_health_check=_SLOW)
settings.register_profile("nanowyki-long", max_examples=1000, deadline=None,
                          suppress_health_check=_SLOW)
PROFILE = settings.get_profile("nanowyki-" + os.environ.get("NANOWYKI_HYPOTHESIS_PROFILE", "ci"))

UNLIMITED_FUEL = 10**9  # sessions never yield for fuel


def _lowering_start() -> str | None:
    """The first pass after the front end, if there is one."""
    whole, front = pipeline.default(), pipeline.frontend()
    if len(whole.passes) == len(front.passes):
        return None
    return whole.passes[len(front.passes)].name


@cache
def front(case: Case) -> RunResult:
    return checked(case.program)


def _recorded(case: Case, fuel: int | None = None) -> str:
    return record_text(front(case), case.actions, fuel=fuel or case.fuel)


@PROFILE
@given(case=wyki_cases())
def test_generated_program_behaves_the_same_after_every_pass(case: Case) -> None:
    note(case.program)
    note(f"fuel {case.fuel}")
    result = checked(case.program)  # raises CompileError if the front end rejects it
    text = record_text(result, case.actions, fuel=case.fuel)
    note(text)
    transcript = parse_transcript(text, "<generated>")
    # The recording replays on the reference interpreter it was taken from.
    replay = run_transcript(TypedInterpreter(result.tree, result.facts), transcript,
                            fuel=case.fuel)  # fmt: skip
    assert replay.ok, replay.report()
    start = _lowering_start()
    if start is None:
        return  # no lowering pass yet: the front end's output is the reference itself
    report = run_every_boundary(pipeline.default(), result.tree, [transcript], start_at=start,
                                facts=result.facts, fuel=case.fuel)  # fmt: skip
    assert report.ok, report.message()
    assert report.no_interpreter == [], report.no_interpreter


def test_program_of_1000_lines_is_accepted() -> None:
    text = program_of_lines(1000, seed=1)
    n = len(text.splitlines())
    assert 900 <= n <= 1100, n
    checked(text)


# -- the cases hold the forms ------------------------------------------------------------------

SAMPLE = 60  # seeded cases: random_case(0) .. random_case(59)


@cache
def sample() -> tuple[Case, ...]:
    return tuple(random_case(seed) for seed in range(SAMPLE))


FORMS = {
    "UDP service": r"listen udp 7000;",
    "datagram handler": r"\bdatagram pkt: bytes\[\d+\] \{",
    "reply": r"\breply\(",
    "bare return in a handler": r"\{ (reply\([^;]*\); )?return; \}",
    "TCP service": r"listen tcp 7000;",
    "timer in ms": r"\bevery \d+ ms \{",
    "timer in s": r"\bevery \d+ s \{",
    "timer counting its runs": r"\bevery [^{]*\{\n\s+hits \+= 1;",
    "sleep": r"\bsleep\(\d+\);",
    "sleep until a timer runs": r"\bsleep\(\d+ - now_ms\(\) % \d+\);",
    "computed sleep": r"\bsleep\(\(",
    "spinning while": r"\bwhile c\d+ < \d+ \{",
    "spinning loop": r"\bloop \{\n\s+c\d+ \+= 1;\n\s+if c\d+ > \d+ \{ break; \}",
    "spinning loop sends shared state": r"\bsend\(c\d+, \":\", hits, \" \"\);",
    "max loop in a session": r"session \{[\s\S]*\bwhile w\d+ < [^\n]* max \d+ \{",
    "set_timeout": r"\bset_timeout\(",
    "timed_out": r"\btimed_out\(\)",
    "shared": r"\bshared hits: int",
    "table": r"\btable tbl: map<",
    "struct": r"\bstruct S\d+",
    "array": r"\[[^\[\]]+; \d+\]",
    "optional result": r"-> [^{]*\? \{",
    "early return": r"\{ return [^;]*; \}",
    "break": r"\bbreak;",
    "continue": r"\bcontinue;",
}


def test_sampled_cases_hold_datagrams_timers_sleeps_and_spinning_loops() -> None:
    programs = "\n".join(c.program for c in sample())
    assert [name for name, pattern in FORMS.items() if not re.search(pattern, programs)] == []
    steps = [a for c in sample() for a in c.actions]
    datagrams = [a.data for a in steps if isinstance(a, SendDatagram)]
    assert datagrams and b"" in datagrams and max(map(len, datagrams)) > 512
    assert {a.ms for a in steps if isinstance(a, Advance)} >= {1, 20, 100, 250, 1000}
    assert {c.fuel for c in sample()} == {2, 7, 1000}


@cache
def fuel_sensitive() -> tuple[Case, ...]:
    """The sampled cases whose transcript changes when sessions never yield for fuel: a session
    shares a moment with a timer or another session, and where it yields shows."""
    small = [c for c in sample() if c.fuel < 1000 and re.search(r"var c\d+ = 0;", c.program)]
    return tuple(c for c in small if _recorded(c) != _recorded(c, UNLIMITED_FUEL))


def test_where_sessions_yield_shows_in_some_sampled_transcripts() -> None:
    assert fuel_sensitive()


# -- a broken pass is named --------------------------------------------------------------------


class DropSleeps(Rewriter):
    def ExprStmt(self, s: ExprStmt) -> Any:
        is_sleep = isinstance(s.expr, CallBuiltin) and s.expr.func == "sleep"
        return () if is_sleep else s


class DoublePeriods(Rewriter):
    def Every(self, d: Every) -> Every:
        assert isinstance(d.period, IntLit)
        return dataclasses.replace(d, period=dataclasses.replace(d.period,
                                                                 value=d.period.value * 2))


class YieldLate(Rewriter):
    """A fueled loop's checkpoint at the end of its body, not the head: one turn late."""

    def FueledLoop(self, s: FueledLoop) -> FueledLoop:
        body = self.visit_children(s.body)
        assert isinstance(body, Block) and isinstance(body.stmts[0], Checkpoint)
        moved = Block((*body.stmts[1:], body.stmts[0]), span=body.span)
        return dataclasses.replace(s, body=moved)


def _advances(case: Case) -> bool:
    return any(isinstance(a, Advance) for a in case.actions)


def broken(good: type[Pass], bug: Rewriter) -> type[Pass]:
    """`good`, under the same name, with `bug` applied to its output."""

    class Broken(good):  # type: ignore[valid-type, misc]
        def apply(self, tree: Node, facts: Facts) -> tuple[Node, Facts]:
            out, facts = super().apply(tree, facts)
            return bug.visit(out), facts

    return Broken


BUGS: dict[str, tuple[Rewriter, Callable[[], list[Case]]]] = {
    "drops every sleep": (DropSleeps(), lambda: [c for c in sample() if "sleep(" in c.program]),
    "doubles timer periods": (
        DoublePeriods(),
        lambda: [c for c in sample() if "every " in c.program and _advances(c)],
    ),
    "yields one turn late": (YieldLate(), lambda: list(fuel_sensitive())),
}


@pytest.mark.parametrize("bug", BUGS)
def test_a_pass_broken_on_purpose_is_named(bug: str) -> None:
    """lift-loop-conditions, broken: on the sampled cases that hold the form, the first failure
    of the differential check names it, and no other pass."""
    rewrite, cases = BUGS[bug]
    whole = pipeline.default()
    target = LiftLoopConditions.name
    passes = list(whole.passes[: whole.index(target) + 1])
    passes[-1] = broken(LiftLoopConditions, rewrite)
    until_broken = Pipeline(passes, name="broken")
    start = _lowering_start()
    assert start is not None
    named = 0
    for case in cases()[:12]:
        result = front(case)
        transcript = parse_transcript(_recorded(case))
        report = run_every_boundary(until_broken, result.tree, [transcript], start_at=start,
                                    facts=result.facts, fuel=case.fuel)  # fmt: skip
        if not report.ok:
            assert report.message().startswith(f"behaviour changed after pass '{target}'")
            named += 1
    assert named > 0, f"no sampled case shows a pass that {bug}"
