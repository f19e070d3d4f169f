"""Field types as fast tests.

The checker asks, for every field of every node it proves, whether the value has the field's
declared type. typeguard answers any type but costs microseconds a call; the field types of ILs
have a handful of shapes (a class, a union, a `Literal`, `tuple[T, ...]`), and for those
`compile_type` builds a plain test out of `isinstance` calls:

    test = compile_type(tuple[Expr, ...])
    test((Int(1), Var("x")))  # True

A compiled test never accepts what typeguard rejects; it may reject what typeguard accepts
(typeguard takes a `bytearray` for `bytes`, an `int` for `float`), so callers ask typeguard
about every value a test rejects, and typeguard has the last word and writes the message
(`check_value`). A shape not compiled here gets a test that rejects everything: typeguard
decides every value.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Callable
from typing import Any

from typeguard import CollectionCheckStrategy, check_type

Test = Callable[[Any], bool]


def compile_type(hint: Any) -> Test:
    """A fast test for values of type `hint` (see the module docstring)."""
    return _compile(hint) or _undecided


def _undecided(value: Any) -> bool:
    return False


def _compile(hint: Any) -> Test | None:
    """A test for values of type `hint`, or None for a shape not compiled here."""
    classes = _classes(hint)
    if classes is not None:
        return lambda value: isinstance(value, classes)
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin is typing.Literal:
        return _literal(args)
    if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
        item = _compile(args[0])
        if item is None:
            return None
        return lambda value: isinstance(value, tuple) and all(map(item, value))
    if origin is types.UnionType or origin is typing.Union:
        arms = [_compile(arg) for arg in args]
        if any(arm is None for arm in arms):
            return None
        tests = typing.cast(list[Test], arms)
        return lambda value: any(test(value) for test in tests)
    return None


# The leaf types a field may hold besides nodes: immutable, and printable by the printer.
ATOMS = (bool, int, str, bytes, type(None))


def unsupported(hint: Any) -> str | None:
    """Why `hint` cannot be a field's type, or None when it can. A field holds a node, one of
    `ATOMS`, a `Literal` of atoms, a tuple of those (`tuple[T, ...]` or `tuple[A, B]`), or a
    union of those: immutable values that the checker can prove and the printer print. A
    `list` or `dict` field would make a frozen node mutable and hide nodes from traversal."""
    if hint is None or (isinstance(hint, type) and typing.get_origin(hint) is None):
        if hint is None or issubclass(hint, ATOMS) or _is_node_class(hint):
            return None
        return f"{hint.__name__} is not a node type, bool, int, str, bytes or None"
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is typing.Literal:
        bad = [a for a in _literal_values(args) if not isinstance(a, ATOMS)]
        return f"a Literal of {bad[0]!r}" if bad else None
    if origin in (tuple, types.UnionType, typing.Union) and args:
        items = args[:1] if origin is tuple and args[-1] is Ellipsis else args
        return next((why for why in map(unsupported, items) if why is not None), None)
    return f"{hint!r} is not supported (use a tuple for a sequence; nodes are immutable)"


def _is_node_class(cls: type) -> bool:
    from .node import Node  # the node module imports this one

    return issubclass(cls, Node)


def check_value(value: Any, hint: Any, test: Test) -> None:
    """Raise typeguard's `TypeCheckError` unless `value` has type `hint`; `test` (from
    `compile_type(hint)`) decides first when it can."""
    if not test(value):
        check_type(value, hint, collection_check_strategy=CollectionCheckStrategy.ALL_ITEMS)


def _classes(hint: Any) -> tuple[type, ...] | None:
    """The classes whose instances are exactly the values of `hint` (a class, None, or a union
    of those), when typeguard checks `hint` with nothing more than `isinstance`."""
    if hint is None or hint is type(None):
        return (type(None),)
    if isinstance(hint, type) and typing.get_origin(hint) is None:
        return (hint,) if _plain(hint) else None
    if typing.get_origin(hint) in (types.UnionType, typing.Union):
        found: list[type] = []
        for arg in typing.get_args(hint):
            classes = _classes(arg)
            if classes is None:
                return None
            found.extend(classes)
        return tuple(found)
    return None


def _plain(cls: type) -> bool:
    """Whether typeguard's test for instances of `cls` is `isinstance` or looser. It is
    stricter for protocols (it compares signatures), named tuples (it checks their fields) and
    typed dicts (their keys)."""
    return not getattr(cls, "_is_protocol", False) and not issubclass(cls, (tuple, dict))


def _literal(args: tuple[Any, ...]) -> Test:
    """`Literal[...]`: typeguard accepts a value equal to an argument and of its exact type
    (so `True` is not `Literal[1]`)."""
    allowed = {(type(arg), arg) for arg in _literal_values(args)}

    def test(value: Any) -> bool:
        try:
            return (type(value), value) in allowed
        except TypeError:  # unhashable, so none of them
            return False

    return test


def _literal_values(args: tuple[Any, ...]) -> typing.Iterator[Any]:
    for arg in args:
        if typing.get_origin(arg) is typing.Literal:
            yield from _literal_values(typing.get_args(arg))
        else:
            yield arg
