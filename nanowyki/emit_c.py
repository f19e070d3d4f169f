"""Print a `Cish` unit as C11 source: the C emitter's printer (not a pass: like `print_tree`).

    from nanowyki.emit_c import emit_c
    text = emit_c(unit)            # unit: the `CUnit` the default pipeline ends with

The output is deterministic and includes exactly one header, `wyki.h` (runtime_c/include),
preceded by `#define WYKI_FUEL` (the checkpoints per step, overridable with -DWYKI_FUEL=N).
Declarations come in dependency order whatever the unit's order: the struct definitions
(topologically by by-value members), a prototype of every function (so functions, the
descriptor's tables and timers may name a function defined later), the constant data and
globals in the unit's order, the function definitions, the service descriptor.

Printing choices (none changes what the Cish means):

- only the parentheses the grammar needs are printed (pycparser's generator style), plus those
  gcc's `-Wparentheses` / `-Wlogical-not-parentheses` ask for (`a & (b == c)`, `a || (b && c)`,
  `(!a) == b`), so the output compiles with `-Wall -Wextra -Werror`;
- byte-string data (`CBytesInit`) is a byte array `{ 0x48, 0x49 }` with the text in a comment
  (a string literal exactly as long as the array has no room for its NUL: gcc 15's `-Wextra`
  rejects it);
- a label no `goto` names is printed as a comment (`-Wunused-label`); `(*p).f` is `p->f`;
- a parameter nothing reads is followed by `(void)NAME;` (`-Wunused-parameter`: a handler's
  unused `scratch`), a local nothing reads is declared `__attribute__((unused))`
  (`-Wunused(-but-set)-variable`: the status `st` of a function without checked operations;
  a `(void)` of a local would read it before it is set, which UBSan reports for a `bool`), and
  a function nothing calls is declared `__attribute__((unused))`;
- every statement is printed on one line, however long, so that its `#line` is exact;
- a function taking a `uint8_t *` parameter takes it as `const uint8_t *` (byte-string
  parameters are read-only views; literal data is `const`), and a struct pointer parameter
  named `src` (of the `copy_TYPE` functions) as `const struct T *`;
- a statement with a source span is preceded by `#line N "file.wyki"` unless the compiler
  already counts that line; a statement without one inherits the span of the statement that
  contains it, so a debugger or sanitizer report inside it names the .wyki line;
- the descriptor's `step` expects `int (*)(void *, struct wyki_conn *)`, Cish's step takes
  `struct frame *`: the descriptor names an adapter `step_entry` that converts the pointer
  (calling `step` through a cast function pointer would be undefined behaviour).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from nanowyki.framework.node import Node, walk
from nanowyki.framework.span import Span
from nanowyki.languages import cish
from nanowyki.languages.cish import (
    CArrayT,
    CArrow,
    CAssign,
    CBinary,
    CBoolLit,
    CBoolT,
    CBytesInit,
    CCall,
    CCase,
    CCast,
    CDataDef,
    CDecl,
    CExpr,
    CExprStmt,
    CFuncDef,
    CGlobalDef,
    CGoto,
    CIf,
    CIndex,
    CInit,
    CInitList,
    CInt64,
    CIntLit,
    CLabel,
    CMember,
    CName,
    CPointerT,
    CReturn,
    CRuntimeT,
    CServiceDef,
    CSizeof,
    CStatus,
    CStmt,
    CStrLit,
    CStructDef,
    CStructT,
    CSwitch,
    CType,
    CUInt8,
    CUInt32,
    CUnary,
    CUnit,
    CVar,
    CVoid,
)

INDENT = "\t"
WIDTH = 100  # an initializer list longer than this is printed one item per line
DEFAULT_FUEL = 1000  # the reference interpreters' default checkpoints per step

# C operator precedence, higher binds tighter (C11 6.5; all binary operators are left-assoc).
PRIMARY = 17
POSTFIX = 16  # a[i]  f(x)  s.f  p->f
UNARY = 15  # !x ~x &x *x (T)x sizeof(T) -1
BINARY_PRECEDENCE = {
    "*": 13, "/": 13, "%": 13,
    "+": 12, "-": 12,
    "<<": 11, ">>": 11,
    "<": 10, "<=": 10, ">": 10, ">=": 10,
    "==": 9, "!=": 9,
    "&": 8,
    "^": 7,
    "|": 6,
    "&&": 5,
    "||": 4,
}  # fmt: skip
COMPARISONS = frozenset(("<", "<=", ">", ">=", "==", "!="))
ARITHMETIC = frozenset(("+", "-", "*", "/", "%"))
BITWISE = frozenset(("&", "^", "|"))

# the function the descriptor names as its step: an adapter to Cish's `step(struct frame *, c)`
STEP_ADAPTER = "step_entry"


class EmitError(Exception):
    """A Cish form the emitter has no C text for: a compiler bug, not a user error."""


def emit_c(unit: CUnit, *, fuel: int = DEFAULT_FUEL, c_file: str | None = None) -> str:
    """The C11 text of `unit`, ending with a newline; `c_file` is the name the text will have
    (default `NAME.c`), named by the `#line` that returns to C lines after WYKI ones."""
    return CEmitter(fuel, c_file or f"{unit.name}.c").unit(unit)


def _needs_clarity_parens(outer: str, inner: str) -> bool:
    """Parentheses the grammar does not need but gcc -Wparentheses asks for."""
    if outer == "||" and inner == "&&":
        return True
    if outer in BITWISE and (inner in COMPARISONS or inner in ARITHMETIC):
        return True
    if outer in ("|", "^") and inner in BITWISE and inner != outer:
        return True
    if outer in ("<<", ">>") and inner in ("+", "-"):
        return True
    return outer in COMPARISONS and inner in COMPARISONS


class _Writer:
    """Lines of C text with an indentation level and the compiler's idea of the source line."""

    def __init__(self, c_file: str) -> None:
        self.c_file = c_file
        self.lines: list[str] = []
        self.level = 0
        self.presumed: tuple[str, int] | None = None  # (file, line) the next line counts as

    def line(self, text: str = "", *, outdent: int = 0) -> None:
        self.lines.append(INDENT * max(self.level - outdent, 0) + text if text else "")
        if self.presumed is not None:
            self.presumed = (self.presumed[0], self.presumed[1] + 1)

    def at(self, span: Span) -> None:
        """Make the next line count as `span`'s line."""
        if self.presumed == (span.file, span.line):
            return
        self.lines.append(f"#line {span.line} {_c_string(span.file)}")
        self.presumed = (span.file, span.line)

    def reset(self) -> None:
        """Make the next line count as itself, a line of the C file, after a `#line`."""
        if self.presumed is None:
            return
        self.lines.append(f"#line {len(self.lines) + 2} {_c_string(self.c_file)}")
        self.presumed = None

    @contextmanager
    def indented(self) -> Iterator[None]:
        self.level += 1
        try:
            yield
        finally:
            self.level -= 1

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


class CEmitter:
    """One method per Cish form; `decl`, `stmt`, `expr` and `type_name` dispatch."""

    def __init__(self, fuel: int = DEFAULT_FUEL, c_file: str = "wyki.c") -> None:
        self.fuel = fuel
        self.out = _Writer(c_file)
        self.targets: frozenset[str] = frozenset()  # labels some goto of this function names
        self.span: Span | None = None  # the span of the innermost enclosing statement

    # -- the unit ------------------------------------------------------------------------------

    def unit(self, u: CUnit) -> str:
        self.CUnit(u)
        return self.out.text()

    def CUnit(self, u: CUnit) -> None:
        w = self.out
        w.line(f"/* {u.name}: generated by nanowyki from Cish; do not edit. */")
        w.line("#ifndef WYKI_FUEL")
        w.line(f"#define WYKI_FUEL {self.fuel}\t/* checkpoints per step before yielding */")
        w.line("#endif")
        w.line('#include "wyki.h"')
        structs = _struct_order([d for d in u.decls if isinstance(d, CStructDef)])
        funcs = [d for d in u.decls if isinstance(d, CFuncDef)]
        data = [d for d in u.decls if isinstance(d, CDataDef | CGlobalDef)]
        services = [d for d in u.decls if isinstance(d, CServiceDef)]
        for d in u.decls:
            if not isinstance(d, CStructDef | CFuncDef | CDataDef | CGlobalDef | CServiceDef):
                raise EmitError(f"no C form for the declaration {type(d).__name__}")
        for d in structs:
            w.line()
            self.CStructDef(d)
        if funcs:
            w.line()
        used = {n.func for n in walk(u) if isinstance(n, CCall)}
        used |= {n.name for n in walk(u) if isinstance(n, CName)}
        for f in funcs:
            self.prototype(f, used=f.name in used)
        if data:
            w.line()
        for d in data:
            self.decl(d)
        for f in funcs:
            self.CFuncDef(f)
        if any(isinstance(d.init, CInitList) and any(i.field == "step" for i in d.init.items)
               for d in services):  # fmt: skip
            self.step_adapter()
        for d in services:
            self.CServiceDef(d)

    # -- declarations --------------------------------------------------------------------------

    def decl(self, d: CDecl) -> None:
        match d:
            case CStructDef():
                self.CStructDef(d)
            case CDataDef():
                self.CDataDef(d)
            case CGlobalDef():
                self.CGlobalDef(d)
            case CFuncDef():
                self.CFuncDef(d)
            case CServiceDef():
                self.CServiceDef(d)
            case _:
                raise EmitError(f"no C form for the declaration {type(d).__name__}")

    def CStructDef(self, d: CStructDef) -> None:
        w = self.out
        w.line(f"struct {d.name} {{")
        with w.indented():
            for f in d.fields:
                w.line(self.CVar(f) + ";")
        w.line("};")

    def CVar(self, v: CVar) -> str:
        return self.declarator(v.type, v.name)

    def CDataDef(self, d: CDataDef) -> None:
        self.initialized(f"static const {self.declarator(d.type, d.name)}", d.init)

    def CGlobalDef(self, d: CGlobalDef) -> None:
        head = f"static {self.declarator(d.type, d.name)}"
        if d.init is None:
            self.out.line(head + ";")
        else:
            self.initialized(head, d.init)

    def CServiceDef(self, d: CServiceDef) -> None:
        init = d.init
        if isinstance(init, CInitList):  # name the adapter: see the module docstring
            init = CInitList(tuple(
                CInit(i.field, CName(STEP_ADAPTER)) if i.field == "step" else i
                for i in init.items
            ))  # fmt: skip
        self.out.line()
        self.initialized("const struct wyki_service wyki_service", init)

    def initialized(self, head: str, init: CExpr) -> None:
        """`HEAD = INIT;`, the initializer on one line when it fits, else one item per line."""
        lines = self.initializer(init)
        lines[0] = f"{head} = {lines[0]}"
        lines[-1] += ";"
        for text in lines:
            self.out.line(text)

    def initializer(self, e: CExpr) -> list[str]:
        """The lines of an initializer (relative indentation already included)."""
        if not isinstance(e, CInitList | CBytesInit):
            return [self.expr(e)]
        flat = self.expr(e)
        if len(flat) <= WIDTH - 20 and not (isinstance(e, CBytesInit) and len(e.value) > 16):
            return [flat]
        if isinstance(e, CBytesInit):
            return _bytes_lines(e.value)
        lines = ["{"]
        for item in e.items:
            sub = self.initializer(item.value)
            sub[0] = (f".{item.field} = " if item.field is not None else "") + sub[0]
            sub[-1] += ","
            lines += [INDENT + s for s in sub]
        lines.append("}")
        return lines

    def prototype(self, d: CFuncDef, *, used: bool = True) -> None:
        """The declaration; a function nothing calls or names is marked unused
        (-Wunused-function: a WYKI `fn` no handler calls)."""
        self.out.line(self.signature(d) + ("" if used else " __attribute__((unused))") + ";")

    def signature(self, d: CFuncDef) -> str:
        params = ", ".join(self.param(p) for p in d.params) or "void"
        return f"static {self.type_name(d.result)} {d.name}({params})"

    def param(self, p: cish.CVar) -> str:
        if p.type == CPointerT(CUInt8()):
            return f"const uint8_t *{p.name}"
        if p.name == "src" and isinstance(p.type, CPointerT):
            return "const " + self.CVar(p)
        return self.CVar(p)

    def CFuncDef(self, d: CFuncDef) -> None:
        w = self.out
        self.targets = frozenset(_goto_targets(d.body))
        w.line()
        w.line(self.signature(d))
        w.line("{")
        with w.indented():
            read = set(_read_names(d.body))
            for v in d.locals:  # unread: -Wunused(-but-set)-variable
                w.line(self.CVar(v) + ("" if v.name in read else " __attribute__((unused))") + ";")
            for v in d.params:
                if v.name not in read:  # -Wunused-parameter
                    w.line(f"(void){v.name};")
            if d.locals and d.body:
                w.line()
            self.block(d.body)
        w.reset()
        w.line("}")
        self.targets = frozenset()

    def step_adapter(self) -> None:
        w = self.out
        w.line()
        w.line("/* the descriptor's step: the runtime passes the frame as void * */")
        w.line(f"static int {STEP_ADAPTER}(void *frame, struct wyki_conn *c)")
        w.line("{")
        with w.indented():
            w.line("return step(frame, c);")
        w.line("}")

    # -- statements ----------------------------------------------------------------------------

    def block(self, body: tuple[CStmt, ...]) -> None:
        for i, s in enumerate(body):
            self.stmt(s, last=i == len(body) - 1)

    def stmt(self, s: CStmt, *, last: bool = False) -> None:
        outer = self.span
        if s.span is not None:
            self.span = s.span
        try:
            if isinstance(s, CLabel):
                pass  # no code: wherever the compiler thinks it is
            elif self.span is not None:
                self.out.at(self.span)
            else:
                self.out.reset()
            match s:
                case CAssign():
                    self.CAssign(s)
                case CExprStmt():
                    self.CExprStmt(s)
                case CIf():
                    self.CIf(s)
                case CSwitch():
                    self.CSwitch(s)
                case CGoto():
                    self.CGoto(s)
                case CLabel():
                    self.CLabel(s, last)
                case CReturn():
                    self.CReturn(s)
                case _:
                    raise EmitError(f"no C form for the statement {type(s).__name__}")
        finally:
            self.span = outer

    def CAssign(self, s: CAssign) -> None:
        self.out.line(f"{self.expr(s.target)} = {self.expr(s.value)};")

    def CExprStmt(self, s: CExprStmt) -> None:
        self.out.line(f"{self.expr(s.expr)};")

    def CIf(self, s: CIf, *, prefix: str = "") -> None:
        w = self.out
        if _jump(s.then) and (not s.else_ or _jump(s.else_)) and not prefix:
            # the machine's two-way branch, on one line: `if (c) goto a; else goto b;`
            text = f"if ({self.expr(s.cond)}) {self.jump(s.then[0])}"
            w.line(text + (f" else {self.jump(s.else_[0])}" if s.else_ else ""))
            return
        w.line(f"{prefix}if ({self.expr(s.cond)}) {{")
        with w.indented():
            self.block(s.then)
        if not s.else_:
            w.line("}")
        elif len(s.else_) == 1 and isinstance(s.else_[0], CIf) and s.else_[0].span is None:
            self.CIf(s.else_[0], prefix="} else ")
        else:
            w.line("} else {")
            with w.indented():
                self.block(s.else_)
            w.line("}")

    def jump(self, s: CStmt) -> str:
        """The text of a one-line jump (see `_jump`)."""
        if isinstance(s, CGoto):
            return f"goto {s.label};"
        if isinstance(s, CReturn):
            return "return;" if s.value is None else f"return {self.expr(s.value)};"
        raise EmitError(f"{type(s).__name__} is not a jump")

    def CSwitch(self, s: CSwitch) -> None:
        w = self.out
        w.line(f"switch ({self.expr(s.value)}) {{")
        for c in s.cases:
            self.CCase(c)
        w.line("}")

    def CCase(self, c: CCase) -> None:
        w = self.out
        w.line("default:" if c.value is None else f"case {self.expr(c.value)}:")
        with w.indented():
            self.block(c.body)

    def CGoto(self, s: CGoto) -> None:
        self.out.line(f"goto {s.label};")

    def CLabel(self, s: CLabel, last: bool) -> None:
        if s.name not in self.targets:
            self.out.line(f"/* {s.name}: (no goto) */", outdent=1)
        else:
            self.out.line(f"{s.name}:" + (";" if last else ""), outdent=1)

    def CReturn(self, s: CReturn) -> None:
        self.out.line("return;" if s.value is None else f"return {self.expr(s.value)};")

    # -- expressions ---------------------------------------------------------------------------

    def expr(self, e: CExpr) -> str:
        return self.prec(e)[0]

    def operand(self, e: CExpr, at_least: int) -> str:
        """`e`, parenthesized unless it binds at least as tightly as `at_least`."""
        text, p = self.prec(e)
        return text if p >= at_least else f"({text})"

    def prec(self, e: CExpr) -> tuple[str, int]:
        """The text of `e` and the precedence of its outermost operator."""
        match e:
            case CIntLit():
                return self.CIntLit(e)
            case CBoolLit():
                return ("true" if e.value else "false"), PRIMARY
            case CStrLit():
                return _c_string(e.value), PRIMARY
            case CBytesInit():
                return self.CBytesInit(e), PRIMARY
            case CName():
                return e.name, PRIMARY
            case CMember():
                return self.CMember(e), POSTFIX
            case CArrow():
                return f"{self.operand(e.target, POSTFIX)}->{e.field}", POSTFIX
            case CIndex():
                return f"{self.operand(e.target, POSTFIX)}[{self.expr(e.index)}]", POSTFIX
            case CCall():
                return f"{e.func}({', '.join(self.expr(a) for a in e.args)})", POSTFIX
            case CUnary():
                return self.CUnary(e)
            case CBinary():
                return self.CBinary(e)
            case CCast():
                return f"({self.type_name(e.type)}){self.operand(e.value, UNARY)}", UNARY
            case CSizeof():
                return f"sizeof({self.type_name(e.type)})", UNARY
            case CInitList():
                return self.CInitList(e), PRIMARY
            case _:
                raise EmitError(f"no C form for the expression {type(e).__name__}")

    def CMember(self, e: CMember) -> str:
        if isinstance(e.target, CUnary) and e.target.op == "*":  # `(*p).f` reads better as `p->f`
            return f"{self.operand(e.target.operand, POSTFIX)}->{e.field}"
        return f"{self.operand(e.target, POSTFIX)}.{e.field}"

    def CIntLit(self, e: CIntLit) -> tuple[str, int]:
        v = e.value
        match e.type:
            case CUInt32() | CUInt8():
                if v < 0:
                    raise EmitError(f"negative literal {v} of an unsigned type")
                return (f"{v}u" if isinstance(e.type, CUInt32) else str(v)), PRIMARY
            case CInt64():
                if v == -(2**63):
                    return "WYKI_INT_MIN", PRIMARY
                text = str(abs(v)) if -(2**31) < v < 2**31 else f"INT64_C({abs(v)})"
                return (f"-{text}", UNARY) if v < 0 else (text, PRIMARY)
            case _:
                return str(v), (UNARY if v < 0 else PRIMARY)

    def CBytesInit(self, e: CBytesInit) -> str:
        if not e.value:
            return "{ 0 }"
        return "{ " + ", ".join(f"0x{b:02x}" for b in e.value) + " }" + _bytes_comment(e.value)

    def CUnary(self, e: CUnary) -> tuple[str, int]:
        inner = self.operand(e.operand, UNARY)
        if e.op in ("&", "*") and inner.startswith(e.op):
            inner = f"({inner})"  # `& &x` is fine but `&&x` is a label address in GNU C
        return f"{e.op}{inner}", UNARY

    def CBinary(self, e: CBinary) -> tuple[str, int]:
        p = BINARY_PRECEDENCE[e.op]
        left = self.side(e.op, p, e.left, right=False)
        right = self.side(e.op, p, e.right, right=True)
        return f"{left} {e.op} {right}", p

    def side(self, op: str, p: int, e: CExpr, *, right: bool) -> str:
        text, q = self.prec(e)
        # left-associative: a right operand of the same precedence needs parentheses
        needed = q < p or (right and q == p)
        if isinstance(e, CBinary) and _needs_clarity_parens(op, e.op):
            needed = True
        if op in COMPARISONS and not right and isinstance(e, CUnary) and e.op == "!":
            needed = True  # -Wlogical-not-parentheses
        return f"({text})" if needed else text

    def CInitList(self, e: CInitList) -> str:
        return "{ " + ", ".join(self.CInit(i) for i in e.items) + " }"

    def CInit(self, i: CInit) -> str:
        value = self.expr(i.value)
        return value if i.field is None else f".{i.field} = {value}"

    # -- types ---------------------------------------------------------------------------------

    def type_name(self, t: CType) -> str:
        """The abstract declarator of `t` (a cast's or sizeof's type)."""
        return self.declarator(t, "").rstrip()

    def declarator(self, t: CType, name: str) -> str:
        """`t` declaring `name`: `uint8_t data[16]`, `struct frame *f`."""
        match t:
            case CInt64():
                return _join("int64_t", name)
            case CBoolT():
                return _join("bool", name)
            case CUInt8():
                return _join("uint8_t", name)
            case CUInt32():
                return _join("uint32_t", name)
            case CStatus():
                return _join("int", name)
            case CVoid():
                return _join("void", name)
            case CStructT():
                return _join(f"struct {t.name}", name)
            case CRuntimeT():
                return _join(t.name, name)
            case CPointerT():
                inner = f"*{name}"
                if isinstance(t.target, CArrayT):
                    inner = f"(*{name})"
                return self.declarator(t.target, inner)
            case CArrayT():
                return self.declarator(t.element, f"{name}[{t.size}]")
            case _:
                raise EmitError(f"no C form for the type {type(t).__name__}")


# -- helpers -----------------------------------------------------------------------------------


def _join(base: str, declarator: str) -> str:
    if not declarator:
        return base
    return f"{base} {declarator}"


def _c_string(s: str) -> str:
    """A C string literal of `s` (UTF-8), every byte outside printable ASCII escaped."""
    return _c_bytes(s.encode("utf-8"))


ESCAPES = {ord("\\"): "\\\\", ord('"'): '\\"', ord("\n"): "\\n", ord("\r"): "\\r",
           ord("\t"): "\\t"}  # fmt: skip


def _c_bytes(data: bytes) -> str:
    out = []
    prev_hex = False
    for b in data:
        if b in ESCAPES:
            out.append(ESCAPES[b])
            prev_hex = False
        elif 0x20 <= b < 0x7F and not (prev_hex and chr(b) in "0123456789abcdefABCDEF"):
            out.append(chr(b) if b != ord("?") else "\\?")  # no trigraph can form
            prev_hex = False
        else:
            out.append(f"\\x{b:02x}")
            prev_hex = True
    return '"' + "".join(out) + '"'


def _bytes_comment(data: bytes) -> str:
    text = _c_bytes(data).replace("*/", "*\\/").replace("/*", "/\\*")
    return f" /* {text} */"


def _bytes_lines(data: bytes) -> list[str]:
    """A long byte array: the text as a comment, then 12 bytes per line."""
    lines = ["{" + _bytes_comment(data)]
    for i in range(0, len(data), 12):
        lines.append(INDENT + " ".join(f"0x{b:02x}," for b in data[i : i + 12]))
    lines.append("}")
    return lines


def _goto_targets(body: tuple[CStmt, ...]) -> Iterator[str]:
    for s in body:
        match s:
            case CGoto():
                yield s.label
            case CIf():
                yield from _goto_targets(s.then)
                yield from _goto_targets(s.else_)
            case CSwitch():
                for c in s.cases:
                    yield from _goto_targets(c.body)
            case _:
                pass


def _jump(body: tuple[CStmt, ...]) -> bool:
    """Is `body` one goto or return with no span of its own (so it prints on its if's line)?"""
    return len(body) == 1 and isinstance(body[0], CGoto | CReturn) and body[0].span is None


def _read_names(body: tuple[CStmt, ...]) -> Iterator[str]:
    """Every name some statement of `body` reads (an assignment's whole target is not read)."""
    for s in body:
        match s:
            case CAssign():
                if not isinstance(s.target, CName):
                    yield from _expr_names(s.target)
                yield from _expr_names(s.value)
            case CExprStmt():
                yield from _expr_names(s.expr)
            case CIf():
                yield from _expr_names(s.cond)
                yield from _read_names(s.then)
                yield from _read_names(s.else_)
            case CSwitch():
                yield from _expr_names(s.value)
                for c in s.cases:
                    yield from _read_names(c.body)
            case CReturn():
                if s.value is not None:
                    yield from _expr_names(s.value)
            case _:
                pass


def _expr_names(e: Node) -> Iterator[str]:
    for n in walk(e):
        if isinstance(n, CName):
            yield n.name


def _struct_deps(t: CType) -> Iterator[str]:
    """The structs a member of type `t` needs complete (by value, not behind a pointer)."""
    match t:
        case CStructT():
            yield t.name
        case CArrayT():
            yield from _struct_deps(t.element)
        case _:
            pass


def _struct_order(structs: list[CStructDef]) -> list[CStructDef]:
    """`structs` with every struct after the ones it holds by value (stable otherwise)."""
    by_name = {s.name: s for s in structs}
    done: set[str] = set()
    visiting: set[str] = set()
    out: list[CStructDef] = []

    def visit(s: CStructDef) -> None:
        if s.name in done:
            return
        if s.name in visiting:
            raise EmitError(f"struct {s.name} contains itself")
        visiting.add(s.name)
        for f in s.fields:
            for dep in _struct_deps(f.type):
                if dep in by_name:
                    visit(by_name[dep])
        visiting.discard(s.name)
        done.add(s.name)
        out.append(s)

    for s in structs:
        visit(s)
    return out
