"""expose-effects: `send`, `reply` and `log` calls become statements on byte strings."""

from __future__ import annotations

from nanowyki.analysis.stable import is_stable
from nanowyki.framework import Node, Span, Transform
from nanowyki.languages.iterated import Declare, Iterated, Log, Reply, Send
from nanowyki.languages.resolved import CallBuiltin, Local
from nanowyki.languages.surface import Binary, Expr, ExprStmt
from nanowyki.languages.types import TBytes, TInt, Type

ITOA_BOUND = 20  # the most bytes `itoa` writes: '-9223372036854775808'


class ExposeEffects(Transform):
    """Iterated -> Iterated: make send, reply and log statements of one byte string each.

    Establishes: no `CallBuiltin` of `send`, `reply` or `log` is left (the type checker allows
    them only as expression statements). Each argument becomes a byte string exactly as the
    interpreter writes it: an `int` through `itoa` (decimal), a byte string as it is.
    - `send(a, b, c)` becomes `Send(a); Send(b); Send(c)`: the same bytes in the same order,
      and what a session sends in one batch leaves in one write anyway. As `send` evaluates
      every argument before it writes anything, an argument that could fault or read changing
      state (anything but a local, a field of one, a constant or a literal: see
      `analysis.stable`) is first bound to a fresh temporary `t.N` when a `Send` comes before
      it; so a fault still sends nothing, and a `Send` waiting for output room cannot change a
      later argument.
    - `reply(a, b)` becomes one `Reply(a ++ b)`: one datagram, of type `bytes[sum of bounds]`
      (the `Reply` faults `bounds` past 65 507 bytes, as `reply` did).
    - `log(a, b)` becomes one `Log(a ++ b)`: one line.
    Assumes: check-types ran (arguments are ints or byte strings).

        (ExprStmt (CallBuiltin send [(Local x (TBytes 8)) (CallFn f [] (TInt))] (TUnit)))
        ->
        (Declare t.1 (TBytes 20) (CallBuiltin itoa [(CallFn f [] (TInt))] (TBytes 20)))
        (Send (Local x (TBytes 8)))
        (Send (Local t.1 (TBytes 20)))
    """

    name = "expose-effects"
    input = Iterated
    output = Iterated

    def ExprStmt(self, s: ExprStmt) -> Node | tuple[Node, ...]:
        e = s.expr
        if not isinstance(e, CallBuiltin) or e.func not in ("send", "reply", "log"):
            return s  # no effect call can stand inside another expression (all are unit)
        if not e.args:
            raise self.fail(e, f"'{e.func}' without arguments")
        texts = [self.text(a) for a in e.args]
        match e.func:
            case "send":
                return self.sends(texts, s.span)
            case "reply":
                return Reply(self.concat(texts, e), span=s.span)
            case "log":
                return Log(self.concat(texts, e), span=s.span)
            case _:
                raise self.fail(e, "not an effect builtin")

    def sends(self, texts: list[Expr], span: Span | None) -> Node | tuple[Node, ...]:
        last = max((i for i, t in enumerate(texts) if not is_stable(t)), default=0)
        out: list[Node] = []
        sends: list[Node] = []
        for i, t in enumerate(texts):
            if last > 0 and i <= last and not is_stable(t):
                name = self.fresh("t")
                out.append(Declare(name, self.type_of(t), t, span=span))
                t = Local(name, self.type_of(t), span=t.span)
            sends.append(Send(t, span=span))
        out.extend(sends)
        return out[0] if len(out) == 1 else tuple(out)

    def text(self, a: Expr) -> Expr:
        """The argument as the bytes the interpreter writes for it."""
        t = self.type_of(a)
        if isinstance(t, TBytes):
            return a
        if isinstance(t, TInt):
            return CallBuiltin("itoa", (a,), TBytes(ITOA_BOUND), span=a.span)
        raise self.fail(a, "an argument that is neither a byte string nor an int")

    def concat(self, texts: list[Expr], call: Expr) -> Expr:
        out = texts[0]
        for t in texts[1:]:
            bound = self.bound(out) + self.bound(t)
            out = Binary("++", out, t, TBytes(bound), span=call.span)
        return out

    def bound(self, e: Expr) -> int:
        t = self.type_of(e)
        if not isinstance(t, TBytes):
            raise self.fail(e, "not a byte string")
        return t.bound

    def type_of(self, e: Expr) -> Type:
        t = getattr(e, "type", None)
        if not isinstance(t, Type):
            raise self.fail(e, "an expression without a type")
        return t
