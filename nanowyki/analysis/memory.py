"""The frames of a service at `Pooled`, and its buffer sizes: what uncover-memory-layout
computes, and emit-service-descriptor writes into the descriptor.

Sizes (bytes), the WYKI-level model of a frame before liveness trims it:

- `int` 8, `bool` 1, `bytes[N]` a 4-byte length then N bytes, rounded up to 8;
- a struct: its fields in order, each at an 8-aligned offset (so the sum of the fields' sizes
  each rounded up to 8);
- `[T; n]`: n * size(T) (elements packed); `T?`: an 8-byte tag then the T;
- a frame (a handler's or a function's slots): each slot at an 8-aligned offset;
- each session: a receive buffer of `rx_buffer_bytes` (the largest receive + 2, in whole
  pages) and a transmit buffer of `TX_BUFFER_BYTES`.

What the compiled service really maps is computed later, from the C: lift-live-variables keeps
in the session's `struct frame` only the slots some blocking point needs, lift-locals-to-scratch
moves the other aggregates into a per-worker scratch, and the runtime adds its connections,
workers and tables. `nanowyki.analysis.arena` computes that arena from the emitted descriptor;
`check --report` prints it.
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
RX_SLACK = 2  # room for the "\r\n" after the longest line a session receives
RX_GRANULE = 4096  # receive buffers are whole pages
TX_BUFFER_BYTES = 64 * 1024  # the transmit buffer of every session (the runtime may change it)


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
    """One handler's or function's frame before liveness: `who` is `session`, `datagram`,
    `timer N` or `fn NAME`."""

    who: str
    slots: tuple[SlotLayout, ...]
    bytes: int


@dataclass(frozen=True)
class MemoryLayout:
    """Every handler's and function's frame before liveness, and the session buffers."""

    frames: tuple[FrameLayout, ...]
    sessions: int  # the declared session limit (0: a UDP service)
    session_frame_bytes: int  # before liveness (the C `struct frame` keeps only live slots)
    rx_buffer_bytes: int
    tx_buffer_bytes: int

    def frame(self, who: str) -> FrameLayout | None:
        return next((f for f in self.frames if f.who == who), None)
