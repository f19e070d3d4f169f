"""The receive operations (`recv_line`, `recv_until`, `recv_exact`, `recv`) as data.

A `Need` says what a waiting session needs from its connection's input. `attempt(need, inbox,
eof)` decides, without waiting, whether the receive can complete now:

- `None`: not yet (more input could still complete it);
- `Outcome(value, consumed)`: it completes with `value` (`None` is WYKI's `none`), taking
  `consumed` bytes from the front of the input.

The scheduler uses it to know whether a session waiting for input is runnable, and every
interpreter uses it to perform the receive, so both agree byte for byte. Timeouts are not here:
a receive whose deadline passes while `attempt` says `None` gives `none` (the caller's job).

Exact rules (docs/language.md, "Blocking operations"):

- `Line(N)`: up to the first `\\n`; the value drops the `\\n` and one `\\r` before it. `none`
  when the line's content is longer than `N` (then no line can end within `N` bytes; the bytes
  stay unread), or at end of input without a complete line.
- `Until(d, N)`: the bytes before the first occurrence of `d`, which is consumed; `none` if
  those bytes are more than `N`, or at end of input without `d`.
- `Exact(n, N)`: exactly `n` bytes; `none` at once if `n < 0` or `n > N`, or at end of input
  with fewer than `n` bytes (they stay unread).
- `Some(N)`: 1 to `N` bytes, whatever has arrived; `none` at end of input with nothing left.
"""

from __future__ import annotations

from dataclasses import dataclass


class Need:
    """What a receive needs."""


@dataclass(frozen=True)
class Line(Need):
    limit: int


@dataclass(frozen=True)
class Until(Need):
    delim: bytes
    limit: int


@dataclass(frozen=True)
class Exact(Need):
    count: int
    limit: int


@dataclass(frozen=True)
class Some(Need):
    limit: int


@dataclass(frozen=True)
class Outcome:
    value: bytes | None  # None: the receive gives `none`
    consumed: int


_NONE = Outcome(None, 0)


def attempt(need: Need, inbox: bytes | bytearray, eof: bool) -> Outcome | None:
    """The outcome of `need` on this input now, or None if it must wait for more."""
    match need:
        case Line(limit):
            at = inbox.find(b"\n")
            if at >= 0:
                end = at - 1 if at > 0 and inbox[at - 1] == 0x0D else at
                return Outcome(bytes(inbox[:end]), at + 1) if end <= limit else _NONE
            # Without a '\n', a line that fits needs at most `limit` bytes and a '\r'.
            if len(inbox) > limit + 1 or (len(inbox) == limit + 1 and inbox[limit] != 0x0D):
                return _NONE
            return _NONE if eof else None
        case Until(delim, limit):
            at = inbox.find(delim)
            if at >= 0:
                return Outcome(bytes(inbox[:at]), at + len(delim)) if at <= limit else _NONE
            if len(inbox) >= limit + len(delim):
                return _NONE
            return _NONE if eof else None
        case Exact(count, limit):
            if count < 0 or count > limit:
                return _NONE
            if len(inbox) >= count:
                return Outcome(bytes(inbox[:count]), count)
            return _NONE if eof else None
        case Some(limit):
            if inbox:
                n = min(limit, len(inbox))
                return Outcome(bytes(inbox[:n]), n)
            return _NONE if eof else None
        case _:
            raise TypeError(f"not a receive need: {need!r}")


def describe(need: Need) -> str:
    """A short text for logs: `a line of at most 8192 bytes`."""
    match need:
        case Line(limit):
            return f"a line of at most {limit} bytes"
        case Until(delim, limit):
            return f"at most {limit} bytes before {delim!r}"
        case Exact(count, _):
            return f"exactly {count} bytes"
        case Some(limit):
            return f"1 to {limit} bytes"
        case _:
            return repr(need)
