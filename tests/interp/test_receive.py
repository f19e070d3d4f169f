"""The receive operations as data: when they complete, with what, and how much they consume."""

from __future__ import annotations

import pytest

from nanowyki.interp.receive import Exact, Line, Need, Outcome, Some, Until, attempt

NONE = Outcome(None, 0)


@pytest.mark.parametrize(
    ("need", "inbox", "eof", "outcome"),
    [
        # recv_line
        (Line(10), b"abc\r\nrest", False, Outcome(b"abc", 5)),
        (Line(10), b"abc\nrest", False, Outcome(b"abc", 4)),
        (Line(10), b"\r\n", False, Outcome(b"", 2)),
        (Line(10), b"a\rb\n", False, Outcome(b"a\rb", 4)),  # only a \r just before \n goes
        (Line(10), b"abc", False, None),  # wait for the end of the line
        (Line(10), b"abc", True, NONE),  # end of input without a whole line
        (Line(3), b"abc\r\n", False, Outcome(b"abc", 5)),  # exactly N bytes fit
        (Line(3), b"abc\r", False, None),  # the \n may still come
        (Line(3), b"abcd\n", False, NONE),  # too long
        (Line(3), b"abcd", False, NONE),  # no line can end within 3 bytes
        (Line(3), b"abc\rx", False, NONE),
        (Line(10), b"", True, NONE),
        # recv_until
        (Until(b"::", 5), b"ab::cd", False, Outcome(b"ab", 4)),
        (Until(b"::", 5), b"ab:", False, None),
        (Until(b"::", 2), b"abc", False, None),  # "ab" + "::" could still come? no: 'c'
        (Until(b"::", 2), b"abcd", False, NONE),
        (Until(b"::", 2), b"abc::", False, NONE),  # found, but 3 bytes before it
        (Until(b"::", 5), b"ab", True, NONE),
        # recv_exact
        (Exact(3, 10), b"abcd", False, Outcome(b"abc", 3)),
        (Exact(3, 10), b"ab", False, None),
        (Exact(3, 10), b"ab", True, NONE),
        (Exact(0, 10), b"", False, Outcome(b"", 0)),
        (Exact(-1, 10), b"abc", False, NONE),
        (Exact(11, 10), b"a" * 20, False, NONE),
        # recv
        (Some(4), b"abcdef", False, Outcome(b"abcd", 4)),
        (Some(4), b"ab", False, Outcome(b"ab", 2)),
        (Some(4), b"", False, None),
        (Some(4), b"", True, NONE),
        (Some(4), b"ab", True, Outcome(b"ab", 2)),  # data before end of input is still read
    ],
)
def test_attempt(need: Need, inbox: bytes, eof: bool, outcome: Outcome | None) -> None:
    assert attempt(need, bytearray(inbox), eof) == outcome


def test_until_waits_while_the_delimiter_can_still_fit() -> None:
    # "ab" then "::" would fit in a bound of 2; with "abc" the delimiter can no longer start
    # within 2 bytes only once 2 + len("::") bytes have arrived without it.
    assert attempt(Until(b"::", 2), b"abc", False) is None
    assert attempt(Until(b"::", 2), b"abc:", False) == NONE
