"""`Pipeline`: an ordered table of passes, validated when built, run with dumps, diffs, timing,
checking and a trace.

    p = Pipeline([ParseSource, ResolveNames, CheckTypes])
    result = p.run(tree, RunOptions(dump_after=ALL, timing=True))
    result.tree, result.facts, result.trace

Every pass goes through one wrapper (`_run_pass`) that times it, checks its output against its
declared output language, counts the nodes it built, dumps and diffs it and records a `Step` in
the trace; nothing is written per pass.
"""

from __future__ import annotations

import difflib
import json
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TextIO

from .check import CheckLevel, check
from .diagnostics import CompileError, Diagnostic
from .errors import PipelineError
from .language import Language
from .node import Node, construct_checking, count_nodes, summarize
from .passes import Check, Facts, Pass
from .printer import print_tree

ALL = "all"


@dataclass(frozen=True)
class RunOptions:
    """How to run a pipeline. Pass names select passes (a set of names, one name, or `ALL` for
    every pass). Diffs go to `out`, or when it is None and `dump_dir` is set, to numbered
    `NN-name.diff` files there."""

    start_at: str | None = None
    stop_after: str | None = None
    dump_after: frozenset[str] | str = frozenset()
    dump_dir: Path | None = None  # numbered files here; otherwise dumps go to `out`
    diff_after: frozenset[str] | str = frozenset()
    check: CheckLevel = CheckLevel.BOUNDARY
    out: TextIO | None = None  # where dumps and diffs go when not to files
    on_step: Callable[[Step], None] | None = None

    def selects(self, chosen: frozenset[str] | str, name: str) -> bool:
        if isinstance(chosen, str):
            return chosen in (ALL, name)
        return name in chosen


@dataclass(frozen=True)
class Step:
    """One pass as it ran: what tools read from the trace."""

    index: int
    name: str
    input: str
    output: str
    seconds: float  # the pass alone
    check_seconds: float  # checking its output (and counting its nodes)
    nodes_out: int
    nodes_built: int  # nodes of the output that are not in the input: the pass's own work
    dump: str | None = None  # the file a dump went to, if any

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)


@dataclass(frozen=True)
class RunResult:
    tree: Node
    facts: Facts
    trace: tuple[Step, ...] = field(default=())

    @property
    def language(self) -> str:
        return self.trace[-1].output if self.trace else ""

    def timing_table(self) -> str:
        """Time per pass, aligned, with the total."""
        width = max([len(s.name) for s in self.trace] + [5])
        lines = [f"{'pass':<{width}}  {'ms':>9}  {'check ms':>9}  {'nodes':>7}  {'built':>7}"]
        for s in self.trace:
            lines.append(
                f"{s.name:<{width}}  {s.seconds * 1e3:9.3f}  {s.check_seconds * 1e3:9.3f}"
                f"  {s.nodes_out:7d}  {s.nodes_built:7d}"
            )
        total = sum(s.seconds for s in self.trace)
        checks = sum(s.check_seconds for s in self.trace)
        lines.append(f"{'total':<{width}}  {total * 1e3:9.3f}  {checks * 1e3:9.3f}")
        return "\n".join(lines) + "\n"


class Pipeline:
    """An ordered table of passes. Building it checks that the passes fit together."""

    def __init__(self, passes: Iterable[type[Pass]], *, name: str = "pipeline") -> None:
        self.name = name
        self.passes: tuple[type[Pass], ...] = tuple(passes)
        self._validate()

    def _validate(self) -> None:
        if not self.passes:
            raise PipelineError(f"{self.name}: a pipeline needs at least one pass")
        seen: dict[str, type[Pass]] = {}
        provided: set[type] = set()
        for i, p in enumerate(self.passes):
            if p.name in seen:
                raise PipelineError(f"{self.name}: two passes are named '{p.name}'")
            seen[p.name] = p
            if i:
                before = self.passes[i - 1]
                if before.output is not p.input:
                    raise PipelineError(
                        f"{self.name}: pass '{before.name}' produces {before.output.name} but the "
                        f"next pass '{p.name}' takes {p.input.name}"
                    )
            for kind in p.requires:
                if kind not in provided:
                    raise PipelineError(
                        f"{self.name}: pass '{p.name}' requires {kind.__name__}, "
                        "which no earlier pass provides"
                    )
            provided.update(p.provides)

    # -- queries ---------------------------------------------------------------------------

    @property
    def names(self) -> list[str]:
        return [p.name for p in self.passes]

    def index(self, name: str) -> int:
        for i, p in enumerate(self.passes):
            if p.name == name:
                return i
        raise PipelineError(f"unknown pass '{name}' (see 'nanowyki list-passes')")

    def __getitem__(self, name: str) -> type[Pass]:
        return self.passes[self.index(name)]

    @property
    def input(self) -> Language:
        return self.passes[0].input

    @property
    def output(self) -> Language:
        return self.passes[-1].output

    def languages(self) -> list[Language]:
        """Every language on the way, in order, each once."""
        langs: list[Language] = []
        for p in self.passes:
            for lang in (p.input, p.output):
                if lang not in langs:
                    langs.append(lang)
        return langs

    def table(self) -> list[tuple[str, str, str, str]]:
        """(name, input, output, purpose) per pass."""
        return [(p.name, p.input.name, p.output.name, p.purpose()) for p in self.passes]

    def format_table(self) -> str:
        rows = self.table()
        w_name = max(len(r[0]) for r in rows)
        w_sig = max(len(f"{r[1]} -> {r[2]}") for r in rows)
        return "".join(
            f"{n:<{w_name}}  {f'{i} -> {o}':<{w_sig}}  {purpose}\n" for n, i, o, purpose in rows
        )

    def slice(
        self, start_at: str | None = None, stop_after: str | None = None
    ) -> Sequence[type[Pass]]:
        first = self.index(start_at) if start_at else 0
        last = self.index(stop_after) if stop_after else len(self.passes) - 1
        if last < first:
            raise PipelineError(f"pass '{stop_after}' comes before pass '{start_at}'")
        return self.passes[first : last + 1]

    # -- running ---------------------------------------------------------------------------

    def run(
        self, tree: Node, options: RunOptions | None = None, facts: Facts | None = None
    ) -> RunResult:
        opts = options or RunOptions()
        for chosen in (opts.dump_after, opts.diff_after):
            for name in (chosen,) if isinstance(chosen, str) else sorted(chosen):
                if name != ALL:
                    self.index(name)
        selected = self.slice(opts.start_at, opts.stop_after)
        self._check_requirements(selected, facts or Facts())
        summarize(tree)  # so that what each pass builds can be told from what it keeps
        if opts.check is not CheckLevel.OFF:
            check(tree, selected[0].input)  # the input: "tree is not in language ..."
        if opts.dump_dir is not None:
            opts.dump_dir.mkdir(parents=True, exist_ok=True)
        state = facts or Facts()
        trace: list[Step] = []
        pending: list[Diagnostic] = []  # from checks whose errors are reported together
        for p in selected:
            if pending and not issubclass(p, Check):
                break
            if pending and any(kind not in state for kind in p.requires):
                continue  # a fact it needs comes from a check that failed: nothing to judge
            try:
                tree, state, step = self._run_pass(p, tree, state, opts, len(trace))
            except CompileError as err:
                if not issubclass(p, Check):
                    raise CompileError([*pending, *err.diagnostics]) from None
                pending.extend(err.diagnostics)
                continue
            trace.append(step)
            if opts.on_step:
                opts.on_step(step)
        if pending:
            raise CompileError(pending)
        return RunResult(tree, state, tuple(trace))

    def _check_requirements(self, selected: Sequence[type[Pass]], given: Facts) -> None:
        """When a run starts past the passes that provide a fact, the caller must give it."""
        available = {kind for kind in self._all_kinds() if kind in given}
        for p in selected:
            for kind in p.requires:
                if kind not in available:
                    raise PipelineError(
                        f"{self.name}: pass '{p.name}' requires {kind.__name__}, which no pass "
                        "before it in this run provides (start earlier or pass it in facts)"
                    )
            available.update(p.provides)

    def _all_kinds(self) -> set[type]:
        return {kind for p in self.passes for kind in (*p.requires, *p.provides)}

    def _run_pass(
        self, p: type[Pass], tree: Node, facts: Facts, opts: RunOptions, n: int
    ) -> tuple[Node, Facts, Step]:
        building = (p.name, p.output.name) if opts.check is CheckLevel.CONSTRUCT else None
        token = construct_checking.set(building)
        try:
            started = time.perf_counter()
            out, facts = p().apply(tree, facts)
            seconds = time.perf_counter() - started
        finally:
            construct_checking.reset(token)
        started = time.perf_counter()
        built = summarize(out)
        if opts.check is not CheckLevel.OFF:
            check(out, p.output, produced_by=p.name)
        check_seconds = time.perf_counter() - started
        index = self.index(p.name) + 1
        dump = None
        if opts.selects(opts.dump_after, p.name):
            text = f"; after {p.name}: {p.output.name}\n" + print_tree(out)
            if opts.dump_dir is not None:
                path = opts.dump_dir / f"{index:02d}-{p.name}.il"
                path.write_text(text)
                dump = str(path)
            elif opts.out is not None:
                opts.out.write(text)
        if opts.selects(opts.diff_after, p.name):
            diff = "".join(
                difflib.unified_diff(
                    print_tree(tree).splitlines(keepends=True),
                    print_tree(out).splitlines(keepends=True),
                    f"before {p.name} ({p.input.name})",
                    f"after {p.name} ({p.output.name})",
                )
            ) or f"; no change in {p.name}\n"
            if opts.out is not None:
                opts.out.write(diff)
            elif opts.dump_dir is not None:
                (opts.dump_dir / f"{index:02d}-{p.name}.diff").write_text(diff)
        measured = (seconds, check_seconds, count_nodes(out), built)
        return out, facts, Step(n, p.name, p.input.name, p.output.name, *measured, dump)
