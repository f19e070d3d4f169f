"""Prove that a tree belongs to a language.

`check(tree, L)` walks the whole tree: every node must be a production of `L`, and every field
must hold a value of its declared type (checked with typeguard, every element of a tuple). The
first offence raises `ILCheckError` naming the node, its path from the root, its source span and
the pass that produced the tree.
"""

from __future__ import annotations

import enum

from typeguard import CollectionCheckStrategy, TypeCheckError, check_type

from .errors import ILCheckError
from .language import Language
from .node import Node, iter_children


class CheckLevel(enum.Enum):
    """How much checking a pipeline run does."""

    OFF = "off"  # trust every pass
    BOUNDARY = "boundary"  # check each pass's output against its output language
    CONSTRUCT = "construct"  # also type-check every node as it is built

    @classmethod
    def parse(cls, text: str) -> CheckLevel:
        try:
            return cls(text)
        except ValueError:
            names = ", ".join(level.value for level in cls)
            raise ValueError(f"unknown check level '{text}' (choose from {names})") from None


def check(tree: Node, language: Language, *, produced_by: str | None = None) -> None:
    """Raise `ILCheckError` unless `tree` is a tree of `language`."""

    def fail(path: str, n: Node, reason: str) -> ILCheckError:
        return ILCheckError(
            language=language.name,
            path=path,
            node=type(n).__name__,
            span=str(n.span) if n.span else None,
            reason=reason,
            produced_by=produced_by,
        )

    if not isinstance(tree, language.root):
        raise fail(type(tree).__name__, tree, f"the root must be a {language.root.__name__}")
    stack: list[tuple[str, Node]] = [(type(tree).__name__, tree)]
    while stack:
        path, n = stack.pop()
        cls = type(n)
        if cls not in language.productions:
            raise fail(path, n, f"not a production of {language.name}")
        for name, hint in language.hints(cls).items():
            try:
                check_type(
                    getattr(n, name),
                    hint,
                    collection_check_strategy=CollectionCheckStrategy.ALL_ITEMS,
                )
            except TypeCheckError as err:
                raise fail(path, n, f"field '{name}': {err}") from None
        children = [(path + step, child) for step, child in iter_children(n)]
        stack.extend(reversed(children))
