"""BoundedInterpreter: BoundedLoop, FueledLoop and Checkpoint, on printed Bounded sessions and
on real programs lowered through insert-yield-points (same fuel behaviour as Typed)."""

from __future__ import annotations

from pathlib import Path

from nanowyki import pipeline
from nanowyki.framework import CheckLevel, Node, RunOptions, read_tree
from nanowyki.interp import TypedInterpreter, parse_transcript, run_transcript
from nanowyki.interp.bounded import BoundedInterpreter
from nanowyki.interp.registry import interpreter_for
from nanowyki.interp.runner import TranscriptResult
from nanowyki.interp.scheduler import Finished
from nanowyki.interp.world import World
from nanowyki.languages.bounded import Bounded

INT = "(TInt)"
N = f"(Local n {INT})"
TRUE = "(BoolLit #t (TBool))"


def lit(v: int) -> str:
    return f"(IntLit {v} {INT})"


def op(o: str, a: str, b: str, t: str = INT) -> str:
    return f"(Binary {o} {a} {b} {t})"


def less(a: str, b: str) -> str:
    return op("<", a, b, "(TBool)")


INC = f"(Assign {N} = {op('+', N, lit(1))})"
SEND_N = f"(Send (CallBuiltin itoa [{N}] (TBytes 20)))"


def session(*stmts: str) -> Node:
    text = (
        f"(Service s [(Listen tcp {lit(7)}) (Sessions {lit(8)}) "
        f"(Session (Block [(Declare n {INT} {lit(0)}) {' '.join(stmts)}]))])"
    )
    return read_tree(text, Bounded)


def ok(tree: Node, transcript: str) -> TranscriptResult:
    result = run_transcript(BoundedInterpreter(tree), parse_transcript(transcript, "t.tr"))
    assert result.ok, result.report()
    return result


def test_registered_for_bounded() -> None:
    assert interpreter_for("Bounded") is BoundedInterpreter


def test_bounded_loop_runs_body_then_step_while_the_condition_holds() -> None:
    loop = f"(BoundedLoop {less(N, lit(3))} 5 (Block [{SEND_N}]) (Block [{INC}]))"
    ok(session(loop, SEND_N), "open a\na < 0123\na closed\n")


def test_bounded_loop_faults_fuel_entering_iteration_limit_plus_one() -> None:
    loop = f"(BoundedLoop {TRUE} 3 (Block [{SEND_N}]) (Block [{INC}]))"
    ok(session(loop, SEND_N), "open a\na < 012\nfault fuel\na closed\n")


def test_bounded_loop_ending_exactly_at_its_limit_does_not_fault() -> None:
    loop = f"(BoundedLoop {less(N, lit(3))} 3 (Block []) (Block [{INC}]))"
    ok(session(loop, SEND_N), "open a\na < 3\na closed\n")


def test_continue_runs_the_step_and_break_skips_it() -> None:
    skip_one = f"(If {op('==', N, lit(1), '(TBool)')} (Block [(Continue)]) nil)"
    stop_at_three = f"(If {op('==', N, lit(3), '(TBool)')} (Block [(Break)]) nil)"
    body = f"(Block [{skip_one} {stop_at_three} {SEND_N}])"
    loop = f"(BoundedLoop {TRUE} 10 {body} (Block [{INC}]))"
    ok(session(loop, SEND_N), "open a\na < 023\na closed\n")  # n stays 3: break skipped the step


def test_fueled_loop_runs_until_its_condition_fails() -> None:
    loop = f"(FueledLoop {less(N, lit(4))} (Block [(Checkpoint) {SEND_N}]) (Block [{INC}]))"
    ok(session(loop), "open a\na < 0123\na closed\n")


def waits(interp: BoundedInterpreter | TypedInterpreter, fuel: int) -> list[str]:
    """Resume a fresh session of `interp` until it finishes: the waits it returned."""
    world = World()
    interp.start(world, fuel=fuel)
    task = interp.session(world.connect("a"))
    seen = []
    while True:
        w = task.resume()
        seen.append(type(w).__name__)
        if isinstance(w, Finished):
            return seen
        assert len(seen) < 100


def test_a_checkpoint_spends_one_fuel_unit_per_turn_and_yields_when_spent() -> None:
    loop = f"(FueledLoop {less(N, lit(25))} (Block [(Checkpoint)]) (Block [{INC}]))"
    # 25 turns on 10 units per slice: yields after turns 10 and 20
    assert waits(BoundedInterpreter(session(loop)), 10) == ["Yield", "Yield", "Finished"]


def test_a_fueled_loop_without_checkpoint_spends_fuel_where_its_checkpoint_would() -> None:
    """What bound-loops makes, before insert-yield-points: it yields as Typed's loop does."""
    bare = f"(FueledLoop {less(N, lit(25))} (Block []) (Block [{INC}]))"
    assert waits(BoundedInterpreter(session(bare)), 10) == ["Yield", "Yield", "Finished"]


def test_a_checkpoint_outside_a_loop_spends_fuel_too() -> None:
    tree = session(*["(Checkpoint)"] * 3)
    assert waits(BoundedInterpreter(tree), 2) == ["Yield", "Finished"]


# -- real programs: the same fuel behaviour as Typed -------------------------------------------

SPIN = """service t {
    listen tcp 7;
    session {
        let l = recv_line(10) else { close; };
        sleep(10);
        if l == "spin" {
            var n = 0;
            while n < 5000 { n += 1; }
        }
        send(l, "\\n");
    }
}
"""

TWO = "open a\nopen b\na > spin\\n\nb > hi\\n\nadvance 10 ms\nb < hi\\n\na < spin\\n\n"


def lowered(stop_after: str, tmp: Path) -> tuple[Node, object]:
    tree = pipeline.source_tree(str(tmp / "spin.wyki"), SPIN)
    run = pipeline.default().run(tree, RunOptions(stop_after=stop_after, check=CheckLevel.BOUNDARY))
    return run.tree, run.facts


def writes(result: TranscriptResult) -> list[str]:
    return [e.text for e in result.log if " < " in e.text and "bytes" in e.text]


def test_a_long_session_loop_yields_as_in_typed(tmp_path: Path) -> None:
    typed = pipeline.frontend().run(pipeline.source_tree(str(tmp_path / "spin.wyki"), SPIN))
    reference = run_transcript(TypedInterpreter(typed.tree, typed.facts),
                               parse_transcript(TWO, "t.tr"), fuel=100)  # fmt: skip
    assert reference.ok, reference.report()
    tree, facts = lowered("insert-yield-points", tmp_path)
    bounded = run_transcript(BoundedInterpreter(tree, facts),  # type: ignore[arg-type]
                             parse_transcript(TWO, "t.tr"), fuel=100)  # fmt: skip
    assert bounded.ok, bounded.report()
    assert writes(bounded) == writes(reference) == ["b < 3 bytes", "a < 5 bytes"]


def test_the_same_yields_as_typed_turn_for_turn(tmp_path: Path) -> None:
    source = """service t {
        listen tcp 7;
        session {
            var n = 0;
            while n < 2500 { n += 1; }
            loop max 3000 { n -= 1; if n == 0 { break; } }
            send(n);
        }
    }"""
    typed = pipeline.frontend().run(pipeline.source_tree(str(tmp_path / "t.wyki"), source))
    run = pipeline.default().run(
        pipeline.source_tree(str(tmp_path / "t.wyki"), source),
        RunOptions(stop_after="insert-yield-points", check=CheckLevel.BOUNDARY),
    )
    expected = waits(TypedInterpreter(typed.tree, typed.facts), 1000)
    assert expected == ["Yield", "Yield", "Finished"]  # the bounded loop spends no fuel
    assert waits(BoundedInterpreter(run.tree, run.facts), 1000) == expected
