"""Benchmarks: `python3 -m bench` compares the generated services with hand-written C servers,
nginx and memcached (see BENCHMARKS.md)."""
