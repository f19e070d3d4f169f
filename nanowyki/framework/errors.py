"""Errors raised by the framework.

Three kinds, kept apart because they mean different things to a user:

- `ILCheckError`: a pass produced a tree outside its declared output language (a compiler bug,
  found by the checker);
- `PipelineError`: a pipeline was built or driven wrongly (a mismatch between passes, an unknown
  pass name): the message names what to fix;
- `InternalError`: a pass met a form it cannot handle (a compiler bug, named by pass and node).

User diagnostics about a bad *program* live in `nanowyki.framework.diagnostics`.
"""

from __future__ import annotations


class FrameworkError(Exception):
    """Base of the framework's own errors."""


class PipelineError(FrameworkError):
    """A pipeline was built or run with inconsistent or unknown passes."""


class InternalError(FrameworkError):
    """A compiler bug: a pass met a node it cannot handle."""

    def __init__(self, pass_name: str, message: str) -> None:
        super().__init__(f"internal error in pass {pass_name}: {message}")
        self.pass_name = pass_name


class ReadError(FrameworkError):
    """Printed IL text that does not read back as a tree of the language."""

    def __init__(self, message: str, line: int, col: int, source: str = "<il>") -> None:
        super().__init__(f"{source}:{line}:{col}: {message}")
        self.line = line
        self.col = col


class ILCheckError(FrameworkError):
    """A tree that does not belong to the language it was checked against."""

    def __init__(
        self,
        *,
        language: str,
        path: str,
        node: str,
        span: str | None,
        reason: str,
        produced_by: str | None,
    ) -> None:
        where = f" ({span})" if span else ""
        by = f"pass '{produced_by}' produced a tree outside" if produced_by else "tree is not in"
        super().__init__(f"{by} language {language}: at {path}{where}: {node}: {reason}")
        self.language = language
        self.path = path
        self.node = node
        self.span = span
        self.reason = reason
        self.produced_by = produced_by
