"""Every example's transcripts, after every pass of the default pipeline, with the interpreter
of that pass's output language: the first pass that changes what a client sees is named."""

from __future__ import annotations

from pathlib import Path

import pytest

from nanowyki import pipeline
from nanowyki.differential import run_every_boundary
from nanowyki.interp import read_transcript

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
