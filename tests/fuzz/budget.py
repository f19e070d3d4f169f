"""How long the fuzzers run: a fixed, derandomized budget by default; as long as asked with
NANOWYKI_FUZZ_SECONDS.

- Default (CI): every Hypothesis fuzzer runs a fixed number of examples with `derandomize=True`
  and no example database, so every run tries the same cases and a failure reproduces exactly;
  every service fuzzer runs a fixed number of rounds from a fixed seed.
- `NANOWYKI_FUZZ_SECONDS=N`: each fuzzer runs for about N seconds (it finishes the batch or the
  round it is in): Hypothesis fuzzers run batches of random (not derandomized) examples until
  the time is up, service fuzzers run rounds of attacks from fresh seeds. Hypothesis prints the
  failing example, shrunk; a service fuzzer names its seed.
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable, Iterator
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

_SLOW = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]
LONG_BATCH = 200  # examples per Hypothesis run in the long mode


def seconds() -> float | None:
    """The long mode's time per fuzzer, or None for the fixed CI budget."""
    text = os.environ.get("NANOWYKI_FUZZ_SECONDS")
    if not text:
        return None
    value = float(text)
    if value <= 0:
        raise ValueError(f"NANOWYKI_FUZZ_SECONDS must be positive, not {text!r}")
    return value


def fuzz(strategy: st.SearchStrategy[Any], check: Callable[[Any], None], examples: int) -> None:
    """Run `check` on `examples` derandomized draws of `strategy`, or for NANOWYKI_FUZZ_SECONDS
    on random ones."""
    budget = seconds()
    if budget is None:
        _run(strategy, check, settings(max_examples=examples, derandomize=True))
        return
    deadline = time.monotonic() + budget
    while time.monotonic() < deadline:
        _run(strategy, check, settings(max_examples=LONG_BATCH))


def _run(strategy: st.SearchStrategy[Any], check: Callable[[Any], None], base: settings) -> None:
    @settings(base, deadline=None, database=None, suppress_health_check=_SLOW)
    @given(strategy)
    def run(value: Any) -> None:
        check(value)

    run()


def rounds(count: int, seed: int) -> Iterator[random.Random]:
    """`count` seeded generators (CI), or fresh seeds until NANOWYKI_FUZZ_SECONDS pass. Each
    generator's first use is its seed, so a failure message can name it (`rng.seed_value`)."""
    budget = seconds()
    if budget is None:
        for i in range(count):
            yield SeededRandom(seed + i)
        return
    deadline = time.monotonic() + budget
    while time.monotonic() < deadline:
        yield SeededRandom(random.randrange(1 << 32))


class SeededRandom(random.Random):
    def __init__(self, seed: int) -> None:
        super().__init__(seed)
        self.seed_value = seed
