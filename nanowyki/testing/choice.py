"""Where the generator's decisions come from: a seeded `random.Random` (deterministic programs
for benchmarks) or Hypothesis draws (programs Hypothesis can shrink). Shrinking moves every
`integer` toward its lower end, so the generator lists its simplest option first and `chance`
is False at the lower end."""

from __future__ import annotations

import random
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

T = TypeVar("T")


class Chooser(ABC):
    @abstractmethod
    def integer(self, lo: int, hi: int) -> int:
        """An integer in `lo ..= hi`."""

    def pick(self, items: Sequence[T]) -> T:
        return items[self.integer(0, len(items) - 1)]

    def chance(self, percent: int) -> bool:
        """True with about `percent`% probability (False when shrunk)."""
        return self.integer(0, 99) >= 100 - percent


class RandomChooser(Chooser):
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def integer(self, lo: int, hi: int) -> int:
        return self.rng.randint(lo, hi)


class DrawChooser(Chooser):
    """Decisions drawn from a Hypothesis `draw` function (`st.composite` or `st.data()`)."""

    def __init__(self, draw: Callable[[Any], Any]) -> None:
        from hypothesis import strategies as st  # only the Hypothesis-driven path needs it

        self.draw = draw
        self.st = st

    def integer(self, lo: int, hi: int) -> int:
        got = self.draw(self.st.integers(lo, hi))
        assert isinstance(got, int)
        return got
