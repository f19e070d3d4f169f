"""Random well-typed WYKI programs, for differential testing and compiler benchmarks.

    from nanowyki.testing.genprog import wyki_programs, program_of_lines
    @given(wyki_programs())            # a Hypothesis strategy of program texts
    text = program_of_lines(1000, 7)   # a deterministic program of about 1000 lines

A program is a TCP service whose `session` loops reading a line
(`let line = recv_line(N) else { close; };`), computes with it and sends results, or (with
`Forms.udp`) a UDP service whose `datagram pkt: bytes[N]` handler computes with the packet and
`reply`s. Around it: 0..k functions forming a DAG (function i calls only functions j < i),
constants, shared variables, a table, structs, and 0..2 timers (`every N ms` / `every N s`)
that update shared variables and the table. Statements: `let`/`var`, assignments (`= += -= *=
++=`, fields, elements), `if` chains, bounded `for` loops, `while ... max N` / `loop max N`,
input-consuming unbounded loops in the session, spinning session loops that run without
receiving (`while c < K { c += 1; ... }`, no `max`: they spend fuel and yield), `sleep`,
`set_timeout` / `timed_out()`, `break`/`continue`, `send` / `reply`, early `return`s (several
per function; a bare `return;` in handlers and timers), table methods, `let ... else` over
`parse_int`, `find`, `fit`, `t.get`, optional functions and the receives.

Programs are built from typed expressions (`exprs.ExprGen`) in an environment of typed
variables, so every one passes the front end by construction (rules 10-12 included); run-time
faults may happen, and must happen identically at every IL. Every loop is bounded except the
session's: each unbounded session loop either starts with a receive whose failure leaves the
loop, or counts its turns in a variable no other statement assigns and leaves after at most
`SPIN_TURNS[-1]` of them; so a run always becomes quiet. Loop bounds and call costs stay
small, so that every handler keeps well within the step budget between two yields
(require-step-budget). A `sleep` or receive timeout waits for the virtual clock, which only a
transcript's `advance` moves (`nanowyki.testing.cases` draws such scripts).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any, Literal

from .choice import Chooser, DrawChooser, RandomChooser
from .exprs import WORDS, ExprGen, Fn, Scope, Table, Var
from .types import BOOL, INT, ArrayT, BytesT, E, IntT, StructT, Ty, bytes_lit, int_lit, show


@dataclass(frozen=True)
class Size:
    """How big a program is."""

    fns: int = 3  # at most this many functions
    stmts: int = 4  # at most this many statements per block
    depth: int = 2  # nesting of blocks
    expr: int = 2  # nesting of expressions


@dataclass(frozen=True)
class Forms:
    """Which forms beyond the original TCP session may appear. `LINES_ONLY` (all off) is what
    `program_of_lines` uses, so that a benchmark's program stays the same for a seed."""

    udp: bool = False  # sometimes a UDP service (needs a client script of datagrams)
    timers: bool = True  # `every` blocks
    clock: bool = True  # `sleep`, `set_timeout`, `timed_out()`
    spin: bool = True  # session loops without a receive (fuel, yields), `max` loops in sessions


LINES_ONLY = Forms(udp=False, timers=False, clock=False, spin=False)
TIMER_PERIODS = ((100, "ms"), (250, "ms"), (1, "s"), (2, "s"), (86400, "s"))
SPIN_TURNS = (3, 12, 40)  # how many turns a spinning session loop makes, at most
SPIN_WORK = 160  # the most turns of spinning loops per line: they run at every IL
SLEEPS = (0, 10, 100, 1000)
TIMEOUTS = (50, 0, 400)
Where = Literal["fn", "session", "datagram", "timer"]


@dataclass(frozen=True)
class Ctx:
    where: Where
    loops: int = 0  # enclosing loops (break and continue are allowed inside one)
    unbounded: bool = False  # the innermost loop is an unbounded session loop
    result: Ty | None = None  # the function's result type
    optional: bool = False
    waits: bool = True  # in the session: may wait for input or the clock (not so in a probe)

    @property
    def session(self) -> bool:
        return self.where == "session"


class ProgramGen:
    def __init__(self, ch: Chooser, size: Size, forms: Forms = Forms()) -> None:
        self.ch = ch
        self.size = size
        self.forms = forms
        self.proto = "tcp"
        self.periods: list[int] = []  # of the timers, in ms
        self.scope = Scope(clock=forms.clock)
        self.ex = ExprGen(ch, self.scope)
        self.lines: list[str] = []
        self.level = 0
        self.counter = 0
        self.ctx = Ctx("fn")

    # -- output ---------------------------------------------------------------------------------

    def emit(self, line: str) -> None:
        self.lines.append("    " * self.level + line)

    @contextmanager
    def block(self, head: str, tail: str = "}") -> Iterator[None]:
        self.emit(head + " {")
        self.level += 1
        self.scope.locals.append([])
        try:
            yield
        finally:
            self.scope.locals.pop()
            self.level -= 1
            self.emit(tail)

    @contextmanager
    def within(self, ctx: Ctx, mult: int = 1) -> Iterator[None]:
        old, old_mult = self.ctx, self.scope.mult
        self.ctx = ctx
        self.scope.mult = old_mult * mult
        try:
            yield
        finally:
            self.ctx = old
            self.scope.mult = old_mult

    def fresh(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}{self.counter}"

    def declare(self, v: Var) -> None:
        self.scope.locals[-1].append(v)

    def step(self) -> None:
        self.scope.cost += self.scope.mult

    # -- the service ----------------------------------------------------------------------------

    def service(self, n_fns: int, *, fn_lines: int = 0, session_lines: int | None = None) -> str:
        """The program: `n_fns` functions, more while the text is shorter than `fn_lines`;
        timers; a session of random size, or grown until the text has `session_lines` lines
        (or a datagram handler)."""
        if self.forms.udp and self.ch.chance(35):
            self.proto = "udp"
        n_timers = self.ch.integer(0, 2) if self.forms.timers else 0
        self.emit("service gen {")
        self.level += 1
        self.emit(f"listen {self.proto} 7000;")
        if self.proto == "tcp" and self.ch.chance(30):
            self.emit(f"sessions {self.ch.integer(3, 64)};")
        self.globals()
        if n_timers and not any(v.name == "hits" for v in self.scope.shared):
            self.scope.shared.append(Var("hits", INT, mutable=True))
            self.emit("shared hits: int = 0;")
        self.scope.runtime = True
        for _ in range(n_fns):
            self.function()
        while len(self.lines) < fn_lines:
            self.function(self.size.depth if fn_lines - len(self.lines) > 40 else 0)
        for _ in range(n_timers):
            self.timer()
        if self.proto == "udp":
            self.datagram()
        else:
            self.session(session_lines)
        self.level -= 1
        self.emit("}")
        return "\n".join(self.lines) + "\n"

    def globals(self) -> None:
        for _ in range(self.ch.integer(0, 3)):
            self.constant()
        for _ in range(self.ch.integer(0, 2)):
            self.struct()
        if self.ch.chance(60):
            self.table()
        if self.ch.chance(60):
            self.scope.shared.append(Var("hits", INT, mutable=True))
            self.emit(f"shared hits: int = {self.ch.integer(0, 9)};")
        if self.ch.chance(30):
            self.scope.shared.append(Var("flag", BOOL, mutable=True))
            self.emit("shared flag: bool = false;")

    def constant(self) -> None:
        name = self.fresh("K")
        e = self.ex.int_expr(1) if self.ch.chance(60) else self.ex.bytes_expr(1)
        if e.const is None:
            e = (
                int_lit(self.ch.integer(1, 64))
                if self.ch.chance(60)
                else bytes_lit(self.ch.pick(WORDS))
            )
        declared = ""
        if isinstance(e.ty, BytesT) and self.ch.chance(30):
            n = e.bound + self.ch.integer(1, 8)
            declared = f": bytes[{n}]"
            e = replace(e, ty=BytesT(n))
        self.scope.consts.append(Var(name, e.ty, const=e.const))
        self.emit(f"const {name}{declared} = {e.text};")

    def field_type(self) -> Ty:
        k = self.ch.integer(0, 4)
        if k <= 1:
            return INT
        if k == 2:
            return BOOL
        if k == 3 and self.scope.structs and self.ch.chance(50):
            return StructT(self.ch.pick(list(self.scope.structs)))
        return BytesT(self.ch.pick((4, 16, 64)))

    def struct(self) -> None:
        name = self.fresh("S")
        fields = tuple((f"m{i}", self.field_type()) for i in range(self.ch.integer(1, 3)))
        self.scope.structs[name] = fields
        self.emit(f"struct {name} {{ " + ", ".join(f"{f}: {show(t)}" for f, t in fields) + " }")

    def table(self) -> None:
        key: Ty = INT if self.ch.chance(50) else BytesT(self.ch.pick((8, 32)))
        value = self.value_type(allow_struct=True)
        cap = self.ch.pick((2, 4, 64))
        self.scope.table = Table("tbl", key, value, cap)
        self.emit(f"table tbl: map<{show(key)}, {show(value)}>[{cap}];")

    def value_type(self, *, allow_struct: bool = False) -> Ty:
        k = self.ch.integer(0, 3)
        if k == 1:
            return BytesT(self.ch.pick((8, 16, 64)))
        if k == 2:
            return BOOL
        if k == 3 and allow_struct and self.scope.structs:
            return StructT(self.ch.pick(list(self.scope.structs)))
        return INT

    # -- functions ------------------------------------------------------------------------------

    def function(self, depth: int | None = None) -> None:
        name = self.fresh("f")
        params = tuple(
            Var(self.fresh("p"), self.value_type(allow_struct=True))
            for _ in range(self.ch.integer(0, 3))
        )
        k = self.ch.integer(0, 4)
        result: Ty | None = None if k == 0 else self.value_type(allow_struct=True)
        optional = result is not None and not isinstance(result, StructT) and self.ch.chance(30)
        head = ", ".join(f"{p.name}: {show(p.ty)}" for p in params)
        ret = "" if result is None else f" -> {show(result)}{'?' if optional else ''}"
        self.scope.cost = 1
        ctx = Ctx("fn", result=result, optional=optional)
        with self.within(ctx), self.block(f"fn {name}({head}){ret}"):
            for p in params:
                self.declare(p)
            self.stmts(self.size.depth if depth is None else depth)
            if result is not None:
                self.emit(f"return {self.ex.of(result, self.size.expr).text};")
        self.scope.fns.append(Fn(name, params, result, optional, self.scope.cost))

    # -- handlers -------------------------------------------------------------------------------

    def timer(self) -> None:
        """`every N ms { ... }`: what it does shows only through shared variables, the table
        and its faults, so it mostly starts by counting its runs."""
        period, unit = self.ch.pick(TIMER_PERIODS)
        self.periods.append(period * 1000 if unit == "s" else period)
        self.scope.cost = 0
        with self.within(Ctx("timer")), self.block(f"every {period} {unit}"):
            if self.ch.chance(70):
                self.emit("hits += 1;")
            self.stmts(max(0, self.size.depth - 1))  # it may run many times per transcript

    def datagram(self) -> None:
        """`datagram pkt: bytes[N] { ... }`, ending with a reply."""
        bound = self.ch.pick((64, 16, 512))
        self.scope.cost = 0
        with self.within(Ctx("datagram")), self.block(f"datagram pkt: bytes[{bound}]"):
            self.declare(Var("pkt", BytesT(bound)))
            self.stmts(self.size.depth)
            self.reply()

    def session(self, until: int | None) -> None:
        self.scope.cost = 0
        self.scope.session = True
        with self.within(Ctx("session")), self.block("session"):
            for _ in range(self.ch.integer(0, 2)):
                self.decl(mutable=True)
            bound = self.ch.pick((64, 16, 8, 200))
            with self.within(replace(self.ctx, loops=1, unbounded=True)), self.block("loop"):
                self.emit(f"let line = recv_line({bound}) else {{ close; }};")
                self.declare(Var("line", BytesT(bound)))
                if self.forms.clock and self.forms.spin and self.ch.chance(40):
                    self.probe()
                if until is None:
                    self.stmts(self.size.depth)
                else:
                    while len(self.lines) < until:
                        self.stmt(self.size.depth if until - len(self.lines) > 30 else 0)
                self.send()
            if self.ch.chance(30):
                self.send()

    def probe(self) -> None:
        """`sleep(P - now_ms() % P)` (until the next multiple of P ms, when the timers of
        period P run too), then a loop that spins without waiting and counts in a shared
        variable what it sends. The sessions and timers due at once run by turns, each
        session until its fuel is spent: what they send shows where every one yielded."""
        period = self.ch.pick((100, *(p for p in self.periods if p <= 250)))
        self.emit(f"sleep({period} - now_ms() % {period});")
        with self.within(replace(self.ctx, waits=False)):
            self.spin_loop(self.size.depth, turns=self.ch.pick(SPIN_TURNS[1:]))

    # -- statements -----------------------------------------------------------------------------

    def stmts(self, depth: int) -> None:
        for _ in range(self.ch.integer(1, self.size.stmts)):
            self.stmt(depth)

    def stmt(self, depth: int) -> None:
        self.step()
        where = self.ctx.where
        kinds: list[Callable[[int], None]] = [
            self.simple_decl,
            self.assign,
            self.let_else,
            self.table_stmt,
            self.call_stmt,
        ]
        if where == "session":
            kinds += [self.send_stmt, self.recv_stmt if self.ctx.waits else self.send_stmt]
        if where == "datagram":
            kinds.append(self.reply_stmt)
        if self.ctx.loops:
            kinds.append(self.jump)
        if where != "session":
            kinds.append(self.early_return)
        if where == "session" and self.forms.clock:
            kinds += [self.sleep_stmt if self.ctx.waits else self.timeout_stmt, self.timeout_stmt]
        if depth > 0:
            kinds += [self.if_stmt, self.for_stmt, self.if_stmt]
            waits = where == "session" and self.ctx.waits
            kinds.append(self.input_loop if waits else self.while_max)
            if where == "session" and self.forms.spin:
                spins = self.scope.mult * SPIN_TURNS[0] <= SPIN_WORK
                kinds += [self.spin_loop if spins else self.while_max, self.while_max]
        self.ch.pick(kinds)(depth)

    def simple_decl(self, depth: int) -> None:
        self.decl(mutable=self.ch.chance(50))

    def decl(self, *, mutable: bool) -> None:
        ty = self.local_type()
        kw = "var" if mutable else "let"
        name = self.fresh("v")
        if isinstance(ty, BytesT) and (mutable or self.ch.chance(30)):
            e = self.ex.of(ty, self.size.expr)
            self.emit(f"{kw} {name}: {show(ty)} = {e.text};")
        else:
            e = self.ex.of(ty, self.size.expr)
            ty = e.ty
            self.emit(f"{kw} {name} = {e.text};")
        self.declare(Var(name, ty, mutable=mutable))

    def local_type(self) -> Ty:
        k = self.ch.integer(0, 9)
        if k <= 3:
            return INT
        if k <= 6:
            return BytesT(self.ch.pick((16, 64, 8, 128)))
        if k == 7:
            return BOOL
        if k == 8 and self.scope.structs:
            return StructT(self.ch.pick(list(self.scope.structs)))
        elem: Ty = INT if self.ch.chance(50) else BytesT(self.ch.pick((4, 16)))
        return ArrayT(elem, self.ch.integer(1, 6))

    def assign(self, depth: int) -> None:
        targets = self.scope.visible(lambda v: v.mutable)
        if not targets:
            self.decl(mutable=True)
            return
        v = self.ch.pick(targets)
        place, ty = self.place(v)
        match ty:
            case IntT():
                op = self.ch.pick(("=", "+=", "-=", "*="))
                self.emit(f"{place} {op} {self.ex.int_expr(self.size.expr).text};")
            case BytesT() if self.ch.chance(50):
                self.emit(f"{place} ++= {self.ex.bytes_expr(self.size.expr).text};")
            case _:
                self.emit(f"{place} = {self.ex.of(ty, self.size.expr).text};")

    def place(self, v: Var) -> tuple[str, Ty]:
        """A place inside variable `v`: itself, a field or an element."""
        if isinstance(v.ty, StructT) and self.ch.chance(70):
            f, t = self.ch.pick(self.scope.structs[v.ty.name])
            return f"{v.name}.{f}", t
        if isinstance(v.ty, ArrayT) and self.ch.chance(70):
            i = (
                self.ex.int_expr(1)
                if self.ch.chance(30)
                else int_lit(self.ch.integer(0, v.ty.size - 1))
            )
            if isinstance(i.const, int) and not 0 <= i.const < v.ty.size:
                i = int_lit(0)
            return f"{v.name}[{i.text}]", v.ty.elem
        return v.name, v.ty

    def if_stmt(self, depth: int) -> None:
        self.emit(f"if {self.ex.bool_expr(self.size.expr).text} {{")
        self.body(depth - 1)
        n = self.ch.integer(0, 2)
        for i in range(n):
            if i == n - 1 and self.ch.chance(50):
                self.emit("} else {")
                self.body(depth - 1)
                break
            self.emit(f"}} else if {self.ex.bool_expr(self.size.expr).text} {{")
            self.body(depth - 1)
        self.emit("}")

    def body(self, depth: int) -> None:
        self.level += 1
        self.scope.locals.append([])
        self.stmts(depth)
        self.scope.locals.pop()
        self.level -= 1

    def for_stmt(self, depth: int) -> None:
        """`for i in a..b` with a static trip bound: `b` a constant or `min(len(x), C)`, `a` a
        constant or an enclosing loop's variable."""
        trips = self.ch.integer(1, 6)
        start, stop = int_lit(0), int_lit(trips)
        k = self.ch.integer(0, 3)
        bytes_vars = self.scope.visible(lambda v: isinstance(v.ty, BytesT))
        loop_vars = self.scope.visible(lambda v: v.loop and v.lo is not None)
        if k == 1 and bytes_vars:
            b = self.ex.name(self.ch.pick(bytes_vars))
            stop = self.ex.call_int("min", self.ex.call_int("len", b), stop)
        elif k == 2 and loop_vars:
            start = self.ex.name(self.ch.pick(loop_vars))
        elif k == 3:
            start = int_lit(self.ch.integer(-2, 2))
            trips += 2
        name = self.fresh("i")
        ctx = replace(self.ctx, loops=self.ctx.loops + 1, unbounded=False)
        known = start.lo is not None and stop.hi is not None
        var = Var(
            name,
            INT,
            loop=True,
            lo=start.lo if known else None,
            hi=stop.hi - 1 if known and stop.hi is not None else None,
        )
        with self.within(ctx, trips), self.block(f"for {name} in {start.text}..{stop.text}"):
            self.declare(var)
            self.stmts(depth - 1)

    def while_max(self, depth: int) -> None:
        n = self.ch.integer(1, 8)
        counter = self.fresh("w")
        self.emit(f"var {counter} = 0;")
        self.declare(Var(counter, INT))
        cond = self.ex.bool_expr(1)
        ctx = replace(self.ctx, loops=self.ctx.loops + 1, unbounded=False)
        head = f"while {counter} < {self.ch.integer(0, n + 1)} && {cond.text} max {n}"
        if self.ch.chance(30):
            head = f"loop max {n}"
        with self.within(ctx, n), self.block(head):
            self.emit(f"{counter} += 1;")
            self.stmts(depth - 1)
            if head.startswith("loop"):
                self.emit(f"if {counter} >= {self.ch.integer(1, n + 1)} {{ break; }}")

    def input_loop(self, depth: int) -> None:
        """An unbounded session loop: each turn first receives, and leaves when that fails."""
        bound = self.ch.pick((16, 8, 64))
        head = "loop" if self.ch.chance(50) else f"while {self.ex.bool_expr(1).text}"
        name = self.fresh("l")
        ctx = replace(self.ctx, loops=self.ctx.loops + 1, unbounded=True)
        with self.within(ctx, 4), self.block(head):
            self.emit(f"let {name} = recv_line({bound}) else {{ {self.leave()} }};")
            self.declare(Var(name, BytesT(bound)))
            stop = bytes_lit(self.ch.pick((b"end", b"", b"x"))).text
            self.emit(f"if {name} == {stop} {{ break; }}")
            self.stmts(depth - 1)

    def spin_loop(self, depth: int, turns: int | None = None) -> None:
        """An unbounded session loop that does not receive: it counts its turns in a variable
        nothing else assigns (`continue` comes after the count) and leaves after K of them.
        Without a `max` it spends the session's fuel each turn and yields when it is spent."""
        if turns is None:
            turns = self.ch.pick([t for t in SPIN_TURNS if self.scope.mult * t <= SPIN_WORK])
        counter = self.fresh("c")
        self.emit(f"var {counter} = 0;")
        self.declare(Var(counter, INT))  # immutable to the generator: no assignment resets it
        ctx = replace(self.ctx, loops=self.ctx.loops + 1, unbounded=True)
        if self.ch.chance(50):
            head, check = f"while {counter} < {turns}", None
        else:
            head, check = "loop", f"if {counter} > {turns} {{ break; }}"
        with self.within(ctx, turns), self.block(head):
            self.emit(f"{counter} += 1;")
            if check is not None:
                self.emit(check)
            counts = [v for v in self.scope.shared if isinstance(v.ty, IntT)]
            if counts and (not self.ctx.waits or self.ch.chance(60)):
                # Shared state that other sessions and the timers change between this loop's
                # slices: where it yields shows in what it sends.
                hits = self.ch.pick(counts).name
                self.emit(f"{hits} += 1;")
                self.emit(f'send({counter}, ":", {hits}, " ");')
            self.stmts(depth - 1)

    def leave(self) -> str:
        """How a failed receive leaves an unbounded session loop."""
        prefix = 'send("bye\\n"); ' if self.ch.chance(30) else ""
        return prefix + ("close;" if self.ch.chance(50) else "break;")

    def jump(self, depth: int) -> None:
        word = self.ch.pick(("break", "continue"))
        self.emit(f"if {self.ex.bool_expr(self.size.expr).text} {{ {word}; }}")

    def early_return(self, depth: int) -> None:
        self.emit(f"if {self.ex.bool_expr(self.size.expr).text} {{ {self.returning()} }}")

    def returning(self) -> str:
        ctx = self.ctx
        if ctx.result is None:
            return "return;"
        if ctx.optional and self.ch.chance(50):
            return "return none;"
        return f"return {self.ex.of(ctx.result, self.size.expr).text};"

    def diverge(self) -> str:
        """The body of an `else` block: it must not fall through (rule 7)."""
        if self.ctx.session:
            prefix = (
                f"send({bytes_lit(self.ch.pick(WORDS[:6]) + b'!').text}); "
                if (self.ch.chance(50))
                else ""
            )
            options = ["close;"]
            if self.ctx.loops:
                options += ["continue;", "break;"]
            return prefix + self.ch.pick(options)
        prefix = ""
        if self.ctx.where == "datagram" and self.ch.chance(40):
            prefix = f"reply({bytes_lit(self.ch.pick(WORDS[:6]) + b'?').text}); "
        if self.ctx.loops and self.ch.chance(30):
            return prefix + self.ch.pick(("break;", "continue;"))
        return prefix + self.returning()

    def let_else(self, depth: int) -> None:
        d = self.size.expr
        k = self.ch.integer(0, 4)
        t = self.scope.table
        value: E | None = None
        if k == 0:
            value = E(f"parse_int({self.ex.bytes_expr(d).text})", INT)
        elif k == 1:
            value = E(f"find({self.ex.bytes_expr(d).text}, {self.ex.bytes_expr(1).text})", INT)
        elif k == 2 and t is not None:
            value = E(f"{t.name}.get({self.ex.key(t, d, lookup=True).text})", t.value)
        elif k == 3:
            n = self.ch.pick((4, 8, 32))
            value = E(f"fit({self.ex.bytes_expr(d).text}, {n})", BytesT(n))
        else:
            value = self.ex.call_fn(BytesT(1 << 20), d, optional=True) or self.ex.call_fn(
                INT, d, optional=True
            )
        if value is None:
            value = E(f"parse_int({self.ex.bytes_expr(d).text})", INT)
        name = self.fresh("v")
        self.emit(f"let {name} = {value.text} else {{ {self.diverge()} }};")
        self.declare(Var(name, value.ty))

    def table_stmt(self, depth: int) -> None:
        t = self.scope.table
        if t is None:
            self.call_stmt(depth)
            return
        d = self.size.expr
        k = self.ch.integer(0, 9)
        if k <= 5:
            key = self.ex.key(t, d, lookup=False)
            self.emit(f"{t.name}.put({key.text}, {self.ex.of(t.value, d).text});")
        elif k <= 7:
            self.emit(f"let _ = {t.name}.remove({self.ex.key(t, d, lookup=True).text});")
        elif k == 8:
            self.emit(f"{t.name}.clear();")
        else:
            self.emit(f"let _ = {t.name}.size();")

    def call_stmt(self, depth: int) -> None:
        sc = self.scope
        units = [f for f in sc.fns if f.result is None and sc.mult * f.cost <= sc.call_budget]
        if units and self.ch.chance(70):
            f = self.ch.pick(units)
            sc.cost += sc.mult * f.cost
            self.emit(f"{f.name}({self.ex.args(f.params, self.size.expr)});")
            return
        value = self.ex.call_fn(self.value_type(), self.size.expr)
        if value is not None:
            self.emit(f"let _ = {value.text};")
        elif self.ch.chance(30):
            self.emit(f"log({self.ex.bytes_expr(1).text}, {self.ex.int_expr(1).text});")
        else:
            self.decl(mutable=True)

    def send_stmt(self, depth: int) -> None:
        self.send()

    def send(self) -> None:
        args = []
        for _ in range(self.ch.integer(1, 4)):
            e = (
                self.ex.int_expr(self.size.expr)
                if self.ch.chance(40)
                else self.ex.bytes_expr(self.size.expr)
            )
            args.append(e.text)
        args.append('"\\n"')
        self.emit(f"send({', '.join(args)});")

    def reply_stmt(self, depth: int) -> None:
        self.reply()

    def reply(self) -> None:
        """`reply(...)`: one datagram back, the concatenation of 1..3 values."""
        args = []
        for _ in range(self.ch.integer(1, 3)):
            e = (
                self.ex.int_expr(self.size.expr)
                if self.ch.chance(40)
                else self.ex.bytes_expr(self.size.expr)
            )
            args.append(e.text)
        self.emit(f"reply({', '.join(args)});")

    def sleep_stmt(self, depth: int) -> None:
        """`sleep(ms)`: mostly a literal, often a timer's period (the session then wakes
        when the timer runs); sometimes a computed amount, masked to 0..255 or not (a negative
        one returns at once, a huge one sleeps past every transcript)."""
        k = self.ch.integer(0, 3)
        if k <= 1:
            ms = int_lit(self.ch.pick((*SLEEPS, *self.periods, *self.periods)))
        elif k == 2:
            ms = self.ex.binop("&", self.ex.int_expr(1), int_lit(255))
        else:
            ms = self.ex.int_expr(1)
        self.emit(f"sleep({ms.text});")

    def timeout_stmt(self, depth: int) -> None:
        """`set_timeout(ms)`: later receives give `none` when the clock passes their deadline."""
        ms = int_lit(self.ch.pick(TIMEOUTS)) if self.ch.chance(80) else self.ex.int_expr(1)
        self.emit(f"set_timeout({ms.text});")

    def recv_stmt(self, depth: int) -> None:
        """Another receive; in an unbounded loop it is not the loop's first statement, so
        its failure may also `continue`."""
        k = self.ch.integer(0, 2)
        n = self.ch.pick((4, 16))
        if k == 0:
            call = f"recv_exact({self.ex.small_int(1).text}, {n})"
        elif k == 1:
            call = f'recv_until(" ", {n})'
        else:
            call = f"recv({n})"
        name = self.fresh("r")
        self.emit(f"let {name} = {call} else {{ {self.diverge()} }};")
        self.declare(Var(name, BytesT(n)))


def generate(ch: Chooser, size: Size = Size(), forms: Forms = Forms()) -> str:
    """A whole program, decisions taken from `ch`."""
    gen = ProgramGen(ch, size, forms)
    return gen.service(ch.integer(0, size.fns))


def wyki_programs(size: Size = Size(), forms: Forms = Forms()) -> Any:
    """A Hypothesis strategy of program texts (every one accepted by the front end). TCP
    services by default, which any script of `record.client_scripts()` fits; for UDP services
    too, draw programs with their scripts: `nanowyki.testing.cases.wyki_cases()`."""
    from hypothesis import strategies as st

    @st.composite
    def programs(draw: Any, /) -> str:
        return generate(DrawChooser(draw), size, forms)

    return programs()


def program_of_lines(n_lines: int, seed: int = 0) -> str:
    """A deterministic program of about `n_lines` lines: many functions, then a session long
    enough to reach the count. Its forms are `LINES_ONLY`, so that the programs the compiler
    benchmarks measure stay the same when the generator learns new forms."""
    ch = RandomChooser(seed)
    gen = ProgramGen(ch, Size(fns=0, stmts=5, depth=2, expr=2), LINES_ONLY)
    # Compiled, not run, so calls may cost more than in `generate`; but not without limit: the
    # session must stay within the step budget between two yields (require-step-budget).
    gen.scope.call_budget = 20_000
    return gen.service(0, fn_lines=n_lines * 6 // 10, session_lines=n_lines - 6)
