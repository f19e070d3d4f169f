"""`Pipeline`: an ordered table of passes, validated when built, run with dumps, diffs, timing,
checking and a trace.

    p = Pipeline([ParseSource, ResolveNames, CheckTypes])
    result = p.run(tree, RunOptions(dump_after=ALL, check=CheckLevel.BOUNDARY))
    result.tree, result.facts, result.trace, result.timing_table()

Every pass goes through one wrapper (`_run_pass`) that times it, checks its output against its
declared output language, counts the nodes it built, dumps and diffs it and records a `Step` in
the trace; nothing is written per pass.

A run can start at any pass from the dump of the pass before it (`read_input`). A fact that a
pass of the run requires and no earlier pass of the run provides is computed again from the
tree: by running its provider again when the tree is in the provider's input language, else by
`Fact.derive`. A dump carries what its tree cannot give back: where fresh names go on (its
second line) and, as `; fact` lines, the facts later passes need that its language no longer
holds (`facttext`). So a resumed run ends exactly as the whole run does.
"""

from __future__ import annotations

import difflib
import json
import re
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TextIO

from .check import CheckLevel, check
from .diagnostics import CompileError, Diagnostic
from .errors import PipelineError, ReadError
from .facttext import fact_line, read_facts
from .language import Language
from .node import Node, construct_checking, count_nodes, summarize
from .passes import Analysis, Check, Fact, Facts, NameSupply, Pass
from .printer import print_tree, read_tree

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
    count_seconds: float  # summing up the nodes it built (sizes, productions): always done
    check_seconds: float  # checking its output against its language (0 when checking is off)
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
        """Time per pass, aligned, with the total: the pass itself (`ms`), summing up the nodes
        it built (`count ms`, always done) and checking its output (`check ms`, 0 when off)."""
        width = max([len(s.name) for s in self.trace] + [5])

        def row(name: str, cells: Iterable[str]) -> str:
            return f"{name:<{width}}" + "".join(f"  {c:>9}" for c in cells)

        lines = [row("pass", ("ms", "count ms", "check ms", "nodes", "built"))]
        totals = [0.0, 0.0, 0.0]
        for s in self.trace:
            times = (s.seconds, s.count_seconds, s.check_seconds)
            totals = [t + u for t, u in zip(totals, times, strict=True)]
            ms = [f"{t * 1e3:.3f}" for t in times]
            lines.append(row(s.name, [*ms, str(s.nodes_out), str(s.nodes_built)]))
        lines.append(row("total", [f"{t * 1e3:.3f}" for t in totals]))
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

    def read_input(self, text: str, start_at: str, *, source: str = "<il>") -> tuple[Node, Facts]:
        """The tree that a dump (`dump_after`) holds, read as the input of pass `start_at`, and
        the facts the dump carries (where fresh names go on). A dump of another language, or
        text that is no printed tree, is a `PipelineError` (one line, saying what was wanted)."""
        first = self[start_at]
        header = _HEADER.match(text)
        if header and header["language"] != first.input.name:
            after, language = header["after"], header["language"]
            hint = ""
            if after in self.names and self.index(after) + 1 < len(self.passes):
                hint = f": start at '{self.passes[self.index(after) + 1].name}'"
            raise PipelineError(
                f"{source} holds {language} (after {after}) but '{start_at}' takes "
                f"{first.input.name}{hint}"
            )
        try:
            tree = read_tree(text, first.input, source=source)
        except ReadError as err:
            if header:
                raise
            raise PipelineError(
                f"{source} must be the printed IL of {first.input.name}, the input of "
                f"'{start_at}' (a dump of the pass before it): {err}"
            ) from None
        facts = Facts()
        if header and header["fresh"]:
            facts = facts.with_(NameSupply(int(header["fresh"])))
        try:
            carried = read_facts(text, {kind for p in self.passes for kind in p.provides})
        except (ValueError, TypeError) as err:
            raise PipelineError(f"{source}: a '; fact' line does not read back: {err}") from None
        return tree, facts.with_(*carried)

    def slice(
        self, start_at: str | None = None, stop_after: str | None = None
    ) -> Sequence[type[Pass]]:
        first = self.index(start_at) if start_at else 0
        last = self.index(stop_after) if stop_after else len(self.passes) - 1
        if last < first:
            raise PipelineError(f"{self.name}: pass '{stop_after}' comes before pass '{start_at}'")
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
        summarize(tree)  # so that what each pass builds can be told from what it keeps
        if opts.check is not CheckLevel.OFF:
            check(tree, selected[0].input)  # the input: "tree is not in language ..."
        state = self._recover_facts(selected, tree, facts or Facts())
        if opts.dump_dir is not None:
            opts.dump_dir.mkdir(parents=True, exist_ok=True)
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

    def _recover_facts(self, selected: Sequence[type[Pass]], tree: Node, given: Facts) -> Facts:
        """`given`, plus every fact a pass of the run requires that no pass before it in the
        run provides, computed again from `tree` (the run's input): a run that starts past a
        fact's provider, from a printed tree, sees the facts a whole run would."""
        facts = given
        provided: set[type] = set()
        for p in selected:
            for kind in p.requires:
                if kind not in provided and kind not in facts:
                    facts = self._recover(kind, p, tree, selected[0], facts)
            provided.update(p.provides)
        return facts

    def _recover(
        self, kind: type, reader: type[Pass], tree: Node, first: type[Pass], facts: Facts
    ) -> Facts:
        """`facts` with `kind` computed from `tree`, the input of `first`: by running its
        provider again when `tree` is in the provider's input language and the provider leaves
        the tree as it is, else by `kind.derive`."""
        provider = self._provider(kind)
        if provider is not None and _reruns(provider) and provider.input is first.input:
            for needed in provider.requires:
                if needed not in facts:
                    facts = self._recover(needed, provider, tree, first, facts)
            _, out = provider().apply(tree, facts)
            if kind in out:
                return facts.with_(out.get(kind))
        derived = kind.derive(tree) if issubclass(kind, Fact) else None
        if derived is not None:
            return facts.with_(derived)
        where = "start earlier or pass it in facts"
        if provider is not None:
            where = f"start at '{self._last_start(provider, first)}' or before"
        raise PipelineError(
            f"{self.name}: pass '{reader.name}' requires {kind.__name__}, which no pass before "
            f"it in this run provides and which cannot be computed again from {first.input.name} "
            f"({where})"
        )

    def _provider(self, kind: type) -> type[Pass] | None:
        return next((p for p in self.passes if kind in p.provides), None)

    def _carried(self, p: type[Pass], tree: Node, facts: Facts) -> str:
        """The `; fact` lines a dump of `tree`, made after `p`, carries: the facts that passes
        after `p` require and that a run starting from the dump could not compute again."""
        later = self.passes[self.index(p.name) + 1 :]
        lines = []
        for kind in dict.fromkeys(kind for q in later for kind in q.requires if kind in facts):
            provider = self._provider(kind)
            if provider is not None and _reruns(provider) and provider.input is p.output:
                continue
            if issubclass(kind, Fact) and kind.derive(tree) is not None:
                continue
            line = fact_line(facts.get(kind))
            if line is not None:
                lines.append(line)
        return "".join(lines)

    def _last_start(self, provider: type[Pass], first: type[Pass]) -> str:
        """The last pass before `first` that a run can start at and still get `provider`'s
        facts: the last one taking the provider's input language, when it can run again."""
        if not _reruns(provider):
            return provider.name
        before = self.passes[: self.index(first.name)]
        return next((p.name for p in reversed(before) if p.input is provider.input), provider.name)

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
        count_seconds, check_seconds = time.perf_counter() - started, 0.0
        if opts.check is not CheckLevel.OFF:
            started = time.perf_counter()
            check(out, p.output, produced_by=p.name)
            check_seconds = time.perf_counter() - started
        index = self.index(p.name) + 1
        dump = None
        if opts.selects(opts.dump_after, p.name):
            text = dump_header(p, facts) + print_tree(out) + self._carried(p, out, facts)
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
        measured = (seconds, count_seconds, check_seconds, count_nodes(out), built)
        return out, facts, Step(n, p.name, p.input.name, p.output.name, *measured, dump)


def _reruns(provider: type[Pass]) -> bool:
    """Whether the pipeline may run `provider` again for its facts: it leaves the tree as it is."""
    return issubclass(provider, (Analysis, Check)) and provider.output is provider.input


_HEADER = re.compile(
    r"; after (?P<after>\S+): (?P<language>\S+)\n(?:; fresh names from (?P<fresh>\d+)\n)?"
)


def dump_header(p: type[Pass], facts: Facts) -> str:
    """The comment lines a dump starts with: which pass made it, in which language, and where
    fresh names go on (a run that starts from the dump names things as the whole run does)."""
    supply = facts.find(NameSupply)
    fresh = f"; fresh names from {supply.next}\n" if supply is not None else ""
    return f"; after {p.name}: {p.output.name}\n{fresh}"
