"""PlacedInterpreter: a shared update, a result built in place and a chain built in its buffer
behave exactly as the statements they replace, faults included."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from nanowyki import pipeline
from nanowyki.framework import Node, Rewriter, RunOptions, walk
from nanowyki.interp import parse_transcript, run_transcript
from nanowyki.interp.cish import CishInterpreter
from nanowyki.interp.placed import PlacedInterpreter
from nanowyki.interp.registry import interpreter_for
from nanowyki.interp.socketless import SocketlessInterpreter
from nanowyki.languages.placed import AppendInto, BuildResult, ConcatInto, SharedUpdate


def test_registered_for_placed() -> None:
    assert interpreter_for("Placed") is PlacedInterpreter
    assert issubclass(PlacedInterpreter, SocketlessInterpreter)


SOURCE = """
service p {
    listen tcp 7000;
    sessions 4;
    shared count: int = 0;
    fn quote(w: bytes[8]) -> bytes[10] { return "<" ++ w ++ ">"; }
    session {
        let line = recv_line(8) else { close; };
        count += 1;
        let reply = "[" ++ itoa(count) ++ "] " ++ quote(line) ++ "\\n";
        send(reply);
        close;
    }
}
"""

TRANSCRIPT = """
open a
a > hi\\n
a < [1] <hi>\\n
a closed
open b
b > 12345678\\n
b < [2] <12345678>\\n
b closed
"""


def test_the_placed_program_sends_what_the_socketless_one_sends(tmp_path: Path) -> None:
    source = pipeline.source_tree(tmp_path / "p.wyki", SOURCE)
    trees = {}
    for last in ("lower-waits", "build-concat-chains-in-place"):
        result = pipeline.default().run(source, RunOptions(stop_after=last))
        trees[result.language] = result.tree
        interp = interpreter_for(result.language)
        assert interp is not None
        played = run_transcript(interp(result.tree, result.facts), parse_transcript(TRANSCRIPT))
        assert played.ok, played.report()
    kinds = {type(n) for n in walk(trees["Placed"])}
    assert {SharedUpdate, BuildResult, ConcatInto, AppendInto} <= kinds  # every form ran


CHAIN = """
service c {
    listen tcp 7000;
    sessions 4;
    session {
        let line = recv_line(8) else { close; };
        let r = "<" ++ line ++ ">";
        send(r);
        close;
    }
}
"""


class Capacities(Rewriter):
    """Gives the chain's two links these capacities (as if their temporaries were smaller)."""

    def __init__(self, first: int, second: int) -> None:
        self.first, self.second = first, second

    def ConcatInto(self, s: ConcatInto) -> Node:
        return dataclasses.replace(s, capacity=self.first)

    def AppendInto(self, s: AppendInto) -> Node:
        return dataclasses.replace(s, capacity=self.second)


@pytest.mark.parametrize(("first", "second", "fault"), [
    (9, 10, False),  # the capacities the chain was given: "<" ++ bytes[8], then ++ ">"
    (4, 5, False),  # "<abc" and "<abc>" still fit
    (3, 10, True),  # "<abc" is longer than the first link's 3
    (9, 4, True),  # "<abc>" is longer than the second link's 4
])  # fmt: skip
def test_a_link_longer_than_its_capacity_faults_bounds_as_in_c(
    tmp_path: Path, first: int, second: int, fault: bool
) -> None:
    whole = pipeline.default()
    placed = whole.run(pipeline.source_tree(tmp_path / "c.wyki", CHAIN),
                       RunOptions(stop_after="build-concat-chains-in-place"))  # fmt: skip
    assert [type(n) for n in walk(placed.tree) if isinstance(n, ConcatInto | AppendInto)] == [
        ConcatInto, AppendInto]  # fmt: skip
    tree = Capacities(first, second).visit(placed.tree)
    c = whole.run(tree, RunOptions(start_at="convert-to-cish"), placed.facts)
    reply = "fault bounds" if fault else "a < <abc>"
    steps = f"open a\na > abc\\n\n{reply}\na closed\n"
    for interp in (PlacedInterpreter(tree, placed.facts), CishInterpreter(c.tree, c.facts)):
        played = run_transcript(interp, parse_transcript(steps))
        assert played.ok, f"{type(interp).__name__}: {played.report()}"
