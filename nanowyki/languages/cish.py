"""In `Cish`, every form is a C11 construct: the program is a C translation unit that the C
emitter only prints (one form, one piece of C text), calling the runtime of runtime_c/include/
wyki.h and the builtins of wyki_builtins.h.

`Cish` is its own language, not an extension of the WYKI ILs: no WYKI node survives into it.
Since no form is shared with `Placed`, there is no intermediate language in which a checker
could prove a partial removal: convert-to-cish is the one conversion (its parts are the support
modules passes/cish_types.py, the C types and names, and passes/cish_lower.py, the checked
operations and stores); hoist-static-data then defines the static constant data the code
reads, and emit-service-descriptor adds the descriptor from the facts.
The differential test proves the conversion by running every transcript on `CishInterpreter`.

The unit (`CUnit`) holds, in the order C needs them: the struct definitions (`CStructDef`,
every type defined before its first use), the static constant data (`CDataDef`: `lit_K` per
byte-string literal, `k_NAME` per WYKI `const` the code reads; until hoist-static-data, the
code holds them in place as `CBytesLit` and `CConstRef`), the static globals (`CGlobalDef`: a
`wyki_atomic64` per `shared` variable, a `struct wyki_table *` handle per table), the table
and timer declaration arrays, the functions (`CFuncDef`) and the service descriptor
(`CServiceDef`, `const struct wyki_service wyki_service = { ... }`).

Types. `int` is `int64_t`, `bool` is `bool`. Every other WYKI value type is a named struct
(C's `=` would copy it exactly as WYKI's assignment copies a value, but at the cost of its
capacity: a copy costs its length instead, see Copies):

- `bytes[N]` is `struct wyki_bytes_N { uint32_t len; uint8_t data[N]; }`: ONE generic struct per
  bound N (not per use), shared by every value of that bound; a value of bound M <= N is stored
  into a slot of bound N by `wyki_bytes_set(dst.data, &dst.len, src.data, src.len)` (`len`
  bytes; the bytes past `len` are never read);
- `T?` is `struct wyki_opt_TAG { bool some; T value; }`; `[T; n]` is
  `struct wyki_arr_n_TAG { T items[n]; }`; a WYKI struct S is `struct s_S`.

Copies. A byte string is copied by `wyki_bytes_set`; a struct, optional or array (of at most
16 elements) holding byte strings by `copy_TYPE(&dst, &src)`, a `CFuncDef` of the unit that
copies member by member (an optional's value only when `some`); any other value by `=`. A
function that returns a local it assigned just before builds the value in `*out` instead.
The bytes past a byte string's `len` are never read (equality, sends, tables and hashing take
`len`). A table value of a struct type is stored as its `sizeof` bytes, stale ones included
(memory that held earlier values: all of it was zeroed at allocation, none is uninitialised),
except that a struct whose last field is a byte string is stored only up to that string's
length (`wyki_used_size(&v, v.f.data, v.f.len)`), which is what a get copies back.

Shared variables. A read is `wyki_atomic_load`, a write `wyki_atomic_store`, and the read and
write of `n op= e` (`t = n; n = t op b`) is one `st = wyki_shared_OP(&g_n, b, &t)` (OP `add`,
`sub`, `mul`): a compare-and-swap loop with the overflow check, the old value into `t`.

Names. A WYKI variable `x` is `v_x` (a temporary `t.5` is `v_t__5`; the prefix keeps C keywords
out), a block label `b.2` is `l_b__2`, a function `f` is `fn_f`, a table `t_NAME`, a shared
variable `g_NAME`, literal data `lit_K`.

Sessions. A session's frame is `struct frame` (`CStructDef frame`): `state` (the number of the
state to enter: 0 is the entry, since frames start zeroed), the runtime state of the session
(`rx_deadline`, `wake_ms`, `tx_sent`, `timeout_ms`, `timed_out`: the receive deadline, the
wake-up time, the progress of a partial send, `set_timeout` and `timed_out()`), then the
machine's frame slots. The session is `int step(struct frame *f, struct wyki_conn *c)`: its
locals (the machine's `locals`, the status `st` and the fuel) are declared at the top of step
and so do not survive a return, exactly the Evented rule; its body is a `switch` on `f->state`
whose cases `goto` the labelled blocks, then the blocks, each a `CLabel` followed by its
statements. A suspension stores the state and returns `WYKI_NEED_INPUT`, `WYKI_NEED_OUTPUT`,
`WYKI_SLEEP` or `WYKI_YIELD`; a close returns `WYKI_DONE`; a fault returns
`WYKI_FAULT_STATUS(WYKI_FAULT_KIND)`.

Scratch. After lift-locals-to-scratch, no function keeps a struct or array on the C stack: the
aggregate locals and by-value struct parameters of function NAME are the members of
`struct scratch_NAME`, and `struct scratch` holds one of each, allocated once per worker by the
runtime (`scratch_size`). No recursion and no blocking mean one activation of each function per
worker at a time, so each has a static frame there. A function reaches it through `w` (a
`struct scratch *`: the first parameter of an `fn_*`, `wyki_conn_scratch(c)` in `step`, the
`scratch` parameter of a handler) and its own part through `s = &w->NAME`; a caller stores an
aggregate argument into the callee's part (`w->fn_f.v_p = x;`) just before the call. Scalars
stay C locals. Nothing in the scratch survives a return either.

Checked operations. Only the C operators whose C meaning is WYKI's appear as `CBinary`/`CUnary`:
comparisons, `& | ^ ~` on `int64_t`, `! && ||` on `bool`. Arithmetic that can fault is a call
that returns 0 or a fault status and writes its result through a pointer, tested at once:
`st = wyki_add(a, b, &r); if (st != 0) return st;` (two `Cish` statements, `CAssign` and `CIf`).
Functions compiled from WYKI `fn`s follow the same convention: `int fn_f(args..., T *out)`.

Runtime functions that wyki.h / wyki_builtins.h do not have yet (the emitter milestone adds
them, static inline; each returns as stated, `st` functions 0 or a fault status):

- `int64_t wyki_deadline(int64_t ms)`: 0 when ms <= 0, else `wyki_now_ms() + ms` (saturating).
  `int64_t wyki_after_ms(int64_t ms)`: `wyki_now_ms() + ms`, saturating (sleep's wake-up time).
- `bool wyki_rx_line(c, int64_t deadline, int64_t limit, bool *timed_out, bool *some,
  uint8_t *data, uint32_t *len)`, and `wyki_rx_until(c, deadline, const uint8_t *d, uint32_t dn,
  limit, ...)`, `wyki_rx_exact(c, deadline, int64_t count, limit, ...)`, `wyki_rx_some(c,
  deadline, limit, ...)`: exactly nanowyki/interp/receive.py `attempt`: when the receive can
  complete now, consume its bytes, store the optional result (`*some`, `data`, `*len`), clear
  `*timed_out`, return true; else, when `deadline != 0 && wyki_now_ms() >= deadline`, set
  `*some = false`, `*timed_out = true`, return true; else `wyki_conn_wake_at(c, deadline)` when
  `deadline != 0` and return false (the step then returns WYKI_NEED_INPUT).
- `bool wyki_tx_send(c, const uint8_t *p, uint32_t n, uint32_t *sent)` (and `_int(c, int64_t,
  sent)`, `_bool(c, bool, sent)`: the decimal / `true`/`false` text): queue what fits of
  `p[*sent, n)` (`wyki_tx_write`); true and `*sent = 0` once all is queued, else advance `*sent`.
- `bool wyki_sleep_done(c, int64_t wake)`: `wyki_now_ms() >= wake`, else arm
  `wyki_conn_wake_at(c, wake)` and false.
- `bool wyki_fuel_spend(int64_t *fuel)`: `--*fuel > 0`; when it reaches 0, refill it with
  `WYKI_FUEL` (a `#define` of the generated file: checkpoints per step) and return false.
- `bool wyki_peer_closed_all(c)`: `wyki_peer_closed(c) && wyki_rx_len(c) == 0`;
  `void wyki_set_timeout(int64_t *timeout_ms, int64_t ms)`: `*timeout_ms = ms < 0 ? 0 : ms`.
- `int wyki_reply_bytes(struct wyki_dgram *d, p, n)` (and `_int`, `_bool`): one whole reply
  (`wyki_reply_append` then `wyki_reply_send`); st: `bounds` when longer than the reply size.
  `void wyki_log_int(int64_t)`, `wyki_log_bool(bool)` beside `wyki_log_bytes`.
- `int wyki_table_status(int rc)`: 0 for OK, `table_full` for FULL, `bounds` otherwise;
  `int wyki_table_get_bytes(t, kp, kn, bool *some, uint8_t *data, uint32_t cap, uint32_t *len)`
  and `wyki_table_get_fixed(t, kp, kn, bool *some, void *out, uint32_t size)`: `wyki_table_get`
  with NOT_FOUND as `*some = false`; st. A key or value that is not a byte string is passed as
  `&v, sizeof(v)` (its bytes).

Invariants the interpreter and the emitter rely on: a `CLabel` appears only in the top-level
statement list of a function body; every local is declared in `CFuncDef.locals` (no
declarations inside statements); every expression's C type is fixed by its declaration, so the
emitter never needs to infer one.

    CUnit ::= (CUnit name decls)
    CDecl ::= (CStructDef name fields) | (CDataDef name type init) | (CGlobalDef name type init)
            | (CFuncDef name params result locals body) | (CServiceDef init)
    CVarNode ::= (CVar name type)
    CType ::= (CInt64) | (CBoolT) | (CUInt8) | (CUInt32) | (CStatus) | (CVoid)
            | (CStructT name) | (CArrayT element size) | (CPointerT target) | (CRuntimeT name)
    CStmt ::= (CAssign target value) | (CExprStmt expr) | (CIf cond then else_)
            | (CSwitch value cases) | (CGoto label) | (CLabel name) | (CReturn value)
    CCaseNode ::= (CCase value body)
    CExpr ::= (CIntLit value type) | (CBoolLit value) | (CStrLit value) | (CName name)
            | (CMember target field) | (CArrow target field) | (CIndex target index)
            | (CCall func args) | (CUnary op operand) | (CBinary op left right)
            | (CCast type value) | (CSizeof type) | (CInitList items) | (CBytesInit value)
            | (CBytesLit value) | (CConstRef name type init)
    CInitNode ::= (CInit field value)
"""

from __future__ import annotations

from typing import Literal

from nanowyki.framework import Language, Node, node


class CDecl(Node):
    """A top-level declaration."""


class CType(Node):
    """A C type."""


class CStmt(Node):
    """A C statement."""


class CExpr(Node):
    """A C expression."""


class CVarNode(Node):
    """A declared variable, parameter or struct member."""


class CCaseNode(Node):
    """A case of a switch."""


class CInitNode(Node):
    """A designated initializer: `.field = value`."""


# -- types -------------------------------------------------------------------------------------


@node
class CInt64(CType):
    """`int64_t`: WYKI's `int`."""


@node
class CBoolT(CType):
    """`bool`."""


@node
class CUInt8(CType):
    """`uint8_t`."""


@node
class CUInt32(CType):
    """`uint32_t`: lengths and states."""


@node
class CStatus(CType):
    """`int`: a wyki_status or 0 / a fault status."""


@node
class CVoid(CType):
    """`void` (a function result only)."""


@node
class CStructT(CType):
    """`struct NAME`."""

    name: str


@node
class CArrayT(CType):
    """`T NAME[size]` (a struct member only: arrays are never assigned)."""

    element: CType
    size: int


@node
class CPointerT(CType):
    """`T *`."""

    target: CType


@node
class CRuntimeT(CType):
    """A type of wyki.h printed as written: `struct wyki_conn`, `wyki_atomic64`,
    `struct wyki_service`, `struct wyki_table_decl`, `struct wyki_dgram`."""

    name: str


# -- declarations ------------------------------------------------------------------------------


@node
class CVar(CVarNode):
    name: str
    type: CType


@node
class CStructDef(CDecl):
    name: str
    fields: tuple[CVar, ...]


@node
class CDataDef(CDecl):
    """`static const TYPE NAME = INIT;`"""

    name: str
    type: CType
    init: CExpr


@node
class CGlobalDef(CDecl):
    """`static TYPE NAME = INIT;` (`init` None: zero)."""

    name: str
    type: CType
    init: CExpr | None


@node
class CFuncDef(CDecl):
    """`static RESULT NAME(PARAMS) { LOCALS; BODY }`."""

    name: str
    params: tuple[CVar, ...]
    result: CType
    locals: tuple[CVar, ...]
    body: tuple[CStmt, ...]


@node
class CServiceDef(CDecl):
    """`const struct wyki_service wyki_service = INIT;`"""

    init: CExpr


# -- statements --------------------------------------------------------------------------------


@node
class CAssign(CStmt):
    target: CExpr
    value: CExpr


@node
class CExprStmt(CStmt):
    expr: CExpr


@node
class CIf(CStmt):
    cond: CExpr
    then: tuple[CStmt, ...]
    else_: tuple[CStmt, ...]


@node
class CCase(CCaseNode):
    """`case VALUE: BODY` (`value` None: `default:`); a body must end in a jump."""

    value: CExpr | None
    body: tuple[CStmt, ...]


@node
class CSwitch(CStmt):
    value: CExpr
    cases: tuple[CCase, ...]


@node
class CGoto(CStmt):
    label: str


@node
class CLabel(CStmt):
    """`NAME:` (printed `NAME:;` when nothing follows)."""

    name: str


@node
class CReturn(CStmt):
    value: CExpr | None


# -- expressions -------------------------------------------------------------------------------

C_UNARY_OPS = ("!", "~", "&", "*")
C_BINARY_OPS = ("==", "!=", "<", "<=", ">", ">=", "&", "|", "^", "&&", "||")


@node
class CIntLit(CExpr):
    """An integer constant of `type` (printed `INT64_C(v)`, `vu`, or plain for `int`)."""

    value: int
    type: CType


@node
class CBoolLit(CExpr):
    value: bool


@node
class CStrLit(CExpr):
    """A C string literal (names in the descriptor; never WYKI data)."""

    value: str


@node
class CBytesInit(CExpr):
    """`{ 0x.., ... }`: the initializer of a `uint8_t` array member (literal data)."""

    value: bytes


@node
class CBytesLit(CExpr):
    """A byte-string literal, a `struct wyki_bytes_N` of its length: until hoist-static-data
    makes it the static constant `lit_K` (the emitter prints no `CBytesLit`)."""

    value: bytes


@node
class CConstRef(CExpr):
    """The WYKI `const NAME`, of C type `type` and initializer `init`: until hoist-static-data
    makes it the static constant `k_NAME` (the emitter prints no `CConstRef`)."""

    name: str
    type: CType
    init: CExpr


@node
class CName(CExpr):
    """A variable, parameter, global, function or runtime constant (`WYKI_DONE`)."""

    name: str


@node
class CMember(CExpr):
    """`target.field`"""

    target: CExpr
    field: str


@node
class CArrow(CExpr):
    """`target->field`"""

    target: CExpr
    field: str


@node
class CIndex(CExpr):
    """`target[index]` (the index was checked before)."""

    target: CExpr
    index: CExpr


@node
class CCall(CExpr):
    func: str
    args: tuple[CExpr, ...]


@node
class CUnary(CExpr):
    """`!` on bool, `~` on int64_t, `&` address-of, `*` dereference."""

    op: Literal["!", "~", "&", "*"]
    operand: CExpr


@node
class CBinary(CExpr):
    """Only operators whose C meaning equals WYKI's: comparisons, `& | ^`, `&& ||`."""

    op: Literal["==", "!=", "<", "<=", ">", ">=", "&", "|", "^", "&&", "||"]
    left: CExpr
    right: CExpr


@node
class CCast(CExpr):
    type: CType
    value: CExpr


@node
class CSizeof(CExpr):
    type: CType


@node
class CInit(CInitNode):
    """`.field = value` (`field` None: a positional item)."""

    field: str | None
    value: CExpr


@node
class CInitList(CExpr):
    """`{ items }`: only as an initializer of a `CDataDef`, `CGlobalDef` or `CServiceDef`."""

    items: tuple[CInit, ...]


class CProgram(Node):
    """A translation unit."""


@node
class CUnit(CProgram):
    name: str
    decls: tuple[CDecl, ...]


CISH_FORMS: list[type[Node]] = [
    CUnit, CStructDef, CDataDef, CGlobalDef, CFuncDef, CServiceDef, CVar,
    CInt64, CBoolT, CUInt8, CUInt32, CStatus, CVoid, CStructT, CArrayT, CPointerT, CRuntimeT,
    CAssign, CExprStmt, CIf, CSwitch, CCase, CGoto, CLabel, CReturn,
    CIntLit, CBoolLit, CStrLit, CBytesInit, CBytesLit, CConstRef, CName, CMember, CArrow, CIndex,
    CCall, CUnary, CBinary, CCast,
    CSizeof, CInit, CInitList,
]  # fmt: skip

Cish = Language("Cish", CISH_FORMS, root=CUnit, doc=__doc__ or "")
