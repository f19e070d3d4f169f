"""python3 -m bench: the generated http and kv services against hand-written epoll C servers,
nginx and memcached, on this machine.

It builds everything, starts the six servers (one worker each, pinned to CPU 1), and runs
every workload against every server of its protocol from CPU 0, ROUNDS times over: within a
round the servers take turns workload by workload (their order rotating from round to round),
so that a disturbance of the shared machine hits them alike.  Then it writes
bench/results/latest.{md,json,svg} and prints the table, the ratios and issue #7's targets.

With --kernel it runs bench/kernel.py instead: the http and kv kernel modules against nginx and
memcached, all in one QEMU guest (bench/results/kernel-latest.{md,json}).
"""

from __future__ import annotations

import argparse
import datetime
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import report
from bench.loads import CONNECTIONS, KEYS, VALUE_BYTES, prefill, run_rounds
from bench.servers import LOAD_CPU, ROOT, SERVER_CPU, all_servers, build_all, missing_tools


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python3 -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--kernel",
        action="store_true",
        help="the http and kv kernel modules against nginx and memcached in a QEMU guest "
        "(bench/kernel.py), instead of the userspace servers",
    )
    parser.add_argument(
        "--accel", choices=["auto", "kvm", "tcg"], default="auto", help="with --kernel (auto)"
    )
    parser.add_argument("--rounds", type=int, help="rounds over every server (5; --kernel: 3)")
    parser.add_argument("--duration", type=int, help="seconds per load run (3; --kernel: 2)")
    parser.add_argument(
        "--quiet",
        type=float,
        default=0.25,
        help="keep runs during which other tenants used at most this many CPUs (0.25)",
    )
    parser.add_argument(
        "--out", type=Path, default=ROOT / "bench" / "results", help="(bench/results)"
    )
    args = parser.parse_args(argv)
    if args.rounds is None:
        args.rounds = 3 if args.kernel else 5
    if args.duration is None:
        args.duration = 2 if args.kernel else 3
    if args.rounds < 1 or args.duration < 1:
        parser.error("--rounds and --duration must be at least 1")
    missing = missing_tools()
    if missing:
        print(f"bench: needs the Debian packages {' '.join(missing)}", file=sys.stderr)
        return 2
    if args.kernel:
        from bench import kernel

        return kernel.run(args)

    try:
        return run(args)
    except (RuntimeError, subprocess.SubprocessError) as e:
        print(f"bench: error: {e}", file=sys.stderr)
        return 1


def run(args: argparse.Namespace) -> int:
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="nanowyki-bench-") as scratch:
        print(
            "building http.wyki, kv.wyki (nanowyki build), http_epoll, kv_epoll, mcload ...",
            flush=True,
        )
        built = build_all(Path(scratch) / "build")
        servers = all_servers(built, Path(scratch))
        try:
            for server in servers:
                server.start(Path(scratch) / f"{server.name}.log")
                if server.protocol == "memcached":
                    prefill(server, built["mcload"])
            print(f"started {', '.join(s.name for s in servers)} on CPU {SERVER_CPU}", flush=True)
            measurements = run_rounds(servers, args.rounds, args.duration, built["mcload"], started)
        finally:
            for server in servers:
                server.stop()

    kinds = {s.name: s.kind for s in servers}
    cells = report.cells(measurements, kinds, args.quiet)
    ratios = report.ratios(cells)
    header = describe_run(args, time.monotonic() - started)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "latest.md").write_text(report.markdown(cells, ratios, header))
    meta: dict[str, object] = {"header": header, "servers": kinds, "quiet": args.quiet}
    report.write_json(args.out / "latest.json", measurements, meta)
    (args.out / "latest.svg").write_text(report.svg(cells, f"nanowyki benchmarks, {header[0]}"))

    print()
    print(report.table(cells))
    print()
    print("\n".join(report.ratio_lines(ratios)))
    print()
    print("\n".join(report.targets(ratios)))
    took = time.monotonic() - started
    print(f"\nwrote {args.out}/latest.md, latest.json, latest.svg in {took:.0f} s")
    return 0


def describe_run(args: argparse.Namespace, seconds: float) -> list[str]:
    """Lines saying when, where and how the numbers were taken."""
    model = _first_line(["sh", "-c", "lscpu | grep -m1 'Model name'"]).split(":", 1)[-1].strip()
    when = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return [
        f"{when}, {model}, {_first_line(['nproc'])} CPUs, Linux {platform.release()}",
        "",
        f"- tools: {_first_line(['gcc', '--version'])}; {_first_line(['nginx', '-v'])}; "
        f"memcached {_first_line(['memcached', '-V'])}; {_first_line(['wrk', '-v'])}; "
        f"Python {platform.python_version()} ({sys.executable})",
        f"- servers pinned to CPU {SERVER_CPU} with one worker each, load generators on CPU "
        f"{LOAD_CPU}; {CONNECTIONS} connections; wrk -t1; mcload over {KEYS} keys of "
        f"{VALUE_BYTES} B values",
        f"- {args.rounds} rounds of {args.duration:g} s per server and workload, interleaved; "
        f"runs during which other tenants used more than {args.quiet:g} CPU are dropped, unless "
        f"that leaves fewer than half of a cell's rounds ('(all)': then all are kept)",
        f"- the whole run took {seconds:.0f} s",
    ]


def _first_line(argv: list[str]) -> str:
    if shutil.which(argv[0]) is None:
        return f"{argv[0]}: not found"
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    lines = (done.stdout + done.stderr).strip().splitlines()
    return lines[0] if lines else ""


if __name__ == "__main__":
    sys.exit(main())
