"""A small language with every kind of field the printer and reader support: bytes, bool,
optional values, fixed and variable tuples, literals and trailing defaults.

    (Doc title [(Blob #"\\x00ab" #t) (Pair (Tags [a "b c"] [1 2]) nil)])
"""

from __future__ import annotations

from typing import Literal

from nanowyki.framework import Language, Node, node


class Top(Node):
    """A document."""


class Item(Node):
    """One item of a document."""


@node
class Doc(Top):
    title: str
    items: tuple[Item, ...]


@node
class Blob(Item):
    data: bytes
    flag: bool
    note: str | None = None
    count: int = 0


@node
class Pair(Item):
    left: Item
    right: Item | None


@node
class Tags(Item):
    names: tuple[str, ...]
    pos: tuple[int, int]
    kind: Literal["a", "b"] = "a"


@node
class Typed(Item):
    """An item whose `ty` is filled in by a later language (None before)."""

    value: int
    ty: str | None = None


Sample = Language("Sample", [Doc, Blob, Pair, Tags, Typed], root=Doc)
SampleTyped = Sample.extend("SampleTyped", refine={Item: {"ty": str}})
