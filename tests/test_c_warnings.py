"""Every example's generated C, and the userspace runtime, compile without one warning under
`-std=c11 -Wall -Wextra -Werror` with gcc and with clang, optimised (-O2, where gcc's flow
warnings live) and as the sanitizer build (`nanowyki build --debug`'s flags).

The flags are nanowyki.build's own, so this checks what `nanowyki build` compiles.  A missing
compiler skips its tests naming the Debian package (clang, gcc); under CI, where .ci/run
installs both, it fails them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from nanowyki import pipeline
from nanowyki.build import BASE_FLAGS, DEBUG_FLAGS, RELEASE_FLAGS, RUNTIME, runtime_sources
from nanowyki.emit_c import emit_c
from nanowyki.languages.cish import CUnit

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.wyki"))
COMPILERS = {"gcc": "gcc", "clang": "clang"}  # command -> Debian package
VARIANTS = {"release": RELEASE_FLAGS, "debug": DEBUG_FLAGS}
INCLUDE = ("-I", str(RUNTIME / "include"), "-I", str(RUNTIME / "common"))


def require_compiler(cc: str) -> str:
    path = shutil.which(cc)
    if path is None:
        message = f"needs {cc}: apt-get install {COMPILERS[cc]}"
        if os.environ.get("CI"):  # .ci/run installs it: missing there is a failure
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Each example's C, as `nanowyki build` writes it."""
    out = tmp_path_factory.mktemp("generated")
    files = {}
    for example in EXAMPLES:
        unit = pipeline.default().run(pipeline.source_tree(example)).tree
        assert isinstance(unit, CUnit)
        c_file = out / f"{unit.name}.c"
        c_file.write_text(emit_c(unit, c_file=str(c_file)))
        files[example.stem] = c_file
    return files


def compile_quietly(cc: str, variant: str, sources: list[Path], out: Path) -> None:
    """Compiles each source to an object; fails with the compiler's words on any warning."""
    for source in sources:
        argv = [require_compiler(cc), *BASE_FLAGS, *VARIANTS[variant], *INCLUDE, "-c"]
        argv += ["-o", str(out / (source.stem + ".o")), str(source)]
        done = subprocess.run(argv, capture_output=True, text=True, timeout=600, check=False)
        assert done.returncode == 0 and not done.stderr.strip(), (
            f"{cc} {variant}: {source.name}\n{done.stderr}"
        )


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("cc", COMPILERS)
@pytest.mark.parametrize("example", [p.stem for p in EXAMPLES])
def test_generated_c_is_warning_free(
    example: str, cc: str, variant: str, generated: dict[str, Path], tmp_path: Path
) -> None:
    compile_quietly(cc, variant, [generated[example]], tmp_path)


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("cc", COMPILERS)
def test_runtime_is_warning_free(cc: str, variant: str, tmp_path: Path) -> None:
    compile_quietly(cc, variant, runtime_sources(), tmp_path)
