"""Facts as text: what a dump carries besides its tree.

A later pass may need a fact that the dump's language no longer holds and no pass can compute
again from it (the service's port once the program is C-shaped, say). The dump then carries
the fact as a comment line, `; fact ` and the fact's `repr`, which `read_fact` reads back: a
fact is a frozen dataclass whose fields hold literals, tuples, `pmap`s and other dataclasses of
the fact's module (IL nodes among them). Nothing but those constructors is ever called.

    ; fact ServiceShape(proto='tcp', port=7, sessions=1024, datagram_bound=0, timers=())
"""

from __future__ import annotations

import ast
import dataclasses
import sys
from collections.abc import Iterable
from typing import Any

from pyrsistent import pmap

PREFIX = "; fact "


def fact_line(fact: object) -> str | None:
    """The comment line that carries `fact`, or None when it is no dataclass (its `repr`
    would not read back)."""
    if not dataclasses.is_dataclass(fact) or "\n" in (text := repr(fact)):
        return None
    return f"{PREFIX}{text}\n"


def read_facts(text: str, kinds: Iterable[type]) -> list[object]:
    """The facts of the `; fact` lines of `text`, each of one of `kinds`."""
    by_name = {kind.__name__: kind for kind in kinds}
    found = []
    for line in text.splitlines():
        if line.startswith(PREFIX):
            found.append(read_fact(line.removeprefix(PREFIX), by_name))
    return found


def read_fact(text: str, kinds: dict[str, type]) -> object:
    """The fact `text` spells (its `repr`); `kinds`: the fact classes by name. Raises
    ValueError for anything else."""
    try:
        tree = ast.parse(text, mode="eval").body
    except SyntaxError:
        raise ValueError(f"not a fact: {text[:40]}") from None
    if not isinstance(tree, ast.Call) or not isinstance(tree.func, ast.Name):
        raise ValueError(f"not a fact: {text[:40]}")
    kind = kinds.get(tree.func.id)
    if kind is None:
        raise ValueError(f"not a fact this pipeline knows: {tree.func.id}")
    module = vars(sys.modules[kind.__module__])
    known = {name: cls for name, cls in module.items() if dataclasses.is_dataclass(cls)}
    return _Values({**known, kind.__name__: kind}).value(tree)


class _Values:
    """Turns the syntax of a `repr` back into the value, calling only `known` classes."""

    def __init__(self, known: dict[str, Any]) -> None:
        self.known = known

    def value(self, e: ast.expr) -> Any:
        match e:
            case ast.Constant(value=v):
                return v
            case ast.UnaryOp(op=ast.USub(), operand=ast.Constant(value=int() as n)):
                return -n
            case ast.Tuple(elts=items) | ast.List(elts=items):
                return tuple(self.value(item) for item in items)
            case ast.Dict(keys=keys, values=values):
                return {self.value(k): self.value(v) for k, v in zip(keys, values, strict=True)
                        if k is not None}  # fmt: skip
            case ast.Call(func=ast.Name(id="pmap"), args=[arg], keywords=[]):
                return pmap(self.value(arg))
            case ast.Call(func=ast.Name(id=name), args=args, keywords=keywords):
                cls = self.known.get(name)
                if cls is None:
                    raise ValueError(f"not a value a fact holds: {name}")
                kw = {k.arg: self.value(k.value) for k in keywords if k.arg is not None}
                return cls(*(self.value(a) for a in args), **kw)
            case _:
                raise ValueError(f"not a value a fact holds: {ast.unparse(e)[:40]}")
