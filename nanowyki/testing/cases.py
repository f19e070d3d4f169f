"""Differential test cases: a random program, a client script that fits it, and the fuel its
sessions run with.

    case = random_case(7)                        # deterministic, from a seed
    @given(case=wyki_cases())                    # a Hypothesis strategy of cases
    text = record_text(case.program, case.actions, fuel=case.fuel)
    run_every_boundary(pipeline.default(), tree, [parse_transcript(text)], fuel=case.fuel, ...)

The program has every form of `genprog.Forms` (UDP services too); the script has datagrams for
a UDP service and lines for a TCP one, and `advance` steps, so timers fire, sleeping sessions
wake and receives time out. The fuel is how many turns of unbounded loops a session runs before
it yields: a small fuel makes the spinning loops of the generated sessions yield several times
per run, so the yield points of every IL are compared, not just their results. The recording
and every replay must use the case's fuel.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .choice import Chooser, DrawChooser, RandomChooser
from .genprog import Forms, ProgramGen, Size
from .record import ClientAction, client_script

FUELS = (1000, 2, 7)  # the interpreters' default first, so that shrinking goes there
ALL_FORMS = Forms(udp=True)
SIZE = Size()


@dataclass(frozen=True)
class Case:
    program: str
    actions: tuple[ClientAction, ...]
    fuel: int


def generated_case(ch: Chooser, size: Size = SIZE) -> Case:
    gen = ProgramGen(ch, size, ALL_FORMS)
    program = gen.service(ch.integer(0, size.fns))
    actions = client_script(ch, gen.proto, clock=True)
    return Case(program, actions, ch.pick(FUELS))


def random_case(seed: int, size: Size = SIZE) -> Case:
    return generated_case(RandomChooser(seed), size)


def wyki_cases(size: Size = SIZE) -> Any:
    """A Hypothesis strategy of `Case`s."""
    from hypothesis import strategies as st

    @st.composite
    def cases(draw: Any, /) -> Case:
        return generated_case(DrawChooser(draw), size)

    return cases()
