"""Which interpreter runs which IL: the table the differential tests and tools read.

Each IL's interpreter subclasses the previous IL's and overrides only the forms that changed;
an IL whose programs the previous interpreter already runs unchanged maps to it.
"""

from __future__ import annotations

from .base import Interpreter
from .bounded import BoundedInterpreter
from .cish import CishInterpreter
from .core import CoreInterpreter
from .evented import EventedInterpreter
from .flat import FlatInterpreter
from .linear import LinearInterpreter
from .placed import PlacedInterpreter
from .pooled import PooledInterpreter
from .socketless import SocketlessInterpreter
from .typed import TypedInterpreter

INTERPRETERS: dict[str, type[Interpreter]] = {
    "Typed": TypedInterpreter,
    "Iterated": CoreInterpreter,
    "Core": CoreInterpreter,
    "Bounded": BoundedInterpreter,
    "Flat": FlatInterpreter,
    "Linear": LinearInterpreter,
    "Pooled": PooledInterpreter,
    "Evented": EventedInterpreter,
    "Buffered": SocketlessInterpreter,
    "Socketless": SocketlessInterpreter,
    "Placed": PlacedInterpreter,
    "Cish": CishInterpreter,
}


def interpreter_for(language: str) -> type[Interpreter] | None:
    """The interpreter class for programs of `language`, if it has one."""
    return INTERPRETERS.get(language)
