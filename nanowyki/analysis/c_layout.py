"""The sizes the C compiler gives a `Cish` unit's structs, and the unit's C call graph.

The layout is C's, on the LP64 ABI the runtime targets (x86-64 and arm64 Linux, gcc and
clang): `int64_t` and pointers 8 bytes (8-aligned), `int` and `uint32_t` 4, `bool` and
`uint8_t` 1; a struct's members in order, each at the next multiple of its alignment, the
whole rounded up to its largest member's alignment; an array `n` elements packed (a zero-length
array, as in `struct wyki_bytes_0`, is 0 bytes). So `sizeof(struct frame)` here is the C
compiler's: tests/test_report_binaries.py compiles every example and compares.
"""

from __future__ import annotations

from nanowyki.framework import walk
from nanowyki.languages.cish import (
    CArrayT,
    CBoolT,
    CCall,
    CFuncDef,
    CInt64,
    CPointerT,
    CRuntimeT,
    CStatus,
    CStructDef,
    CStructT,
    CType,
    CUInt8,
    CUInt32,
    CUnit,
    CVoid,
)


def round_up(n: int, to: int) -> int:
    return -(-n // to) * to


class CLayout:
    """`sizeof` and `_Alignof` of the types of one unit (its struct definitions)."""

    def __init__(self, unit: CUnit) -> None:
        self.structs = {d.name: d for d in unit.decls if isinstance(d, CStructDef)}
        self.known: dict[str, tuple[int, int]] = {}  # struct name -> (size, alignment)

    def sizeof(self, t: CType) -> int:
        return self._layout(t)[0]

    def alignof(self, t: CType) -> int:
        return self._layout(t)[1]

    def _layout(self, t: CType) -> tuple[int, int]:
        match t:
            case CInt64() | CPointerT():
                return 8, 8
            case CStatus() | CUInt32():
                return 4, 4
            case CBoolT() | CUInt8():
                return 1, 1
            case CArrayT(element, n):
                size, align = self._layout(element)
                return n * size, align
            case CStructT(name):
                if name not in self.known:
                    self.known[name] = self._struct(name)
                return self.known[name]
            case CRuntimeT() | CVoid():
                raise ValueError(f"no size for {t!r} in a struct of generated code")
            case _:
                raise TypeError(f"not a C type: {t!r}")

    def _struct(self, name: str) -> tuple[int, int]:
        if name not in self.structs:
            raise ValueError(f"struct {name} is not defined by the unit")
        offset, largest = 0, 1
        for field in self.structs[name].fields:
            size, align = self._layout(field.type)
            offset = round_up(offset, align) + size
            largest = max(largest, align)
        return round_up(offset, largest), largest


def call_graph(unit: CUnit) -> dict[str, tuple[str, ...]]:
    """Each function of the unit -> the functions of the unit it calls, in order, once each."""
    funcs = {d.name: d for d in unit.decls if isinstance(d, CFuncDef)}
    return {
        name: tuple(dict.fromkeys(n.func for n in walk(f) if isinstance(n, CCall)
                                  and n.func in funcs))
        for name, f in funcs.items()
    }  # fmt: skip


def longest_chain(graph: dict[str, tuple[str, ...]], start: str) -> tuple[str, ...]:
    """The longest chain of calls from `start` (itself first; the first one on a tie); the
    graph has no cycle."""
    known: dict[str, tuple[str, ...]] = {}

    def chain(f: str) -> tuple[str, ...]:
        if f not in known:
            best = max((chain(g) for g in graph.get(f, ())), key=len, default=())
            known[f] = (f, *best)
        return known[f]

    return chain(start)


def reachable(graph: dict[str, tuple[str, ...]], start: str) -> set[str]:
    """`start` and every function it may call, directly or not."""
    seen = {start}
    todo = [start]
    while todo:
        for callee in graph.get(todo.pop(), ()):
            if callee not in seen:
                seen.add(callee)
                todo.append(callee)
    return seen
