"""`from nanowyki import pipeline` is all another tool needs: the WYKI compiler pass by pass,
and the whole framework to build its own languages, passes and pipelines."""

from __future__ import annotations

import nanowyki.framework
from nanowyki import pipeline


def test_every_framework_name_is_offered_by_the_pipeline_module() -> None:
    missing = [n for n in nanowyki.framework.__all__ if n not in pipeline.__all__]
    assert missing == []
    for name in nanowyki.framework.__all__:
        assert getattr(pipeline, name) is getattr(nanowyki.framework, name)


class Expr(pipeline.Node):
    """A two-production language declared through `pipeline` alone."""


@pipeline.node
class Num(Expr):
    value: int


@pipeline.node
class Neg(Expr):
    operand: Expr


Signed = pipeline.Language("Signed", [Num, Neg], root=Expr)
Unsigned = Signed.extend("Unsigned", remove=[Neg])


class FoldNegations(pipeline.Transform):
    """Signed -> Unsigned: `(Neg (Num n))` becomes `(Num -n)`."""

    name = "fold-negations"
    input = Signed
    output = Unsigned

    def Neg(self, e: Neg) -> Expr:
        inner = self.visit(e.operand)
        assert isinstance(inner, Num)
        return Num(-inner.value, span=e.span)


def test_a_tool_builds_and_runs_its_own_pipeline_from_the_one_import() -> None:
    mine = pipeline.Pipeline([FoldNegations], name="mine")
    tree = pipeline.read_tree("(Neg (Neg (Num 7)))", Signed)
    result = mine.run(tree, pipeline.RunOptions(check=pipeline.CheckLevel.BOUNDARY))
    assert pipeline.print_tree(result.tree) == "(Num 7)\n"


def test_the_default_pipeline_is_the_wyki_compiler() -> None:
    names = [p.name for p in pipeline.default().passes]
    assert names[0] == "parse-source" and "convert-to-cish" in names
