"""The static memory of a service: what uncover-memory-layout computes and `check --report`
prints.

Sizes (bytes), chosen so that the C back end can lay values out without padding surprises:

- `int` 8, `bool` 1, `bytes[N]` a 4-byte length then N bytes, rounded up to 8;
- a struct: its fields in order, each at an 8-aligned offset (so the sum of the fields' sizes
  each rounded up to 8);
- `[T; n]`: n * size(T) (elements packed); `T?`: an 8-byte tag then the T;
- a frame (a handler's or a function's slots): each slot at an 8-aligned offset;
- a table: `capacity` entries of key + value (each rounded up to 8) + `TABLE_ENTRY_OVERHEAD`
  (the hash, 8, and the chain link and state, 8: an open-hashing entry);
- each session: its frame, a receive buffer of `rx_buffer_bytes` and a transmit buffer of
  `TX_BUFFER_BYTES`;
- the arena: every session's frame and buffers at the declared session limit, every table,
  the shared variables, and one frame for the datagram handler and each timer (they run to
  completion, one at a time), rounded up to whole 2 MiB superpages.

Functions' slots live on the stack, not in the arena: `stack_bytes` is the deepest call chain
(parameters and slots of each function on it) below each handler.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from nanowyki.languages.types import (
    TArray,
    TBool,
    TBytes,
    TInt,
    TOption,
    TStruct,
    TTable,
    TUnit,
    Type,
    show,
)

ALIGN = 8
BYTES_LENGTH_PREFIX = 4
OPTION_TAG = 8
TABLE_ENTRY_OVERHEAD = 16
RX_SLACK = 2  # room for the "\r\n" after the longest line a session receives
RX_GRANULE = 4096  # receive buffers are whole pages
TX_BUFFER_BYTES = 64 * 1024  # the transmit buffer of every session (the runtime may change it)
SUPERPAGE = 2 * 1024 * 1024


def round_up(n: int, to: int) -> int:
    return -(-n // to) * to


def size_of(t: Type, fields: Callable[[str], tuple[Type, ...]]) -> int:
    """The bytes of a value of type `t`; `fields(name)`: the field types of struct `name`."""
    match t:
        case TInt():
            return 8
        case TBool():
            return 1
        case TUnit():
            return 0
        case TBytes(bound):
            return round_up(BYTES_LENGTH_PREFIX + bound, ALIGN)
        case TStruct(name):
            return sum(round_up(size_of(f, fields), ALIGN) for f in fields(name))
        case TArray(element, n):
            return n * size_of(element, fields)
        case TOption(inner):
            return OPTION_TAG + size_of(inner, fields)
        case TTable():
            raise ValueError(f"a table is not a value: {show(t)}")
        case _:
            raise TypeError(f"not a type: {t!r}")


@dataclass(frozen=True)
class SlotLayout:
    name: str
    type: Type
    offset: int
    size: int


@dataclass(frozen=True)
class FrameLayout:
    """One handler's or function's frame: `who` is `session`, `datagram`, `timer N` or
    `fn NAME`; `stack_bytes`: the deepest chain of function frames it calls."""

    who: str
    slots: tuple[SlotLayout, ...]
    bytes: int
    stack_bytes: int
    deepest: tuple[str, ...]  # the functions of that deepest chain, outermost first


@dataclass(frozen=True)
class TableLayout:
    name: str
    capacity: int
    entry_bytes: int
    bytes: int


@dataclass(frozen=True)
class MemoryLayout:
    """Every frame, table and pool of a service, and the whole arena."""

    frames: tuple[FrameLayout, ...]
    tables: tuple[TableLayout, ...]
    sessions: int  # the declared session limit (0: a UDP service)
    session_frame_bytes: int
    rx_buffer_bytes: int
    tx_buffer_bytes: int
    shared_bytes: int
    handler_frame_bytes: int  # the datagram handler's and the timers' frames, one each

    @property
    def session_pool_bytes(self) -> int:
        return self.sessions * self.session_frame_bytes

    @property
    def buffer_pool_bytes(self) -> int:
        return self.sessions * (self.rx_buffer_bytes + self.tx_buffer_bytes)

    @property
    def table_bytes(self) -> int:
        return sum(t.bytes for t in self.tables)

    @property
    def arena_bytes(self) -> int:
        return (
            self.session_pool_bytes + self.buffer_pool_bytes + self.table_bytes
            + self.shared_bytes + self.handler_frame_bytes
        )  # fmt: skip

    @property
    def superpages(self) -> int:
        return max(1, round_up(self.arena_bytes, SUPERPAGE) // SUPERPAGE)

    @property
    def superpage_bytes(self) -> int:
        return self.superpages * SUPERPAGE

    def frame(self, who: str) -> FrameLayout | None:
        return next((f for f in self.frames if f.who == who), None)
