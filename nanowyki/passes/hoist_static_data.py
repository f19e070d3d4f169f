"""hoist-static-data: each literal and constant the C code reads, defined once as static data."""

from __future__ import annotations

from nanowyki.framework import Node, Transform
from nanowyki.languages.cish import (
    CBytesInit,
    CBytesLit,
    CConstRef,
    CDataDef,
    CInit,
    CInitList,
    CIntLit,
    Cish,
    CName,
    CStructDef,
    CStructT,
    CUInt32,
    CUnit,
)


class HoistStaticData(Transform):
    """Cish -> Cish: hoist byte-string literals and constants into static constant data.

    Establishes: every `CBytesLit` is `lit_K`, a `CDataDef` of `struct wyki_bytes_N` (N its
    length) defined once per distinct value, K numbered in order of first use; every
    `CConstRef NAME` is `k_NAME`, a `CDataDef` of its type and initializer, defined once. The
    definitions follow the struct definitions (their types), the literals first, each group in
    order of first use; no `CBytesLit` or `CConstRef` remains. A unit reading neither is
    unchanged.
    Assumes: the struct definitions of the literals' `wyki_bytes_N` are in the unit
    (convert-to-cish defines one per type the program uses), and the `CConstRef`s of one name
    are equal.

        (CUnit u [(CStructDef wyki_bytes_2 [...])
          (CFuncDef f [] (CStatus) [] [(CExprStmt (CCall g [(CBytesLit "hi") (CBytesLit "hi")]))])])
        ->
        (CUnit u [(CStructDef wyki_bytes_2 [...])
          (CDataDef lit_0 (CStructT wyki_bytes_2)
            (CInitList [(CInit len (CIntLit 2 (CUInt32))) (CInit data (CBytesInit "hi"))]))
          (CFuncDef f [] (CStatus) [] [(CExprStmt (CCall g [(CName lit_0) (CName lit_0)]))])])
    """

    name = "hoist-static-data"
    input = Cish
    output = Cish

    def transform(self, tree: Node) -> Node:
        if not isinstance(tree, CUnit):
            raise self.fail(tree, "expected a CUnit")
        self.literals: dict[bytes, CDataDef] = {}
        self.consts: dict[str, CDataDef] = {}
        decls = tuple(self.visit(d) for d in tree.decls)
        if not self.literals and not self.consts:
            return tree
        at = next((i for i, d in enumerate(decls) if not isinstance(d, CStructDef)), len(decls))
        data = (*self.literals.values(), *self.consts.values())
        return CUnit(tree.name, (*decls[:at], *data, *decls[at:]), span=tree.span)

    def CBytesLit(self, n: CBytesLit) -> CName:
        if n.value not in self.literals:
            name = f"lit_{len(self.literals)}"
            self.literals[n.value] = CDataDef(name, bytes_type(n.value), bytes_init(n.value))
        return CName(self.literals[n.value].name)

    def CConstRef(self, n: CConstRef) -> CName:
        name = "k_" + n.name
        defined = self.consts.setdefault(n.name, CDataDef(name, n.type, n.init))
        if (defined.type, defined.init) != (n.type, n.init):
            raise self.fail(n, f"two values for the constant '{n.name}'")
        return CName(name)


def bytes_type(value: bytes) -> CStructT:
    """The C type of a byte-string literal: `struct wyki_bytes_N`, N its length."""
    return CStructT(f"wyki_bytes_{len(value)}")


def bytes_init(value: bytes) -> CInitList:
    """The initializer of a byte-string literal: `{ .len = N, .data = { ... } }`."""
    return CInitList((CInit("len", CIntLit(len(value), CUInt32())),
                      CInit("data", CBytesInit(value))))  # fmt: skip
