"""The `nanowyki` command line.

Exit status: 0 success; 1 the program was rejected (diagnostics on stderr); 2 a usage mistake
(missing file, unknown pass name: one line on stderr); 3 an internal compiler error. A user never
sees a Python traceback (set NANOWYKI_TRACEBACK=1 to see one for a compiler bug).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

import nanowyki
from nanowyki.framework import (
    ALL,
    CheckLevel,
    CompileError,
    FrameworkError,
    PipelineError,
    ReadError,
    RunOptions,
    RunResult,
    print_tree,
    read_tree,
    render,
)
from nanowyki.framework.node import Node

if TYPE_CHECKING:
    from nanowyki.build import BuildOptions

DOT_AFTER = "lift-live-variables"  # where `run-passes --emit dot` stops by default


class UsageError(Exception):
    """A mistake in how the command was called: exit status 2."""


def _pipeline() -> ModuleType:
    """The compiler's pipeline module, imported late so that `--help` stays fast."""
    from nanowyki import pipeline

    return pipeline


def _names(text: str) -> frozenset[str] | str:
    if text == ALL:
        return ALL
    return frozenset(n.strip() for n in text.split(",") if n.strip())


def _read_source(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UsageError(f"cannot read '{path}': no such file") from None
    except IsADirectoryError:
        raise UsageError(f"cannot read '{path}': it is a directory") from None
    except UnicodeDecodeError:
        raise UsageError(f"cannot read '{path}': not UTF-8 text") from None
    except OSError as err:
        raise UsageError(f"cannot read '{path}': {err.strerror}") from None


def _report(err: CompileError) -> None:
    sources: dict[str, str | None] = {}
    for diag in err.diagnostics:
        name = diag.span.file if diag.span else None
        if name is not None and name not in sources:
            try:
                sources[name] = Path(name).read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                sources[name] = None
        print(render(diag, sources.get(name) if name else None), file=sys.stderr)
    count = len(err.diagnostics)
    print(f"{count} error{'s' if count != 1 else ''}", file=sys.stderr)


# -- commands ----------------------------------------------------------------------------------


def cmd_list_passes(args: argparse.Namespace) -> int:
    p = _pipeline().default()
    sys.stdout.write(markdown_table(p.table()) if args.markdown else p.format_table())
    return 0


def markdown_table(rows: list[tuple[str, str, str, str]]) -> str:
    """The pass table as ARCHITECTURE.md shows it."""
    lines = ["| # | pass | input -> output | what it establishes |", "|---|---|---|---|"]
    for i, (name, source, target, purpose) in enumerate(rows, 1):
        lines.append(f"| {i} | `{name}` | {source} -> {target} | {purpose} |")
    return "\n".join(lines) + "\n"


def cmd_show_language(args: argparse.Namespace) -> int:
    p = _pipeline().default()
    langs = {lang.name: lang for lang in p.languages()}
    if args.name not in langs:
        raise UsageError(f"unknown language '{args.name}' (known: {', '.join(langs)})")
    lang = langs[args.name]
    sys.stdout.write(lang.diff() if args.diff else lang.grammar())
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    pipeline = _pipeline()
    text = _read_source(args.file)
    tree = pipeline.source_tree(args.file, text)
    if not args.report:
        pipeline.frontend().run(tree)
        return 0
    from nanowyki.report import REPORT_THROUGH, format_report

    # the front end, then the lowering passes through the last analysis the report reads
    result = pipeline.default().run(tree, RunOptions(stop_after=REPORT_THROUGH))
    sys.stdout.write(format_report(args.file, result.facts))
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from nanowyki.interp import TypedInterpreter
    from nanowyki.interp.serve import serve

    pipeline = _pipeline()
    text = _read_source(args.file)
    result = pipeline.frontend().run(pipeline.source_tree(args.file, text))
    if args.port is not None and not 0 <= args.port <= 65535:
        raise UsageError(f"port {args.port} is out of range 0..65535")
    try:
        serve(TypedInterpreter(result.tree, result.facts), port=args.port, host=args.host)
    except OSError as err:
        raise UsageError(f"cannot listen on port {args.port}: {err.strerror}") from None
    return 0


def cmd_run_passes(args: argparse.Namespace) -> int:
    pipeline = _pipeline()
    p = pipeline.default()
    for name in (args.start_at, args.stop_after):
        if name:
            p.index(name)
    text = _read_source(args.file)
    tree: Node
    if args.start_at and p.index(args.start_at) > 0:
        tree = read_tree(text, p[args.start_at].input, source=args.file)
    else:
        tree = pipeline.source_tree(args.file, text)
    try:
        level = CheckLevel.parse(args.check)
    except ValueError as err:
        raise UsageError(str(err)) from None
    dump_after = _names(args.dump_after) if args.dump_after else frozenset()
    if args.dump_dir and not dump_after:
        dump_after = ALL
    stop_after = args.stop_after
    if args.emit == "dot":  # the state machines exist from split-states; draw them as lifted
        stop_after = stop_after or DOT_AFTER
        if p.index(stop_after) < p.index("split-states"):
            raise UsageError(
                f"--emit dot draws the session's state machine, which does not exist before "
                f"'split-states' (--stop-after {stop_after})"
            )
    options = RunOptions(
        start_at=args.start_at,
        stop_after=stop_after,
        dump_after=dump_after,
        dump_dir=Path(args.dump_dir) if args.dump_dir else None,
        diff_after=_names(args.diff_after) if args.diff_after else frozenset(),
        check=level,
        out=sys.stdout,
    )
    result: RunResult = p.run(tree, options)
    if args.timing:
        sys.stderr.write(result.timing_table())
    if args.trace:
        Path(args.trace).write_text("".join(s.to_json() + "\n" for s in result.trace))
    if args.emit == "dot":
        from nanowyki.dot import service_dot

        emitted = service_dot(result.tree)
    elif args.emit == "c":
        from nanowyki.emit_c import emit_c
        from nanowyki.languages.cish import CUnit

        if not isinstance(result.tree, CUnit):
            raise UsageError(
                f"--emit c prints the Cish the whole pipeline ends with, not the "
                f"{type(result.tree).__name__} after '{stop_after}'"
            )
        emitted = emit_c(result.tree, c_file=args.output)
    else:
        emitted = print_tree(result.tree)
    if args.output:
        Path(args.output).write_text(emitted)
    elif args.emit in ("dot", "c") or (not dump_after and not options.diff_after):
        sys.stdout.write(emitted)
    return 0


def _compile(file: str, text: str, binary: Path, options: BuildOptions, build_dir: Path) -> int:
    """Lower the program, write its C into build_dir and build `binary`: 0, or 3 when the
    generated C does not compile (a compiler bug, reported here)."""
    from nanowyki.build import BuildError, GeneratedCError, build
    from nanowyki.emit_c import emit_c
    from nanowyki.languages.cish import CUnit

    pipeline = _pipeline()
    result = pipeline.default().run(pipeline.source_tree(file, text))
    unit = result.tree
    if not isinstance(unit, CUnit):
        raise PipelineError(f"the pipeline ended with {type(unit).__name__}, not Cish")
    c_file = build_dir / f"{unit.name}.c"
    c_file.write_text(emit_c(unit, c_file=str(c_file)))
    try:
        build(c_file, binary, options, source=file)
    except BuildError as err:
        raise UsageError(str(err)) from None
    except GeneratedCError as err:
        print(
            f"nanowyki: internal compiler error: the generated C does not compile "
            f"(a bug in nanowyki):\n{err}",
            file=sys.stderr,
        )
        return 3
    return 0


def _build_options(cflags: str, debug: bool) -> BuildOptions:
    import shlex

    from nanowyki.build import BuildError, BuildOptions, compiler

    try:
        return BuildOptions(compiler(), tuple(shlex.split(cflags)), debug)
    except (BuildError, ValueError) as err:
        raise UsageError(str(err)) from None


def _compile_kernel(file: str, text: str, outdir: Path, kdir: str | None) -> int:
    """Lower the program, write its C into the Kbuild tree `outdir` and build the module
    `outdir/wyki_NAME.ko`: 0, or 3 when the generated C does not compile (a compiler bug)."""
    from nanowyki.emit_c import emit_c
    from nanowyki.kernel_build import GeneratedCModuleError, KernelBuildError, build_module
    from nanowyki.languages.cish import CUnit

    pipeline = _pipeline()
    unit = pipeline.default().run(pipeline.source_tree(file, text)).tree
    if not isinstance(unit, CUnit):
        raise PipelineError(f"the pipeline ended with {type(unit).__name__}, not Cish")
    outdir.mkdir(parents=True, exist_ok=True)
    c_file = outdir / "service.c"
    c_file.write_text(emit_c(unit, c_file="service.c"))
    try:
        ko = build_module(c_file, outdir, kdir, unit.name, source=file)
    except GeneratedCModuleError as err:
        print(f"nanowyki: internal compiler error: the generated C does not compile as a "
              f"module (a bug in nanowyki):\n{err}", file=sys.stderr)  # fmt: skip
        return 3
    except KernelBuildError as err:
        raise UsageError(str(err)) from None
    print(ko)
    return 0


def cmd_build(args: argparse.Namespace) -> int:
    import tempfile

    text = _read_source(args.file)
    if args.target == "kernel":
        return _compile_kernel(args.file, text, Path(args.output).resolve(), args.kdir)
    if args.kdir:
        raise UsageError("--kdir is for --target kernel")
    binary = Path(args.output).resolve()
    if not binary.parent.is_dir():
        raise UsageError(f"cannot write '{args.output}': no such directory '{binary.parent}'")
    options = _build_options(args.cflags, args.debug)
    with tempfile.TemporaryDirectory(prefix="nanowyki-build-") as tmp:
        build_dir = Path(args.build_dir).resolve() if args.build_dir else Path(tmp)
        build_dir.mkdir(parents=True, exist_ok=True)
        return _compile(args.file, text, binary, options, build_dir)


def cmd_run(args: argparse.Namespace) -> int:
    from nanowyki.build import (
        build_key,
        cache_entry,
        cache_root,
        embedded_files,
        install_entry,
        new_build_dir,
    )

    text = _read_source(args.file)
    source = Path(args.file)
    options = _build_options("", args.debug)
    key = build_key(source, text, embedded_files(source, text), options)
    root = cache_root()
    entry = cache_entry(source, key, root, args.debug)
    binary = entry / source.stem
    if binary.is_file():
        if args.verbose:
            print(f"nanowyki: {args.file}: cached build {binary}", file=sys.stderr)
    else:
        print(f"nanowyki: {args.file}: building into {entry}", file=sys.stderr)
        try:
            built = new_build_dir(root)
        except OSError as err:
            raise UsageError(f"cannot write the build cache '{root}': {err.strerror}") from None
        try:
            status = _compile(args.file, text, built / source.stem, options, built)
            if status:
                return status
            install_entry(built, entry)
        finally:
            if built.exists():
                shutil.rmtree(built, ignore_errors=True)
    argv = [str(binary)]
    for flag in ("port", "workers", "sessions", "stats_interval"):
        value = getattr(args, flag)
        if value is not None:
            argv += [f"--{flag.replace('_', '-')}", str(value)]
    sys.stderr.flush()
    try:
        os.execv(binary, argv)  # the service replaces this process: signals reach it directly
    except OSError as err:
        raise UsageError(f"cannot run '{binary}': {err.strerror}") from None


def cmd_replay(args: argparse.Namespace) -> int:
    from nanowyki.interp.transcript import TranscriptError, read_transcript
    from nanowyki.replay import ControlError, replay

    binary = Path(args.binary)
    if not binary.is_file() or not os.access(binary, os.X_OK):
        raise UsageError(f"no executable '{args.binary}' (build one with 'nanowyki build')")
    try:
        transcripts = [read_transcript(path) for path in args.transcripts]
    except OSError as err:
        raise UsageError(f"cannot read '{err.filename}': {err.strerror}") from None
    except TranscriptError as err:
        raise UsageError(str(err)) from None
    failed = 0
    for transcript in transcripts:
        try:
            result = replay(transcript, binary, ("--workers", str(args.workers)))
        except ControlError as err:
            raise UsageError(f"cannot run '{args.binary}': {err}") from None
        if result.ok:
            print(f"ok {transcript.path} ({result.steps} steps)")
        else:
            failed += 1
            print(result.report(), file=sys.stderr)
    if failed:
        print(f"{failed} of {len(transcripts)} transcripts failed", file=sys.stderr)
    return 1 if failed else 0


# -- parser ------------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="nanowyki",
        description="The WYKI compiler: safe network services as event-driven state machines.",
        epilog="Run 'nanowyki COMMAND --help' for the options of one command.",
    )
    parser.add_argument("--version", action="version", version=f"nanowyki {nanowyki.__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    lp = sub.add_parser(
        "list-passes",
        help="list the passes of the compiler, in order",
        description="Print one line per pass: NAME  INPUT -> OUTPUT  purpose.",
    )
    lp.add_argument("--markdown", action="store_true", help="as a Markdown table")
    lp.set_defaults(func=cmd_list_passes)

    sl = sub.add_parser(
        "show-language",
        help="print the grammar of an intermediate language",
        description="Print the grammar of one IL, or with --diff what it changes from its parent.",
    )
    sl.add_argument("name", help="the language, e.g. Surface, Typed")
    sl.add_argument("--diff", action="store_true", help="only what it adds and removes")
    sl.set_defaults(func=cmd_show_language)

    ck = sub.add_parser(
        "check",
        help="parse and check a WYKI program, reporting every error",
        description="Run the front end (parser and every safety check) and report diagnostics. "
        "Exit status 0 when the program is accepted, 1 when it is rejected.",
    )
    ck.add_argument("file", help="a .wyki source file")
    ck.add_argument(
        "--report",
        action="store_true",
        help="also lower the program and print each handler's static worst-case steps between "
        "yields and the service's static memory (frames, buffers, tables, arena)",
    )
    ck.set_defaults(func=cmd_check)

    sv = sub.add_parser(
        "serve",
        help="check a program and serve real clients with the reference interpreter",
        description="Check FILE, then serve it on real sockets with the reference interpreter "
        "(a test harness: correct, not fast) until interrupted.",
    )
    sv.add_argument("file", help="a .wyki source file")
    sv.add_argument("--port", type=int, help="listen here instead of the program's port (0: any)")
    sv.add_argument("--host", default="127.0.0.1", help="the address to listen on")
    sv.set_defaults(func=cmd_serve)

    rp = sub.add_parser(
        "run-passes",
        help="run the pipeline on a file, with dumps, diffs and timing",
        description="Run the compiler's passes on FILE (WYKI source, or printed IL of the input "
        "language of the --start-at pass) and print the resulting IL.",
    )
    rp.add_argument("file", help="WYKI source, or printed IL when --start-at names a later pass")
    rp.add_argument("--start-at", metavar="P", help="start at pass P (FILE is P's input IL)")
    rp.add_argument("--stop-after", metavar="P", help="stop after pass P")
    rp.add_argument(
        "--dump-after", metavar="P[,Q]|all", help="print the IL after these passes (or all)"
    )
    rp.add_argument(
        "--dump-dir", metavar="D", help="write dumps to D as numbered files (default: stdout)"
    )
    rp.add_argument(
        "--diff-after", metavar="P[,Q]|all", help="print a unified diff of the IL around P"
    )
    rp.add_argument("--timing", action="store_true", help="print time per pass on stderr")
    rp.add_argument(
        "--check",
        nargs="?",
        const="boundary",
        default="off",
        metavar="LEVEL",
        help="check every pass output against its language: off, boundary (the default when "
        "--check is given) or construct (every node as it is built)",
    )
    rp.add_argument("--trace", metavar="FILE", help="write a JSON line per pass to FILE")
    rp.add_argument(
        "--emit",
        choices=("il", "dot", "c"),
        default="il",
        help="what to write: the final IL (il, the default), each session's state machine "
        f"as a Graphviz graph (dot; runs through '{DOT_AFTER}' unless --stop-after says), or "
        "the C11 source of the service (c; needs the whole pipeline)",
    )
    rp.add_argument(
        "-o", "--output", metavar="FILE", help="write the final IL (or dot, or C) to FILE"
    )
    rp.set_defaults(func=cmd_run_passes)

    bd = sub.add_parser(
        "build",
        help="compile a WYKI program to an executable service",
        description="Check and lower FILE, emit its C, and compile it with the userspace "
        "runtime (runtime_c/) into BINARY, which serves on the program's port (--port N "
        "overrides it). The C compiler is $CC, else cc.",
    )
    bd.add_argument("file", help="a .wyki source file")
    bd.add_argument(
        "-o",
        "--output",
        required=True,
        metavar="OUT",
        help="the executable; with --target kernel, the directory of the Kbuild tree",
    )
    bd.add_argument(
        "--target",
        choices=("user", "kernel"),
        default="user",
        help="user: an executable (default); kernel: a Kbuild tree in OUT and the loadable "
        "module OUT/wyki_NAME.ko, built with make -C KDIR M=OUT modules",
    )
    bd.add_argument(
        "--kdir",
        metavar="KDIR",
        help="--target kernel: the kernel build directory (default: the newest "
        "/lib/modules/*-amd64/build, from the Debian package linux-headers-amd64)",
    )
    bd.add_argument(
        "--cflags", default="", metavar="FLAGS", help="more C compiler flags (one string)"
    )
    bd.add_argument(
        "--debug",
        action="store_true",
        help="-g -O0 -fsanitize=address,undefined instead of -O2",
    )
    bd.add_argument(
        "--build-dir",
        metavar="DIR",
        help="keep the generated C and objects in DIR (default: a temporary directory)",
    )
    bd.set_defaults(func=cmd_build)

    rn = sub.add_parser(
        "run",
        help="build a WYKI program (cached) and run the service",
        description="Build FILE as 'nanowyki build' does, into a cache ($XDG_CACHE_HOME/nanowyki, "
        "else ~/.cache/nanowyki) keyed by everything the binary is made from (the program, the "
        "files it embeds, nanowyki, the runtime, the C compiler and flags), then run it in "
        "this process's place. An unchanged program starts without building.",
    )
    rn.add_argument("file", help="a .wyki source file")
    rn.add_argument(
        "--port", type=int, metavar="N", help="listen here instead of the program's port"
    )
    rn.add_argument("--workers", type=int, metavar="N", help="event-loop threads")
    rn.add_argument("--sessions", type=int, metavar="N", help="most sessions alive at once")
    rn.add_argument("--stats-interval", type=int, metavar="S", help="print statistics every S s")
    rn.add_argument(
        "--debug", action="store_true", help="the sanitizer build (-fsanitize=address,undefined)"
    )
    rn.add_argument(
        "-v", "--verbose", action="store_true", help="say when the cached build is used"
    )
    rn.set_defaults(func=cmd_run)

    rl = sub.add_parser(
        "replay",
        help="play transcripts against a compiled service, over real sockets",
        description="Start BINARY (built by 'nanowyki build') with --control on a free port, "
        "once per transcript, and play each transcript's clients against it "
        "(docs/transcripts.md). Exit status 1 if any transcript fails.",
    )
    rl.add_argument("transcripts", nargs="+", metavar="FILE.tr", help="transcripts to play")
    rl.add_argument("--binary", required=True, metavar="BINARY", help="the compiled service")
    rl.add_argument(
        "--workers", type=int, default=1, metavar="N", help="event-loop threads (default: 1)"
    )
    rl.set_defaults(func=cmd_replay)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        return func(args)
    except CompileError as err:
        _report(err)
        return 1
    except (UsageError, PipelineError, ReadError) as err:
        print(f"nanowyki: error: {err}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 0
    except (FrameworkError, Exception) as err:
        if os.environ.get("NANOWYKI_TRACEBACK"):
            raise
        print(
            f"nanowyki: internal compiler error: {type(err).__name__}: {err}\n"
            "(this is a bug in nanowyki; NANOWYKI_TRACEBACK=1 shows where)",
            file=sys.stderr,
        )
        return 3
