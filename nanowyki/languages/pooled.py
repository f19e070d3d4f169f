"""In `Pooled`, nothing is allocated at run time: every local and temporary of a handler or
function is a slot of static size, declared once at the top of its graph.

hoist-locals replaces each `Declare` by a plain assignment and lists the variable, with its
type, among the graph's slots; every byte string has a static bound, so every slot has a
static size. uncover-memory-layout then lays out each handler's slots and sizes the session
buffers; what the compiled service maps (the frame after liveness, the scratch, the tables, the
arena in 2 MiB superpages) is computed from the C and printed by `nanowyki check --report`.

    - Graph ::= (Cfg entry blocks)
    + Graph ::= (PooledCfg entry slots blocks)
    + SlotNode ::= (Slot name type)
    - Stmt ::= (Declare name declared value)
"""

from __future__ import annotations

from nanowyki.framework import Node, node

from .iterated import Declare
from .linear import BasicBlock, Cfg, Graph, Linear
from .types import Type


class SlotNode(Node):
    """A variable's storage."""


@node
class Slot(SlotNode):
    name: str
    type: Type


@node
class PooledCfg(Graph):
    entry: str
    slots: tuple[Slot, ...]
    blocks: tuple[BasicBlock, ...]


Pooled = Linear.extend(
    "Pooled",
    remove=[Cfg, Declare],
    add=[PooledCfg, Slot],
    doc=__doc__ or "",
)
