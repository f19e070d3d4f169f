"""C types and C names for WYKI's types and names (support for convert-to-cish).

Every WYKI value type is a C scalar or a named struct (see nanowyki/languages/cish.py):
`bytes[N]` is `struct wyki_bytes_N`, `T?` is `struct wyki_opt_TAG`, `[T; n]` is
`struct wyki_arr_n_TAG`, a WYKI struct S is `struct s_S`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from nanowyki.languages.cish import (
    CArrayT,
    CBoolT,
    CInt64,
    CStructDef,
    CStructT,
    CType,
    CUInt8,
    CUInt32,
    CVar,
    CVoid,
)
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

C_KEYWORDS = frozenset({
    "auto", "break", "case", "char", "const", "continue", "default", "do", "double", "else",
    "enum", "extern", "float", "for", "goto", "if", "inline", "int", "long", "register",
    "restrict", "return", "short", "signed", "sizeof", "static", "struct", "switch", "typedef",
    "union", "unsigned", "void", "volatile", "while", "bool", "true", "false",
})  # fmt: skip


def tag(t: Type) -> str:
    """A C identifier fragment naming the type: `i64`, `bool`, `b16`, `s_Item`, `o_b16`."""
    match t:
        case TInt():
            return "i64"
        case TBool():
            return "bool"
        case TUnit():
            return "unit"
        case TBytes(bound):
            return f"b{bound}"
        case TStruct(name):
            return f"s_{name}"
        case TArray(element, size):
            return f"a{size}_{tag(element)}"
        case TOption(inner):
            return f"o_{tag(inner)}"
        case TTable():
            raise ValueError(f"a table is not a value: {show(t)}")
        case _:
            raise TypeError(f"not a type: {t!r}")


def struct_name(t: Type) -> str | None:
    """The C struct a value of type `t` is (None for scalars)."""
    match t:
        case TBytes(bound):
            return f"wyki_bytes_{bound}"
        case TStruct(name):
            return f"s_{name}"
        case TArray(element, size):
            return f"wyki_arr_{size}_{tag(element)}"
        case TOption(inner):
            return f"wyki_opt_{tag(inner)}"
        case _:
            return None


def c_type(t: Type) -> CType:
    match t:
        case TInt():
            return CInt64()
        case TBool():
            return CBoolT()
        case TUnit():
            return CVoid()
        case TBytes() | TStruct() | TArray() | TOption():
            name = struct_name(t)
            assert name is not None
            return CStructT(name)
        case TTable():
            raise ValueError(f"a table is not a value: {show(t)}")
        case _:
            raise TypeError(f"not a type: {t!r}")


def field_name(name: str) -> str:
    """A WYKI struct field as a C member (C keywords get a trailing `_`)."""
    return name + "_" if name in C_KEYWORDS else name


def var_name(name: str) -> str:
    """A WYKI variable as a C identifier: `x` -> `v_x`, `t.5` -> `v_t__5`."""
    return "v_" + name.replace(".", "__")


def label_name(label: str) -> str:
    return "l_" + label.replace(".", "__")


def struct_defs(
    used: Iterable[Type], fields: Callable[[str], tuple[tuple[str, Type], ...]]
) -> tuple[CStructDef, ...]:
    """The definitions of every struct the types `used` need, each after the ones it holds."""
    out: dict[str, CStructDef] = {}

    def define(t: Type) -> None:
        name = struct_name(t)
        if name is None or name in out:
            return
        members: tuple[CVar, ...]
        match t:
            case TBytes(bound):
                members = (CVar("len", CUInt32()), CVar("data", CArrayT(CUInt8(), max(bound, 1))))
            case TOption(inner):
                define(inner)
                members = (CVar("some", CBoolT()), CVar("value", c_type(inner)))
            case TArray(element, size):
                define(element)
                members = (CVar("items", CArrayT(c_type(element), max(size, 1))),)
            case TStruct(sname):
                fs = fields(sname)
                for _, ft in fs:
                    define(ft)
                members = tuple(CVar(field_name(n), c_type(ft)) for n, ft in fs)
            case _:
                raise TypeError(f"no struct for {show(t)}")
        out[name] = CStructDef(name, members)

    for t in used:
        define(t)
    return tuple(out.values())
