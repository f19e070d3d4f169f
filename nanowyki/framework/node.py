"""Immutable IL nodes.

A *nonterminal* is a plain subclass of `Node` (it declares nothing); a *production* is a frozen,
slotted dataclass made with `@node` that subclasses a nonterminal::

    class Expr(Node):
        "An expression."

    @node
    class Add(Expr):
        left: Expr
        right: Expr

Every node has a keyword-only `span` (its source position). Spans take no part in equality, and
passes keep them without effort (see `passes.Rewriter`). Field types are ordinary annotations;
the checker (`check.check`) enforces them with typeguard, and the printer and reader
(`printer`) use them to print and read every language without per-language code.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, TypeVar, dataclass_transform

from typeguard import TypeCheckError

from .errors import ILCheckError
from .fieldtypes import Test, check_value, compile_type
from .span import Span

# Checking on every node construction is a debugging level: it costs a type test per field.
# The value is the name of the pass building nodes (for the message), or None when off.
# While a pass runs with checking on every construction: (the pass's name, its output language).
construct_checking: ContextVar[tuple[str, str] | None] = ContextVar(
    "construct_checking", default=None
)


class _NodeMeta(type):
    """Gives every Node subclass `__slots__ = ()` unless it declares its own, so that nonterminal
    classes do not add a per-instance `__dict__` to the productions below them."""

    def __new__(mcs, name: str, bases: tuple[type, ...], ns: dict[str, Any], **kw: Any) -> type:
        ns.setdefault("__slots__", ())
        return super().__new__(mcs, name, bases, ns, **kw)


class _Base(metaclass=_NodeMeta):
    # What a node knows about the subtree below it, filled in on first use (see "Subtree facts"
    # below and `check.check`). A node never changes, so neither do these.
    __slots__ = ("_productions", "_proved_in", "_size")
    _size: int  # how many nodes the subtree has; 0 until summed up
    _productions: int  # which productions occur in it, one bit each (`production_bit`)
    _proved_in: object  # the last Language the subtree was proved to belong to, or None


T = TypeVar("T", bound=type)


@dataclass_transform(frozen_default=True, field_specifiers=(field,))
def _slotted(cls: T) -> T:
    """Apply a frozen slotted dataclass to `cls`, dropping the empty `__slots__` the metaclass
    gave it (dataclass refuses a class that already names its slots).

    Marked as a dataclass transform so that type checkers see `Node` as a dataclass and know
    the keyword-only `span` of every production's constructor."""
    if cls.__dict__.get("__slots__") == ():
        del cls.__slots__  # type: ignore[attr-defined]
    return typing.cast(T, dataclass(frozen=True, slots=True)(cls))


@_slotted
class Node(_Base):
    """Base of every IL node."""

    span: Span | None = field(default=None, kw_only=True, compare=False, repr=False)

    def __post_init__(self) -> None:
        # Set, not left empty: reading an empty slot raises, and catching that costs 5x more.
        object.__setattr__(self, "_size", 0)
        object.__setattr__(self, "_proved_in", None)
        building = construct_checking.get()
        if building is not None:
            check_fields(self, *building)


N = TypeVar("N", bound=type[Node])


@dataclass_transform(frozen_default=True, field_specifiers=(field,))
def node(cls: N) -> N:
    """Make `cls` a production: a frozen, slotted dataclass."""
    made = _slotted(cls)
    made.__production__ = True  # type: ignore[attr-defined]  # a marker, read by is_production
    production_bit(made)
    return made


def is_production(cls: type) -> bool:
    return isinstance(cls, type) and issubclass(cls, Node) and "__production__" in cls.__dict__


def is_nonterminal(cls: type) -> bool:
    return (
        isinstance(cls, type)
        and issubclass(cls, Node)
        and cls is not Node
        and "__production__" not in cls.__dict__
    )


def nonterminal_of(cls: type[Node]) -> type[Node]:
    """The nearest nonterminal above production `cls`."""
    for base in cls.__mro__[1:]:
        if is_nonterminal(base):
            return base
    raise TypeError(f"production {cls.__name__} does not subclass a nonterminal")


# ---------------------------------------------------------------------------------------------
# Field introspection, cached per class.

_hints: dict[type, dict[str, Any]] = {}
_child_fields: dict[type, tuple[str, ...]] = {}


def field_hints(cls: type[Node]) -> dict[str, Any]:
    """The resolved type of every field but `span`, in declaration order."""
    hints = _hints.get(cls)
    if hints is None:
        resolved = typing.get_type_hints(cls)
        hints = {f.name: resolved[f.name] for f in dataclasses.fields(cls) if f.name != "span"}
        _hints[cls] = hints
    return hints


def _mentions_node(hint: Any) -> bool:
    if isinstance(hint, type):
        return issubclass(hint, Node)
    return any(_mentions_node(arg) for arg in typing.get_args(hint))


def child_fields(cls: type[Node]) -> tuple[str, ...]:
    """The fields whose type can hold nodes (directly, in a tuple, or optionally)."""
    names = _child_fields.get(cls)
    if names is None:
        names = tuple(n for n, h in field_hints(cls).items() if _mentions_node(h))
        _child_fields[cls] = names
    return names


def field_values(n: Node) -> tuple[Any, ...]:
    return tuple(getattr(n, name) for name in field_hints(type(n)))


_field_tests: dict[type, tuple[tuple[str, Any, Test], ...]] = {}


def field_tests(hints: dict[str, Any]) -> tuple[tuple[str, Any, Test], ...]:
    """`(name, type, compiled test)` for each field in `hints`."""
    return tuple((name, hint, compile_type(hint)) for name, hint in hints.items())


def check_fields(n: Node, pass_name: str | None = None, language: str = "?") -> None:
    """Check the type of each field of `n` (one level, not its children): `ILCheckError` if
    one is wrong, naming the node's span and `pass_name`, the pass building it."""
    cls = type(n)
    tests = _field_tests.get(cls)
    if tests is None:
        tests = _field_tests[cls] = field_tests(field_hints(cls))
    for name, hint, test in tests:
        try:
            check_value(getattr(n, name), hint, test)
        except TypeCheckError as err:
            raise ILCheckError(
                language=language, path="the node being constructed", node=cls.__name__,
                span=str(n.span) if n.span is not None else None,
                reason=f"field {name}: {err}", produced_by=pass_name,
            ) from None  # fmt: skip


def hint_name(hint: Any) -> str:
    """A short readable name for a field type: `tuple[Expr, ...]`, `Expr | None`."""
    if hint is type(None):
        return "None"
    if isinstance(hint, type):
        return hint.__name__
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        return " | ".join(hint_name(a) for a in typing.get_args(hint))
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return f"tuple[{hint_name(args[0])}, ...]"
        return f"tuple[{', '.join(hint_name(a) for a in args)}]"
    if origin is typing.Literal:
        return " | ".join(repr(a) for a in args)
    return str(hint)


# ---------------------------------------------------------------------------------------------
# Generic traversal helpers.


def map_children(n: Node, fn: Callable[[Node], Any]) -> Node:
    """Rebuild `n` with `fn` applied to every child node; `n` itself if nothing changed.

    `fn` may return a tuple for a child that stands in a tuple field: it is spliced in place.
    """
    cls = type(n)
    changes: dict[str, Any] = {}
    for name in child_fields(cls):
        old = getattr(n, name)
        new = _map_value(old, fn)
        if new is not old:
            changes[name] = new
    if not changes:
        return n
    return dataclasses.replace(n, **changes)


def _map_value(value: Any, fn: Callable[[Node], Any]) -> Any:
    if isinstance(value, Node):
        out = fn(value)
        if isinstance(out, tuple):
            name = type(value).__name__
            raise TypeError(f"a {name} outside a tuple cannot be replaced by several nodes")
        return out
    if isinstance(value, tuple):
        items: list[Any] = []
        changed = False
        for item in value:
            if isinstance(item, Node):
                new = fn(item)
                if isinstance(new, tuple):
                    items.extend(new)
                    changed = True
                    continue
            else:
                new = _map_value(item, fn)
            changed = changed or new is not item
            items.append(new)
        return tuple(items) if changed else value
    return value


def iter_children(n: Node) -> typing.Iterator[tuple[str, Node]]:
    """Yield `(path step, child)` for every child node, in field order."""
    for name in child_fields(type(n)):
        yield from _iter_value(getattr(n, name), f".{name}")


def _iter_value(value: Any, step: str) -> typing.Iterator[tuple[str, Node]]:
    if isinstance(value, Node):
        yield step, value
    elif isinstance(value, tuple):
        for i, item in enumerate(value):
            yield from _iter_value(item, f"{step}[{i}]")


def children(n: Node) -> list[Node]:
    """The child nodes of `n`, in field order (`iter_children` without the paths)."""
    found: list[Node] = []
    for name in child_fields(type(n)):
        value = getattr(n, name)
        if isinstance(value, Node):
            found.append(value)
        elif isinstance(value, tuple):
            _collect(value, found)
    return found


def _collect(items: tuple[Any, ...], found: list[Node]) -> None:
    for item in items:
        if isinstance(item, Node):
            found.append(item)
        elif isinstance(item, tuple):
            _collect(item, found)


def walk(n: Node) -> typing.Iterator[Node]:
    """Every node of the tree, parents before children."""
    stack = [n]
    while stack:
        top = stack.pop()
        yield top
        below = children(top)
        below.reverse()
        stack.extend(below)


# ---------------------------------------------------------------------------------------------
# Subtree facts. Each node caches its subtree's size and the set of productions in it (a bit
# per production class), computed from its children's: a pass rebuilds only what it changes,
# so after the first pass, summing up a pass's output costs in proportion to the nodes it built.

_production_bits: dict[type, int] = {}


def production_bit(cls: type[Node]) -> int:
    """The bit that stands for production `cls` in `subtree_productions` (given out when the
    production is declared)."""
    bit = _production_bits.get(cls)
    if bit is None:
        bit = _production_bits[cls] = 1 << len(_production_bits)
    return bit


def production_bits() -> dict[type, int]:
    """Every production declared so far, with its bit."""
    return _production_bits


def summarize(root: Node) -> int:
    """Fill in the size and productions of every node under `root` that lacks them (the nodes
    built since the tree was last summed up). Returns how many there were."""
    if getattr(root, "_size", 0):
        return 0
    return _summarize(root)


def _summarize(n: Node) -> int:
    # Recursive: as deep as the tree, like every walk that rebuilds it (`Rewriter`).
    built = 1
    size = 1
    productions = production_bit(type(n))
    for c in children(n):
        if not getattr(c, "_size", 0):  # (a node unpickled has no facts at all)
            built += _summarize(c)
        size += c._size
        productions |= c._productions
    object.__setattr__(n, "_size", size)
    object.__setattr__(n, "_productions", productions)
    return built


def count_nodes(n: Node) -> int:
    """How many nodes the tree has (a node that occurs twice counts twice)."""
    summarize(n)
    return n._size


def subtree_productions(n: Node) -> int:
    """The productions that occur under `n`, as a union of `production_bit`s."""
    summarize(n)
    return n._productions


_kinds: dict[tuple[type, ...], tuple[int, int]] = {}


def productions_of(kinds: tuple[type, ...]) -> int:
    """The productions (as `production_bit`s) that are instances of one of `kinds`."""
    known = _kinds.get(kinds)
    if known is not None and known[0] == len(_production_bits):  # none declared since
        return known[1]
    mask = 0
    for cls, bit in _production_bits.items():
        if issubclass(cls, kinds):
            mask |= bit
    _kinds[kinds] = (len(_production_bits), mask)
    return mask


def occurs_in(n: Node, kinds: tuple[type, ...]) -> bool:
    """Whether a node of one of `kinds` (productions or nonterminals) is in the subtree `n`:
    a look at its summary, not a walk."""
    return bool(subtree_productions(n) & productions_of(kinds))


K = TypeVar("K")


def find_all(n: Node, kinds: tuple[type[K], ...]) -> typing.Iterator[K]:
    """Every node of one of `kinds` in the subtree `n`, parents before children (as `walk`
    finds them), going down only into subtrees that hold one."""
    wanted = productions_of(kinds)
    summarize(n)
    stack = [n]
    while stack:
        top = stack.pop()
        if isinstance(top, kinds):
            yield typing.cast(K, top)
        below = [c for c in children(top) if c._productions & wanted]
        below.reverse()
        stack.extend(below)
