"""The WYKI compiler as a pipeline, and everything needed to build other pipelines.

    from nanowyki import pipeline
    p = pipeline.default()                         # the WYKI compiler, pass by pass
    result = p.run(pipeline.source_tree("echo.wyki"))
    mine = pipeline.Pipeline([...])                # your own, on the same framework

Everything the framework offers (`Node`, `node`, `Language`, `Transform`, `Visitor`,
`Rewriter`, `Span`, the error classes...) is importable from here too, so a tool can declare
its own languages and passes with this one import.

The table below is the compiler: one row per pass, in order. Nothing else lists the passes.
"""

from __future__ import annotations

from pathlib import Path

from nanowyki.framework import (
    ALL,
    Analysis,
    Check,
    CheckLevel,
    CompileError,
    Diagnostic,
    Fact,
    Facts,
    FrameworkError,
    ILCheckError,
    InternalError,
    Language,
    Node,
    Pass,
    Pipeline,
    PipelineError,
    ReadError,
    Rewriter,
    RunOptions,
    RunResult,
    Source,
    SourceText,
    Span,
    Step,
    Transform,
    Visitor,
    check,
    count_nodes,
    find_all,
    iter_children,
    node,
    occurs_in,
    print_tree,
    read_tree,
    render,
    walk,
)
from nanowyki.passes.bound_loops import BoundLoops
from nanowyki.passes.build_concat_chains_in_place import BuildConcatChainsInPlace
from nanowyki.passes.build_results_in_place import BuildResultsInPlace
from nanowyki.passes.check_control_flow import CheckControlFlow
from nanowyki.passes.check_service_shape import CheckServiceShape
from nanowyki.passes.check_types import CheckTypes
from nanowyki.passes.convert_bindings import ConvertBindings
from nanowyki.passes.convert_to_cish import ConvertToCish
from nanowyki.passes.emit_service_descriptor import EmitServiceDescriptor
from nanowyki.passes.expand_embeds import ExpandEmbeds
from nanowyki.passes.explicate_control import ExplicateControl
from nanowyki.passes.expose_effects import ExposeEffects
from nanowyki.passes.fold_constants import FoldConstants
from nanowyki.passes.fuse_shared_updates import FuseSharedUpdates
from nanowyki.passes.hoist_locals import HoistLocals
from nanowyki.passes.hoist_static_data import HoistStaticData
from nanowyki.passes.inline_constants import InlineConstants
from nanowyki.passes.insert_yield_points import InsertYieldPoints
from nanowyki.passes.lift_live_variables import LiftLiveVariables
from nanowyki.passes.lift_locals_to_scratch import LiftLocalsToScratch
from nanowyki.passes.lift_loop_conditions import LiftLoopConditions
from nanowyki.passes.lower_receives import LowerReceives
from nanowyki.passes.lower_sends import LowerSends
from nanowyki.passes.lower_waits import LowerWaits
from nanowyki.passes.parse_source import ParseSource
from nanowyki.passes.reject_constant_faults import RejectConstantFaults
from nanowyki.passes.reject_misplaced_effects import RejectMisplacedEffects
from nanowyki.passes.reject_recursion import RejectRecursion
from nanowyki.passes.remove_complex_operands import RemoveComplexOperands
from nanowyki.passes.remove_compound_assignments import RemoveCompoundAssignments
from nanowyki.passes.require_handled_results import RequireHandledResults
from nanowyki.passes.require_loop_bounds import RequireLoopBounds
from nanowyki.passes.require_step_budget import RequireStepBudget
from nanowyki.passes.resolve_names import ResolveNames
from nanowyki.passes.split_states import SplitStates
from nanowyki.passes.uncover_constants import UncoverConstants
from nanowyki.passes.uncover_liveness import UncoverLiveness
from nanowyki.passes.uncover_memory_layout import UncoverMemoryLayout
from nanowyki.passes.uncover_step_bounds import UncoverStepBounds
from nanowyki.passes.unify_loops import UnifyLoops

__all__ = [
    "ALL",
    "Analysis",
    "Check",
    "CheckLevel",
    "CompileError",
    "Diagnostic",
    "Fact",
    "Facts",
    "FrameworkError",
    "ILCheckError",
    "InternalError",
    "Language",
    "Node",
    "Pass",
    "Pipeline",
    "PipelineError",
    "ReadError",
    "Rewriter",
    "RunOptions",
    "RunResult",
    "Source",
    "SourceText",
    "Span",
    "Step",
    "Transform",
    "Visitor",
    "check",
    "count_nodes",
    "default",
    "find_all",
    "frontend",
    "iter_children",
    "node",
    "occurs_in",
    "print_tree",
    "read_tree",
    "render",
    "source_tree",
    "walk",
]

FRONTEND: list[type[Pass]] = [
    ParseSource,
    ExpandEmbeds,
    ResolveNames,
    UncoverConstants,
    CheckTypes,
    RejectRecursion,
    RejectMisplacedEffects,
    RequireHandledResults,
    CheckControlFlow,
    RequireLoopBounds,
    RejectConstantFaults,
    CheckServiceShape,
    RequireStepBudget,  # after every check: it lowers the program to count its steps
]


def frontend() -> Pipeline:
    """Source text to a checked `Typed` program: parsing and every safety check."""
    return Pipeline(FRONTEND, name="frontend")


# The lowering passes, in order; each section is filled by the passes into that IL.
LOWERING: list[type[Pass]] = [
    # -- into Iterated and Core: no sugar
    UnifyLoops,
    RemoveCompoundAssignments,
    ExposeEffects,
    ConvertBindings,
    # -- into Bounded: no unbounded loops
    BoundLoops,
    InsertYieldPoints,
    UncoverStepBounds,
    # -- into Flat: no nested expressions
    InlineConstants,
    FoldConstants,
    LiftLoopConditions,
    RemoveComplexOperands,
    # -- into Linear: no structured control flow
    ExplicateControl,
    # -- into Pooled: no allocation at run time
    HoistLocals,
    UncoverMemoryLayout,
    # -- into Evented: no threads
    SplitStates,
    UncoverLiveness,
    LiftLiveVariables,
    # -- into Socketless: no sockets
    LowerReceives,
    LowerSends,
    LowerWaits,
    # -- into Placed: values computed in their places
    FuseSharedUpdates,
    BuildResultsInPlace,
    BuildConcatChainsInPlace,
    # -- into Cish: C-shaped
    ConvertToCish,
    HoistStaticData,
    LiftLocalsToScratch,
    EmitServiceDescriptor,
]


def default() -> Pipeline:
    """The whole WYKI compiler."""
    return Pipeline(FRONTEND + LOWERING, name="wyki")


def source_tree(path: str | Path, text: str | None = None) -> SourceText:
    """The `Source` tree of a file (its text read unless given)."""
    p = Path(path)
    return SourceText(str(path), p.read_text(encoding="utf-8") if text is None else text)


SOURCE = Source
