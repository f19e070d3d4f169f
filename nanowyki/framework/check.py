"""Prove that a tree belongs to a language.

`check(tree, L)` proves that every node is a production of `L` and that every field holds a value
of its declared type (in typeguard's sense, every element of a tuple). The first offence raises
`ILCheckError` naming the node, its path from the root, its source span and the pass that
produced the tree.

Checking is incremental, the nanopass way. A pass rebuilds only the forms it changes; a subtree it
keeps is the very object it was given, proved already to belong to the pass's input language.
Every node remembers the last language it was proved to belong to, and a proved subtree belongs
to another language too when every production in it (the set each node caches, see
`node.subtree_productions`) is in that language with the same field types. The checker walks
down only to such subtrees: proving a pass's output costs in proportion to what the pass built,
with the same guarantee as walking the whole tree. Field types are tested with `isinstance`
tests compiled from them (`fieldtypes`); typeguard judges a value a test rejects.
"""

from __future__ import annotations

import enum
from typing import Any

from typeguard import CollectionCheckStrategy, TypeCheckError, check_type

from .errors import ILCheckError
from .fieldtypes import Test
from .language import Language
from .node import Node, children, field_tests, iter_children, production_bit, subtree_productions


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

    def fail(n: Node, reason: str) -> ILCheckError:
        return ILCheckError(
            language=language.name,
            path=_path_to(tree, n),
            node=type(n).__name__,
            span=str(n.span) if n.span else None,
            reason=reason,
            produced_by=produced_by,
        )

    if not isinstance(tree, language.root):
        raise fail(tree, f"the root must be a {language.root.__name__}")
    tests = _tests(language)
    proved: list[Node] = []
    stack = [tree]
    while stack:
        n = stack.pop()
        if _proved(n, language):
            continue
        fields = tests.get(type(n))
        if fields is None:
            raise fail(n, f"not a production of {language.name}")
        for name, hint, test in fields:
            value = getattr(n, name)
            if test(value):
                continue
            try:  # typeguard has the last word (see fieldtypes)
                check_type(value, hint, collection_check_strategy=CollectionCheckStrategy.ALL_ITEMS)
            except TypeCheckError as err:
                raise fail(n, f"field '{name}': {err}") from None
        proved.append(n)
        below = children(n)
        below.reverse()  # popped left to right: the first offence in print order is reported
        stack.extend(below)
    for n in proved:
        object.__setattr__(n, "_proved_in", language)


def _proved(n: Node, language: Language) -> bool:
    """Whether the subtree `n` is known to belong to `language` (and remembers so)."""
    before = getattr(n, "_proved_in", None)
    if before is language:
        return True
    if before is None or subtree_productions(n) & ~_carried_over(before, language):
        return False
    object.__setattr__(n, "_proved_in", language)
    return True


_FieldTests = dict[type[Node], tuple[tuple[str, Any, Test], ...]]
_tests_by_language: dict[Language, _FieldTests] = {}
_carried: dict[tuple[Language, Language], int] = {}


def _tests(language: Language) -> _FieldTests:
    """The field tests of every production of `language`."""
    tests = _tests_by_language.get(language)
    if tests is None:
        tests = {p: field_tests(language.hints(p)) for p in language.productions}
        _tests_by_language[language] = tests
    return tests


def _carried_over(before: Language, after: Language) -> int:
    """The productions (as `production_bit`s) whose nodes, proved in `before`, belong to
    `after` without a second look: those of both languages with the same field types."""
    key = (before, after)
    bits = _carried.get(key)
    if bits is None:
        bits = 0
        for p in before.productions & after.productions:
            if before.hints(p) == after.hints(p):
                bits |= production_bit(p)
        _carried[key] = bits
    return bits


def _path_to(tree: Node, target: Node) -> str:
    """The path of `target` from the root (`Program.body.args[1]`): looked for only when
    reporting, so that the walk need not carry a path for every node."""
    stack = [(type(tree).__name__, tree)]
    while stack:
        path, n = stack.pop()
        if n is target:
            return path
        below = [(path + step, child) for step, child in iter_children(n)]
        below.reverse()
        stack.extend(below)
    raise AssertionError("the node reported is in the tree")
