"""Every example's transcripts, after every pass of the default pipeline, with the interpreter
of that pass's output language: the first pass that changes what a client sees is named."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

import pytest

from nanowyki import pipeline
from nanowyki.differential import BoundaryReport, run_every_boundary
from nanowyki.framework import Facts, Node, Pipeline
from nanowyki.framework.node import map_children
from nanowyki.interp import Interpreter, read_transcript
from nanowyki.languages.linear import Goto
from nanowyki.languages.surface import BytesLit

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.wyki"))


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_same_behaviour_after_every_pass(example: Path) -> None:
    transcripts = [read_transcript(p) for p in sorted((ROOT / "tests" / "transcripts" /
                                                       example.stem).glob("*.tr"))]
    assert transcripts, f"{example.stem} has no transcripts"
    front = pipeline.frontend()
    checked = front.run(pipeline.source_tree(example))
    whole = pipeline.default()
    if len(whole.passes) == len(front.passes):
        pytest.skip("no lowering pass yet")  # the front end alone: tests/test_transcripts.py
    report = run_every_boundary(
        whole, checked.tree, transcripts, start_at=whole.passes[len(front.passes)].name,
        facts=checked.facts,
    )
    assert report.ok, report.message()
    # Every IL after the front end has an interpreter: no pass is left unproved.
    assert report.no_interpreter == [], report.no_interpreter


EARLY_RETURN = """
service early {
    listen udp 9000;
    shared ticks: int = 0;

    datagram pkt: bytes[64] {
        if len(pkt) == 0 { return; }
        if pkt == "stop" { return; }
        reply(pkt, " ", itoa(ticks));
    }

    every 10 ms {
        if ticks >= 2 { return; }
        ticks += 1;
    }
}
"""

EARLY_RETURN_TRANSCRIPT = """
udp q > hi
q < hi 0
udp q > stop
q silent
advance 50 ms
udp q > hi
q < hi 2
"""


def test_bare_return_ends_datagram_and_timer_runs_at_every_boundary(tmp_path: Path) -> None:
    """A bare `return;` ends that run of a datagram handler or timer, at every IL."""
    from nanowyki.interp import parse_transcript

    source = tmp_path / "early.wyki"
    source.write_text(EARLY_RETURN)
    front = pipeline.frontend()
    checked = front.run(pipeline.source_tree(source))
    whole = pipeline.default()
    transcript = parse_transcript(EARLY_RETURN_TRANSCRIPT, "early.tr")
    from nanowyki.interp import run_transcript

    reference = run_transcript(checked.tree, transcript, facts=checked.facts)
    assert reference.ok, reference.report()
    report = run_every_boundary(
        whole, checked.tree, [transcript], start_at=whole.passes[len(front.passes)].name,
        facts=checked.facts,
    )
    assert report.ok, report.message()


SHARED_UPDATES = """
service updates {
    listen udp 9000;
    shared n: int = 0;
    struct P { k: int, name: bytes[32] }

    fn reset(v: int) -> int { n = v; return 1; }
    fn pick(a: P, b: P) -> P {
        var r = a;
        if b.k > r.k { r = b; }
        return r;
    }
    fn named(name: bytes[32]) -> P { return P(k: len(name), name: name); }

    datagram pkt: bytes[32] {
        n += reset(10);               // reset runs first: 10 + 1, not 0 + 1
        n *= 3;
        n -= reset(n);                // 33 - 1
        let p = pick(named(pkt), named("zz"));
        reply(itoa(n), " ", p.name);
    }
}
"""

SHARED_UPDATES_TRANSCRIPT = """
udp q > abc
q < 32 abc
udp q > z
q < 32 zz
"""


def test_shared_updates_and_struct_copies_at_every_boundary(tmp_path: Path) -> None:
    """`n op= e` computes `e` before it reads `n` (one atomic update in C), and struct values
    copied member by member keep value semantics, at every IL."""
    from nanowyki.interp import parse_transcript, run_transcript

    source = tmp_path / "updates.wyki"
    source.write_text(SHARED_UPDATES)
    front = pipeline.frontend()
    checked = front.run(pipeline.source_tree(source))
    whole = pipeline.default()
    transcript = parse_transcript(SHARED_UPDATES_TRANSCRIPT, "updates.tr")
    reference = run_transcript(checked.tree, transcript, facts=checked.facts)
    assert reference.ok, reference.report()
    report = run_every_boundary(
        whole, checked.tree, [transcript], start_at=whole.passes[len(front.passes)].name,
        facts=checked.facts,
    )
    assert report.ok, report.message()


# -- the check can fail: a pass broken on purpose is named ----------------------------------------

GREET = """
service greet {
    listen tcp 7;
    session {
        loop {
            let line = recv_line(64) else { close; };
            send("hi ", line, "\\n");
        }
    }
}
"""

GREET_TRANSCRIPT = """
open a
a > you\\n
a < hi you\\n
a shut
a closed
"""


def broken(name: str, rewrite: Callable[[Node], Node]) -> Pipeline:
    """The default pipeline with pass `name` followed by `rewrite` on every node it outputs
    (bottom up): a bug planted in that pass."""
    whole = pipeline.default()
    right = whole[name]

    class Wrong(right):  # type: ignore[valid-type, misc]
        def apply(self, tree: Node, facts: Facts) -> tuple[Node, Facts]:
            out, facts = super().apply(tree, facts)
            return bottom_up(out, rewrite), facts

    return Pipeline([Wrong if p is right else p for p in whole.passes], name="broken")


def bottom_up(n: Node, rewrite: Callable[[Node], Node]) -> Node:
    return rewrite(map_children(n, lambda c: bottom_up(c, rewrite)))


def boundaries(p: Pipeline, source: str, tmp_path: Path) -> BoundaryReport:
    """GREET_TRANSCRIPT played after every lowering pass of `p` on `source`."""
    from nanowyki.interp import parse_transcript, run_transcript

    path = tmp_path / "greet.wyki"
    path.write_text(source)
    front = pipeline.frontend()
    checked = front.run(pipeline.source_tree(path))
    transcript = parse_transcript(GREET_TRANSCRIPT, "greet.tr")
    assert run_transcript(checked.tree, transcript, facts=checked.facts).ok
    start = p.passes[len(front.passes)].name
    return run_every_boundary(p, checked.tree, [transcript], start_at=start, facts=checked.facts)


def test_a_pass_that_changes_the_bytes_sent_is_named(tmp_path: Path) -> None:
    def misspell(n: Node) -> Node:
        if isinstance(n, BytesLit) and n.value == b"hi ":
            return dataclasses.replace(n, value=b"ho ")
        return n

    assert boundaries(pipeline.default(), GREET, tmp_path).ok
    report = boundaries(broken("fold-constants", misspell), GREET, tmp_path)
    assert not report.ok
    assert report.message().startswith(
        "behaviour changed after pass 'fold-constants' (Bounded -> Bounded):\n"
        "greet.tr:4: step 'a < hi you\\n': unexpected bytes: expected \"hi you\\n\""
    )
    assert report.checked[-1] == "fold-constants"


def test_a_pass_whose_output_the_interpreter_cannot_run_is_named(tmp_path: Path) -> None:
    """A jump to a block that does not exist: the interpreter says so, and the pass is named."""

    def lose_the_target(n: Node) -> Node:
        return dataclasses.replace(n, target="nowhere") if isinstance(n, Goto) else n

    report = boundaries(broken("explicate-control", lose_the_target), GREET, tmp_path)
    assert not report.ok
    first, second = report.message().splitlines()[:2]
    assert first == "behaviour changed after pass 'explicate-control' (Flat -> Linear):"
    assert second.startswith("greet.tr:")
    assert second.endswith("InterpError: no block 'nowhere' in the graph")


def test_an_interpreter_that_crashes_fails_the_first_pass_it_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An exception that is not the interpreter's own (a bug in it, or in a pass it did not
    expect) is a failure after the pass whose output it ran, not a crash of the whole check."""
    from nanowyki import differential
    from nanowyki.interp.linear import LinearInterpreter
    from nanowyki.interp.registry import interpreter_for

    class Crashing(LinearInterpreter):
        def Goto(self, x: Goto, f: object) -> str:
            raise KeyError(x.target)

    def crashing_for(language: str) -> type[Interpreter] | None:
        return Crashing if language == "Linear" else interpreter_for(language)

    monkeypatch.setattr(differential, "interpreter_for", crashing_for)
    report = boundaries(pipeline.default(), GREET, tmp_path)
    assert not report.ok
    first, second = report.message().splitlines()
    assert first == "behaviour changed after pass 'explicate-control' (Flat -> Linear):"
    assert second.startswith("greet.tr: Crashing stopped with KeyError: ")
    assert second.endswith(" in Goto)") and "(at test_differential.py:" in second
