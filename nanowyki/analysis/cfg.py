"""Control-flow graph helpers for `Linear` and later ILs: successors, reachability, tidying.

`tidy` is what explicate-control applies to the graph it has just built: it threads jumps
through empty blocks, turns a branch whose two targets agree into a jump, drops blocks the
entry cannot reach, and merges a block into its only predecessor when that predecessor jumps
to it. The result has no empty jump-only block (but an entry that is one), no unreachable
block, and keeps the blocks in their given order (the entry first).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping

from nanowyki.languages.linear import BasicBlock, Branch, CloseExit, Exit, FaultExit, Goto, Ret


def successors(exit: Exit) -> tuple[str, ...]:
    """The labels `exit` may jump to, in order (a branch's `then` first)."""
    match exit:
        case Goto(target):
            return (target,)
        case Branch(_, then, else_):
            return (then, else_)
        case Ret() | CloseExit() | FaultExit():
            return ()
        case _:
            raise TypeError(f"not an exit: {exit!r}")


def reachable(entry: str, blocks: Mapping[str, BasicBlock]) -> list[str]:
    """The labels reachable from `entry`, depth first, successors in order."""
    seen: list[str] = []
    todo = [entry]
    marked = {entry}
    while todo:
        label = todo.pop()
        seen.append(label)
        for nxt in reversed(successors(blocks[label].exit)):
            if nxt not in marked:
                marked.add(nxt)
                todo.append(nxt)
    return seen


def predecessors(blocks: Iterable[BasicBlock]) -> dict[str, list[str]]:
    """For each label, the labels of the blocks that jump to it (once per edge)."""
    preds: dict[str, list[str]] = {}
    for b in blocks:
        for nxt in successors(b.exit):
            preds.setdefault(nxt, []).append(b.label)
    return preds


def _retarget(exit: Exit, to: Mapping[str, str]) -> Exit:
    match exit:
        case Goto(target) if target in to:
            return dataclasses.replace(exit, target=to[target])
        case Branch(cond, then, else_) if then in to or else_ in to:
            then, else_ = to.get(then, then), to.get(else_, else_)
            if then == else_:
                return Goto(then, span=exit.span)
            return Branch(cond, then, else_, span=exit.span)
        case _:
            return exit


def _thread(entry: str, blocks: dict[str, BasicBlock]) -> tuple[str, dict[str, BasicBlock]]:
    """Jump through every empty block that only jumps on (a cycle of them is kept)."""
    hop = {
        b.label: b.exit.target
        for b in blocks.values()
        if not b.stmts and isinstance(b.exit, Goto) and b.exit.target != b.label
    }
    final: dict[str, str] = {}
    for label in hop:
        seen = {label}
        target = hop[label]
        while target in hop and target not in seen:
            seen.add(target)
            target = hop[target]
        if target not in seen:  # not a cycle of empty blocks
            final[label] = target
    if not final:
        return entry, blocks
    out = {
        label: dataclasses.replace(b, exit=_retarget(b.exit, final))
        for label, b in blocks.items()
    }
    return final.get(entry, entry), out


def _merge(entry: str, blocks: dict[str, BasicBlock]) -> dict[str, BasicBlock]:
    """Append each block to its only predecessor when that predecessor jumps to it."""
    changed = True
    while changed:
        changed = False
        preds = predecessors(blocks.values())
        for label, b in blocks.items():
            if not isinstance(b.exit, Goto):
                continue
            nxt = b.exit.target
            if nxt in (entry, label) or preds.get(nxt) != [label]:
                continue
            tail = blocks[nxt]
            blocks = {
                k: dataclasses.replace(b, stmts=b.stmts + tail.stmts, exit=tail.exit)
                if k == label
                else v
                for k, v in blocks.items()
                if k != nxt
            }
            changed = True
            break
    return blocks


def tidy(entry: str, blocks: Iterable[BasicBlock]) -> tuple[str, tuple[BasicBlock, ...]]:
    """The same graph without empty jump-only blocks, unreachable blocks or needless jumps."""
    table = {b.label: b for b in blocks}
    entry, table = _thread(entry, table)
    live = set(reachable(entry, table))
    table = {label: b for label, b in table.items() if label in live}
    table = _merge(entry, table)
    ordered = [table[entry], *(b for label, b in table.items() if label != entry)]
    return entry, tuple(ordered)
