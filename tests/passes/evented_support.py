"""Helpers for the tests of the passes into `Evented` (split-states, uncover-liveness,
lift-live-variables) and of `nanowyki.dot`: printed-Pooled-IL builders, and the real pipeline
on source text up to `Pooled`."""

from __future__ import annotations

from pathlib import Path

from nanowyki.framework import Facts, Node, Pass, RunOptions, print_tree, read_tree
from nanowyki.languages.evented import Evented
from nanowyki.languages.pooled import Pooled
from nanowyki.passes.lift_live_variables import LiftLiveVariables
from nanowyki.passes.split_states import SplitStates
from nanowyki.passes.uncover_liveness import UncoverLiveness

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples").glob("*.wyki"))
MINE: list[type[Pass]] = [SplitStates, UncoverLiveness, LiftLiveVariables]

INT, BOOL = "(TInt)", "(TBool)"


def b(n: int) -> str:
    return f"(TBytes {n})"


def opt(t: str) -> str:
    return f"(TOption {t})"


def lit(n: int) -> str:
    return f"(IntLit {n} (TInt))"


def loc(name: str, t: str = INT) -> str:
    return f"(Local {name} {t})"


def slot(name: str, t: str = INT) -> str:
    return f"(Slot {name} {t})"


def assign(target: str, value: str) -> str:
    return f"(Assign {target} = {value})"


def call(func: str, args: list[str], t: str) -> str:
    return f"(CallBuiltin {func} [{' '.join(args)}] {t})"


def bb(label: str, stmts: list[str], exit: str) -> str:
    return f"(BasicBlock {label} [{' '.join(stmts)}] {exit})"


def service(*decls: str, proto: str = "tcp") -> str:
    return f"(Service s [(Listen {proto} {lit(7)}) {' '.join(decls)}])"


def session(slots: list[str], blocks: list[str], entry: str = "b.1") -> str:
    return f"(SessionGraph (PooledCfg {entry} [{' '.join(slots)}] [{' '.join(blocks)}]))"


def machine(frame: list[str], locals_: list[str], blocks: list[str], entry: str = "b.1") -> str:
    return (f"(SessionMachine (StateMachine {entry} [{' '.join(frame)}] [{' '.join(locals_)}] "
            f"[{' '.join(blocks)}]))")


def pooled(text: str) -> Node:
    return read_tree(text, Pooled)


def evented(text: str) -> Node:
    return read_tree(text, Evented)


def same(text: str) -> str:
    """`text` (Evented) as the printer prints it."""
    return print_tree(evented(text))


def apply(p: type[Pass], tree: Node, facts: Facts | None = None) -> tuple[Node, Facts]:
    return p().apply(tree, facts or Facts())


def echo_pooled() -> str:
    """examples/echo.wyki in Pooled, as explicate-control and hoist-locals would make it."""
    o = opt(b(4096))
    return service(
        f"(Const CHUNK (TInt) {lit(4096)})",
        session(
            [slot("t.1", o), slot("data", b(4096)), slot("t.2", BOOL)],
            [
                bb("b.1", ["(Checkpoint)",
                           assign(loc("t.1", o), call("recv", ["(ConstRef CHUNK (TInt))"], o)),
                           assign(loc("t.2", BOOL), f"(IsNone {loc('t.1', o)} {BOOL})")],
                   f"(Branch {loc('t.2', BOOL)} b.2 b.3)"),
                bb("b.2", [], "(CloseExit)"),
                bb("b.3", [assign(loc("data", b(4096)), f"(Payload {loc('t.1', o)} {b(4096)})"),
                           f"(Send {loc('data', b(4096))})"], "(Goto b.1)"),
            ],
        ),
    )


def pooled_chain() -> list[type[Pass]] | None:
    """The passes of the default pipeline from source text to Pooled (None until they exist)."""
    from nanowyki import pipeline

    passes = list(pipeline.default().passes)
    last = max((i for i, p in enumerate(passes) if p.output is Pooled), default=None)
    return None if last is None else passes[: last + 1]


def lower(
    path: Path, text: str | None = None, upto: type[Pass] | None = None
) -> tuple[Node, Facts]:
    """The program at `path` (or `text` under that name) through the compiler to Pooled, then my
    passes up to and including `upto` (none: stop at Pooled)."""
    from nanowyki import pipeline
    from nanowyki.framework import CheckLevel, Pipeline

    chain = pooled_chain()
    assert chain is not None, "the passes into Pooled are not in the pipeline yet"
    result = Pipeline(chain, name="to-pooled").run(
        pipeline.source_tree(path, text), RunOptions(check=CheckLevel.BOUNDARY)
    )
    tree, facts = result.tree, result.facts
    for p in MINE[: MINE.index(upto) + 1] if upto is not None else []:
        tree, facts = p().apply(tree, facts)
    return tree, facts
