"""Golden files: each example's printed IL after every pass that changes it, and its C.

    python -m nanowyki.golden            # check: exit 1 and a readable diff on drift
    python -m nanowyki.golden --update   # rewrite golden/ from the current compiler

`golden/<example>/NN-<pass>.il` holds the tree after pass number NN of the default pipeline,
for every pass whose output differs from its input (checks and passes that did not fire write
nothing); `golden/<example>/<example>.c` holds the C the emitter prints from the last one (what
`nanowyki run-passes --emit c` and `nanowyki build` compile), its `#line` directives naming the
source as `examples/<example>.wyki`. A change to the compiler that changes any IL or the C shows
up as a diff to read in review.
"""

from __future__ import annotations

import argparse
import difflib
import sys
from pathlib import Path

from nanowyki import pipeline as wyki
from nanowyki.emit_c import emit_c
from nanowyki.framework import CheckLevel, Node, RunOptions, print_tree
from nanowyki.languages.cish import CUnit

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "golden"
EXAMPLES = ROOT / "examples"
KINDS = ("*.il", "*.c")  # the golden files of one example


def dumps(example: Path) -> dict[str, str]:
    """File name -> printed IL, for every pass that changed the program; and the C."""
    p = wyki.default()
    files: dict[str, str] = {}
    tree: Node = wyki.source_tree(example)
    facts = None
    for i, pass_ in enumerate(p.passes, 1):
        result = p.run(
            tree,
            RunOptions(start_at=pass_.name, stop_after=pass_.name, check=CheckLevel.OFF),
            facts,
        )
        if result.tree is not tree:
            header = f"; {example.name} after {pass_.name}: {pass_.output.name}\n"
            files[f"{i:02d}-{pass_.name}.il"] = header + print_tree(result.tree)
        tree, facts = result.tree, result.facts
    if isinstance(tree, CUnit):
        c_name = f"{example.stem}.c"
        # The source was read by its absolute path; the golden C names it as the repository does.
        files[c_name] = emit_c(tree, c_file=c_name).replace(
            f'"{example}"', f'"{example.relative_to(ROOT)}"'
        )
    return files


def golden_files(folder: Path) -> list[Path]:
    return [p for kind in KINDS for p in folder.glob(kind)]


def compare(example: Path, folder: Path) -> list[str]:
    """Readable differences between the golden files and the compiler's output now."""
    want = dumps(example)
    have = {p.name: p.read_text() for p in golden_files(folder)}
    problems: list[str] = []
    for name in sorted(set(want) | set(have)):
        if name not in have:
            problems.append(f"{folder.name}/{name}: missing (the compiler now writes it)")
        elif name not in want:
            problems.append(f"{folder.name}/{name}: stale (no pass writes it any more)")
        elif want[name] != have[name]:
            diff = difflib.unified_diff(
                have[name].splitlines(keepends=True),
                want[name].splitlines(keepends=True),
                f"golden/{folder.name}/{name}",
                "now",
            )
            lines = list(diff)
            shown = "".join(lines[:80]) + (
                f"... ({len(lines) - 80} more lines)\n" if len(lines) > 80 else ""
            )
            problems.append(shown)
    return problems


def update(example: Path, folder: Path) -> None:
    want = dumps(example)
    folder.mkdir(parents=True, exist_ok=True)
    for old in golden_files(folder):
        if old.name not in want:
            old.unlink()
    for name, text in want.items():
        (folder / name).write_text(text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m nanowyki.golden", description=__doc__)
    parser.add_argument("--update", action="store_true", help="rewrite golden/ from the compiler")
    args = parser.parse_args(argv)
    failed = False
    for example in sorted(EXAMPLES.glob("*.wyki")):
        folder = GOLDEN / example.stem
        if args.update:
            update(example, folder)
            print(f"golden/{example.stem}: {len(golden_files(folder))} files")
            continue
        for problem in compare(example, folder):
            failed = True
            print(problem)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
