"""The arith pipeline keeps meaning: evaluating its output gives what evaluating its input
gives, for random closed programs, after every pass."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nanowyki.framework import CheckLevel, Pipeline, RunOptions, read_tree
from tests.framework.arith import (
    Arith,
    FlattenLets,
    FoldConstants,
    Program,
    RemoveComplexOperands,
    UniquifyNames,
    evaluate,
)
from tests.framework.strategies import arith_exprs

PIPELINE = Pipeline([UniquifyNames, FoldConstants, RemoveComplexOperands, FlattenLets])
NAMES = ["a", "b", "x", "y"]

# Variables come from a small set so lets shadow each other and the environment often; every
# one of them is given in the environment, so every program is closed.
programs = st.builds(
    Program,
    arith_exprs(st.sampled_from(NAMES), st.integers(-50, 50), binary=True),
)
envs = st.fixed_dictionaries({n: st.integers(-50, 50) for n in NAMES})


@settings(max_examples=300, deadline=None)
@given(programs, envs)
def test_the_pipeline_preserves_meaning(tree: Program, env: dict[str, int]) -> None:
    result = PIPELINE.run(tree)
    assert evaluate(result.tree, env) == evaluate(tree, env)


@settings(max_examples=100, deadline=None)
@given(programs, envs)
def test_every_prefix_of_the_pipeline_preserves_meaning(
    tree: Program, env: dict[str, int]
) -> None:
    want = evaluate(tree, env)
    for name in PIPELINE.names:
        out = PIPELINE.run(tree, RunOptions(stop_after=name, check=CheckLevel.CONSTRUCT)).tree
        assert evaluate(out, env) == want, name


@pytest.mark.parametrize(
    ("text", "env", "value"),
    [
        ("(Program (Int 5))", {}, 5),
        ("(Program (Prim + [(Int 1) (Prim * [(Var a) (Int 3)])]))", {"a": 2}, 7),
        ("(Program (Let x (Int 1) (Prim + [(Let x (Int 2) (Var x)) (Var x)])))", {}, 3),
        ("(Program (Let x (Int 1) (Let x (Prim + [(Var x) (Var x)]) (Var x))))", {}, 2),
        (
            "(Program (If (Prim < [(Var a) (Int 0)]) (Prim - [(Int 0) (Var a)]) (Var a)))",
            {"a": -4},
            4,
        ),
        (
            "(Program (Prim + [(If (Let c (Var a) (Var c)) (Let t (Int 1) (Var t)) (Int 2))"
            " (Int 10)]))",
            {"a": 0},
            12,
        ),
        ("(Program (If (If (Var a) (Int 0) (Int 1)) (Int 5) (Int 6)))", {"a": 1}, 6),
        ("(Program (Let y (Let z (Int 4) (Prim * [(Var z) (Var z)])) (Var y)))", {}, 16),
    ],
)
def test_known_programs(text: str, env: dict[str, int], value: int) -> None:
    tree = read_tree(text, Arith)
    assert evaluate(tree, env) == value
    assert evaluate(PIPELINE.run(tree).tree, env) == value


def test_shadowing_is_lexical_in_the_interpreter() -> None:
    # The inner x is visible only in the inner let's body.
    tree = read_tree("(Program (Let x (Int 1) (Prim + [(Let x (Int 2) (Var x)) (Var x)])))", Arith)
    assert evaluate(tree) == 3


def test_a_free_variable_without_a_value_is_a_key_error() -> None:
    with pytest.raises(KeyError):
        evaluate(read_tree("(Program (Var q))", Arith))
