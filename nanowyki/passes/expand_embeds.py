"""expand-embeds: read the files named by `embed("path")` into byte string literals."""

from __future__ import annotations

from pathlib import Path

from nanowyki.framework import CompileError, Diagnostic, Node, Transform
from nanowyki.languages import surface as S

MAX_EMBED = 1 << 20  # the largest byte string a program can hold: bytes[1 048 576]


class ExpandEmbeds(Transform):
    """Surface -> Surface: replace each embed("path") by the bytes of the file.

    Establishes: no `Embed` is left; each became a `BytesLit` holding the file's bytes, with the
    span of the `embed(...)`. The path is relative to the directory of the source file (the
    file of the `Service`'s span; the current directory for a tree without spans).
    Reports: every file that cannot be read or is larger than 1 MiB (rule 17), all together.

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
        path = self.base / e.path
        try:
            size = path.stat().st_size
            if size > MAX_EMBED:
                self.problems.append(
                    Diagnostic(
                        e.span,
                        f"embedded file '{e.path}' is too large: {size} bytes, "
                        f"at most {MAX_EMBED} bytes can be embedded",
                    )
                )
                return e
            data = path.read_bytes()
        except OSError as err:
            reason = err.strerror or str(err)
            self.problems.append(
                Diagnostic(e.span, f"cannot read embedded file '{e.path}': {reason}")
            )
            return e
        return S.BytesLit(data, span=e.span)
