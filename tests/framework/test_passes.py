"""Passes: Transform rewrites only what it names and shares the rest; Analysis and Check hand
facts and diagnostics on; fresh names stay unique for a whole run."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import pytest

from nanowyki.framework import (
    Analysis,
    Check,
    CompileError,
    Diagnostic,
    Facts,
    InternalError,
    Node,
    Pipeline,
    Span,
    Transform,
    Visitor,
    read_tree,
    walk,
)
from nanowyki.framework.passes import NameSupply
from tests.framework.arith import (
    Arith,
    Atom,
    CountVariables,
    Expr,
    If,
    Int,
    Let,
    Prim,
    Program,
    UniquifyNames,
    Var,
    VariableCount,
)

SPAN = Span("t.arith", 2, 3, 2, 8)


def arith(text: str) -> Node:
    return read_tree(text, Arith)


def run(p: type[Transform], tree: Node, facts: Facts | None = None) -> Node:
    out, _ = p().apply(tree, facts or Facts())
    return out


class RenameY(Transform):
    """Arith -> Arith: rename variable y to z (and nothing else)."""

    name = "rename-y"
    input = Arith
    output = Arith

    def Var(self, e: Var) -> Expr:
        return Var("z") if e.name == "y" else e


class NegateAtoms(Transform):
    """Arith -> Arith: replace every atom by (Prim - [atom]) using a nonterminal handler."""

    name = "negate-atoms"
    input = Arith
    output = Arith

    def Atom(self, e: Atom) -> Expr:
        return Prim("-", (e,))


class CountExprs(Transform):
    """Arith -> Arith: a handler for the nonterminal Expr sees every expression."""

    name = "count-exprs"
    input = Arith
    output = Arith

    def __init__(self) -> None:
        self.seen: list[str] = []

    def Expr(self, e: Expr) -> Expr:
        self.seen.append(type(e).__name__)
        return self.visit_children(e)  # type: ignore[return-value]


class DepthTag(Transform):
    """Arith -> Arith: replace each Int by its let-depth, counting with an extra argument."""

    name = "depth-tag"
    input = Arith
    output = Arith

    def transform(self, tree: Node) -> Node:
        return self.visit(tree, 0)  # type: ignore[no-any-return]

    def Let(self, e: Let, depth: int) -> Expr:
        return Let(e.name, self.visit(e.value, depth), self.visit(e.body, depth + 1))

    def Int(self, e: Int, depth: int) -> Expr:
        return Int(depth)


class DoubleOperands(Transform):
    """Arith -> Arith: every Var operand of a primitive appears twice (a spliced tuple)."""

    name = "double-operands"
    input = Arith
    output = Arith

    def Var(self, e: Var) -> Expr | tuple[Expr, ...]:
        return (e, Var(e.name + "2"))


class DropZeros(Transform):
    """Arith -> Arith: remove (Int 0) operands (splice in an empty tuple)."""

    name = "drop-zeros"
    input = Arith
    output = Arith

    def Int(self, e: Int) -> Expr | tuple[Expr, ...]:
        return () if e.value == 0 else e


ZERO = Int(0)


class VarsToZero(Transform):
    """Arith -> Arith: replace every variable by one shared constant node."""

    name = "vars-to-zero"
    input = Arith
    output = Arith

    def Var(self, e: Var) -> Expr:
        return ZERO


class FreshTwice(Transform):
    """Arith -> Arith: turn every Int into a Var with a fresh name."""

    name = "fresh-twice"
    input = Arith
    output = Arith

    def Int(self, e: Int) -> Expr:
        return Var(self.fresh("t"))


class FreshAgain(FreshTwice):
    """Arith -> Arith: the same, as a second pass of one run."""

    name = "fresh-again"

    def Var(self, e: Var) -> Expr:
        return Prim("+", (e, Var(self.fresh("u"))))


# -- automatic traversal ------------------------------------------------------------------------


def test_one_handler_rewrites_deep_inside_untouched_forms() -> None:
    tree = arith("(Program (If (Var c) (Let x (Prim + [(Int 1) (Var y)]) (Var x)) (Var y)))")
    assert run(RenameY, tree) == arith(
        "(Program (If (Var c) (Let x (Prim + [(Int 1) (Var z)]) (Var x)) (Var z)))"
    )


def test_a_pass_without_handlers_is_the_identity() -> None:
    class Nothing(Transform):
        """Arith -> Arith: nothing."""

        name = "nothing"
        input = Arith
        output = Arith

    tree = arith("(Program (Let x (Int 1) (Var x)))")
    assert run(Nothing, tree) is tree


def test_nothing_changed_means_the_same_object() -> None:
    tree = arith("(Program (If (Var a) (Prim + [(Var b) (Int 1)]) (Let x (Int 2) (Var x))))")
    assert run(RenameY, tree) is tree


def test_unchanged_siblings_are_the_same_objects() -> None:
    old = arith("(Program (If (Var c) (Prim + [(Var a) (Int 1)]) (Prim * [(Var y) (Int 2)])))")
    new = run(RenameY, old)
    assert isinstance(old, Program) and isinstance(new, Program)
    assert isinstance(old.body, If) and isinstance(new.body, If)
    assert new is not old and new.body is not old.body
    assert new.body.cond is old.body.cond
    assert new.body.then is old.body.then
    assert new.body.else_ is not old.body.else_
    old_else, new_else = old.body.else_, new.body.else_
    assert isinstance(old_else, Prim) and isinstance(new_else, Prim)
    assert new_else.args[1] is old_else.args[1]  # the (Int 2) beside the renamed Var


def test_unchanged_tuple_is_the_same_object() -> None:
    old = arith("(Program (Let y (Prim + [(Var a) (Int 1)]) (Var y)))")
    new = run(RenameY, old)
    assert isinstance(old, Program) and isinstance(new, Program)
    assert isinstance(old.body, Let) and isinstance(new.body, Let)
    assert new.body.value is old.body.value
    assert isinstance(new.body.value, Prim) and isinstance(old.body.value, Prim)
    assert new.body.value.args is old.body.value.args


def test_nonterminal_handler_handles_every_production_below_it() -> None:
    tree = arith("(Program (Let x (Int 1) (Prim + [(Var x) (Int 2)])))")
    assert run(NegateAtoms, tree) == arith(
        "(Program (Let x (Prim - [(Int 1)]) (Prim + [(Prim - [(Var x)]) (Prim - [(Int 2)])])))"
    )


def test_a_handler_for_a_higher_nonterminal_sees_every_expression() -> None:
    p = CountExprs()
    p.apply(arith("(Program (Let x (Int 1) (Prim + [(Var x) (Int 2)])))"), Facts())
    assert p.seen == ["Let", "Int", "Prim", "Var", "Int"]


def test_production_handler_wins_over_nonterminal_handler() -> None:
    class Both(NegateAtoms):
        """Arith -> Arith: negate atoms, but keep variables."""

        name = "both"

        def Var(self, e: Var) -> Expr:
            return e

    tree = arith("(Program (Prim + [(Var x) (Int 2)]))")
    assert run(Both, tree) == arith("(Program (Prim + [(Var x) (Prim - [(Int 2)])]))")


def test_extra_context_arguments_are_passed_down() -> None:
    tree = arith(
        "(Program (Prim + [(Int 9) (Let a (Int 9) (Let b (Prim * [(Int 9) (Int 9)]) (Int 9)))]))"
    )
    assert run(DepthTag, tree) == arith(
        "(Program (Prim + [(Int 0) (Let a (Int 0) (Let b (Prim * [(Int 1) (Int 1)]) (Int 2)))]))"
    )


def test_a_handler_may_splice_several_nodes_into_a_tuple() -> None:
    tree = arith("(Program (Prim + [(Int 1) (Var a) (Int 2) (Var b)]))")
    assert run(DoubleOperands, tree) == arith(
        "(Program (Prim + [(Int 1) (Var a) (Var a2) (Int 2) (Var b) (Var b2)]))"
    )


def test_a_handler_may_splice_an_empty_tuple() -> None:
    tree = arith("(Program (Prim + [(Int 0) (Var a) (Int 0) (Int 3) (Int 0)]))")
    assert run(DropZeros, tree) == arith("(Program (Prim + [(Var a) (Int 3)]))")


def test_splicing_outside_a_tuple_is_an_error() -> None:
    with pytest.raises(TypeError, match="a Var outside a tuple cannot be replaced by several"):
        run(DoubleOperands, arith("(Program (Var a))"))


# -- spans ----------------------------------------------------------------------------------


def test_a_node_built_without_span_takes_the_span_of_the_node_it_replaces() -> None:
    tree = Program(Prim("+", (Var("y", span=SPAN), Int(1))))
    out = run(RenameY, tree)
    assert isinstance(out, Program) and isinstance(out.body, Prim)
    assert out.body.args[0] == Var("z")
    assert out.body.args[0].span is SPAN


def test_a_span_given_by_the_handler_is_kept() -> None:
    other = Span("t.arith", 9, 9, 9, 9)

    class WithSpan(Transform):
        """Arith -> Arith: build with an explicit span."""

        name = "with-span"
        input = Arith
        output = Arith

        def Var(self, e: Var) -> Expr:
            return Var("q", span=other)

    out = run(WithSpan, Program(Var("y", span=SPAN)))
    assert isinstance(out, Program)
    assert out.body.span is other


def test_spliced_nodes_take_the_span_too() -> None:
    out = run(DoubleOperands, Program(Prim("+", (Var("a", span=SPAN),))))
    assert isinstance(out, Program) and isinstance(out.body, Prim)
    assert [a.span for a in out.body.args] == [SPAN, SPAN]


def test_rebuilt_parents_keep_their_spans() -> None:
    tree = Program(Let("y", Int(1), Var("y"), span=SPAN))
    out = run(RenameY, tree)
    assert isinstance(out, Program) and out.body.span is SPAN


def test_a_shared_node_returned_by_handlers_is_never_mutated() -> None:
    s1, s2 = Span("t", 1, 1, 1, 1), Span("t", 2, 2, 2, 2)
    out = run(VarsToZero, Program(Prim("+", (Var("a", span=s1), Var("b", span=s2)))))
    assert isinstance(out, Program) and isinstance(out.body, Prim)
    assert [a.span for a in out.body.args] == [s1, s2]  # each its own span ...
    assert ZERO.span is None  # ... and the pass's constant is untouched


# -- fresh names and facts ---------------------------------------------------------------------


def test_fresh_names_are_unique_across_passes_of_one_run() -> None:
    tree = arith("(Program (Let x (Int 1) (Prim + [(Int 2) (Let x (Var x) (Var x))])))")
    result = Pipeline([UniquifyNames, FreshTwice, FreshAgain]).run(tree)
    names = {n.name for n in walk(result.tree) if isinstance(n, Var | Let)}
    assert all("." in n for n in names)
    assert {n.split(".")[0] for n in names} == {"x", "t", "u"}  # all three passes made some
    numbers = [int(n.split(".")[1]) for n in names]
    # No number is used twice, whatever the stem, and none is skipped.
    assert sorted(numbers) == list(range(1, result.facts.get(NameSupply).next))


def test_a_run_continues_the_name_supply_it_is_given() -> None:
    tree = arith("(Program (Int 1))")
    result = Pipeline([FreshTwice]).run(tree, facts=Facts().with_(NameSupply(40)))
    assert result.tree == arith("(Program (Var t.40))")


def test_fresh_names_restart_in_a_new_run() -> None:
    tree = arith("(Program (Int 1))")
    p = Pipeline([FreshTwice])
    assert p.run(tree).tree == p.run(tree).tree == arith("(Program (Var t.1))")


@dataclass(frozen=True)
class Depth:
    """A fact: the deepest let nesting."""

    value: int


class MeasureDepth(Analysis):
    """Arith -> Arith: find the deepest let nesting."""

    name = "measure-depth"
    input = Arith
    provides = (Depth,)

    def analyze(self, tree: Node, facts: Facts) -> object:
        def depth(n: Node) -> int:
            below = [depth(c) for c in walk(n) if c is not n and isinstance(c, Let)]
            return (1 if isinstance(n, Let) else 0) + max(below, default=0)

        return Depth(depth(tree))


class UseDepth(Transform):
    """Arith -> Arith: replace the program by the depth an earlier analysis measured."""

    name = "use-depth"
    input = Arith
    output = Arith
    requires = (Depth,)

    def Program(self, p: Program) -> Program:
        return Program(Int(self.facts.get(Depth).value))


def test_an_analysis_provides_a_fact_a_later_pass_reads() -> None:
    tree = arith("(Program (Let a (Int 1) (Let b (Int 2) (Var b))))")
    result = Pipeline([MeasureDepth, UseDepth]).run(tree)
    assert result.tree == arith("(Program (Int 2))")
    assert result.facts.get(Depth) == Depth(2)


def test_an_analysis_returns_the_tree_unchanged_and_takes_output_from_input() -> None:
    assert MeasureDepth.output is Arith
    tree = arith("(Program (Var a))")
    out, facts = MeasureDepth().apply(tree, Facts())
    assert out is tree and facts.get(Depth) == Depth(0)


def test_an_analysis_may_return_several_facts() -> None:
    class Two(Analysis):
        """Arith -> Arith: two facts at once."""

        name = "two"
        input = Arith

        def analyze(self, tree: Node, facts: Facts) -> object:
            return (Depth(7), VariableCount(3))

    _, facts = Two().apply(arith("(Program (Int 1))"), Facts())
    assert facts.get(Depth) == Depth(7) and facts.get(VariableCount) == 3
    assert facts.kinds() == ["Depth", "VariableCount"]


def test_count_variables_analysis() -> None:
    result = Pipeline([CountVariables]).run(arith("(Program (Prim + [(Var a) (Var b) (Var a)]))"))
    assert result.facts.get(VariableCount) == 2


def test_facts_get_names_a_missing_fact() -> None:
    with pytest.raises(KeyError, match="no Depth fact: which pass should provide it\\?"):
        Facts().get(Depth)


def test_facts_are_immutable() -> None:
    empty = Facts()
    full = empty.with_(Depth(1))
    assert Depth not in empty and Depth in full
    assert empty.find(Depth) is None and full.find(Depth) == Depth(1)
    assert full.with_(Depth(2)).get(Depth) == Depth(2) and full.get(Depth) == Depth(1)


def test_a_transform_may_provide_a_fact() -> None:
    class Provider(Transform):
        """Arith -> Arith: provide a fact while rewriting nothing."""

        name = "provider"
        input = Arith
        output = Arith
        provides = (Depth,)

        def transform(self, tree: Node) -> Node:
            self.provide(Depth(5))
            return tree

    result = Pipeline([Provider, UseDepth]).run(arith("(Program (Int 0))"))
    assert result.tree == arith("(Program (Int 5))")


# -- checks ------------------------------------------------------------------------------------


def span(line: int) -> Span:
    return Span("t.arith", line, 1, line, 2)


class RejectNegative(Check):
    """Arith -> Arith: reject negative literals."""

    name = "reject-negative"
    input = Arith

    def diagnose(self, tree: Node) -> Iterable[Diagnostic]:
        for n in walk(tree):
            if isinstance(n, Int) and n.value < 0:
                yield Diagnostic(n.span, f"negative literal {n.value}", hint="write 0 - n")


class RejectUnderscore(Check):
    """Arith -> Arith: reject variables named with an underscore."""

    name = "reject-underscore"
    input = Arith

    def diagnose(self, tree: Node) -> Iterable[Diagnostic]:
        for n in walk(tree):
            if isinstance(n, Var) and n.name.startswith("_"):
                yield Diagnostic(n.span, f"variable '{n.name}' starts with '_'")


class Boom(Transform):
    """Arith -> Arith: must never run after a failed check."""

    name = "boom"
    input = Arith
    output = Arith

    def transform(self, tree: Node) -> Node:
        raise AssertionError("ran after a failed check")


def bad_tree() -> Program:
    args = (Var("_a", span=span(3)), Int(-1, span=span(1)), Int(-2, span=span(5)))
    return Program(Prim("+", args))


def test_a_check_that_finds_nothing_passes_the_tree_on() -> None:
    tree = arith("(Program (Prim + [(Var a) (Int 1)]))")
    result = Pipeline([RejectNegative, RejectUnderscore]).run(tree)
    assert result.tree is tree
    assert [s.name for s in result.trace] == ["reject-negative", "reject-underscore"]
    assert RejectNegative.output is Arith


def test_two_failing_checks_are_reported_together() -> None:
    with pytest.raises(CompileError) as info:
        Pipeline([RejectNegative, RejectUnderscore, Boom]).run(bad_tree())
    assert [d.message for d in info.value.diagnostics] == [
        "negative literal -1",
        "variable '_a' starts with '_'",
        "negative literal -2",
    ]  # sorted by position
    assert str(info.value) == (
        "t.arith:1:1: error: negative literal -1\n"
        "t.arith:3:1: error: variable '_a' starts with '_'\n"
        "t.arith:5:1: error: negative literal -2"
    )


def test_a_failing_check_stops_before_the_next_transform() -> None:
    with pytest.raises(CompileError) as info:
        Pipeline([RejectNegative, Boom, RejectUnderscore]).run(bad_tree())
    assert len(info.value.diagnostics) == 2  # the later check did not run either


def test_a_passing_check_after_a_failing_one_adds_nothing() -> None:
    tree = Program(Int(-1, span=span(1)))
    seen: list[str] = []
    from nanowyki.framework import RunOptions

    with pytest.raises(CompileError) as info:
        Pipeline([RejectNegative, RejectUnderscore]).run(
            tree, RunOptions(on_step=lambda s: seen.append(s.name))
        )
    assert len(info.value.diagnostics) == 1
    assert seen == ["reject-underscore"]  # the failed check makes no step


@dataclass(frozen=True)
class Negatives:
    """A fact a check provides."""

    count: int


class CountNegatives(Check):
    """Arith -> Arith: count negative literals, rejecting more than one."""

    name = "count-negatives"
    input = Arith
    provides = (Negatives,)

    def diagnose(self, tree: Node) -> Iterable[Diagnostic]:
        found = [n for n in walk(tree) if isinstance(n, Int) and n.value < 0]
        self.provide(Negatives(len(found)))
        if len(found) > 1:
            yield Diagnostic(found[1].span, "more than one negative literal")


class NeedsNegatives(Check):
    """Arith -> Arith: a check that uses the fact the previous check provides."""

    name = "needs-negatives"
    input = Arith
    requires = (Negatives,)

    def diagnose(self, tree: Node) -> Iterable[Diagnostic]:
        if self.facts.get(Negatives).count:
            yield Diagnostic(None, "negatives present")


def test_a_check_may_provide_a_fact_to_the_next_check() -> None:
    with pytest.raises(CompileError) as info:
        Pipeline([CountNegatives, NeedsNegatives]).run(Program(Int(-1)))
    assert [d.message for d in info.value.diagnostics] == ["negatives present"]


def test_a_check_needing_a_fact_from_a_failed_check_is_skipped() -> None:
    tree = Program(Prim("+", (Int(-1, span=span(1)), Int(-2, span=span(2)))))
    with pytest.raises(CompileError) as info:
        Pipeline([CountNegatives, NeedsNegatives, RejectUnderscore]).run(tree)
    assert [d.message for d in info.value.diagnostics] == ["more than one negative literal"]


def test_a_compile_error_from_a_transform_includes_pending_check_errors() -> None:
    class Rejecting(Transform):
        """Arith -> Arith: reject everything."""

        name = "rejecting"
        input = Arith
        output = Arith

        def transform(self, tree: Node) -> Node:
            raise CompileError([Diagnostic(span(9), "transform says no")])

    with pytest.raises(CompileError) as info:
        Pipeline([RejectUnderscore, Rejecting]).run(Program(Int(1)))
    assert [d.message for d in info.value.diagnostics] == ["transform says no"]


def test_pass_fail_makes_an_internal_error_naming_pass_and_node() -> None:
    err = RenameY().fail(Var("x", span=SPAN), "unexpected variable")
    assert isinstance(err, InternalError)
    assert str(err) == "internal error in pass rename-y: Var at t.arith:2:3: unexpected variable"
    assert err.pass_name == "rename-y"
    assert str(RenameY().fail(Int(1), "no span")) == "internal error in pass rename-y: Int: no span"


# -- visitors ----------------------------------------------------------------------------------


def test_visitor_walks_through_nodes_without_handlers_with_context() -> None:
    class Collect(Visitor):
        def __init__(self) -> None:
            self.found: list[tuple[str, int]] = []

        def Var(self, e: Var, depth: int) -> None:
            self.found.append((e.name, depth))

        def Let(self, e: Let, depth: int) -> None:
            self.visit(e.value, depth)
            self.visit(e.body, depth + 1)

    v = Collect()
    v.visit(arith("(Program (Prim + [(Var a) (Let b (Var c) (If (Var d) (Var e) (Int 1)))]))"), 0)
    assert v.found == [("a", 0), ("c", 0), ("d", 1), ("e", 1)]


def test_fresh_names_continue_above_those_in_a_restarted_tree() -> None:
    """A run that starts from a printed tree has no NameSupply fact: fresh names must not
    collide with the generated names already in the tree."""
    from nanowyki.framework import Facts, print_tree, read_tree

    from .arith import Arith, RemoveComplexOperands

    text = "(Program (Let tmp.7 (Int 1) (Prim + [(Prim * [(Var tmp.7) (Int 2)]) (Int 1)])))"
    tree = read_tree(text, Arith)
    out, facts = RemoveComplexOperands().apply(tree, Facts())
    assert "tmp.8" in print_tree(out)
    assert facts.get(NameSupply).next == 9
