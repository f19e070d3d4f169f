"""The world, the scheduler and the transcript runner: interleaving, quiescence, the step
budget, faults ending only their session, fuel fairness, the clock, datagrams, tables."""

from __future__ import annotations

import pytest

from nanowyki.interp import parse_transcript
from nanowyki.interp.scheduler import (
    FINISHED,
    YIELD,
    RunawayError,
    Scheduler,
    Task,
    Wait,
    WaitTime,
)
from nanowyki.interp.world import World
from nanowyki.languages.resolved import SharedRef
from nanowyki.languages.surface import (
    Assign,
    Break,
    BytesLit,
    Close,
    Datagram,
    Every,
    ExprStmt,
    If,
    Listen,
    Loop,
    Service,
    Shared,
    Stmt,
    Table,
    Unary,
    Var,
    While,
)
from nanowyki.languages.types import TBool, TBytes, TInt

from .build import (
    bi,
    block,
    do,
    fails,
    i,
    let,
    loc,
    ok,
    op,
    s,
    serve,
    shared,
    t,
    tcall,
    tcp,
)

ECHO = tcp(Loop(None, block(let("d", bi("recv", i(4096)), Close()), do("send", loc("d")))))


# -- the scheduler on its own ------------------------------------------------------------------


class Script(Task):
    """A task that returns a fixed sequence of waits and records when it ran."""

    def __init__(self, name: str, waits: list[Wait], trace: list[str]) -> None:
        self.name = name
        self.conn = None
        self.waits = list(waits)
        self.trace = trace

    def resume(self) -> Wait:
        self.trace.append(self.name)
        return self.waits.pop(0) if self.waits else FINISHED


def test_round_robin_interleaves_runnable_tasks() -> None:
    trace: list[str] = []
    sched = Scheduler(World())
    sched.spawn(Script("a", [YIELD, YIELD], trace))
    sched.spawn(Script("b", [YIELD], trace))
    sched.run()
    assert trace == ["a", "b", "a", "b", "a"]
    assert sched.tasks == []


def test_quiet_when_every_task_waits() -> None:
    trace: list[str] = []
    world = World()
    sched = Scheduler(world)
    sched.spawn(Script("sleeper", [WaitTime(50)], trace))
    sched.run()
    assert trace == ["sleeper"] and sched.next_due() == 50
    sched.run()
    assert trace == ["sleeper"]  # not due yet: not resumed
    world.now_ms = 50
    sched.run()
    assert trace == ["sleeper", "sleeper"] and sched.tasks == []


def test_step_budget_stops_a_runaway_task() -> None:
    trace: list[str] = []
    sched = Scheduler(World(), budget=10)
    sched.spawn(Script("spin", [YIELD] * 100, trace))
    with pytest.raises(RunawayError, match="spin is still runnable"):
        sched.run()


# -- sessions ----------------------------------------------------------------------------------


def test_two_interleaved_echo_sessions() -> None:
    ok(ECHO, "open a\nopen b\na > one\nb > two\nb < two\na < one\na > x\na < x\na close\nb close\n")


def test_failure_messages_name_the_step() -> None:
    msg = fails(ECHO, "open a\na > hello\na < help\n")
    assert msg.startswith("t.tr:3: step 'a < help': unexpected bytes: expected \"help\"")
    assert "first difference at byte 3" in msg
    msg = fails(ECHO, "open a\na > hi\na < hi!\n")
    assert "received only \"hi\"; still missing \"!\"" in msg
    assert "session 'a' waits for 1 to 4096 bytes" in msg
    msg = fails(ECHO, "open a\na > hi\na closed\n")
    assert msg.startswith("t.tr:3: step 'a closed': the service has not closed 'a'")
    msg = fails(ECHO, "open a\na > hi\n")
    assert msg.startswith("t.tr: at the end of the transcript: 'a' received 2 bytes never matched")
    msg = fails(ECHO, "open a\na > hi\na close\n")
    assert "'a' closes with 2 received bytes not matched" in msg
    msg = fails(ECHO, "open a\na shut\na open?\n")
    assert msg.startswith("t.tr:3: step 'a open?': the service has closed 'a'")


def test_result_carries_the_event_log() -> None:
    result = serve(ECHO, "open a\na > hi\na < hi\n")
    assert result.ok and result.failure is None
    assert "a > 2 bytes" in result.log_text() and "a < 2 bytes" in result.log_text()


def test_shut_ends_input_and_echo_closes() -> None:
    ok(ECHO, "open a\na > last\na shut\na < last\na closed\n")


def test_client_steps_after_close_are_reported() -> None:
    assert "'a' has closed its connection" in fails(ECHO, "open a\na close\na > x\n")
    assert "'a' has shut down its sending side" in fails(ECHO, "open a\na shut\na > x\n")
    assert "'a' is already open" in fails(ECHO, "open a\nopen a\n")


def test_a_name_can_be_opened_again_after_close() -> None:
    ok(ECHO, "open a\na > 1\na < 1\na close\nopen a\na > 2\na < 2\n")


def test_sessions_limit_refuses_extra_connections() -> None:
    prog = tcp(*ECHO.decls[-1].body.stmts, sessions=1)  # type: ignore[attr-defined]
    ok(prog, "open a\nopen b\nb closed\na > x\na < x\na close\nopen c\nc > y\nc < y\n")


FAULTY = tcp(
    Loop(None, block(
        let("l", bi("recv_line", i(100)), Close()),
        let("n", bi("parse_int", loc("l")), do("send", s("?\n")), Close()),
        do("send", op("/", i(100), loc("n")), s("\n")),
    ))
)  # fmt: skip


def test_a_fault_ends_only_its_session() -> None:
    ok(
        FAULTY,
        "open a\nopen b\na > 5\\n\na < 20\\n\nb > 0\\n\nb closed\nfault division\n"
        "a > 4\\n\na < 25\\n\na open?\n",
    )


def test_unexpected_and_missing_faults() -> None:
    msg = fails(FAULTY, "open a\na > 0\\n\na closed\n")
    assert "unexpected fault 'division' in session 'a'" in msg
    msg = fails(FAULTY, "open a\na > 1\\n\na < 100\\n\nfault division\n")
    assert "expected a 'division' fault, but no fault was counted" in msg
    msg = fails(FAULTY, "open a\na > 0\\n\nfault overflow\n")
    assert "the unclaimed faults are 'division' in session 'a'" in msg


def test_each_fault_step_claims_one_fault() -> None:
    ok(FAULTY, "open a\nopen b\na > 0\\n\nb > 0\\n\nfault division\nfault division\n")
    msg = fails(FAULTY, "open a\nopen b\na > 0\\n\nb > 0\\n\nfault division\n")
    assert "unexpected fault 'division' in session 'b'" in msg


def spinner(spin: Stmt) -> Service:
    """Read a line, sleep 10 ms, run `spin` if the line was "spin", then send the line."""
    return tcp(
        let("l", bi("recv_line", i(10)), Close()),
        do("sleep", i(10)),
        If(op("==", loc("l"), s("spin")), block(spin), None),
        do("send", loc("l")),
    )


def test_a_long_loop_yields_so_another_session_is_served_first() -> None:
    n = loc("n")
    spin = While(op("<", n, i(5000)), None, block(Assign(n, "+=", i(1))))
    prog = spinner(Loop(i(1), block(Var("n", TInt(), i(0)), spin, Break())))
    # both sessions wake at 10 ms; a spins for 50 slices of fuel, b answers meanwhile
    result = ok(prog, "open a\nopen b\na > spin\\n\nb > hi\\n\nadvance 10 ms\nb < hi\na < spin\n",
                fuel=100)  # fmt: skip
    writes = [e.text for e in result.log if " < " in e.text and "bytes" in e.text]
    assert writes == ["b < 2 bytes", "a < 4 bytes"]


def test_a_session_spinning_forever_is_a_runaway_but_others_were_served() -> None:
    prog = spinner(Loop(None, block()))
    result = serve(prog, "open a\nopen b\na > spin\\n\nb > hi\\n\nadvance 10 ms\n",
                   budget=50, fuel=10)  # fmt: skip
    assert result.failure is not None
    assert result.failure.startswith("t.tr:5: step 'advance 10 ms': RunawayError: the service is")
    assert "session 'a' is still runnable" in result.failure
    assert "b < 2 bytes" in result.log_text()


def test_long_session_loop_yields_and_completes() -> None:
    count = loc("n")
    prog = tcp(
        Var("n", TInt(), i(0)),
        While(op("<", count, i(5000)), None, block(Assign(count, "+=", i(1)))),
        do("send", count),
    )
    ok(prog, "open a\na < 5000\na closed\n", fuel=100, budget=1000)
    # with too small a budget, the same loop is reported as a runaway
    assert "RunawayError" in fails(prog, "open a\n", fuel=100, budget=10)


# -- time --------------------------------------------------------------------------------------


def test_sleep_waits_for_the_clock() -> None:
    prog = tcp(do("send", s("a")), do("sleep", i(100)), do("send", s("b")))
    ok(prog, "open c\nc < a\nadvance 99 ms\nc open?\nadvance 1 ms\nc < b\nc closed\n")


def test_unix_time_and_now_ms_follow_advance() -> None:
    prog = tcp(
        let("l", bi("recv_line", i(10)), Close()),
        do("send", bi("now_ms"), s(" "), bi("unix_time")),
    )
    ok(prog, "open a\nadvance 2 s\nadvance 5 ms\na > x\\n\na < 2005 1767225602\n")


def test_receive_timeout() -> None:
    body = (
        do("set_timeout", i(1000)),
        Loop(None, block(
            let("l", bi("recv_line", i(10)),
                do("send", s("timeout:"), bi("timed_out"), s(" peer:"), bi("peer_closed")),
                Close()),
            do("send", loc("l"), s(" "), bi("timed_out")),
        )),
    )  # fmt: skip
    prog = tcp(*body)
    ok(prog, "open a\nadvance 999 ms\na > x\\n\na < x false\nadvance 999 ms\na open?\n"
             "advance 1 ms\na < timeout:true peer:false\na closed\n")  # fmt: skip
    ok(prog, "open a\na shut\na < timeout:false peer:true\na closed\n")


def test_timers_fire_in_time_order_on_advance() -> None:
    ticks = shared("ticks")
    prog = Service("t", (
        Listen("tcp", i(7)),
        Shared("ticks", TInt(), i(0)),
        Every(i(100), "ms", block(Assign(ticks, "+=", i(1)))),
        Every(i(1), "s", block(do("log", s("second "), ticks))),
        tcp(Loop(None, block(let("l", bi("recv_line", i(10)), Close()),
                             do("send", shared("ticks"), s("\n"))))).decls[-1],
    ))  # type: ignore[arg-type]  # fmt: skip
    result = ok(prog, "open a\na > ?\\n\na < 0\\n\nadvance 250 ms\na > ?\\n\na < 2\\n\n"
                      "advance 1 s\na > ?\\n\na < 12\\n\n")  # fmt: skip
    assert "log: second 10" in result.log_text()  # the 1000 ms tick ran after the 100 ms one


def test_a_faulting_timer_run_is_counted_and_the_timer_goes_on() -> None:
    n = shared("n")
    prog = Service("t", (
        Listen("tcp", i(7)),
        Shared("n", TInt(), i(0)),
        Every(i(10), "ms", block(
            Assign(n, "+=", i(1)), do("log", op("/", i(1), op("-", n, i(2)))))),
        tcp().decls[-1],
    ))  # type: ignore[arg-type]  # fmt: skip
    ok(prog, "advance 30 ms\nfault division\n")


# -- datagrams and tables ----------------------------------------------------------------------


def counter(capacity: int) -> Service:
    """A UDP service counting each key (at most 8 bytes) in a table of `capacity` entries."""
    pkt = loc("pkt", TBytes(8))
    return Service("kv", (
        Listen("udp", i(53)),
        Table("seen", TBytes(8), TInt(), i(capacity)),
        Datagram("pkt", TBytes(8), block(
            Var("n", TInt(), i(1)),
            Loop(i(1), block(
                let("old", tcall("seen", "get", pkt), Break()),
                Assign(loc("n"), "+=", loc("old")),
                Break(),
            )),
            ExprStmt(tcall("seen", "put", pkt, loc("n"))),
            do("reply", pkt, s("="), loc("n"), s(" size="), tcall("seen", "size")),
        )),
    ))  # type: ignore[arg-type]  # fmt: skip


def test_datagrams_replies_and_a_shared_table() -> None:
    ok(counter(4), "udp p > a\np < a=1 size=1\nudp q > a\nq < a=2 size=1\nq silent\n"
                   "udp q > b\nq < b=1 size=2\np silent\n")  # fmt: skip


def test_oversize_datagrams_are_dropped_and_counted() -> None:
    result = ok(
        counter(4), "udp p > 123456789\np silent\nudp p > 12345678\np < 12345678=1 size=1\n"
    )
    assert "dropped (more than 8)" in result.log_text()


def test_table_full_faults_only_the_datagram() -> None:
    ok(counter(1), "udp p > a\np < a=1 size=1\nudp p > b\np silent\nfault table_full\n"
                   "udp p > a\np < a=2 size=1\n")  # fmt: skip


def test_datagram_expectation_failures() -> None:
    msg = fails(counter(4), "udp p > a\np < a=9 size=1\n")
    assert 'expected the datagram "a=9 size=1", received "a=1 size=1"' in msg
    assert "none is waiting" in fails(counter(4), "udp p > a\np < a=1 size=1\np < x\n")
    assert "has 1 datagram(s) waiting" in fails(counter(4), "udp p > a\np silent\n")
    assert "never matched" in fails(counter(4), "udp p > a\n")


def test_protocol_mismatch_is_reported() -> None:
    assert "listens on udp, not tcp" in fails(counter(4), "open a\n")
    assert "listens on tcp, not udp" in fails(ECHO, "udp q > x\n")


def test_reply_larger_than_a_datagram_faults_bounds() -> None:
    prog = Service("big", (
        Listen("udp", i(9)),
        Datagram("pkt", TBytes(8), block(
            do("reply", ArrayRepeatBytes(65507)), do("reply", ArrayRepeatBytes(65508)))),
    ))  # type: ignore[arg-type]  # fmt: skip
    result = ok(prog, f"udp q > x\nq < {'z' * 65507}\nfault bounds\nq silent\n")
    assert result.ok


def ArrayRepeatBytes(n: int) -> BytesLit:
    return BytesLit(b"z" * n, TBytes(n))


def test_tables_are_shared_across_sessions() -> None:
    put = ExprStmt(tcall("t", "put", s("k"), i(7)))
    prog = tcp(
        let("l", bi("recv_line", i(10)), Close()),
        If(op("==", loc("l"), s("put")), block(put), None),
        If(op("==", loc("l"), s("rm")),
           block(do("send", tcall("t", "remove", s("k")), tcall("t", "remove", s("k")))), None),
        If(op("==", loc("l"), s("clear")), block(ExprStmt(tcall("t", "clear"))), None),
        do("send", tcall("t", "contains", s("k")), s(" "), tcall("t", "size")),
        decls=(Table("t", TBytes(1), TInt(), i(4)),),
    )  # fmt: skip
    ok(prog, "open a\na > put\\n\na < true 1\nopen b\nb > get\\n\nb < true 1\n"
             "open c\nc > rm\\n\nc < truefalsefalse 0\nopen d\nd > put\\n\nd < true 1\n"
             "open e\ne > clear\\n\ne < false 0\n")  # fmt: skip


def test_shared_booleans() -> None:
    flag = SharedRef("on", TBool())
    prog = tcp(Assign(flag, "=", Unary("!", flag)), do("send", flag),
               decls=(Shared("on", TBool(), t(False)),))  # fmt: skip
    ok(prog, "open a\na < true\nopen b\nb < false\n")


def test_output_ring_limits_each_write() -> None:
    from nanowyki.interp import TypedInterpreter
    from nanowyki.interp.typed import SessionTask

    prog = tcp(do("send", s("abcdefghij")))
    interp = TypedInterpreter(prog)
    world = World(out_capacity=4)
    interp.start(world)
    sched = Scheduler(world)
    conn = world.connect("a")
    task = interp.session(conn)
    assert isinstance(task, SessionTask)
    sched.spawn(task)
    sched.run()
    assert bytes(conn.received) == b"abcdefghij"
    writes = [e.text for e in world.log if e.text.startswith("a < ")]
    assert writes == ["a < 4 bytes", "a < 4 bytes", "a < 2 bytes"]


# -- the runner API ----------------------------------------------------------------------------


def test_a_subclass_overrides_only_the_forms_it_changes() -> None:
    from nanowyki.interp import TypedInterpreter, run_transcript

    class Doubling(TypedInterpreter):
        def IntLit(self, e: IntLit, f: object) -> object:
            return e.value * 2

    prog = tcp(do("send", op("+", i(1), i(2))))
    text = "open a\na < 6\na closed\n"
    assert serve(Doubling(prog), text).ok
    assert run_transcript(lambda: Doubling(prog), parse_transcript(text, "t.tr")).ok
    assert not serve(prog, text).ok  # the base interpreter sends 3


def test_run_transcript_file(tmp_path: object) -> None:
    from pathlib import Path

    from nanowyki.interp import run_transcript_file

    path = Path(str(tmp_path)) / "echo.tr"
    path.write_text("open a\na > x\na < y\n")
    result = run_transcript_file(ECHO, None, path)
    assert result.failure is not None and result.failure.startswith(f"{path}:3: step 'a < y'")
