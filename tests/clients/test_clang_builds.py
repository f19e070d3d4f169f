"""Services built with clang (`CC=clang nanowyki build --debug`: clang's own sanitizers) serve
the same real clients as the gcc builds the other tests use.

tests/test_c_warnings.py proves clang compiles the generated C and the runtime without a
warning; this proves what it builds also runs.  Without clang the tests skip, naming the Debian
package (under CI they fail).
"""

from __future__ import annotations

from tests.clients.conftest import Start
from tests.clients.test_http_clients import PAGES, curl, url
from tests.clients.test_load import memcached_loop


def test_http_built_with_clang_serves_curl(start: Start) -> None:
    svc = start("http", "--sessions", "32", cc="clang")
    for path, (_, body) in PAGES.items():
        assert curl(url(svc, path)).stdout == body, path
    assert curl("--write-out", " %{http_code}", url(svc, "/nowhere")).stdout.endswith(b" 404")


def test_kv_built_with_clang_serves_pymemcache(start: Start) -> None:
    svc = start("kv", "--sessions", "32", cc="clang")
    assert memcached_loop(svc, threads=4, ops=500, seed=7) == 2000  # every reply checked
    assert svc.stats()["fault_bounds"] == 0
