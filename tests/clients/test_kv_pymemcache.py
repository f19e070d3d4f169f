"""The compiled `kv` example (sanitizer build) against pymemcache, a real memcached client.

Every command of pymemcache's `Client` that the text protocol has is exercised with
`default_noreply=False` (so each store waits for and checks its reply), and again with
noreply where the command takes it.  Where kv lacks a command pymemcache offers (stats,
cache_memlimit, shutdown, verbosity, gat), the test checks the reply examples/kv.wyki documents,
ERROR, which pymemcache raises as MemcacheUnknownCommandError, and that the connection still
serves afterwards.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.clients.conftest import Start, require_module
from tests.runtime.conftest import WAIT, Service

VALUE_MAX = 1024  # examples/kv.wyki
KEY_MAX = 250


@pytest.fixture
def kv(start: Start) -> Service:
    return start("kv", "--sessions", "32")


@pytest.fixture
def client(kv: Service) -> Iterator[Any]:
    base = require_module("pymemcache.client.base", "pymemcache")
    c = base.Client(
        ("127.0.0.1", kv.port), default_noreply=False, timeout=WAIT, connect_timeout=WAIT
    )
    yield c
    c.close()


def errors() -> Any:
    return require_module("pymemcache.exceptions", "pymemcache")


def test_set_get_and_the_storage_commands(client: Any) -> None:
    assert client.set("k", b"v1", expire=60) is True
    assert client.get("k") == b"v1"
    assert client.get("missing") is None
    assert client.add("k", b"other") is False  # add: only when absent
    assert client.add("fresh", b"a") is True
    assert client.replace("k", b"v2") is True  # replace: only when present
    assert client.replace("absent", b"x") is False
    assert client.get("absent") is None
    assert client.append("k", b"-end") is True
    assert client.prepend("k", b"start-") is True
    assert client.get("k") == b"start-v2-end"
    assert client.append("absent", b"x") is False
    assert client.prepend("absent", b"x") is False
    assert client.set("flagged", b"x", flags=12345) is True
    reply = client.raw_command("get flagged", end_tokens=b"END\r\n")
    assert reply == b"VALUE flagged 12345 1\r\nx\r\n"  # up to the end token


def test_many_keys_at_once(client: Any) -> None:
    values = {f"key{i}": f"value {i}".encode() for i in range(20)}
    assert client.set_many(values) == []  # the keys that failed: none
    assert client.get_many([*values, "nope"]) == values
    assert client.delete_many(list(values)[:10]) is True
    assert client.get_many(list(values)) == dict(list(values.items())[10:])


def test_gets_and_cas(client: Any) -> None:
    client.set("c", b"one")
    value, unique = client.gets("c")
    assert value == b"one"
    assert client.cas("c", b"two", unique) is True
    assert client.cas("c", b"three", unique) is False  # EXISTS: someone stored since
    assert client.get("c") == b"two"
    assert client.cas("never", b"x", unique) is None  # NOT_FOUND
    client.set("d", b"dee")
    many = client.gets_many(["c", "d", "nope"])
    assert set(many) == {"c", "d"}
    assert many["c"][0] == b"two" and many["d"][0] == b"dee"
    assert many["c"][1] != many["d"][1]
    assert client.cas("d", b"new d", many["d"][1]) is True


def test_delete_incr_decr_touch(client: Any) -> None:
    assert client.delete("none") is False
    client.set("n", b"10")
    assert client.incr("n", 5) == 15
    assert client.decr("n", 3) == 12
    assert client.decr("n", 100) == 0  # decr stops at 0
    assert client.incr("absent", 1) is None
    assert client.incr("n", 2**63 - 1) == 2**63 - 1
    assert client.incr("n", 1) == 0  # wraps modulo 2^63 (kv.wyki: WYKI ints are 64-bit signed)
    client.set("word", b"abc")
    with pytest.raises(errors().MemcacheClientError, match="non-numeric"):
        client.incr("word", 1)
    assert client.touch("n", 100) is True
    assert client.touch("absent", 100) is False
    assert client.delete("n") is True
    assert client.get("n") is None


def test_expiry_in_the_past_and_flush_all(client: Any) -> None:
    assert client.set("gone", b"x", expire=-1) is True  # negative: expired at once
    assert client.get("gone") is None
    client.set_many({"a": b"1", "b": b"2"})
    assert client.touch("a", -1) is True
    assert client.get_many(["a", "b"]) == {"b": b"2"}
    assert client.flush_all() is True
    assert client.get_many(["a", "b"]) == {}
    assert client.flush_all(delay=1000) is True  # later: nothing goes yet
    client.set("c", b"3")
    assert client.get("c") == b"3"


def test_noreply_variants(client: Any) -> None:
    assert client.set("q", b"1", noreply=True) is True
    assert client.add("q2", b"2", noreply=True) is True
    assert client.replace("q", b"3", noreply=True) is True
    assert client.append("q", b"4", noreply=True) is True
    assert client.prepend("q", b"5", noreply=True) is True
    assert client.set_many({"m1": b"a", "m2": b"b"}, noreply=True) == []
    assert client.incr("q", 1, noreply=True) is None
    assert client.decr("q", 1, noreply=True) is None
    assert client.touch("q", 60, noreply=True) is True
    assert client.delete("m1", noreply=True) is True
    assert client.delete_many(["m2"], noreply=True) is True
    # Every reply above was suppressed: the next answer is this get's, so nothing is left over.
    assert client.get_many(["q", "q2", "m1", "m2"]) == {"q": b"534", "q2": b"2"}
    assert client.flush_all(noreply=True) is True
    assert client.get("q") is None


def test_values_up_to_the_limit_and_binary_safe(client: Any) -> None:
    every_byte = bytes(range(256)) * (VALUE_MAX // 256)
    assert client.set("bin", every_byte) is True
    assert client.get("bin") == every_byte  # \r\n, \0 and 0xff inside a value are data
    assert client.set("crlf", b"\r\nEND\r\n") is True
    assert client.get("crlf") == b"\r\nEND\r\n"
    assert client.set("empty", b"") is True
    assert client.get("empty") == b""
    long_key = "k" * KEY_MAX
    assert client.set(long_key, b"x" * VALUE_MAX) is True
    assert client.get(long_key) == b"x" * VALUE_MAX
    with pytest.raises(errors().MemcacheServerError, match="object too large for cache"):
        client.set(long_key, b"x" * (VALUE_MAX + 1))
    assert client.get(long_key) is None  # a failed set drops the old value, as memcached
    client.set("half", b"h" * (VALUE_MAX - 1))
    assert client.append("half", b"12") is False  # past VALUE_MAX: NOT_STORED
    assert client.append("half", b"1") is True
    assert len(client.get("half")) == VALUE_MAX


def test_commands_kv_lacks_get_error(client: Any) -> None:
    unknown = errors().MemcacheUnknownCommandError
    for call in (
        client.stats,
        lambda: client.stats("items"),
        lambda: client.cache_memlimit(64),
        lambda: client.raw_command("verbosity 1"),
        lambda: client.raw_command("gat 0 k"),
    ):
        with pytest.raises(unknown):
            call()
    assert client.version() == b"1.6.0-nanowyki"
    assert client.set("still", b"here") is True  # the connection is still in step
    assert client.get("still") == b"here"


def test_quit_closes_and_the_client_reconnects(client: Any, kv: Service) -> None:
    client.set("x", b"1")
    client.quit()
    assert client.sock is None
    assert client.get("x") == b"1"  # a new connection
    assert kv.stats()["accepted"] == 2


def test_shutdown_is_unknown_and_the_server_keeps_running(client: Any, kv: Service) -> None:
    with pytest.raises(errors().MemcacheUnknownCommandError):
        client.shutdown()
    assert kv.proc.poll() is None
    assert client.version() == b"1.6.0-nanowyki"
