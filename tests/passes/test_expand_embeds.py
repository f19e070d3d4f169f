"""expand-embeds: `embed("path")` becomes the bytes of the file, relative to the source file."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from nanowyki.framework import CompileError, Facts, Node, Span, check, read_tree, walk
from nanowyki.languages import surface as S
from nanowyki.passes.expand_embeds import MAX_EMBED, ExpandEmbeds
from nanowyki.syntax import parse

ROOT = Path(__file__).parent.parent.parent


def program(*consts: str) -> str:
    lines = "\n".join(f"    const C{i} = {c};" for i, c in enumerate(consts))
    return "service site {\n    listen tcp 80;\n" + lines + "\n    session { close; }\n}\n"


def expand(tree: Node) -> Node:
    out, _ = ExpandEmbeds().apply(tree, Facts())
    return out


def expand_file(path: Path, text: str) -> S.Service:
    path.write_text(text, encoding="utf-8")
    out = expand(parse(str(path), text))
    assert isinstance(out, S.Service)
    return out


def const_values(tree: S.Service) -> list[S.Expr]:
    return [d.value for d in tree.decls if isinstance(d, S.Const)]


def diagnostics(path: Path, text: str) -> list[tuple[int, int, str]]:
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CompileError) as caught:
        expand(parse(str(path), text))
    return [(d.span.line, d.span.col, d.message) for d in caught.value.diagnostics if d.span]


def test_pass_signature() -> None:
    assert ExpandEmbeds.name == "expand-embeds"
    assert ExpandEmbeds.signature_problem() is None


def test_embed_becomes_the_file_bytes_with_the_embed_span(tmp_path: Path) -> None:
    (tmp_path / "www").mkdir()
    data = bytes(range(256)) + b"\r\n\0"
    (tmp_path / "www" / "blob.bin").write_bytes(data)
    tree = expand_file(tmp_path / "site.wyki", program('embed("www/blob.bin")'))
    (value,) = const_values(tree)
    assert value == S.BytesLit(data)
    assert value.span == Span(str(tmp_path / "site.wyki"), 3, 16, 3, 36)
    check(tree, S.Surface)


def test_path_is_relative_to_the_source_file_not_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.txt").write_bytes(b"right")
    (tmp_path / "a.txt").write_bytes(b"wrong")
    monkeypatch.chdir(tmp_path)
    text = program('embed("a.txt")')
    Path("src/site.wyki").write_text(text, encoding="utf-8")
    tree = expand(parse("src/site.wyki", text))
    assert isinstance(tree, S.Service)
    assert const_values(tree) == [S.BytesLit(b"right")]


def test_several_embeds_and_an_empty_file(tmp_path: Path) -> None:
    (tmp_path / "a").write_bytes(b"A")
    (tmp_path / "empty").write_bytes(b"")
    tree = expand_file(
        tmp_path / "s.wyki", program('embed("a")', 'embed("empty") ++ embed("a")', '"plain"')
    )
    assert const_values(tree) == [
        S.BytesLit(b"A"),
        S.Binary("++", S.BytesLit(b""), S.BytesLit(b"A")),
        S.BytesLit(b"plain"),
    ]
    assert not any(isinstance(n, S.Embed) for n in walk(tree))


def test_file_of_exactly_one_mib_is_accepted(tmp_path: Path) -> None:
    (tmp_path / "big").write_bytes(b"x" * MAX_EMBED)
    tree = expand_file(tmp_path / "s.wyki", program('embed("big")'))
    (value,) = const_values(tree)
    assert isinstance(value, S.BytesLit) and len(value.value) == MAX_EMBED == 1 << 20


def test_file_larger_than_one_mib_is_rejected(tmp_path: Path) -> None:
    (tmp_path / "big").write_bytes(b"x" * (MAX_EMBED + 1))
    assert diagnostics(tmp_path / "s.wyki", program('embed("big")')) == [
        (3, 16, "embedded file 'big' is too large: 1048577 bytes, at most 1048576 bytes can be "
         "embedded")
    ]  # fmt: skip


def test_missing_file_is_reported_at_the_embed(tmp_path: Path) -> None:
    assert diagnostics(tmp_path / "s.wyki", program('embed("www/x.png")')) == [
        (3, 16, "cannot read embedded file 'www/x.png': No such file or directory")
    ]


def test_every_unreadable_file_is_reported_together(tmp_path: Path) -> None:
    (tmp_path / "ok").write_bytes(b"fine")
    text = program('embed("nope1")', 'embed("ok")', 'embed(".")', 'embed("nope2")')
    assert diagnostics(tmp_path / "s.wyki", text) == [
        (3, 16, "cannot read embedded file 'nope1': No such file or directory"),
        (5, 16, "cannot read embedded file '.': Is a directory"),
        (6, 16, "cannot read embedded file 'nope2': No such file or directory"),
    ]


def test_unreadable_file_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "secret").write_bytes(b"x")

    real_open = Path.open

    def refuse(self: Path, *args: Any, **kwargs: Any) -> Any:
        if self.name == "secret":
            raise PermissionError(13, "Permission denied", str(self))
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", refuse)  # root reads any file: chmod cannot show this
    assert diagnostics(tmp_path / "s.wyki", program('embed("secret")')) == [
        (3, 16, "cannot read embedded file 'secret': Permission denied")
    ]


def test_program_without_embeds_is_returned_unchanged(tmp_path: Path) -> None:
    text = program('"a" ++ "b"', "4")
    tree = parse(str(tmp_path / "s.wyki"), text)
    assert expand(tree) is tree


def test_tree_without_spans_reads_relative_to_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("f.txt").write_bytes(b"here")
    tree = read_tree("(Service s [(Listen tcp (IntLit 7)) (Const F nil (Embed f.txt))])", S.Surface)
    out = expand(tree)
    assert isinstance(out, S.Service)
    assert const_values(out) == [S.BytesLit(b"here")]


def test_http_example_embeds_its_site() -> None:
    path = ROOT / "examples" / "http.wyki"
    if not path.exists():
        pytest.skip("examples/http.wyki is not written yet")
    tree = expand(parse(str(path), path.read_text(encoding="utf-8")))
    assert isinstance(tree, S.Service)
    logo = next(d for d in tree.decls if isinstance(d, S.Const) and d.name == "LOGO")
    assert logo.value == S.BytesLit((ROOT / "examples" / "www" / "logo.png").read_bytes())


def test_a_pipe_is_refused_without_waiting_for_a_writer(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "fifo")  # opening it for reading would block until a writer came
    assert diagnostics(tmp_path / "s.wyki", program('embed("fifo")')) == [
        (3, 16, "cannot read embedded file 'fifo': not a regular file (a device or a pipe "
         "cannot be embedded)")
    ]  # fmt: skip


def test_a_device_is_refused_rather_than_read_forever(tmp_path: Path) -> None:
    assert diagnostics(tmp_path / "s.wyki", program('embed("/dev/zero")')) == [
        (3, 16, "cannot read embedded file '/dev/zero': not a regular file (a device or a "
         "pipe cannot be embedded)")
    ]  # fmt: skip
