"""Compiler benchmarks (pytest-benchmark): every pass and the whole pipeline, on the examples and
on generated programs of 100, 1 000 and 10 000 lines, with a report of how cost grows with size.

    python3 -m pytest bench/compiler --benchmark-only --benchmark-timer=time.process_time

See bench/compiler/README.md.
"""
