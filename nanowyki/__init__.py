"""nanowyki: a nanopass compiler framework, and the compiler for WYKI built on it."""

__version__ = "0.1.0"
