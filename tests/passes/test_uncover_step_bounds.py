"""uncover-step-bounds: hand-computed worst cases between yields, on small printed programs,
and on the examples a dynamic check that no run ever exceeds the static bound.

Weights used below (see the pass's cost model): `log()` 1 step, `send()` 1 step and a yield
point, a condition `c` 1 step, a call of `f` 1 + B(f) on top of its statement's 1.
"""

from __future__ import annotations

from collections.abc import Generator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, note, settings
from pyrsistent import pmap

from nanowyki.analysis.steps import is_yield_point
from nanowyki.framework import Facts, InternalError, Node, RunOptions, read_tree
from nanowyki.interp import parse_transcript, read_transcript, run_transcript
from nanowyki.interp.bounded import BoundedInterpreter
from nanowyki.interp.scheduler import Wait
from nanowyki.interp.typed import (
    BreakSignal,
    ContinueSignal,
    DatagramTask,
    Frame,
    SessionTask,
    Value,
)
from nanowyki.languages.bounded import Bounded, BoundedLoop, FueledLoop
from nanowyki.languages.resolved import CallFn
from nanowyki.languages.surface import Block, Expr
from nanowyki.passes.reject_recursion import CallGraph
from nanowyki.passes.uncover_step_bounds import HandlerSteps, StepBounds, UncoverStepBounds
from nanowyki.purefns import Fault
from nanowyki.testing.genprog import wyki_programs
from nanowyki.testing.record import ClientAction, checked, client_scripts, record_text

from .bounded_support import (
    EXAMPLES,
    INT,
    TRUE,
    block,
    call,
    chain,
    fn,
    lit,
    log,
    lower,
    lower_example,
    send,
    service,
    session,
)

C = "(Local c (TBool))"
RECV = f"(CallBuiltin recv [{lit(8)}] (TOption (TBytes 8)))"


def analyze(text: str, order: tuple[str, ...] = ()) -> tuple[StepBounds, Node, Node]:
    tree = read_tree(text, Bounded)
    facts = Facts().with_(CallGraph(order, pmap()))
    out, found = UncoverStepBounds().apply(tree, facts)
    return found.get(StepBounds), out, tree


def bound(text: str, name: str, order: tuple[str, ...] = ()) -> HandlerSteps:
    return analyze(text, order)[0].of(name)


def steps_of_fn(*stmts: str) -> int:
    return bound(service(fn("f", *stmts)), "fn 'f'", ("f",)).steps


def if_(then: list[str], else_: list[str] | None = None) -> str:
    return f"(If {C} {block(*then)} {'nil' if else_ is None else block(*else_)})"


def bounded(limit: int, body: list[str], step: list[str] | None = None) -> str:
    return f"(BoundedLoop {C} {limit} {block(*body)} {block(*(step or []))})"


def fueled(body: list[str], step: list[str] | None = None) -> str:
    return f"(FueledLoop {TRUE} {block(*body)} {block(*(step or []))})"


RET = f"(Return {lit(0)})"

# -- functions: no yields, the whole path ------------------------------------------------------


def test_straight_line_statements_cost_one_each() -> None:
    assert steps_of_fn(log(), log(), log()) == 3


def test_an_empty_function_costs_nothing() -> None:
    assert steps_of_fn() == 0


def test_if_costs_its_condition_plus_the_costlier_branch() -> None:
    assert steps_of_fn(if_([log(), log()], [log()])) == 3
    assert steps_of_fn(if_([log()], [log(), log(), log()])) == 4
    assert steps_of_fn(if_([log()])) == 2


def test_bounded_loop_is_limit_times_body_step_and_condition_plus_one() -> None:
    assert steps_of_fn(bounded(3, [log()])) == 3 * (1 + 0 + 1) + 1
    assert steps_of_fn(bounded(3, [log()], [log()])) == 3 * (1 + 1 + 1) + 1
    assert steps_of_fn(bounded(1, [])) == 2
    assert steps_of_fn(bounded(0, [log()] * 5)) == 1  # the condition, false at once


def test_a_yield_in_a_loop_of_limit_zero_is_never_reached() -> None:
    found = bound(service(session(log(), bounded(0, [send()]), log())), "session")
    assert (found.yield_points, found.steps) == (1, 3)


def test_a_loop_exit_test_is_costed_with_each_condition_check() -> None:
    test = block(f"(If {C} {block(log(), '(Break)')} nil)")  # if + log + break = 3
    loop = f"(BoundedLoop {TRUE} 3 {block(log())} {block()} {test})"
    assert steps_of_fn(loop) == 3 * (1 + 3 + 1) + (1 + 3)


def test_nested_bounded_loops_multiply() -> None:
    inner = bounded(4, [log()])  # 4 * 2 + 1 = 9
    assert steps_of_fn(bounded(2, [inner, log()])) == 2 * (9 + 1 + 1) + 1


def test_break_path_counted_when_it_is_the_costliest() -> None:
    # three normal turns (c + if + log = 3 each), then c + if + 5 logs + break = 8
    body = [if_([log()] * 5 + ["(Break)"]), log()]
    assert steps_of_fn(bounded(4, body)) == 3 * 3 + 8


def test_continue_runs_the_step() -> None:
    # a turn: if + (continue | log) = 2, then the step 1: 2 * (3 + 1) + 1
    body = [if_(["(Continue)"]), log()]
    assert steps_of_fn(bounded(2, body, [log()])) == 9


def test_return_paths_and_the_fall_through_are_both_bounds() -> None:
    assert steps_of_fn(if_([RET]), log(), log(), log(), RET) == 5
    assert steps_of_fn(if_([log(), log(), log(), log(), RET]), RET) == 6


def test_return_from_inside_a_loop() -> None:
    # two full turns (c + if = 2 each), third turn c + if + 3 logs + return = 6
    assert steps_of_fn(bounded(3, [if_([log(), log(), log(), RET])])) == 2 * 2 + 6


def test_a_call_costs_one_plus_the_callee_bound_on_top_of_its_statement() -> None:
    text = service(fn("g", log()), fn("f", call("g"), call("g")))
    found, _, _ = analyze(text, ("g", "f"))
    assert found.of("fn 'g'").steps == 1
    assert found.of("fn 'f'").steps == 2 * (1 + 1 + 1)


def test_calls_chain_through_the_call_graph() -> None:
    text = service(
        fn("h", log(), log()), fn("g", call("h"), log()), fn("f", bounded(2, [call("g")]))
    )
    found, _, _ = analyze(text, ("h", "g", "f"))
    assert found.of("fn 'h'").steps == 2
    assert found.of("fn 'g'").steps == (1 + 1 + 2) + 1
    assert found.of("fn 'f'").steps == 2 * ((1 + 1 + 5) + 1) + 1


def test_builtin_and_table_calls_cost_one_each() -> None:
    e = f"(CallBuiltin abs [(CallBuiltin abs [{lit(1)}] {INT})] {INT})"
    assert steps_of_fn(f"(Declare x {INT} {e})") == 3
    assert steps_of_fn("(ExprStmt (TableCall t clear [] (TUnit)))") == 2


def test_bytes_scanned_is_the_sum_of_the_scanned_arguments_bounds() -> None:
    s = "(Local s (TBytes 100))"
    decl = f"(Declare n {INT} (CallBuiltin nfields [{s}] {INT}))"
    ab = '(BytesLit #"ab" (TBytes 2))'
    starts = f"(Declare b (TBool) (CallBuiltin starts_with [{s} {ab}] (TBool)))"
    text = service(f"(Fn f [(Param s (TBytes 100))] (TUnit) {block(decl, starts)})")
    found = bound(text, "fn 'f'", ("f",))
    assert (found.steps, found.bytes_scanned) == (4, 100 + 102)


def test_bytes_scanned_multiply_in_loops() -> None:
    s = "(Local s (TBytes 10))"
    decl = f"(Declare h {INT} (CallBuiltin hash [{s}] {INT}))"
    found = bound(service(f"(Fn f [(Param s (TBytes 10))] (TUnit) {block(bounded(5, [decl]))})"),
                  "fn 'f'", ("f",))  # fmt: skip
    assert found.bytes_scanned == 5 * 10


# -- sessions: segments between yield points --------------------------------------------------


def test_segments_between_sends() -> None:
    found = bound(service(session(send(), log(), log(), send())), "session")
    assert (found.yield_points, found.steps) == (2, 3)


def test_a_session_without_yields_is_one_segment() -> None:
    assert bound(service(session(log(), log())), "session").steps == 2


def test_fueled_loop_segment_goes_round_once() -> None:
    # checkpoint -> log, send = 2; send -> log, log, (step), cond, checkpoint = 4
    loop = fueled(["(Checkpoint)", log(), send(), log(), log()])
    found = bound(service(session(loop)), "session")
    assert (found.yield_points, found.steps) == (2, 4)


def test_fueled_loop_step_is_in_the_round_segment() -> None:
    loop = fueled(["(Checkpoint)", send()], [log(), log()])
    # send -> the step's 2 logs -> c -> checkpoint
    assert bound(service(session(loop)), "session").steps == 2 + 1 + 1


def test_break_out_of_a_fueled_loop_runs_into_the_code_after_it() -> None:
    # checkpoint -> if, 3 logs, break, then 2 logs after the loop = 7
    loop = fueled(["(Checkpoint)", if_([log(), log(), log(), "(Break)"]), send()])
    assert bound(service(session(loop, log(), log())), "session").steps == 7


def test_bounded_loop_with_a_conditional_yield() -> None:
    # no yield taken: 3 turns (c + if + log) + final c + log after = 11
    loop = bounded(3, [if_([send()]), log()])
    found = bound(service(session(loop, log())), "session")
    assert (found.yield_points, found.steps) == (1, 11)


def test_yield_to_yield_across_bounded_turns() -> None:
    # from the send in turn 1, turns 2..4 yield-free (c + if + 10 logs = 12 each), then
    # c + if + send in turn 5: 10 logs + 3 * 12 + c + (c + if + send) = 10 + 36 + 1 + 3 = 50
    loop = bounded(5, [if_([send()]), *[log()] * 10])
    found = bound(service(session(loop)), "session")
    assert found.steps == 5 * 12 + 1  # the yield-free path is costlier still: 61
    found_inner = bound(service(session(send(), loop, send())), "session")
    assert found_inner.steps == 61 + 1


def test_yield_to_yield_segment_with_one_yield_free_turn_between() -> None:
    # turn 1 sends after 10 logs, then 20 logs and the log after the if (21); c; turn 2 takes
    # no yield (if + log = 2); c; turn 3: if + 10 logs + send (12): 21 + 1 + 2 + 1 + 12 = 37
    body = [if_([*[log()] * 10, send(), *[log()] * 20]), log()]
    found = bound(service(session(bounded(3, body), send())), "session")
    assert (found.yield_points, found.steps) == (2, 37)


def test_unwrap_of_a_receive_yields_then_runs_else() -> None:
    unwrap = f"(Unwrap d (TBytes 8) {RECV} {block(log(), '(Close)')})"
    found = bound(service(session(log(), unwrap, log(), log())), "session")
    # entry -> recv: log + (unwrap 1 + call 1) = 3; recv -> close: 2; recv -> end: 2
    assert (found.yield_points, found.steps) == (2, 3)


def test_close_ends_the_segment_and_nothing_follows() -> None:
    found = bound(service(session(log(), "(Close)")), "session")
    assert (found.yield_points, found.steps) == (1, 2)


def test_sleep_is_a_yield_point() -> None:
    sleep = f"(ExprStmt (CallBuiltin sleep [{lit(5)}] (TUnit)))"
    found = bound(service(session(log(), log(), sleep, log())), "session")
    assert (found.yield_points, found.steps) == (1, 4)


def test_function_calls_inside_a_session_count() -> None:
    text = service(fn("g", bounded(2, [log()])), session(send(), call("g"), send()))
    found, _, _ = analyze(text, ("g",))
    assert found.of("fn 'g'").steps == 5
    assert found.of("session").steps == (1 + 1 + 5) + 1


# -- other handlers, names, and the fact ------------------------------------------------------


def test_timers_and_the_datagram_handler_are_named_in_order() -> None:
    reply = '(Reply (BytesLit #"ok" (TBytes 2)))'
    text = service(
        f"(Every {lit(1)} s {block(log())})",
        f"(Datagram p (TBytes 8) {block(reply, reply)})",
        f"(Every {lit(5)} ms {block(log(), log(), log())})",
        listen="(Listen udp (IntLit 53 (TInt)))",
    )
    found, _, _ = analyze(text)
    assert [(h.kind, h.name, h.yield_points, h.steps) for h in found.handlers] == [
        ("timer", "timer 1", 0, 1),
        ("datagram", "datagram 'p'", 0, 2),
        ("timer", "timer 2", 0, 3),
    ]


def test_the_tree_is_unchanged() -> None:
    _, out, tree = analyze(service(session(fueled(["(Checkpoint)", send()]))))
    assert out is tree


def test_a_fueled_loop_without_a_yield_point_is_an_internal_error() -> None:
    with pytest.raises(InternalError, match="without a yield point"):
        analyze(service(session(fueled([log()]))))


def test_a_fueled_loop_whose_every_turn_sends_is_bounded_without_a_checkpoint() -> None:
    assert bound(service(session(fueled([send(), log()]))), "session").steps == 1 + 1 + 1


def test_a_function_that_yields_is_an_internal_error() -> None:
    with pytest.raises(InternalError, match="can yield"):
        analyze(service(fn("f", send())), ("f",))


def test_a_break_outside_a_loop_is_an_internal_error() -> None:
    with pytest.raises(InternalError, match="'break' leaves the body"):
        analyze(service(session("(Break)")))


# -- real programs -----------------------------------------------------------------------------

ECHO_LIKE = """
service t {
    listen tcp 7;
    fn twice(n: int) -> int { return n * 2; }
    session {
        loop {
            let data = recv(16) else { close; };
            let n = twice(len(data));
            send(data);
        }
    }
}
"""


def test_real_session(tmp_path: Path) -> None:
    found = lower(ECHO_LIKE, "uncover-step-bounds", tmp_path).facts.get(StepBounds)
    assert found.of("fn 'twice'").steps == 1
    # yield points: checkpoint, recv, close, send. Segments: entry: c + checkpoint = 2;
    # checkpoint -> recv: 1 + 1 = 2; recv -> send: (declare 1 + twice 2 + len 1) + send 1 = 5;
    # send -> c -> checkpoint: 2
    session_bound = found.of("session")
    assert (session_bound.yield_points, session_bound.steps) == (4, 5)


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_every_example_has_a_bound_for_every_handler(example: Path) -> None:
    found = lower_example(example, "uncover-step-bounds").facts.get(StepBounds)
    kinds = {h.kind for h in found.handlers}
    assert kinds & {"session", "datagram"}
    assert all(h.steps >= 1 for h in found.handlers if h.kind != "fn")


# -- the bound is never below what a run does --------------------------------------------------


BlockNode = Block  # for annotations below the `Block` method


class CountingInterpreter(BoundedInterpreter):
    """Counts, per task, the statements run since its last yield point (each loop condition
    check, each statement, each user-function call one step: a subset of what the cost model
    counts), and keeps the largest count per handler."""

    def __init__(self, program: Node, facts: Facts | None = None) -> None:
        super().__init__(program, facts)
        self.count: dict[int, int] = {}
        self.alive: list[object] = []
        self.worst: dict[str, int] = {}

    def label(self, f: Frame) -> str:
        task = f.task
        if isinstance(task, SessionTask):
            return "session"
        if isinstance(task, DatagramTask):
            assert self.datagram_decl is not None
            return f"datagram '{self.datagram_decl.name}'"
        assert task is not None and task.name.startswith("timer ")
        return " ".join(task.name.split()[:2])

    def tick(self, f: Frame) -> None:
        if id(f.task) not in self.count:
            self.alive.append(f.task)  # so that no later task gets the same id
        n = self.count[id(f.task)] = self.count.get(id(f.task), 0) + 1
        label = self.label(f)
        self.worst[label] = max(self.worst.get(label, 0), n)

    def Block(self, b: BlockNode, f: Frame) -> Generator[Wait, None, None]:
        for s in b.stmts:
            if not isinstance(s, BoundedLoop | FueledLoop):
                self.tick(f)
            if is_yield_point(s):
                self.count[id(f.task)] = 0
            yield from self.handler(s)(self, s, f)

    def holds(self, cond: Expr, f: Frame) -> bool:
        self.tick(f)
        return bool(self.eval(cond, f))

    def BoundedLoop(self, s: BoundedLoop, f: Frame) -> Generator[Wait, None, None]:
        assert s.test is None  # lift-loop-conditions comes after uncover-step-bounds
        turns = 0
        while self.holds(s.cond, f):
            if turns == s.limit:
                raise Fault("fuel")
            turns += 1
            if (yield from self.turn(s.body, s.step, f)):
                break

    def FueledLoop(self, s: FueledLoop, f: Frame) -> Generator[Wait, None, None]:
        assert s.test is None
        while self.holds(s.cond, f):
            if (yield from self.turn(s.body, s.step, f)):
                break

    def turn(self, body: BlockNode, step: BlockNode, f: Frame) -> Generator[Wait, None, bool]:
        """One turn; whether it broke out of the loop."""
        try:
            yield from self.Block(body, f)
        except BreakSignal:
            return True
        except ContinueSignal:
            pass
        yield from self.Block(step, f)
        return False

    def eval(self, e: Expr, f: Frame) -> Value:
        if isinstance(e, CallFn):
            self.tick(f)
        return super().eval(e, f)


TRANSCRIPTS = Path(__file__).resolve().parents[1] / "transcripts"


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_no_run_of_the_transcripts_exceeds_the_static_bound(example: Path) -> None:
    result = lower_example(example, "uncover-step-bounds")
    static = result.facts.get(StepBounds)
    measured: dict[str, int] = {}
    for path in sorted((TRANSCRIPTS / example.stem).glob("*.tr")):
        interp = CountingInterpreter(result.tree, result.facts)
        played = run_transcript(interp, read_transcript(path))
        assert played.ok, played.report()
        for label, n in interp.worst.items():
            measured[label] = max(measured.get(label, 0), n)
    assert measured, "no handler ran"
    for label, n in measured.items():
        assert n <= static.of(label).steps, (label, n, static.of(label))


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])  # fmt: skip
@given(program=wyki_programs(), actions=client_scripts())
def test_no_run_of_a_generated_program_exceeds_the_static_bound(
    program: str, actions: tuple[ClientAction, ...]
) -> None:
    note(program)
    checked_program = checked(program)
    transcript = parse_transcript(record_text(checked_program, actions), "<generated>")
    result = chain().run(checked_program.tree, RunOptions(start_at="unify-loops"),
                         checked_program.facts)  # fmt: skip
    static = result.facts.get(StepBounds)
    interp = CountingInterpreter(result.tree, result.facts)
    played = run_transcript(interp, transcript)
    assert played.ok, played.report()
    for label, n in interp.worst.items():
        assert n <= static.of(label).steps, (label, n, static.of(label))
