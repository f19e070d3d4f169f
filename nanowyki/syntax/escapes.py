"""Escapes in byte string and character literals: `\\r \\n \\t \\0 \\\\ \\" \\' \\xHH`.

Any other backslash sequence is an error. Characters outside escapes stand for their UTF-8
encoding, so a literal's value is always `bytes`.
"""

from __future__ import annotations

from .positions import SourceMap

SIMPLE = {"r": b"\r", "n": b"\n", "t": b"\t", "0": b"\0", "\\": b"\\", '"': b'"', "'": b"'"}
HEX_DIGITS = "0123456789abcdefABCDEF"
ESCAPES_HINT = "the escapes are \\r \\n \\t \\0 \\\\ \\\" \\' and \\xHH (two hexadecimal digits)"


def decode(source: SourceMap, start: int, end: int) -> bytes:
    """The bytes written by `source.text[start:end]` (a literal's body, without its quotes).

    Raises a `SyntaxProblem` at the first bad escape.
    """
    text = source.text
    out = bytearray()
    i = start
    while i < end:
        ch = text[i]
        if ch != "\\":
            out += ch.encode("utf-8")
            i += 1
            continue
        code = text[i + 1] if i + 1 < end else ""
        if code in SIMPLE:
            out += SIMPLE[code]
            i += 2
        elif code == "x":
            digits = text[i + 2 : min(i + 4, end)]
            if len(digits) != 2 or any(d not in HEX_DIGITS for d in digits):
                raise source.problem(
                    i, i + 2, "'\\x' must be followed by two hexadecimal digits", ESCAPES_HINT
                )
            out.append(int(digits, 16))
            i += 4
        else:
            raise source.problem(i, i + 2, f"unknown escape '\\{code}'", ESCAPES_HINT)
    return bytes(out)
