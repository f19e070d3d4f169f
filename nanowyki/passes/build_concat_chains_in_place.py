"""build-concat-chains-in-place: a chain of concatenations is built in the place of its result,
one copy per operand instead of one per prefix."""

from __future__ import annotations

from collections import Counter

from nanowyki.framework import InternalError, Node, Transform, walk
from nanowyki.languages.evented import StateMachine
from nanowyki.languages.flat import Atom
from nanowyki.languages.linear import BasicBlock
from nanowyki.languages.placed import AppendInto, ConcatInto, Placed
from nanowyki.languages.pooled import PooledCfg, Slot
from nanowyki.languages.resolved import Local
from nanowyki.languages.surface import Assign, Binary, Stmt
from nanowyki.languages.types import TBytes


class BuildConcatChainsInPlace(Transform):
    """Placed -> Placed: build each chain of concatenations in the buffer of its last link.

    `a ++ b ++ c` is `t1 = a ++ b; t2 = t1 ++ c` (with the operands computed between the
    links). Establishes: when each `t_k` but the last is read once, by the next link, the chain
    is built in the last link's target, the buffer (a temporary or a variable): the first link
    becomes `ConcatInto(buffer, a, b, capacity)`, each next one `AppendInto(buffer, c,
    capacity)`, and the intermediates `t_k` leave the slots. Each link keeps the bound of the
    `t_k` it replaces as its capacity, so it faults `bounds` where and when `t_k = ...` would,
    and keeps its span. A fault between the links leaves the buffer half built, but a fault
    ends the run (session, datagram or timer) whose local it is.
    Does not fire: when an intermediate is read again (between the links or after them), when
    the buffer is mentioned anywhere in the chain but as the last link's target (its old value
    could be read), or when a `t_k` has a larger bound than the buffer.
    Assumes: `Placed` (every operand an atom). It runs after build-results-in-place: when a
    chain's last link is a function's returned result, that link is a `BuildResult` (computed
    in `*out`) and the chain ends one link earlier.

        (Assign (Local t.1 (TBytes 8)) = (Binary ++ (Local a (TBytes 4)) (Local a (TBytes 4))
          (TBytes 8)))
        (Assign (Local t.2 (TBytes 12)) = (Binary ++ (Local t.1 (TBytes 8)) (Local a (TBytes 4))
          (TBytes 12)))
        ->
        (ConcatInto t.2 (Local a (TBytes 4)) (Local a (TBytes 4)) 8)
        (AppendInto t.2 (Local a (TBytes 4)) 12)
    """

    name = "build-concat-chains-in-place"
    input = Placed
    output = Placed

    def PooledCfg(self, g: PooledCfg) -> Node:
        blocks, gone = _in_place(g, g.blocks)
        if not gone:  # every chain removes an intermediate: none was found
            return g
        return PooledCfg(g.entry, _without(g.slots, gone), blocks, span=g.span)

    def StateMachine(self, m: StateMachine) -> Node:
        blocks, gone = _in_place(m, m.blocks)
        if not gone:
            return m
        return StateMachine(m.entry, _without(m.frame, gone), _without(m.locals, gone), blocks,
                            span=m.span)  # fmt: skip


def _in_place(graph: Node, blocks: tuple[BasicBlock, ...]
              ) -> tuple[tuple[BasicBlock, ...], set[str]]:  # fmt: skip
    """The blocks with their chains built in place, and the intermediates no longer used."""
    uses = Counter(n.name for n in walk(graph) if isinstance(n, Local))
    out: list[BasicBlock] = []
    gone: set[str] = set()
    for b in blocks:
        chains = _chains(b.stmts, uses)
        if not chains:
            out.append(b)
            continue
        stmts = tuple(_link(s, *chains[i]) if i in chains else s for i, s in enumerate(b.stmts))
        out.append(BasicBlock(b.label, stmts, b.exit, span=b.span))
        gone |= {_target(b.stmts[k]).name for k in chains} - {buf for buf, _ in chains.values()}
    return tuple(out), gone


def _chains(stmts: tuple[Stmt, ...], uses: Counter[str]) -> dict[int, tuple[str, bool]]:
    """The links of the chains of a block, by statement index: `(buffer, first)`."""
    links: dict[str, int] = {}  # a temporary -> the link that assigns it, while it ends a chain
    before: dict[int, int] = {}  # a link -> the link whose result is its left operand
    for i, s in enumerate(stmts):
        match s:
            case Assign(Local(t, TBytes() as tt), "=", Binary("++", left, _, et)) if et == tt:
                if isinstance(left, Local) and left.name in links and uses[left.name] == 2:
                    before[i] = links.pop(left.name)  # 2: its assignment and this read
                links[t] = i
            case _:
                pass
    chains: dict[int, tuple[str, bool]] = {}
    for last in links.values():
        chain = [last]
        while chain[-1] in before:
            chain.append(before[chain[-1]])
        if len(chain) < 2:
            continue
        targets = [_target(stmts[k]) for k in chain]
        buffer = targets[0]
        mentions = sum(isinstance(n, Local) and n.name == buffer.name
                       for s in stmts[chain[-1] : last + 1] for n in walk(s))  # fmt: skip
        if mentions == 1 and all(_bound(t) <= _bound(buffer) for t in targets):
            chains |= {k: (buffer.name, k == chain[-1]) for k in chain}
    return chains


def _link(s: Stmt, buffer: str, first: bool) -> Stmt:
    """The link `t = a ++ b` written into `buffer`, with `t`'s bound as its capacity."""
    match s:
        case Assign(Local(_, TBytes(capacity)), "=", Binary("++", a, b)) if isinstance(
            a, Atom
        ) and isinstance(b, Atom):
            if first:
                return ConcatInto(buffer, a, b, capacity, span=s.span)
            return AppendInto(buffer, b, capacity, span=s.span)
        case _:
            raise InternalError(BuildConcatChainsInPlace.name, f"not a chain's link: {s}")


def _target(s: Stmt) -> Local:
    assert isinstance(s, Assign) and isinstance(s.target, Local)
    return s.target


def _bound(t: Local) -> int:
    assert isinstance(t.type, TBytes)
    return t.type.bound


def _without(slots: tuple[Slot, ...], gone: set[str]) -> tuple[Slot, ...]:
    return tuple(s for s in slots if s.name not in gone)
