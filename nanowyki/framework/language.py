"""Languages: a set of productions grouped by nonterminal, and the languages they extend.

    Arith = Language("Arith", [Program, Int, Var, Prim, Let, If], root=Program)
    ArithMon = Arith.extend("ArithMon", add=[Atomic], remove=[Prim])

A language extended from another shares every node type it does not touch, so the difference
between a language and its parent (`diff()`) is exactly the invariant the pass between them
establishes.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .fieldtypes import unsupported
from .node import Node, field_hints, hint_name, is_nonterminal, is_production, nonterminal_of


class Language:
    """An intermediate language: its productions, grouped by nonterminal, and its root form."""

    def __init__(
        self,
        name: str,
        productions: Iterable[type[Node]],
        *,
        root: type[Node],
        doc: str = "",
        parent: Language | None = None,
        refine: dict[type[Node], dict[str, Any]] | None = None,
    ) -> None:
        self.name = name
        self.doc = doc
        self.parent = parent
        self.root = root
        prods = tuple(productions)
        for p in prods:
            if not is_production(p):
                raise TypeError(f"{name}: {p!r} is not a production (decorate it with @node)")
            nonterminal_of(p)  # every production stands under a nonterminal
        self.productions: frozenset[type[Node]] = frozenset(prods)
        self._by_name: dict[str, type[Node]] = {}
        for p in prods:
            other = self._by_name.setdefault(p.__name__, p)
            if other is not p:
                raise TypeError(f"{name}: two productions are named {p.__name__}")
        # Stable order for printing: the order given (parents first, then additions).
        self._order: tuple[type[Node], ...] = prods
        # Field types made stricter in this language, by production or nonterminal.
        self.refinements: dict[type[Node], dict[str, Any]] = dict(refine or {})
        self._hints: dict[type[Node], dict[str, Any]] = {}
        for p in prods:
            for field, hint in self.hints(p).items():
                why = unsupported(hint)
                if why is not None:
                    raise TypeError(f"{name}: field {p.__name__}.{field}: {why}")

    def extend(
        self,
        name: str,
        *,
        add: Iterable[type[Node]] = (),
        remove: Iterable[type[Node]] = (),
        root: type[Node] | None = None,
        doc: str = "",
        refine: dict[type[Node], dict[str, Any]] | None = None,
    ) -> Language:
        """A new language: this one minus `remove`, plus `add`, with the field types named in
        `refine` made stricter (`refine={Expr: {"type": Type}}`: every expression's `type`
        field must hold a `Type` in the new language, where the parent allowed `None`)."""
        removed = tuple(remove)
        for p in removed:
            if p not in self.productions:
                raise TypeError(f"{name}: cannot remove {p.__name__}: not in {self.name}")
        kept = [p for p in self._order if p not in removed]
        added = [p for p in add if p not in self.productions]
        refinements = {**self.refinements}
        for cls, fields in (refine or {}).items():
            refinements[cls] = {**refinements.get(cls, {}), **fields}
        return Language(
            name, kept + added, root=root or self.root, doc=doc, parent=self, refine=refinements
        )

    # -- queries ---------------------------------------------------------------------------

    def hints(self, cls: type[Node]) -> dict[str, Any]:
        """The field types of production `cls` in this language (refinements applied)."""
        hints = self._hints.get(cls)
        if hints is None:
            hints = dict(field_hints(cls))
            for klass in reversed(cls.__mro__):
                for name, hint in self.refinements.get(klass, {}).items():
                    if name in hints:
                        hints[name] = hint
            self._hints[cls] = hints
        return hints

    def production_named(self, name: str) -> type[Node] | None:
        return self._by_name.get(name)

    def __contains__(self, cls: object) -> bool:
        return cls in self.productions

    def nonterminals(self) -> dict[type[Node], list[type[Node]]]:
        """Each nonterminal with its productions, in a stable order."""
        groups: dict[type[Node], list[type[Node]]] = {}
        for p in self._order:
            groups.setdefault(nonterminal_of(p), []).append(p)
        return groups

    def __repr__(self) -> str:
        return f"<Language {self.name}>"

    # -- printing --------------------------------------------------------------------------

    def signature(self, p: type[Node]) -> str:
        """`(Add left: Expr right: Expr)`."""
        fields = " ".join(f"{n}: {hint_name(h)}" for n, h in self.hints(p).items())
        return f"({p.__name__}{' ' + fields if fields else ''})"

    def grammar(self) -> str:
        """The whole grammar, one nonterminal per paragraph."""
        lines = [f"language {self.name}" + (f" extends {self.parent.name}" if self.parent else "")]
        lines += [f"  root {self.root.__name__}"]
        groups = self.nonterminals()
        for nt, prods in groups.items():
            lines.append(f"  {nt.__name__} ::=")
            # Nonterminals that stand for some of this one's alternatives (Atom under Expr).
            lines += [f"      {sub.__name__}" for sub in groups if _parent_nonterminal(sub) is nt]
            lines += [f"      {self.signature(p)}" for p in prods]
        return "\n".join(lines) + "\n"

    def diff(self, other: Language | None = None) -> str:
        """What this language removes from and adds to `other` (by default its parent): `-` a
        production removed, `+` one added, `~` one whose field types changed (old -> new)."""
        base = other or self.parent
        if base is None:
            return self.grammar()
        lines = [f"language {self.name} extends {base.name}"]
        if self.root is not base.root:
            lines.append(f"  root {base.root.__name__} -> {self.root.__name__}")
        for p in base._order:
            if p not in self.productions:
                lines.append(f"  - {nonterminal_of(p).__name__} ::= {base.signature(p)}")
            elif self.hints(p) != base.hints(p):
                was, now = base.hints(p), self.hints(p)
                changed = ", ".join(
                    f"{f}: {hint_name(was[f])} -> {hint_name(now[f])}"
                    for f in now if now[f] != was[f]
                )  # fmt: skip
                lines.append(f"  ~ {nonterminal_of(p).__name__} ::= ({p.__name__} {changed})")
        for p in self._order:
            if p not in base.productions:
                lines.append(f"  + {nonterminal_of(p).__name__} ::= {self.signature(p)}")
        if len(lines) == 1:
            lines.append("  (no change)")
        return "\n".join(lines) + "\n"


def _parent_nonterminal(nt: type[Node]) -> type[Node] | None:
    """The nearest nonterminal that nonterminal `nt` subclasses (Expr for Atom), if any."""
    return next((base for base in nt.__mro__[1:] if is_nonterminal(base)), None)
