"""CoreInterpreter: the new forms of Iterated and Core on hand-written IL, and the same
behaviour as TypedInterpreter on source programs lowered by the four Typed -> Core passes."""

from __future__ import annotations

from pathlib import Path

import pytest

from nanowyki.framework import read_tree
from nanowyki.interp.core import CoreInterpreter
from nanowyki.interp.registry import interpreter_for
from nanowyki.interp.typed import TypedInterpreter
from nanowyki.languages.core import Core

from ..passes.core_support import Behaviour, behaviour, both, session_il


def run_il(stmts: str, **kw: object) -> Behaviour:
    tree = read_tree(session_il(stmts), Core)
    return behaviour(CoreInterpreter(tree), **kw)  # type: ignore[arg-type]


def counting_loop(limit: str, turns: int, extra: str = "") -> str:
    """`var n = 0; Iterate(n < turns, limit, [send(itoa(n)); extra], [n = n + 1])`."""
    return f"""
      (Declare n (TInt) (IntLit 0 (TInt)))
      (Iterate (Binary < (Local n (TInt)) (IntLit {turns} (TInt)) (TBool)) {limit}
        (Block [(Send (CallBuiltin itoa [(Local n (TInt))] (TBytes 20))) {extra}])
        (Block [(Assign (Local n (TInt)) = (Binary + (Local n (TInt)) (IntLit 1 (TInt)) (TInt)))]))
    """


def test_registered_for_iterated_and_core() -> None:
    assert interpreter_for("Iterated") is CoreInterpreter
    assert interpreter_for("Core") is CoreInterpreter
    assert interpreter_for("Typed") is TypedInterpreter
    assert issubclass(CoreInterpreter, TypedInterpreter)


def test_iterate_runs_body_then_step_while_the_condition_holds() -> None:
    ran = run_il(counting_loop("(IntLit 3 (TInt))", 3))
    assert ran.output == b"012" and ran.faults == []


def test_iterate_limit_faults_fuel_entering_iteration_n_plus_one() -> None:
    ran = run_il(counting_loop("(IntLit 2 (TInt))", 5))
    assert ran.output == b"01"
    assert [f.split(" ")[0] for f in ran.faults] == ["fuel"]


def test_iterate_limit_is_not_reached_when_the_condition_ends_the_loop_first() -> None:
    ran = run_il(counting_loop("(IntLit 3 (TInt))", 3) + '(Send (BytesLit #"!" (TBytes 1)))')
    assert ran.output == b"012!" and ran.faults == []


def test_continue_runs_the_step_and_break_skips_it() -> None:
    skip_one = """(If (Binary == (Local n (TInt)) (IntLit 1 (TInt)) (TBool))
                      (Block [(Continue)]) nil)
                  (If (Binary == (Local n (TInt)) (IntLit 3 (TInt)) (TBool)) (Block [(Break)]) nil)
                  (Send (BytesLit #"." (TBytes 1)))"""
    ran = run_il(
        counting_loop("nil", 10, skip_one)
        + "(Send (CallBuiltin itoa [(Local n (TInt))] (TBytes 20)))"
    )
    # 0 . 1 (continue: step still runs) 2 . 3 (break: n stays 3)
    assert ran.output == b"0.12.33"


def test_iterate_without_limit_yields_when_the_fuel_is_spent() -> None:
    ran = run_il(counting_loop("nil", 7), fuel=3)
    assert ran.output == b"0123456"
    # fuel 3: the third turn of each slice yields, as Typed's unbounded loops do
    assert ran.waits.count("is runnable (yielded)") == 2


def test_iterate_with_limit_never_yields() -> None:
    ran = run_il(counting_loop("(IntLit 7 (TInt))", 7), fuel=3)
    assert ran.output == b"0123456"
    assert "is runnable (yielded)" not in ran.waits


def test_declare_and_unwrap_take_blocking_values() -> None:
    ran = run_il(
        """(Unwrap line (TBytes 10) (CallBuiltin recv_line [(IntLit 10 (TInt))]
                                      (TOption (TBytes 10))) (Block [(Close)]))
           (Declare rest (TBytes 10) (CallBuiltin recv [(IntLit 10 (TInt))] (TOption (TBytes 10))))
           (Send (Local line (TBytes 10)))
           (Unwrap more (TBytes 10) (CallBuiltin recv [(IntLit 10 (TInt))] (TOption (TBytes 10)))
             (Block [(Send (BytesLit #"|eof" (TBytes 4))) (Close)]))
           (Send (BytesLit #"never" (TBytes 5)))""",
        data=b"hi\nyo",
    )
    assert ran.output == b"hi|eof" and ran.closed


def test_narrow_faults_bounds_when_longer() -> None:
    fits = run_il(
        """(Send (Narrow (Binary ++ (BytesLit #"ab" (TBytes 2)) (BytesLit #"c" (TBytes 1))
                  (TBytes 3)) (TBytes 3)))"""
    )
    assert fits.output == b"abc" and fits.faults == []
    too_long = run_il(
        """(Send (BytesLit #"x" (TBytes 1)))
           (Send (Narrow (Binary ++ (BytesLit #"ab" (TBytes 2)) (BytesLit #"c" (TBytes 1))
                  (TBytes 3)) (TBytes 2)))"""
    )
    assert too_long.output == b"x"
    assert [f.split(" ")[0] for f in too_long.faults] == ["bounds"]


def test_log_writes_one_line() -> None:
    ran = run_il(
        '(Log (Binary ++ (BytesLit #"a" (TBytes 1)) (BytesLit #"b" (TBytes 1)) (TBytes 2)))'
    )
    assert ran.log == [b"ab"]


# -- the same behaviour as the reference, on lowered source programs --------------------------

UDP_ECHO = """
service u {
    listen udp 53;
    datagram pkt: bytes[512] {
        let n = len(pkt);
        if n == 0 { return_nothing(); }
        reply(pkt, ":", n);
    }
    fn return_nothing() { log("empty"); }
}
"""

PROGRAMS: dict[str, tuple[str, dict[str, object]]] = {
    "for_loops_nested_with_continue_and_break": (
        """
        service t { listen tcp 7;
          session {
            var total = 0;
            for i in 0..4 {
              if i == 1 { continue; }
              for j in i..5 { if j == 3 { break; } total += j; send(i, ":", j, " "); }
            }
            send("=", total);
          }
        }""",
        {},
    ),
    "for_bounds_are_evaluated_once_and_in_order": (
        """
        service t { listen tcp 7;
          shared k: int = 2;
          fn next() -> int { k += 1; log("k=", k); return k; }
          session { for i in max(next(), 0)..min(next() + 3, 10) { send(i, ","); } }
        }""",
        {},
    ),
    "unbounded_session_loops_yield_in_the_same_places": (
        """
        service t { listen tcp 7;
          session {
            var n = 0;
            while n < 2500 { n += 1; }
            loop { n -= 1; if n == 0 { break; } }
            send("done ", n);
          }
        }""",
        {"fuel": 1000},
    ),
    "while_max_faults_fuel": (
        """
        service t { listen tcp 7;
          session { var n = 0; while true max 5 { send(n); n += 1; } }
        }""",
        {},
    ),
    "compound_assignments_on_places": (
        """
        service t { listen tcp 7;
          struct P { a: [int; 3], name: bytes[8] }
          shared calls: int = 0;
          fn at(i: int) -> int { calls += 1; log("at ", i); return i; }
          session {
            var p = P(a: [1, 2, 3], name: "ab");
            var grid = [[1, 2], [3, 4]];
            p.a[at(2)] *= 10;
            grid[at(1)][at(0)] += 5;
            p.name ++= "cd";
            calls -= 1;
            send(p.a[2], " ", grid[1][0], " ", p.name, " ", calls);
            p.name ++= "xyzXYZ";
            send("never");
          }
        }""",
        {},
    ),
    "compound_assignment_place_is_checked_before_the_value": (
        """
        service t { listen tcp 7;
          fn loud() -> int { log("value"); return 1; }
          session { var a = [0, 0]; var i = 5; a[i] += loud(); send("never"); }
        }""",
        {},
    ),
    "send_evaluates_every_argument_before_writing": (
        """
        service t { listen tcp 7;
          session { var z = 0; send("a", 1, now_ms()); send("b", 10 / z); send("never"); }
        }""",
        {},
    ),
    "send_waiting_for_room_splits_like_one_send": (
        """
        service t { listen tcp 7;
          shared c: int = 0;
          session { send("0123456789", "abcdefghij", c, "ABCDEFGHIJ"); close; }
        }""",
        {"out_capacity": 7},
    ),
    "let_forms_and_blocking_receives": (
        """
        service t { listen tcp 7;
          fn pick(b: bool) -> int? { if b { return 1; } return none; }
          session {
            let _ = len("abc");
            let _ = pick(true) else { close; };
            let line = recv_line(32) else { close; };
            let n = parse_int(line) else { close; };
            send(line, "|", n);
            let _ = recv_line(4) else { send("|eof"); close; };
          }
        }""",
        {"data": b"42\n"},
    ),
    "udp_reply_is_one_datagram": (UDP_ECHO, {"datagrams": (b"ping", b"", b"x" * 512)}),
    "reply_too_long_faults_bounds": (
        """
        service u { listen udp 53;
          datagram pkt: bytes[65000] { reply(pkt, pkt); reply("never"); }
        }""",
        {"datagrams": (b"a" * 40000, b"short")},
    ),
    "timers_log_and_loop_with_max": (
        """
        service u { listen udp 53;
          shared ticks: int = 0;
          datagram pkt: bytes[8] { }
          every 1 s { var i = 0; loop max 3 { i += 1; if i == 3 { break; } } ticks += i;
                      log("tick ", ticks, " ", i); }
        }""",
        {"timers": 1},
    ),
}


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_same_behaviour_as_typed(tmp_path: Path, name: str) -> None:
    text, kw = PROGRAMS[name]
    reference, lowered = both(tmp_path, text, **kw)
    assert lowered == reference
    assert reference.output or reference.replies or reference.log or reference.faults


def test_the_reference_evaluates_place_indexes_left_to_right(tmp_path: Path) -> None:
    """docs/language.md: operands left to right, the place's indexes before the value; the
    lowering of `a[i][j] += e` relies on it (TypedInterpreter.place used to go right to left)."""
    text = """
        service t { listen tcp 7;
          fn at(i: int) -> int { log("at ", i); return i; }
          fn val() -> int { log("value"); return 7; }
          session { var g = [[1, 2], [3, 4]]; g[at(1)][at(0)] = val(); g[at(0)][at(1)] += val();
                    send(g[1][0], " ", g[0][1]); }
        }"""
    reference, lowered = both(tmp_path, text)
    assert reference.log == [b"at 1", b"at 0", b"value", b"at 0", b"at 1", b"value"]
    assert reference.output == b"7 9"
    assert lowered == reference
