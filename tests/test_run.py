"""`nanowyki run FILE`: build into the cache (or reuse the cached build), then become the service.

Each test has its own cache ($XDG_CACHE_HOME in a temporary directory).  Whether a run built or
reused is read from its stderr line ("building into ..." or, with --verbose, "cached build ..."),
never from how long it took.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

from nanowyki.build import BuildOptions, build_key
from tests.clients.conftest import require_tool
from tests.runtime.conftest import WAIT, free_port, recv_until_closed

ROOT = Path(__file__).resolve().parent.parent
BUILD_TIMEOUT = 600  # seconds: a first run compiles before the service is ready

GREET = """\
// greet.wyki: sends the embedded greeting, then closes.
service greet {
    listen tcp 7;
    const MSG = embed("msg.txt");
    session {
        send(MSG);
        close;
    }
}
"""


class Run:
    """`nanowyki run FILE --verbose --port P --workers 1`, started and waited for."""

    def __init__(self, program: Path, cache: Path) -> None:
        self.port = free_port()
        argv = [sys.executable, "-m", "nanowyki", "run", str(program), "--verbose"]
        argv += ["--port", str(self.port), "--workers", "1"]
        env = dict(os.environ, XDG_CACHE_HOME=str(cache))
        self.proc = subprocess.Popen(argv, stderr=subprocess.PIPE, text=True, env=env)
        self.lines: list[str] = []
        self.ready = threading.Event()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        if not self.ready.wait(BUILD_TIMEOUT) or self.proc.poll() is not None:
            self.proc.kill()
            raise AssertionError("the service did not start:\n" + "\n".join(self.lines))

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.lines.append(line.rstrip("\n"))
            if " ready on " in line:
                self.ready.set()
        self.ready.set()

    def built(self) -> bool:
        """True if this run compiled, False if it used the cached build (and said so)."""
        building = any(": building into " in line for line in self.lines)
        cached = any(": cached build " in line for line in self.lines)
        assert building != cached, self.lines
        return building

    def greeting(self) -> bytes:
        with socket.create_connection(("127.0.0.1", self.port), timeout=WAIT) as s:
            return recv_until_closed(s)

    def stop(self) -> None:
        """SIGTERM reaches the service itself (run exec'd it): it exits 0."""
        self.proc.send_signal(signal.SIGTERM)
        assert self.proc.wait(timeout=WAIT) == 0, self.lines
        self.reader.join(timeout=WAIT)  # every line read, the last one included
        assert any("stopped" in line for line in self.lines), self.lines


def entries(cache: Path) -> list[str]:
    return sorted(p.name for p in (cache / "nanowyki").iterdir())


def test_run_builds_once_and_rebuilds_after_an_edit(tmp_path: Path) -> None:
    require_tool("cc", "gcc")
    program, message, cache = tmp_path / "greet.wyki", tmp_path / "msg.txt", tmp_path / "cache"
    program.write_text(GREET)
    message.write_bytes(b"one\n")

    run = Run(program, cache)  # first run: builds
    assert run.built() and run.greeting() == b"one\n"
    run.stop()
    (first,) = entries(cache)
    assert first.startswith("greet-")

    run = Run(program, cache)  # nothing changed: the cached binary starts at once
    assert not run.built() and run.greeting() == b"one\n"
    run.stop()
    assert entries(cache) == [first]

    message.write_bytes(b"two\n")  # an embedded file is part of the program
    run = Run(program, cache)
    assert run.built() and run.greeting() == b"two\n"
    run.stop()
    (second,) = entries(cache)  # the older build of the same file is gone
    assert second != first

    program.write_text(GREET.replace("then closes", "then it closes"))  # any edit rebuilds
    run = Run(program, cache)
    assert run.built() and run.greeting() == b"two\n"
    run.stop()


def nanowyki_run(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-m", "nanowyki", "run", *args]
    return subprocess.run(
        argv, capture_output=True, text=True, env=env, cwd=ROOT, timeout=BUILD_TIMEOUT
    )


def test_a_rejected_program_is_a_diagnostic_and_exit_1(tmp_path: Path) -> None:
    bad = tmp_path / "bad.wyki"
    bad.write_text("service s {\n    listen tcp 7;\n    session { let x = y; }\n}\n")
    env = dict(os.environ, XDG_CACHE_HOME=str(tmp_path / "cache"))
    done = nanowyki_run(str(bad), env=env)
    assert done.returncode == 1
    assert f"{bad}:3:" in done.stderr and "error" in done.stderr
    assert "Traceback" not in done.stderr
    assert not any((tmp_path / "cache" / "nanowyki").glob("bad-*"))


def test_a_syntax_error_in_a_program_with_embeds_is_exit_1(tmp_path: Path) -> None:
    bad = tmp_path / "bad.wyki"
    bad.write_text('service s {\n    const A = embed("a.txt")\n}\n')
    done = nanowyki_run(str(bad), env=dict(os.environ, XDG_CACHE_HOME=str(tmp_path / "c")))
    assert done.returncode == 1
    assert f"{bad}:" in done.stderr and "Traceback" not in done.stderr


def test_no_c_compiler_is_one_line_and_exit_2(tmp_path: Path) -> None:
    env = dict(os.environ, CC="/no/such/cc", XDG_CACHE_HOME=str(tmp_path / "cache"))
    done = nanowyki_run("examples/echo.wyki", env=env)
    assert done.returncode == 2
    assert done.stderr == "nanowyki: error: no C compiler: '/no/such/cc' was not found (set CC)\n"


def test_an_unwritable_cache_is_one_line_and_exit_2(tmp_path: Path) -> None:
    require_tool("cc", "gcc")
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    done = nanowyki_run("examples/echo.wyki", env=dict(os.environ, XDG_CACHE_HOME=str(blocker)))
    assert done.returncode == 2
    assert done.stderr.splitlines()[-1].startswith("nanowyki: error: cannot write the build cache")


def test_a_missing_file_is_exit_2(tmp_path: Path) -> None:
    done = nanowyki_run(str(tmp_path / "none.wyki"), env=dict(os.environ))
    assert done.returncode == 2
    assert done.stderr == f"nanowyki: error: cannot read '{tmp_path / 'none.wyki'}': no such file\n"


def test_the_build_key_covers_what_the_binary_is_made_of(tmp_path: Path) -> None:
    runtime = tmp_path / "runtime_c"
    for folder in ("include", "common", "user"):
        (runtime / folder).mkdir(parents=True)
    (runtime / "include" / "wyki.h").write_text("/* api */\n")
    program, embedded = tmp_path / "p.wyki", tmp_path / "page.html"
    program.write_text('service p { const PAGE = embed("page.html"); }\n')
    embedded.write_text("<p>1</p>\n")

    plain = BuildOptions(("cc",))

    def key(options: BuildOptions = plain) -> str:
        return build_key(program, program.read_text(), [embedded], options, runtime)

    keys = [key(), key()]
    assert keys[0] == keys[1]  # the same inputs, the same key
    embedded.write_text("<p>2</p>\n")
    keys.append(key())
    (runtime / "user" / "tcp.c").write_text("/* new */\n")
    keys.append(key())
    keys.append(key(BuildOptions(("cc",), debug=True)))
    keys.append(key(BuildOptions(("cc",), cflags=("-DX",))))
    keys.append(key(BuildOptions(("cc", "-m64"))))
    program.write_text(program.read_text() + "// edited\n")
    keys.append(key())
    assert len(set(keys)) == len(keys) - 1  # every change after the first two gave a new key
