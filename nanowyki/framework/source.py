"""`Source`: the language of source text, the input of every pipeline that starts by parsing.

In `Source`, a program is still text: one `SourceText` node holding its file name and contents.
Making source text a language lets the parser be an ordinary pass.
"""

from __future__ import annotations

from .language import Language
from .node import Node, node


class SourceRoot(Node):
    """A source file."""


@node
class SourceText(SourceRoot):
    name: str
    text: str


Source = Language("Source", [SourceText], root=SourceText, doc=__doc__ or "")
