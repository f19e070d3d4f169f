"""The nanopass framework: immutable languages, passes that spell out only what they change, a
checker that proves each output belongs to its language, printers and readers, and `Pipeline`.

It knows nothing of WYKI; `nanowyki.pipeline` builds the WYKI compiler on it.
"""

from .check import CheckLevel, check
from .diagnostics import CompileError, Diagnostic, render
from .errors import FrameworkError, ILCheckError, InternalError, PipelineError, ReadError
from .language import Language
from .node import Node, count_nodes, find_all, iter_children, node, occurs_in, walk
from .passes import Analysis, Check, Fact, Facts, Pass, Rewriter, Transform, Visitor
from .pipeline import ALL, Pipeline, RunOptions, RunResult, Step
from .printer import print_tree, read_tree
from .source import Source, SourceText
from .span import Span

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
    "find_all",
    "iter_children",
    "node",
    "occurs_in",
    "print_tree",
    "read_tree",
    "render",
    "walk",
]
