"""Passes: what turns a tree of one language into a tree of the next.

A pass is a class with a `name` (a verb phrase, the same as its module and CLI name), an `input`
and an `output` language, and a docstring whose first line is `Input -> Output: purpose`.

- `Transform` rewrites the tree. It spells out only the forms it changes, as methods named after
  the production (or nonterminal) they handle; every other form is rebuilt by `Rewriter`, and a
  subtree in which nothing changed comes back as the very same object.
- `Analysis` leaves the tree alone and returns facts (a symbol table, liveness sets): typed
  values that later passes ask for by type through `Facts`, never through globals.

A pass declares the facts it reads (`requires`) and adds (`provides`); it sees only what it
declares: reading any other fact is an internal error at once. A fact class that subclasses
`Fact` may say how to compute itself again from a tree (`Fact.derive`), so that a run which
starts past the fact's provider (`--start-at`, from a printed tree) still has it.

Passes are instantiated once per run, so they may keep per-run state (a fresh-name counter).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterable
from typing import Any, ClassVar, Self, TypeVar, cast

from pyrsistent import PMap, pmap

from .diagnostics import CompileError, Diagnostic
from .errors import InternalError
from .language import Language
from .node import Node, field_values, iter_children, map_children, production_bits, walk
from .span import Span

T = TypeVar("T")


class Fact:
    """A base for fact classes that can be computed again from a tree of a later language.

    A run that starts past the pass that provides a fact (from a printed tree: printing keeps
    the tree, not the facts) gets the fact back from the pipeline: by running the providing
    pass again when the tree is in that pass's input language, else by `derive`."""

    @classmethod
    def derive(cls, tree: Node) -> Self | None:
        """The fact computed from `tree`, or None when `tree` no longer holds what it takes."""
        return None


class Facts:
    """An immutable map from a fact's type to the fact: what analyses hand to later passes.

    The view a pass gets (`seen_by`) lets it read only the kinds it declares."""

    __slots__ = ("_facts", "_reader")

    def __init__(
        self, facts: PMap[type, object] | None = None, reader: type[Pass] | None = None
    ) -> None:
        self._facts: PMap[type, object] = facts if facts is not None else pmap()
        self._reader = reader

    def seen_by(self, reader: type[Pass]) -> Facts:
        """These facts as `reader` sees them: `get` and `find` of a kind it does not declare
        (in `requires` or `provides`) raise an internal error naming it."""
        return Facts(self._facts, reader)

    def _declared(self, kind: type) -> None:
        reader = self._reader
        if reader is not None and kind not in (*reader.requires, *reader.provides):
            raise InternalError(
                reader.name,
                f"reads the {kind.__name__} fact but does not declare it: add it to `requires`",
            )

    def get(self, kind: type[T]) -> T:
        self._declared(kind)
        try:
            return cast(T, self._facts[kind])
        except KeyError:
            raise KeyError(f"no {kind.__name__} fact: which pass should provide it?") from None

    def find(self, kind: type[T]) -> T | None:
        """The fact of `kind`, or None: for a pass that works without it (on a hand-built
        tree, say); a pipeline gives a pass every fact it `requires`."""
        self._declared(kind)
        return cast("T | None", self._facts.get(kind))

    def with_(self, *facts: object) -> Facts:
        m = self._facts
        for f in facts:
            m = m.set(type(f), f)
        return Facts(m, self._reader)

    def __contains__(self, kind: type) -> bool:
        return kind in self._facts

    def kinds(self) -> list[str]:
        return sorted(k.__name__ for k in self._facts)


_GENERATED = re.compile(r"\.(\d+)\Z")


def first_free_name_number(tree: Node) -> int:
    """The first counter value that no generated name (`stem.N`) in `tree` uses: where a run
    starts from a printed tree (`--start-at`), no NameSupply fact came with it."""
    highest = 0
    for n in walk(tree):
        for value in field_values(n):
            if isinstance(value, str):
                m = _GENERATED.search(value)
                if m:
                    highest = max(highest, int(m.group(1)))
    return highest + 1


class NameSupply:
    """The fact that carries the fresh-name counter from pass to pass."""

    __slots__ = ("next",)

    def __init__(self, next: int = 1) -> None:
        self.next = next


# ---------------------------------------------------------------------------------------------
# Dispatch by production name: a handler is a method named after the node's class, or after any
# class above it up to Node (so `def Expr(...)` handles every production of nonterminal Expr).

_dispatch_cache: dict[tuple[type, type], Callable[..., Any] | None] = {}


def find_handler(owner: type, cls: type[Node]) -> Callable[..., Any] | None:
    key = (owner, cls)
    try:
        return _dispatch_cache[key]
    except KeyError:
        pass
    found = None
    for klass in cls.__mro__:
        if klass is Node:
            break
        candidate = getattr(owner, klass.__name__, None)
        if callable(candidate):
            found = candidate
            break
    _dispatch_cache[key] = found
    return found


# A subtree in which no production has a handler comes out of a walk as it went in (a Rewriter
# returns it as it is, a Visitor does nothing in it), so walks skip it: every node knows which
# productions its subtree holds (`node.subtree_productions`, filled in by the pipeline after
# every pass) and every walker class which productions it handles. A pass that rewrites loops
# then costs in proportion to the statements around loops, not to the whole program.

_handled: dict[type, tuple[int, int]] = {}


def handled_productions(owner: type) -> int:
    """The productions (as `production_bit`s) that `owner` has a handler for."""
    bits = production_bits()
    known = _handled.get(owner)
    if known is not None and known[0] == len(bits):  # no production declared since
        return known[1]
    mask = 0
    for cls, bit in bits.items():
        if find_handler(owner, cls) is not None:
            mask |= bit
    _handled[owner] = (len(bits), mask)
    return mask


def _holds_handled(owner: type, n: Node) -> bool:
    """Whether the subtree `n` may hold a production `owner` handles (it may when the subtree
    was built since the last summing-up and has no summary)."""
    return not getattr(n, "_size", 0) or bool(n._productions & handled_productions(owner))


class Visitor:
    """Walks a tree for its effects. Handlers call `self.visit_children(n, ...)` to go deeper;
    nodes without a handler are walked through, but not a subtree without any (see above)."""

    def visit(self, n: Node, *ctx: Any) -> None:
        handler = find_handler(type(self), type(n))
        if handler is not None:
            handler(self, n, *ctx)
        elif _holds_handled(type(self), n):
            self.visit_children(n, *ctx)

    def visit_children(self, n: Node, *ctx: Any) -> None:
        for _, child in iter_children(n):
            self.visit(child, *ctx)


class Rewriter:
    """Rebuilds a tree. A handler returns the replacement node (or, for a node that stands in a
    tuple, a tuple of nodes spliced in its place). Nodes without a handler are rebuilt from their
    rewritten children, or returned as they are when no child changed (at once, without a walk,
    when their subtree holds no production with a handler). A replacement built without a span
    takes the span of the node it replaces."""

    def visit(self, n: Node, *ctx: Any) -> Any:
        handler = find_handler(type(self), type(n))
        if handler is None:
            return self.visit_children(n, *ctx) if _holds_handled(type(self), n) else n
        out = handler(self, n, *ctx)
        if n.span is None:
            return out
        if isinstance(out, tuple):
            return tuple(_with_span(made, n.span) for made in out)
        return _with_span(out, n.span)

    def visit_children(self, n: Node, *ctx: Any) -> Node:
        if ctx:
            return map_children(n, lambda child: self.visit(child, *ctx))
        return map_children(n, self.visit)


def _with_span(made: Any, span: Span) -> Any:
    """`made`, or a copy of it with `span` when it was built without one. A copy, never an
    update in place: the node may be shared (a constant the pass keeps, a subtree used twice)."""
    if isinstance(made, Node) and made.span is None:
        return dataclasses.replace(made, span=span)
    return made


# ---------------------------------------------------------------------------------------------

_SIGNATURE = re.compile(r"^\s*(\S+) -> (\S+): (.+)$")


class Pass:
    """Base of every pass. Subclasses set `name`, `input`, `output` and write the docstring."""

    name: ClassVar[str]
    input: ClassVar[Language]
    output: ClassVar[Language]
    requires: ClassVar[tuple[type, ...]] = ()  # facts it reads: earlier passes provide them
    provides: ClassVar[tuple[type, ...]] = ()  # facts this pass adds

    @classmethod
    def _first_line(cls) -> str:
        lines = (cls.__doc__ or "").strip().splitlines()
        return lines[0] if lines else ""

    @classmethod
    def purpose(cls) -> str:
        """The docstring's first line after `Input -> Output: `."""
        first = cls._first_line()
        m = _SIGNATURE.match(first)
        return m.group(3) if m else first

    @classmethod
    def signature_problem(cls) -> str | None:
        """What is wrong with the docstring's first line, if anything."""
        first = cls._first_line()
        m = _SIGNATURE.match(first)
        want = f"{cls.input.name} -> {cls.output.name}: ..."
        if not m or (m.group(1), m.group(2)) != (cls.input.name, cls.output.name):
            return f"{cls.name}: docstring must start with '{want}'"
        return None

    def apply(self, tree: Node, facts: Facts) -> tuple[Node, Facts]:
        raise NotImplementedError

    def fail(self, n: Node, message: str) -> InternalError:
        """An internal error naming this pass and the node (raise it)."""
        where = f" at {n.span}" if n.span else ""
        return InternalError(self.name, f"{type(n).__name__}{where}: {message}")


class Transform(Pass, Rewriter):
    """A pass that rewrites the tree. Override `transform` for a custom entry point."""

    def apply(self, tree: Node, facts: Facts) -> tuple[Node, Facts]:
        self.facts = facts.seen_by(type(self))
        supply = facts.find(NameSupply)  # the framework's own fact, read before the pass's view
        self._next_name = supply.next if supply else first_free_name_number(tree)
        self._provided: list[object] = []
        out = self.transform(tree)
        return out, facts.with_(NameSupply(self._next_name), *self._provided)

    def transform(self, tree: Node) -> Node:
        return cast(Node, self.visit(tree))

    def fresh(self, stem: str) -> str:
        """A name no program and no other pass can have: `stem.N` (user names have no dots)."""
        name = f"{stem}.{self._next_name}"
        self._next_name += 1
        return name

    def provide(self, fact: object) -> None:
        self._provided.append(fact)


class Analysis(Pass):
    """A pass that computes facts and returns the tree unchanged (`output` is `input`)."""

    def __init_subclass__(cls, **kw: Any) -> None:
        super().__init_subclass__(**kw)
        if "input" in cls.__dict__ and "output" not in cls.__dict__:
            cls.output = cls.input

    def apply(self, tree: Node, facts: Facts) -> tuple[Node, Facts]:
        found = self.analyze(tree, facts.seen_by(type(self)))
        return tree, facts.with_(*(found if isinstance(found, tuple) else (found,)))

    def analyze(self, tree: Node, facts: Facts) -> object:
        raise NotImplementedError


class Check(Pass):
    """A pass that only judges the program: it returns the tree unchanged and reports user
    diagnostics (and may `provide` facts). Consecutive checks are independent, so the pipeline
    runs them all and reports every diagnostic together before the next non-check pass."""

    def __init_subclass__(cls, **kw: Any) -> None:
        super().__init_subclass__(**kw)
        if "input" in cls.__dict__ and "output" not in cls.__dict__:
            cls.output = cls.input

    def apply(self, tree: Node, facts: Facts) -> tuple[Node, Facts]:
        self.facts = facts.seen_by(type(self))
        self._provided: list[object] = []
        found = list(self.diagnose(tree))
        if found:
            raise CompileError(found)
        return tree, facts.with_(*self._provided)

    def diagnose(self, tree: Node) -> Iterable[Diagnostic]:
        raise NotImplementedError

    def provide(self, fact: object) -> None:
        self._provided.append(fact)
