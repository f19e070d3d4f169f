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
    Pipeline,
    PipelineError,
    ReadError,
    RunOptions,
    RunResult,
    print_tree,
    render,
)
from nanowyki.framework.node import Node

if TYPE_CHECKING:
    from nanowyki.build import BuildOptions
    from nanowyki.interp import Transcript

DOT_AFTER = "lift-live-variables"  # where `run-passes --emit dot` stops by default
MAX_WORKERS = 1024  # the binary's --workers bound (runtime_c/user/main.c)


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


def _output_file(path: str) -> Path:
    """The file `path`, checked before any work is done: it can be written (or created)."""
    out = Path(path)
    if out.is_dir():
        raise UsageError(f"cannot write '{path}': it is a directory")
    if not out.parent.is_dir():
        why = "is not a directory" if out.parent.exists() else "does not exist"
        raise UsageError(f"cannot write '{path}': the directory '{out.parent}' {why}")
    if not os.access(out if out.exists() else out.parent, os.W_OK):
        raise UsageError(f"cannot write '{path}': permission denied")
    return out


def _output_dir(path: str) -> Path:
    """The directory `path`, created if need be, checked before any work is done."""
    out = Path(path)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise UsageError(f"cannot write into '{path}': it is a file, not a directory") from None
    except OSError as err:
        raise UsageError(f"cannot create the directory '{path}': {err.strerror}") from None
    if not os.access(out, os.W_OK | os.X_OK):
        raise UsageError(f"cannot write into '{path}': permission denied")
    return out


def _write(path: Path, text: str) -> None:
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as err:  # checked up front, but a disk can fill
        raise UsageError(f"cannot write '{path}': {err.strerror}") from None


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
        if args.workers is not None:
            raise UsageError("--workers sizes the memory of --report: give both or neither")
        pipeline.frontend().run(tree)
        return 0
    from nanowyki.languages.cish import CUnit
    from nanowyki.report import REPORT_THROUGH, format_report

    workers = 1 if args.workers is None else args.workers
    if not 1 <= workers <= MAX_WORKERS:
        raise UsageError(f"--workers must be 1..{MAX_WORKERS} (as the binary's)")

    # the front end, then every lowering pass: the report reads the facts and the C unit
    result = pipeline.default().run(tree, RunOptions(stop_after=REPORT_THROUGH))
    if not isinstance(result.tree, CUnit):
        raise TypeError(f"{REPORT_THROUGH} did not produce a C unit")
    sys.stdout.write(format_report(args.file, result.facts, result.tree, workers))
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
    given = None  # what a dump carries besides its tree
    if args.start_at and p.index(args.start_at) > 0:
        tree, given = p.read_input(text, args.start_at, source=args.file)
    else:
        tree = pipeline.source_tree(args.file, text)
    try:
        level = CheckLevel.parse(args.check)
    except ValueError as err:
        raise UsageError(str(err)) from None
    dump_after = _names(args.dump_after) if args.dump_after else frozenset()
    diff_after = _names(args.diff_after) if args.diff_after else frozenset()
    if args.dump_dir and not dump_after and not diff_after:
        dump_after = ALL
    stop_after = args.stop_after
    if args.emit == "dot":
        stop_after = _dot_stop_after(p, args.start_at, stop_after)
    # Every file this run writes is checked before the first pass runs.
    dump_dir = _output_dir(args.dump_dir) if args.dump_dir else None
    trace = _output_file(args.trace) if args.trace else None
    output = _output_file(args.output) if args.output else None
    options = RunOptions(
        start_at=args.start_at,
        stop_after=stop_after,
        dump_after=dump_after,
        dump_dir=dump_dir,
        diff_after=diff_after,
        check=level,
        out=None if dump_dir else sys.stdout,  # with a directory, dumps and diffs go there
    )
    result: RunResult = p.run(tree, options, given)
    if args.timing:
        sys.stderr.write(result.timing_table())
    if trace:
        _write(trace, "".join(s.to_json() + "\n" for s in result.trace))
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
    if output:
        _write(output, emitted)
    elif args.emit in ("dot", "c") or (not dump_after and not diff_after):
        sys.stdout.write(emitted)
    return 0


def _dot_stop_after(p: Pipeline, start_at: str | None, stop_after: str | None) -> str:
    """Where `--emit dot` stops: `stop_after`, else where the machines are drawn best (after
    DOT_AFTER, their frames lifted), else the start pass when the run starts later than that.
    The pass must leave a tree `service_dot` draws."""
    from nanowyki.dot import draws

    if stop_after is None:
        stop_after = DOT_AFTER
        if start_at is not None and p.index(start_at) > p.index(DOT_AFTER):
            stop_after = start_at  # a run that starts later draws what its first pass makes
    if not draws(p[stop_after].output):
        drawn = [q.name for q in p.passes if draws(q.output)]
        raise UsageError(
            f"--emit dot draws the sessions' state machines, which exist after the passes "
            f"'{drawn[0]}' to '{drawn[-1]}', not after '{stop_after}' "
            f"({p[stop_after].output.name})"
        )
    return stop_after


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
        return _compile_kernel(args.file, text, _output_dir(args.output).resolve(), args.kdir)
    if args.kdir:
        raise UsageError("--kdir is for --target kernel")
    binary = _output_file(args.output).resolve()
    options = _build_options(args.cflags, args.debug)
    build_dir = _output_dir(args.build_dir).resolve() if args.build_dir else None
    with tempfile.TemporaryDirectory(prefix="nanowyki-build-") as tmp:
        return _compile(args.file, text, binary, options, build_dir or Path(tmp))


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
    program, paths = _replay_files(args)
    transcripts = _read_transcripts(paths)
    if program is None:
        failed = _replay_binary(args, transcripts)
    else:
        failed = _replay_interpreted(args, program, transcripts)
    if failed:
        print(f"{failed} of {len(transcripts)} transcripts failed", file=sys.stderr)
    return 1 if failed else 0


def _replay_files(args: argparse.Namespace) -> tuple[str | None, list[str]]:
    """The program to interpret (None with --binary) and the transcripts."""
    if args.binary is not None:
        programs = [f for f in args.files if f.endswith(".wyki")]
        if programs:
            raise UsageError(
                f"with --binary give only transcripts, not the program '{programs[0]}'"
            )
        if args.stop_after or args.every_pass:
            raise UsageError(
                "--stop-after and --every-pass choose an IL to interpret: not with --binary"
            )
        return None, args.files
    if args.workers is not None:
        raise UsageError("--workers is for a compiled service (--binary)")
    program, *transcripts = args.files
    if program.endswith(".tr"):
        raise UsageError(
            f"'{program}' is a transcript: give the program first (nanowyki replay FILE.wyki "
            "T.tr...) or the compiled service with --binary"
        )
    if not transcripts:
        raise UsageError(f"no transcript to play on '{program}'")
    return program, transcripts


def _read_transcripts(paths: list[str]) -> list[Transcript]:
    from nanowyki.interp.transcript import TranscriptError, read_transcript

    try:
        return [read_transcript(path) for path in paths]
    except OSError as err:
        raise UsageError(f"cannot read '{err.filename}': {err.strerror}") from None
    except TranscriptError as err:
        raise UsageError(str(err)) from None


def _replay_binary(args: argparse.Namespace, transcripts: list[Transcript]) -> int:
    """Play each transcript against a fresh run of the binary: how many failed."""
    from nanowyki.replay import ControlError, replay

    binary = Path(args.binary)
    if not binary.is_file() or not os.access(binary, os.X_OK):
        raise UsageError(f"no executable '{args.binary}' (build one with 'nanowyki build')")
    failed = 0
    for transcript in transcripts:
        try:
            result = replay(transcript, binary, ("--workers", str(args.workers or 1)))
        except ControlError as err:
            raise UsageError(f"cannot run '{args.binary}': {err}") from None
        if result.ok:
            print(f"ok {transcript.path} ({result.steps} steps)")
        else:
            failed += 1
            print(result.report(), file=sys.stderr)
    return failed


def _replay_interpreted(
    args: argparse.Namespace, program: str, transcripts: list[Transcript]
) -> int:
    """Play each transcript on the interpreter of the checked program (or of the IL after
    --stop-after), then with --every-pass after every lowering pass: how many failed."""
    from nanowyki.differential import play, run_every_boundary
    from nanowyki.interp.registry import interpreter_for

    pipeline = _pipeline()
    whole, front = pipeline.default(), pipeline.frontend()
    lowering = whole.names[len(front.passes) :]
    if args.stop_after and args.stop_after not in lowering:
        whole.index(args.stop_after)  # an unknown name says so
        raise UsageError(
            f"--stop-after names a pass after the front end ('{lowering[0]}' to "
            f"'{lowering[-1]}'): the interpreters run checked programs"
        )
    checked = front.run(pipeline.source_tree(program, _read_source(program)))
    tree, facts, language = checked.tree, checked.facts, front.output.name
    if args.stop_after:
        options = RunOptions(
            start_at=lowering[0], stop_after=args.stop_after, check=CheckLevel.BOUNDARY
        )
        lowered = whole.run(tree, options, facts)
        tree, facts, language = lowered.tree, lowered.facts, lowered.language
    interp = interpreter_for(language)
    if interp is None:
        raise UsageError(f"no interpreter runs {language} (after '{args.stop_after}') yet")
    failed = 0
    for transcript in transcripts:
        failure = play(interp, tree, facts, transcript)
        if failure is None:
            print(f"ok {transcript.path} (on {language})")
        else:
            failed += 1
            print(failure, file=sys.stderr)
    if args.every_pass and not failed:
        report = run_every_boundary(
            whole, checked.tree, transcripts, start_at=lowering[0], facts=checked.facts
        )
        if not report.ok:
            print(report.message(), file=sys.stderr)
            return 1  # the transcript the report names
        print(f"ok every pass: {report.message()}")
    return failed


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
        "yields and the memory the compiled service maps (frames, buffers, tables, arena)",
    )
    ck.add_argument(
        "--workers",
        type=int,
        metavar="N",
        help="with --report: size the arena for N workers (the binary's --workers; default 1)",
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
        allow_abbrev=False,  # `--chec FILE` would read FILE as the level (see `_bare_check`)
        help="run the pipeline on a file, with dumps, diffs and timing",
        description="Run the compiler's passes on FILE (WYKI source, or printed IL of the input "
        "language of the --start-at pass) and print the resulting IL.",
        epilog="Dumps and diffs go to stdout; with --dump-dir D they are files instead: "
        "D/NN-PASS.il for a dump, D/NN-PASS.diff for a diff (NN: the pass's place in "
        "'nanowyki list-passes'). --dump-dir alone (without --dump-after or --diff-after) "
        "means --dump-after all. A run that dumps or diffs does not print the final IL "
        "(-o FILE still writes it).",
    )
    rp.add_argument("file", help="WYKI source, or printed IL when --start-at names a later pass")
    rp.add_argument("--start-at", metavar="P", help="start at pass P (FILE is P's input IL)")
    rp.add_argument("--stop-after", metavar="P", help="stop after pass P")
    rp.add_argument(
        "--dump-after", metavar="P[,Q]|all", help="print the IL after these passes (or all)"
    )
    rp.add_argument(
        "--dump-dir",
        metavar="D",
        help="write dumps and diffs to D as numbered files instead of stdout; alone, it "
        "implies --dump-after all",
    )
    rp.add_argument(
        "--diff-after",
        metavar="P[,Q]|all",
        help="print a unified diff of the IL before and after these passes (or all)",
    )
    rp.add_argument("--timing", action="store_true", help="print time per pass on stderr")
    rp.add_argument(
        "--check",
        nargs="?",
        const="boundary",
        default="off",
        metavar="LEVEL",
        help="check every pass's output against its language: --check alone checks after "
        "every pass (boundary); --check=construct checks every node as it is built; "
        "--check=off (the default) does not check. The level only ever follows '=': "
        "--check never takes the next argument",
    )
    rp.add_argument("--trace", metavar="FILE", help="write a JSON line per pass to FILE")
    rp.add_argument(
        "--emit",
        choices=("il", "dot", "c"),
        default="il",
        help="what to write: the final IL (il, the default), each session's state machine "
        f"as a Graphviz graph (dot; runs through '{DOT_AFTER}', or the --start-at pass if "
        "later, unless --stop-after names another pass from split-states up to, not "
        "including, convert-to-cish), or the C11 source of the service (c; needs the whole "
        "pipeline)",
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
        help="play transcripts on the reference interpreter, or against a compiled service",
        usage="nanowyki replay [-h] FILE.wyki T.tr... [--stop-after P | --every-pass]\n"
        "       nanowyki replay [-h] --binary BINARY [--workers N] T.tr...",
        description="Play each transcript's clients (docs/transcripts.md) against a fresh "
        "run of the service. With FILE.wyki: on the reference interpreter of the checked "
        "program, or of the IL after pass P (--stop-after), or after every pass "
        "(--every-pass). With --binary: against BINARY (built by 'nanowyki build'), started "
        "with --control on a free port, over real sockets. Prints 'ok T.tr ...' for each "
        "transcript that passes; a failure names the transcript's file:line and what was "
        "expected and seen. Exit status 1 if any transcript fails.",
    )
    rl.add_argument(
        "files",
        nargs="+",
        metavar="FILE",
        help="the program (FILE.wyki) then the transcripts (T.tr); with --binary, transcripts only",
    )
    rl.add_argument("--binary", metavar="BINARY", help="play against this compiled service")
    rl.add_argument(
        "--workers", type=int, metavar="N", help="--binary: event-loop threads (default: 1)"
    )
    at = rl.add_mutually_exclusive_group()
    at.add_argument(
        "--stop-after",
        metavar="P",
        help="lower the program through pass P and play on the interpreter of P's output IL",
    )
    at.add_argument(
        "--every-pass",
        action="store_true",
        help="then play after every lowering pass too and name the first that changes what "
        "a client sees (what tests/test_differential.py does)",
    )
    rl.set_defaults(func=cmd_replay)
    return parser


def _bare_check(argv: Sequence[str]) -> list[str]:
    """`--check` alone is `--check=boundary`: a level only ever follows `=`, so that
    `run-passes --check FILE` does not read FILE as the level (argparse's optional argument
    would take it)."""
    words = list(argv)
    if "run-passes" not in words:  # the only command with --check
        return words
    end = words.index("--") if "--" in words else len(words)
    return ["--check=boundary" if w == "--check" and i < end else w for i, w in enumerate(words)]


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(_bare_check(sys.argv[1:] if argv is None else argv))
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
