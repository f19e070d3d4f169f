"""Pipeline: validated when built, sliced with start_at/stop_after, and run with dumps, diffs,
timing, a trace and a per-step callback."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from nanowyki.framework import (
    ALL,
    Analysis,
    CheckLevel,
    Fact,
    Facts,
    InternalError,
    Node,
    Pass,
    Pipeline,
    PipelineError,
    RunOptions,
    Step,
    Transform,
    print_tree,
    read_tree,
    walk,
)
from tests.framework.arith import (
    Arith,
    ArithFlat,
    ArithMon,
    CountVariables,
    FlattenLets,
    FoldConstants,
    Let,
    RemoveComplexOperands,
    UniquifyNames,
    VariableCount,
)

PASSES: list[type[Pass]] = [UniquifyNames, FoldConstants, RemoveComplexOperands, FlattenLets]
NAMES = ["uniquify-names", "fold-constants", "remove-complex-operands", "flatten-lets"]
SOURCE = "(Program (Let x (Int 1) (Prim + [(Prim * [(Var x) (Int 2)]) (Let x (Int 3) (Var x))])))"


def pipeline() -> Pipeline:
    return Pipeline(PASSES, name="arith")


def tree() -> Node:
    return read_tree(SOURCE, Arith)


class NeedsCount(Transform):
    """Arith -> Arith: needs the VariableCount fact."""

    name = "needs-count"
    input = Arith
    output = Arith
    requires = (VariableCount,)


class ProvidingCount(CountVariables):
    """Arith -> Arith: count the variables, declaring that it provides the count."""

    name = "providing-count"
    provides = (VariableCount,)


# -- validation ----------------------------------------------------------------------------------


def test_language_mismatch_names_both_passes() -> None:
    with pytest.raises(PipelineError) as info:
        Pipeline([UniquifyNames, FlattenLets], name="arith")
    assert str(info.value) == (
        "arith: pass 'uniquify-names' produces Arith "
        "but the next pass 'flatten-lets' takes ArithMon"
    )


def test_language_mismatch_uses_the_default_name() -> None:
    with pytest.raises(PipelineError, match=r"^pipeline: pass 'flatten-lets' produces ArithFlat"):
        Pipeline([FlattenLets, UniquifyNames])


def test_duplicate_pass_names_are_rejected() -> None:
    with pytest.raises(PipelineError) as info:
        Pipeline([UniquifyNames, FoldConstants, UniquifyNames], name="arith")
    assert str(info.value) == "arith: two passes are named 'uniquify-names'"


def test_a_requirement_no_earlier_pass_provides_is_rejected() -> None:
    with pytest.raises(PipelineError) as info:
        Pipeline([UniquifyNames, NeedsCount], name="arith")
    assert str(info.value) == (
        "arith: pass 'needs-count' requires VariableCount, which no earlier pass provides"
    )


def test_a_requirement_provided_later_is_still_rejected() -> None:
    with pytest.raises(PipelineError, match="which no earlier pass provides"):
        Pipeline([NeedsCount, ProvidingCount])


def test_a_requirement_provided_earlier_is_accepted() -> None:
    result = Pipeline([ProvidingCount, NeedsCount]).run(tree())
    assert result.facts.get(VariableCount) == 1


def test_an_empty_pipeline_is_rejected() -> None:
    with pytest.raises(PipelineError, match="arith: a pipeline needs at least one pass"):
        Pipeline([], name="arith")


# -- queries ----------------------------------------------------------------------------------


def test_names_index_and_lookup() -> None:
    p = pipeline()
    assert p.names == NAMES
    assert p.index("fold-constants") == 1
    assert p["flatten-lets"] is FlattenLets
    assert p.input is Arith and p.output is ArithFlat


def test_unknown_pass_name_is_an_error_naming_it() -> None:
    with pytest.raises(PipelineError, match="unknown pass 'fold-constant'"):
        pipeline().index("fold-constant")
    with pytest.raises(PipelineError, match="unknown pass 'nope'"):
        pipeline()["nope"]


def test_languages_in_order_each_once() -> None:
    assert pipeline().languages() == [Arith, ArithMon, ArithFlat]


def test_format_table() -> None:
    assert pipeline().format_table() == (
        "uniquify-names           Arith -> Arith         "
        "give every let-bound variable a unique name.\n"
        "fold-constants           Arith -> Arith         "
        "compute primitives whose operands are all constants.\n"
        "remove-complex-operands  Arith -> ArithMon      make every primitive operand an atom.\n"
        "flatten-lets             ArithMon -> ArithFlat  "
        "turn nested lets into a block of assignments.\n"
    )


def test_table_rows() -> None:
    assert pipeline().table()[2] == (
        "remove-complex-operands",
        "Arith",
        "ArithMon",
        "make every primitive operand an atom.",
    )


# -- Pass docstrings ---------------------------------------------------------------------------


def test_purpose_is_the_docstring_first_line_after_the_signature() -> None:
    assert UniquifyNames.purpose() == "give every let-bound variable a unique name."
    assert CountVariables.purpose() == (
        "count the distinct variable names (an analysis: the tree is unchanged)."
    )


def test_signature_problem_none_for_a_good_docstring() -> None:
    for p in PASSES:
        assert p.signature_problem() is None, p.name


class WrongLanguages(Transform):
    """Arith -> ArithFlat: claims the wrong output."""

    name = "wrong-languages"
    input = Arith
    output = ArithMon


class NoSignature(Transform):
    """Does something useful."""

    name = "no-signature"
    input = Arith
    output = Arith


class NoDoc(Transform):
    name = "no-doc"
    input = Arith
    output = Arith


class BlankDoc(Transform):
    """ """

    name = "blank-doc"
    input = Arith
    output = Arith


def test_signature_problem_for_wrong_languages() -> None:
    assert WrongLanguages.signature_problem() == (
        "wrong-languages: docstring must start with 'Arith -> ArithMon: ...'"
    )
    assert WrongLanguages.purpose() == "claims the wrong output."


def test_signature_problem_for_a_missing_signature() -> None:
    assert NoSignature.signature_problem() == (
        "no-signature: docstring must start with 'Arith -> Arith: ...'"
    )
    assert NoSignature.purpose() == "Does something useful."


def test_signature_problem_for_no_docstring() -> None:
    assert NoDoc.signature_problem() == "no-doc: docstring must start with 'Arith -> Arith: ...'"
    assert NoDoc.purpose() == ""


def test_blank_docstring_is_a_problem_not_a_crash() -> None:
    assert BlankDoc.purpose() == ""
    assert BlankDoc.signature_problem() == (
        "blank-doc: docstring must start with 'Arith -> Arith: ...'"
    )


def test_analysis_output_defaults_to_input() -> None:
    class A(Analysis):
        """ArithMon -> ArithMon: nothing."""

        name = "a"
        input = ArithMon

    assert A.output is ArithMon
    assert A.signature_problem() is None


# -- slicing -----------------------------------------------------------------------------------


def test_a_full_run_goes_through_every_pass() -> None:
    result = pipeline().run(tree())
    assert [s.name for s in result.trace] == NAMES
    assert result.language == "ArithFlat"
    assert result.tree.__class__.__name__ == "FlatProgram"


def test_stop_after() -> None:
    result = pipeline().run(tree(), RunOptions(stop_after="fold-constants"))
    assert [s.name for s in result.trace] == NAMES[:2]
    assert result.language == "Arith"


def test_start_at_takes_a_tree_of_that_pass_input() -> None:
    mon = read_tree("(Program (Let t (PrimA + [(Int 1) (Int 2)]) (Var t)))", ArithMon)
    result = pipeline().run(mon, RunOptions(start_at="flatten-lets"))
    assert [s.name for s in result.trace] == ["flatten-lets"]
    assert print_tree(result.tree) == (
        "(FlatProgram (Block [(Assign t (PrimA + [(Int 1) (Int 2)]))] (Var t)))\n"
    )


def test_start_at_and_stop_after_together() -> None:
    result = pipeline().run(
        tree(), RunOptions(start_at="fold-constants", stop_after="remove-complex-operands")
    )
    assert [s.name for s in result.trace] == NAMES[1:3]


def test_start_and_stop_at_the_same_pass() -> None:
    result = pipeline().run(tree(), RunOptions(start_at=NAMES[1], stop_after=NAMES[1]))
    assert [s.name for s in result.trace] == [NAMES[1]]


def test_stop_before_start_is_an_error() -> None:
    with pytest.raises(PipelineError) as info:
        pipeline().run(tree(), RunOptions(start_at="flatten-lets", stop_after="fold-constants"))
    assert str(info.value) == "arith: pass 'fold-constants' comes before pass 'flatten-lets'"


@pytest.mark.parametrize(
    "options",
    [
        RunOptions(start_at="nope"),
        RunOptions(stop_after="nope"),
        RunOptions(dump_after=frozenset({"fold-constants", "nope"})),
        RunOptions(diff_after=frozenset({"nope"})),
        RunOptions(dump_after="nope"),
    ],
)
def test_unknown_pass_name_in_options_is_an_error(options: RunOptions) -> None:
    with pytest.raises(PipelineError, match="unknown pass 'nope'"):
        pipeline().run(tree(), options)


def test_starting_past_an_analysis_runs_it_again_on_a_tree_of_its_language() -> None:
    p = Pipeline([ProvidingCount, NeedsCount], name="arith")
    result = p.run(tree(), RunOptions(start_at="needs-count"))
    assert [s.name for s in result.trace] == ["needs-count"]
    assert result.facts.get(VariableCount) == 1
    given = Facts().with_(VariableCount(4))  # a fact given is used as it is
    result = p.run(tree(), RunOptions(start_at="needs-count"), facts=given)
    assert result.facts.get(VariableCount) == 4


class MonCount(Fact):
    """How many `Let`s an ArithMon program has: derived from any tree that still has them."""

    def __init__(self, lets: int) -> None:
        self.lets = lets

    @classmethod
    def derive(cls, tree: Node) -> MonCount | None:
        return cls(sum(isinstance(n, Let) for n in walk(tree)))


class CountLets(Analysis):
    """Arith -> Arith: count the lets."""

    name = "count-lets"
    input = Arith
    provides = (VariableCount, MonCount)

    def analyze(self, tree: Node, facts: Facts) -> object:
        return VariableCount(0), MonCount.derive(tree)


class NeedsBoth(Transform):
    """ArithMon -> ArithMon: reads both facts of count-lets."""

    name = "needs-both"
    input = ArithMon
    output = ArithMon
    requires = (VariableCount, MonCount)


def test_a_fact_is_derived_from_a_later_language_or_named_where_to_start() -> None:
    p = Pipeline([CountLets, RemoveComplexOperands, NeedsBoth], name="arith")
    mon = p.run(tree(), RunOptions(stop_after="remove-complex-operands")).tree
    with pytest.raises(PipelineError) as info:
        p.run(mon, RunOptions(start_at="needs-both"))
    assert str(info.value) == (
        "arith: pass 'needs-both' requires VariableCount, which no pass before it in this run "
        "provides and which cannot be computed again from ArithMon "
        "(start at 'remove-complex-operands' or before)"
    )
    given = Facts().with_(VariableCount(9))
    result = p.run(mon, RunOptions(start_at="needs-both"), facts=given)
    assert result.facts.get(MonCount).lets == 4  # derived from the ArithMon tree


def test_a_pass_sees_only_the_facts_it_declares() -> None:
    class Peeks(Transform):
        """Arith -> Arith: reads a fact it does not declare."""

        name = "peeks"
        input = Arith
        output = Arith

        def transform(self, tree: Node) -> Node:
            self.facts.find(VariableCount)
            return tree

    with pytest.raises(InternalError) as info:
        Pipeline([ProvidingCount, Peeks]).run(tree())
    assert str(info.value) == (
        "internal error in pass peeks: reads the VariableCount fact but does not declare it: "
        "add it to `requires`"
    )
    with pytest.raises(InternalError):  # applied alone, too
        Peeks().apply(tree(), Facts().with_(VariableCount(1)))


def test_read_input_takes_a_dump_with_where_fresh_names_go_on() -> None:
    out = io.StringIO()
    p = pipeline()
    whole = p.run(tree(), RunOptions(dump_after="fold-constants", out=out))
    dump = out.getvalue()
    assert dump.splitlines()[:2] == ["; after fold-constants: Arith", "; fresh names from 3"]
    start, facts = p.read_input(dump, "remove-complex-operands", source="d.il")
    resumed = p.run(start, RunOptions(start_at="remove-complex-operands"), facts)
    assert print_tree(resumed.tree) == print_tree(whole.tree)


def test_read_input_says_what_a_wrong_file_holds() -> None:
    p = pipeline()
    with pytest.raises(PipelineError) as info:
        p.read_input(
            "; after flatten-lets: ArithFlat\n(FlatProgram)", "fold-constants", source="x.il"
        )
    assert (
        str(info.value)
        == "x.il holds ArithFlat (after flatten-lets) but 'fold-constants' takes Arith"
    )
    with pytest.raises(PipelineError) as info:
        p.read_input("", "fold-constants", source="empty.il")
    assert str(info.value) == (
        "empty.il must be the printed IL of Arith, the input of 'fold-constants' (a dump of the "
        "pass before it): empty.il:1:1: expected one tree, found 0"
    )


# -- dumps and diffs ---------------------------------------------------------------------------


def test_dump_after_selected_passes_to_a_stream() -> None:
    out = io.StringIO()
    pipeline().run(
        tree(), RunOptions(dump_after=frozenset({"uniquify-names", "flatten-lets"}), out=out)
    )
    text = out.getvalue()
    assert text.startswith(
        "; after uniquify-names: Arith\n; fresh names from 3\n(Program (Let x.1 (Int 1)"
    )
    assert text.count("; after ") == 2
    assert "\n; after flatten-lets: ArithFlat\n; fresh names from 5\n(FlatProgram" in text


def test_dump_after_one_name_given_as_a_string() -> None:
    out = io.StringIO()
    pipeline().run(tree(), RunOptions(dump_after="fold-constants", out=out))
    assert out.getvalue().splitlines()[0] == "; after fold-constants: Arith"
    assert out.getvalue().count("; after ") == 1


def test_dump_after_all_to_a_stream_reads_back() -> None:
    out = io.StringIO()
    result = pipeline().run(tree(), RunOptions(dump_after=ALL, out=out))
    chunks = out.getvalue().split("; after ")[1:]
    assert [c.split(":")[0] for c in chunks] == NAMES
    languages = {"Arith": Arith, "ArithMon": ArithMon, "ArithFlat": ArithFlat}
    for chunk in chunks:
        header, body = chunk.split("\n", 1)
        read_tree(body, languages[header.split(": ")[1]])
    last = chunks[-1].split("\n", 1)[1]
    assert read_tree(last, ArithFlat) == result.tree


def test_dump_to_a_directory_as_numbered_files(tmp_path: Path) -> None:
    dump_dir = tmp_path / "dumps"
    result = pipeline().run(tree(), RunOptions(dump_after=ALL, dump_dir=dump_dir))
    files = sorted(p.name for p in dump_dir.iterdir())
    assert files == [
        "01-uniquify-names.il",
        "02-fold-constants.il",
        "03-remove-complex-operands.il",
        "04-flatten-lets.il",
    ]
    text = (dump_dir / "03-remove-complex-operands.il").read_text()
    assert text.startswith("; after remove-complex-operands: ArithMon\n")
    assert read_tree(text, ArithMon) == read_tree(text.split("\n", 1)[1], ArithMon)
    assert read_tree((dump_dir / "04-flatten-lets.il").read_text(), ArithFlat) == result.tree
    assert [s.dump for s in result.trace] == [str(dump_dir / f) for f in files]


def test_dump_files_are_numbered_by_position_in_the_whole_pipeline(tmp_path: Path) -> None:
    pipeline().run(
        tree(),
        RunOptions(
            start_at="fold-constants", dump_after=frozenset({"flatten-lets"}), dump_dir=tmp_path
        ),
    )
    assert [p.name for p in tmp_path.iterdir()] == ["04-flatten-lets.il"]


def test_no_dump_means_no_dump_field() -> None:
    result = pipeline().run(tree())
    assert all(s.dump is None for s in result.trace)


def test_diff_after_writes_a_unified_diff_naming_the_pass() -> None:
    out = io.StringIO()
    pipeline().run(tree(), RunOptions(diff_after=frozenset({"uniquify-names"}), out=out))
    lines = out.getvalue().splitlines()
    assert lines[0] == "--- before uniquify-names (Arith)"
    assert lines[1] == "+++ after uniquify-names (Arith)"
    assert lines[2].startswith("@@ ")
    assert any(line.startswith("-(Program (Let x (Int 1)") for line in lines)
    assert any(line.startswith("+(Program (Let x.1 (Int 1)") for line in lines)


def test_diff_after_a_pass_that_changed_nothing_says_so() -> None:
    out = io.StringIO()
    pipeline().run(tree(), RunOptions(diff_after=frozenset({"fold-constants"}), out=out))
    assert out.getvalue() == "; no change in fold-constants\n"


def test_diff_after_names_both_languages() -> None:
    out = io.StringIO()
    pipeline().run(tree(), RunOptions(diff_after="flatten-lets", out=out))
    assert out.getvalue().startswith(
        "--- before flatten-lets (ArithMon)\n+++ after flatten-lets (ArithFlat)\n"
    )


def test_diff_to_a_directory_when_there_is_no_stream(tmp_path: Path) -> None:
    pipeline().run(tree(), RunOptions(diff_after=ALL, dump_dir=tmp_path))
    want = [f"{i:02d}-{n}.diff" for i, n in enumerate(NAMES, 1)]
    assert sorted(p.name for p in tmp_path.iterdir()) == want
    assert (
        (tmp_path / "01-uniquify-names.diff")
        .read_text()
        .startswith("--- before uniquify-names (Arith)\n")
    )


# -- timing, trace, callback ---------------------------------------------------------------------


def test_every_step_has_non_negative_times() -> None:
    result = pipeline().run(tree())
    for s in result.trace:
        assert s.seconds >= 0 and s.count_seconds >= 0 and s.check_seconds >= 0


def test_no_check_time_when_checking_is_off() -> None:
    """`check ms` is the checking alone: summing up the nodes is `count ms`."""
    result = pipeline().run(tree(), RunOptions(check=CheckLevel.OFF))
    assert [s.check_seconds for s in result.trace] == [0.0] * len(NAMES)


def test_steps_describe_each_pass() -> None:
    result = pipeline().run(tree())
    assert [(s.index, s.name, s.input, s.output) for s in result.trace] == [
        (0, "uniquify-names", "Arith", "Arith"),
        (1, "fold-constants", "Arith", "Arith"),
        (2, "remove-complex-operands", "Arith", "ArithMon"),
        (3, "flatten-lets", "ArithMon", "ArithFlat"),
    ]
    from nanowyki.framework import count_nodes

    assert result.trace[-1].nodes_out == count_nodes(result.tree)


def test_timing_table_lists_every_pass_and_a_total() -> None:
    table = pipeline().run(tree()).timing_table()
    lines = table.splitlines()
    assert lines[0].split() == ["pass", "ms", "count", "ms", "check", "ms", "nodes", "built"]
    assert [line.split()[0] for line in lines[1:]] == [*NAMES, "total"]
    for line in lines[1:-1]:
        _, ms, count_ms, check_ms, nodes, built = line.split()
        assert float(ms) >= 0 and float(count_ms) >= 0 and float(check_ms) >= 0
        assert 0 <= int(built) <= int(nodes) and int(nodes) > 0
    total = lines[-1].split()
    assert len(total) == 4 and float(total[1]) >= 0
    assert len({len(line) for line in lines[:-1]}) == 1  # aligned columns
    assert table.endswith("\n")


def test_step_to_json() -> None:
    result = pipeline().run(tree())
    record = json.loads(result.trace[2].to_json())
    assert set(record) == {
        "index",
        "name",
        "input",
        "output",
        "seconds",
        "count_seconds",
        "check_seconds",
        "nodes_out",
        "nodes_built",
        "dump",
    }
    assert record["name"] == "remove-complex-operands"
    assert (record["input"], record["output"]) == ("Arith", "ArithMon")
    assert record["index"] == 2 and record["dump"] is None
    assert isinstance(record["seconds"], float) and record["seconds"] >= 0


def test_on_step_is_called_once_per_pass_in_order() -> None:
    seen: list[Step] = []
    result = pipeline().run(tree(), RunOptions(on_step=seen.append))
    assert [s.name for s in seen] == NAMES
    assert tuple(seen) == result.trace


def test_on_step_follows_the_slice() -> None:
    seen: list[str] = []
    pipeline().run(
        tree(), RunOptions(stop_after="fold-constants", on_step=lambda s: seen.append(s.name))
    )
    assert seen == NAMES[:2]


def test_run_result_of_a_run_is_checked_and_keeps_facts() -> None:
    result = Pipeline([ProvidingCount, *PASSES]).run(tree())
    assert result.facts.get(VariableCount) == 1
    assert "NameSupply" in result.facts.kinds()
