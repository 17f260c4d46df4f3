"""kerasfix.patch: a file is read faithfully, diffed exactly, and written atomically or not at all.

No TensorFlow here: these run in milliseconds.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import kerasfix.patch as patch_mod
from kerasfix.patch import FileChangedError, Patch, SourceFile

LATIN1 = "# -*- coding: latin-1 -*-\n# données: café, naïve, ñ\nx = 'résumé'\n"


@pytest.fixture(params=[True, False], ids=["o_tmpfile", "named_temp"])
def temp_mode(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> bool:
    """Run a test with the unnamed ``O_TMPFILE`` temp file (where the system has it) and with a named one."""
    monkeypatch.setattr(patch_mod, "_USE_TMPFILE", request.param)
    return bool(request.param)


def _write(path, data: bytes, mode: int = 0o644) -> str:
    path.write_bytes(data)
    os.chmod(path, mode)
    return str(path)


def _rewrite(path: str, edit=lambda t: t.replace("1", "2")) -> SourceFile:
    source = SourceFile.read(path)
    Patch(source, edit(source.text), ()).write()
    return source


def _strays(directory) -> list[str]:
    return sorted(n for n in os.listdir(directory) if n.startswith(patch_mod.TEMP_PREFIX))


# -- reading and writing keep the file as it was ---------------------------------


@pytest.mark.parametrize("mode", [0o644, 0o600, 0o755, 0o440])
def test_write_keeps_the_file_mode(tmp_path, temp_mode: bool, mode: int) -> None:
    path = _write(tmp_path / "m.py", b"a = 1\n", mode)
    _rewrite(path)
    assert stat.S_IMODE(os.stat(path).st_mode) == mode
    assert (tmp_path / "m.py").read_bytes() == b"a = 2\n"
    assert _strays(tmp_path) == []


def test_write_keeps_a_latin1_coding_cookie_and_its_non_ascii_text(tmp_path, temp_mode: bool) -> None:
    path = _write(tmp_path / "l.py", LATIN1.encode("latin-1"))
    source = SourceFile.read(path)
    assert source.encoding == "iso-8859-1"
    assert "café" in source.text
    Patch(source, source.text + "y = 'ça'\n", ()).write()
    assert (tmp_path / "l.py").read_bytes() == (LATIN1 + "y = 'ça'\n").encode("latin-1")


def test_write_keeps_the_utf8_bom_and_crlf_line_endings(tmp_path, temp_mode: bool) -> None:
    raw = b"\xef\xbb\xbf" + "# é\r\na = 1\r\nb = 'x'\r\n".encode()
    path = _write(tmp_path / "b.py", raw)
    source = SourceFile.read(path)
    assert source.encoding == "utf-8-sig"
    assert source.text.count("\r\n") == 3  # the text keeps the file's own newlines
    Patch(source, source.text.replace("a = 1", "a = 2"), ()).write()
    assert (tmp_path / "b.py").read_bytes() == raw.replace(b"a = 1", b"a = 2")


def test_write_keeps_lone_carriage_returns_and_a_missing_final_newline(tmp_path) -> None:
    raw = b"a = 1\rb = 2\r\nc = 3"
    path = _write(tmp_path / "r.py", raw)
    _rewrite(path, lambda t: t.replace("c = 3", "c = 4"))
    assert (tmp_path / "r.py").read_bytes() == b"a = 1\rb = 2\r\nc = 4"


@settings(max_examples=60, deadline=None)
@given(
    lines=st.lists(st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n"), max_size=30),
                   min_size=1, max_size=8),
    newline=st.sampled_from(["\n", "\r\n", "\r"]),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "latin-1", "cp1252"]),
)
def test_read_then_write_round_trips_any_text_in_any_encoding(tmp_path_factory, lines, newline, encoding) -> None:
    cookie = "" if encoding.startswith("utf-8") else f"# -*- coding: {encoding} -*-{newline}"
    body = newline.join("# " + line for line in lines) + newline
    try:
        raw = (cookie + body).encode(encoding)
    except UnicodeEncodeError:
        raw = (cookie + body.encode(encoding, errors="replace").decode(encoding)).encode(encoding)
    path = tmp_path_factory.mktemp("rt") / "t.py"
    path.write_bytes(raw)
    source = SourceFile.read(str(path))
    assert source.raw == raw
    assert source.encode(source.text) == raw  # reading loses nothing
    Patch(source, source.text + "x = 1" + newline, ()).write()
    added = ("x = 1" + newline).encode("utf-8" if encoding == "utf-8-sig" else encoding)
    assert path.read_bytes() == raw + added


# -- symlinks ----------------------------------------------------------------------


def test_a_symlink_is_written_through_and_stays_a_symlink(tmp_path, temp_mode: bool) -> None:
    real_dir = tmp_path / "real"
    real_dir.mkdir()
    target = real_dir / "script.py"
    _write(target, b"a = 1\n", 0o640)
    links = tmp_path / "links"
    links.mkdir()
    link = links / "script.py"
    link.symlink_to(os.path.relpath(target, links))
    _rewrite(str(link))
    assert link.is_symlink()
    assert os.readlink(link) == os.path.relpath(target, links)
    assert target.read_bytes() == b"a = 2\n"
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o640
    assert _strays(real_dir) == [] and _strays(links) == []


# -- refusing ------------------------------------------------------------------------


def test_write_refuses_when_the_file_changed_after_it_was_read(tmp_path, temp_mode: bool) -> None:
    path = _write(tmp_path / "c.py", b"a = 1\n")
    source = SourceFile.read(path)
    (tmp_path / "c.py").write_bytes(b"a = 1\n# edited by the user meanwhile\n")
    with pytest.raises(FileChangedError, match="changed since kerasfix read it"):
        Patch(source, "a = 2\n", ()).write()
    assert (tmp_path / "c.py").read_bytes() == b"a = 1\n# edited by the user meanwhile\n"
    assert _strays(tmp_path) == []


def test_write_refuses_when_the_file_was_deleted_after_it_was_read(tmp_path, temp_mode: bool) -> None:
    path = _write(tmp_path / "d.py", b"a = 1\n")
    source = SourceFile.read(path)
    os.unlink(path)
    with pytest.raises(OSError):
        Patch(source, "a = 2\n", ()).write()
    assert os.listdir(tmp_path) == []  # not re-created, no temp file left


def test_text_the_file_encoding_cannot_hold_is_refused_before_anything_is_written(tmp_path, temp_mode: bool) -> None:
    path = _write(tmp_path / "e.py", LATIN1.encode("latin-1"))
    source = SourceFile.read(path)
    with pytest.raises(UnicodeEncodeError):
        Patch(source, source.text + "euro = '€'\n", ()).write()
    assert (tmp_path / "e.py").read_bytes() == LATIN1.encode("latin-1")
    assert _strays(tmp_path) == []


# -- atomicity ------------------------------------------------------------------------


def test_the_new_bytes_are_complete_in_a_hidden_temp_file_of_the_same_directory_before_the_rename(
        tmp_path, monkeypatch: pytest.MonkeyPatch, temp_mode: bool) -> None:
    path = _write(tmp_path / "a.py", b"a = 1\n" * 1000)
    seen = []
    real_replace = os.replace

    def spy(src, dst):
        seen.append((src, dst, Path(src).read_bytes(), Path(dst).read_bytes()))
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", spy)
    _rewrite(path)
    assert len(seen) == 1
    src, dst, new_bytes, old_bytes = seen[0]
    assert dst == os.path.realpath(path)
    assert os.path.dirname(src) == os.path.dirname(dst)  # same file system: the rename is atomic
    assert os.path.basename(src).startswith(".kerasfix-") and src.endswith(".tmp")
    assert new_bytes == b"a = 2\n" * 1000 and old_bytes == b"a = 1\n" * 1000
    assert _strays(tmp_path) == []


@pytest.mark.parametrize("failing", ["write", "fsync", "replace"])
def test_a_failure_while_writing_leaves_the_original_and_no_temp_file(
        tmp_path, monkeypatch: pytest.MonkeyPatch, temp_mode: bool, failing: str) -> None:
    original = b"a = 1\n" * 100
    path = _write(tmp_path / "f.py", original)
    source = SourceFile.read(path)

    def boom(*_a, **_k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, failing, boom)
    with pytest.raises(OSError, match="No space left"):
        Patch(source, source.text.replace("1", "2"), ()).write()
    monkeypatch.undo()
    assert (tmp_path / "f.py").read_bytes() == original
    assert _strays(tmp_path) == []


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a file to another user needs root")
def test_write_keeps_the_owner_when_run_as_root(tmp_path, temp_mode: bool) -> None:
    path = _write(tmp_path / "o.py", b"a = 1\n")
    os.chown(path, 12345, 12345)
    _rewrite(path)
    st_ = os.stat(path)
    assert (st_.st_uid, st_.st_gid) == (12345, 12345)


# -- the diff --------------------------------------------------------------------------


def _git_apply(tmp_path, name: str, before: bytes, diff: str) -> bytes:
    """Apply ``diff`` with ``git apply`` (as a reviewer would) to a fresh copy of ``before``."""
    work = tmp_path / "apply"
    work.mkdir()
    (work / name).write_bytes(before)
    (work / "change.diff").write_bytes(diff.encode("utf-8"))
    run = subprocess.run(["git", "apply", "--whitespace=nowarn", "change.diff"], cwd=work,
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    return (work / name).read_bytes()


@pytest.mark.skipif(shutil.which("git") is None, reason="checking that the diff applies needs git")
@pytest.mark.parametrize("before, after", [
    ("a = 1\nb = 2\nc = 3\n", "a = 1\nb = 20\nc = 3\n"),
    ("a = 1\r\nb = 2\r\nc = 3\r\n", "a = 1\r\nb = 2\r\nx = 0\r\nc = 3\r\n"),
    ("a = 1\nb = 2", "a = 1\nb = 3"),  # no newline at the end of the file
    # a form feed and U+2028 are line breaks to str.splitlines, but not to diff/patch
    ("a = 1\n\x0c\ns = 'x\u2028y\x1cz'\nc = 3\n", "a = 1\n\x0c\ns = 'x\u2028y\x1cz'\nc = 4\n"),
])
def test_the_diff_applies_with_git_and_gives_the_new_text(tmp_path, monkeypatch: pytest.MonkeyPatch,
                                                          before: str, after: str) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "s.py").write_bytes(before.encode())
    diff = Patch(SourceFile.read("s.py"), after, ()).diff()
    assert diff.startswith("--- a/s.py\n+++ b/s.py\n@@ ")
    assert _git_apply(tmp_path, "s.py", before.encode(), diff) == after.encode()


def test_no_change_means_no_diff(tmp_path) -> None:
    path = _write(tmp_path / "n.py", b"a = 1\n")
    source = SourceFile.read(path)
    p = Patch(source, source.text, ())
    assert not p.changed and p.diff() == ""
