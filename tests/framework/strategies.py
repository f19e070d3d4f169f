"""Hypothesis strategies for random trees of Arith and Sample."""

from __future__ import annotations

from hypothesis import strategies as st

from tests.framework.arith import Expr, If, Int, Let, Prim, Program, Var
from tests.framework.sample import Blob, Doc, Item, Pair, Tags, Typed

# Names that print bare and names that must be quoted to read back as the same string.
AWKWARD_NAMES = [
    "nil",
    "1x",
    "-1",
    "+2",
    "a b",
    "",
    "#t",
    "#f",
    "x;y",
    "(x)",
    "[x]",
    'say "hi"',
    "back\\slash",
    "line\nbreak",
    "tab\there",
    "\r",
    "\x00",
    "\x7f",
    "ünï",
    "λ",
    "名前",
    "\u2028",
    "x.1",
    "tmp.12",
    "+",
    "<=",
    "a:b",
]

names = st.one_of(
    st.sampled_from(AWKWARD_NAMES),
    st.from_regex(r"[a-z_][a-z0-9_]{0,5}", fullmatch=True),
    st.text(max_size=8),
)
ints = st.one_of(
    st.integers(),
    st.sampled_from([0, -1, 10**40, -(10**40), 2**63, -(2**63) - 1]),
)
ops = st.sampled_from(["+", "-", "*", "<"])


def arith_exprs(
    leaf_names: st.SearchStrategy[str] = names,
    leaf_ints: st.SearchStrategy[int] = ints,
    *,
    binary: bool = False,
) -> st.SearchStrategy[Expr]:
    """Random expressions; with `binary`, every primitive has two operands (as `evaluate`
    needs), otherwise from none to three."""
    leaves: st.SearchStrategy[Expr] = st.one_of(
        st.builds(Int, leaf_ints), st.builds(Var, leaf_names)
    )

    def operands(inner: st.SearchStrategy[Expr]) -> st.SearchStrategy[tuple[Expr, ...]]:
        if binary:
            return st.tuples(inner, inner)
        return st.lists(inner, max_size=3).map(tuple)

    def extend(inner: st.SearchStrategy[Expr]) -> st.SearchStrategy[Expr]:
        return st.one_of(
            st.builds(Prim, ops, operands(inner)),
            st.builds(Let, leaf_names, inner, inner),
            st.builds(If, inner, inner, inner),
        )

    return st.recursive(leaves, extend, max_leaves=12)


arith_programs = st.builds(Program, arith_exprs())


def _items(inner: st.SearchStrategy[Item]) -> st.SearchStrategy[Item]:
    return st.one_of(
        st.builds(Pair, inner, st.none() | inner),
    )


leaf_items: st.SearchStrategy[Item] = st.one_of(
    st.builds(Blob, st.binary(max_size=8), st.booleans(), st.none() | names, ints),
    st.builds(Blob, st.binary(max_size=8), st.booleans()),
    st.builds(
        Tags,
        st.lists(names, max_size=3).map(tuple),
        st.tuples(ints, ints),
        st.sampled_from(["a", "b"]),
    ),
    st.builds(Typed, ints, st.none() | names),
)
items: st.SearchStrategy[Item] = st.recursive(leaf_items, _items, max_leaves=6)
sample_docs = st.builds(Doc, names, st.lists(items, max_size=4).map(tuple))
