"""require-step-budget: a handler over STEP_BUDGET steps between yields is rejected, at the
loop or call that makes the most of them; the examples and long session loops are accepted."""

from __future__ import annotations

from pathlib import Path

import pytest

from nanowyki import pipeline
from nanowyki.framework import CompileError, Diagnostic
from nanowyki.passes.require_step_budget import STEP_BUDGET

from .bounded_support import EXAMPLES


def check(source: str, tmp_path: Path) -> None:
    pipeline.frontend().run(pipeline.source_tree(str(tmp_path / "t.wyki"), source))


def rejected(source: str, tmp_path: Path) -> Diagnostic:
    with pytest.raises(CompileError) as caught:
        check(source, tmp_path)
    [diag] = caught.value.diagnostics
    return diag


def timer(trips: int) -> str:
    return f"""service t {{
    listen tcp 7;
    shared n: int = 0;
    every 1 s {{
        for i in 0..{trips} {{ n += 1; }}
    }}
    session {{ close; }}
}}
"""


def test_the_budget_is_a_million_steps() -> None:
    assert STEP_BUDGET == 1_000_000


def test_a_timer_at_the_budget_is_accepted(tmp_path: Path) -> None:
    # declare i and its end (2), 333,332 turns of (test, n += 1, step), a last test: 999,999
    check(timer(333_332), tmp_path)


def test_a_timer_over_the_budget_is_rejected_at_its_loop(tmp_path: Path) -> None:
    # 2 + 400,000 * 3 + 1 = 1,200,003; the loop alone 1,200,001
    diag = rejected(timer(400_000), tmp_path)
    assert diag.span is not None and (diag.span.line, diag.span.col) == (5, 9)
    assert diag.message == (
        "timer 1 can run 1,200,003 steps between two yield points, over the budget of 1,000,000"
    )
    assert diag.hint == (
        "this loop alone runs 1,200,001 steps: lower its bound, or move the work into a "
        "session, where a long loop can yield"
    )


def test_a_timer_over_the_budget_with_no_part_over_it_is_rejected_at_the_timer(
    tmp_path: Path,
) -> None:
    # 2 + 333,333 * 3 + 1 = 1,000,002, but the loop alone runs 1,000,000: within the budget
    diag = rejected(timer(333_333), tmp_path)
    assert diag.span is not None and (diag.span.line, diag.span.col) == (4, 5)
    assert diag.message.startswith("timer 1 can run 1,000,002 steps")
    assert diag.hint == "split the work into smaller parts"


NESTED = """service t {
    listen udp 53;
    datagram p: bytes[8] {
        var n = 0;
        for i in 0..1000 {
            for j in 0..1000 {
                for k in 0..1000 { n += 1; }
            }
        }
        reply(itoa(n));
    }
}
"""


def test_nested_loops_point_at_the_innermost_loop_over_the_budget(tmp_path: Path) -> None:
    # k: its 2 declarations (k, its end) and 1000 * 3 + 1 = 3003 steps; j: 1000 * (test 1 +
    # 3003 + step 1) + 1 = 3,005,001, over by itself: the diagnostic is at j, not at i
    diag = rejected(NESTED, tmp_path)
    assert diag.span is not None and (diag.span.line, diag.span.col) == (6, 13)
    assert diag.hint is not None and diag.hint.startswith("this loop alone runs 3,005,001 steps")


SESSION = """service t {
    listen tcp 7;
    fn work() -> int {
        var n = 0;
        for i in 0..WORK { n += 1; }
        return n;
    }
    session {
        var n = 0;
        for i in 0..1000000000 {
            for j in 0..1000000000 { n += 1; }
        }
        send(itoa(work()));
        close;
    }
}
"""


def test_a_session_with_huge_loops_is_accepted_its_loops_yield(tmp_path: Path) -> None:
    check(SESSION.replace("WORK", "10"), tmp_path)


def test_a_session_over_the_budget_through_a_call_is_rejected_at_the_call(tmp_path: Path) -> None:
    # work: var n 1, declare i and its end 2, 400,000 * 3 + 1, return 1: 1,200,005
    diag = rejected(SESSION.replace("WORK", "400000"), tmp_path)
    assert diag.span is not None and (diag.span.line, diag.span.col) == (13, 19)
    assert diag.hint == (
        "this call of 'work' alone runs 1,200,006 steps, and a function never yields: do less "
        "work in 'work'"
    )


def test_an_uncalled_function_over_the_budget_is_no_handler(tmp_path: Path) -> None:
    source = SESSION.replace("WORK", "400000").replace("send(itoa(work()));", "")
    check(source, tmp_path)


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_every_example_is_within_the_budget(example: Path) -> None:
    result = pipeline.frontend().run(pipeline.source_tree(example))
    assert result.trace[-1].name == "require-step-budget"
    assert result.trace[-1].output == "Typed"
