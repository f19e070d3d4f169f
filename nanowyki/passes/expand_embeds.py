"""expand-embeds: read the files named by `embed("path")` into byte string literals."""

from __future__ import annotations

import errno
import stat
from pathlib import Path

from nanowyki.framework import CompileError, Diagnostic, Node, Transform
from nanowyki.languages import surface as S

MAX_EMBED = 1 << 20  # the largest byte string a program can hold: bytes[1 048 576]


class ExpandEmbeds(Transform):
    """Surface -> Surface: replace each embed("path") by the bytes of the file.

    Establishes: no `Embed` is left; each became a `BytesLit` holding the file's bytes, with the
    span of the `embed(...)`. The path is relative to the directory of the source file (the
    file of the `Service`'s span; the current directory for a tree without spans).
    Reports: every file that cannot be read, is not a regular file (a device or a pipe could
    block the compiler or never end) or is larger than 1 MiB (rule 17), all together.

        (Const LOGO nil (Embed "www/logo.png"))  =>  (Const LOGO nil (BytesLit #"\\x89PNG..."))
    """

    name = "expand-embeds"
    input = S.Surface
    output = S.Surface

    def transform(self, tree: Node) -> Node:
        self.problems: list[Diagnostic] = []
        self.base = Path(tree.span.file).parent if tree.span else Path(".")
        out = self.visit(tree)
        if self.problems:
            raise CompileError(self.problems)
        assert isinstance(out, Node)
        return out

    def Embed(self, e: S.Embed) -> S.Expr:
        try:
            data = read_embedded(self.base / e.path)
        except OSError as err:
            reason = err.strerror or str(err)
            message = f"cannot read embedded file '{e.path}': {reason}"
            self.problems.append(Diagnostic(e.span, message))
            return e
        except _TooLarge as err:
            self.problems.append(Diagnostic(e.span, (
                f"embedded file '{e.path}' is too large: {err.size} bytes, "
                f"at most {MAX_EMBED} bytes can be embedded")))  # fmt: skip
            return e
        return S.BytesLit(data, span=e.span)


def read_embedded(path: Path) -> bytes:
    """The bytes of the regular file at `path`: never waits on a pipe or reads a device
    forever, never reads more than MAX_EMBED + 1 bytes (the file may grow after `stat`)."""
    mode = path.stat().st_mode
    if stat.S_ISDIR(mode):
        raise IsADirectoryError(errno.EISDIR, "Is a directory")
    if not stat.S_ISREG(mode):
        raise OSError(errno.EINVAL, "not a regular file (a device or a pipe cannot be embedded)")
    with path.open("rb") as f:
        data = f.read(MAX_EMBED + 1)
    if len(data) > MAX_EMBED:
        raise _TooLarge(max(len(data), path.stat().st_size))
    return data


class _TooLarge(Exception):
    def __init__(self, size: int) -> None:
        super().__init__(size)
        self.size = size
