"""A file's change: read it faithfully, diff it, write it atomically or not at all."""

from __future__ import annotations

import contextlib
import difflib
import os
import secrets
import stat
import tempfile
import tokenize
from dataclasses import dataclass

from kerasfix.fix import Fix


class FileChangedError(Exception):
    """The file changed on disk after kerasfix read it; nothing was written."""


@dataclass(frozen=True)
class SourceFile:
    """A source file as read: its bytes, and the text they decode to (newlines untouched)."""

    path: str
    raw: bytes
    text: str
    encoding: str

    @classmethod
    def read(cls, path: str) -> SourceFile:
        with open(path, "rb") as fh:
            raw = fh.read()
        try:
            encoding = detect_encoding(raw)
            # newline="" semantics: bytes.decode keeps \r\n and lone \r exactly.
            return cls(path, raw, raw.decode(encoding), encoding)
        except (SyntaxError, UnicodeDecodeError) as exc:
            raise SyntaxError(_undecodable(raw, exc)) from None

    def encode(self, text: str) -> bytes:
        return text.encode(self.encoding)


@dataclass(frozen=True)
class Patch:
    """The change to one file: before and after text, and the fixes that made it."""

    source: SourceFile
    after: str
    fixes: tuple[Fix, ...]

    @property
    def path(self) -> str:
        return self.source.path

    @property
    def changed(self) -> bool:
        return self.after != self.source.text

    def diff(self) -> str:
        """A unified diff (empty when nothing changes)."""
        if not self.changed:
            return ""
        before = _lines(self.source.text)
        after = _lines(self.after)
        name = self.path.lstrip("/")
        lines = difflib.unified_diff(before, after, fromfile=f"a/{name}", tofile=f"b/{name}")
        return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines)

    def write(self) -> None:
        """Write atomically: a temp file in the same directory, then ``os.replace``.

        Refuses (``FileChangedError``) when the file is no longer what was read;
        keeps the file's mode (and owner, where permitted); a symlink is written
        through to its target and stays a symlink. The new bytes are complete and
        on disk before the rename, so a crash at any point leaves either the old
        file or the new one, never a mix.
        """
        target = os.path.realpath(self.path)
        data = self.source.encode(self.after)
        st = os.stat(target)
        directory = os.path.dirname(target)
        tmp: str | None = None
        if _USE_TMPFILE and hasattr(os, "O_TMPFILE"):
            with contextlib.suppress(OSError):  # not supported here: a named temp file instead
                tmp = _write_temp(directory, data, st, unnamed=True)
        if tmp is None:
            tmp = _write_temp(directory, data, st, unnamed=False)
        try:
            with open(target, "rb") as fh:  # checked last, so the window for a lost update is tiny
                if fh.read() != self.source.raw:
                    raise FileChangedError(f"{self.path} changed since kerasfix read it; nothing was written")
            os.replace(tmp, target)
            tmp = None
        finally:
            if tmp is not None:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
        _fsync_dir(directory)


def detect_encoding(raw: bytes) -> str:
    """The source encoding as Python finds it (BOM, then a coding cookie in the first two lines).

    Lines end at ``\\n``, ``\\r\\n`` or a lone ``\\r``, as for Python's tokenizer:
    ``tokenize.detect_encoding`` on a plain ``BytesIO.readline`` would treat a
    whole ``\\r``-only file as its first line.
    """
    lines = iter(raw.splitlines(keepends=True))
    encoding, _ = tokenize.detect_encoding(lambda: next(lines, b""))
    return encoding


def _undecodable(raw: bytes, exc: SyntaxError | UnicodeDecodeError) -> str:
    """Where and why ``raw`` does not decode, as one line (Python's own message names neither)."""
    if isinstance(exc, UnicodeDecodeError):
        encoding, start = exc.encoding, exc.start
    else:  # no usable coding cookie: the file must be UTF-8
        if "unknown encoding" in str(exc) or "encoding problem" in str(exc):
            return str(exc)
        encoding = "utf-8"
        try:
            raw.decode(encoding)
            return str(exc)
        except UnicodeDecodeError as err:
            start = err.start
    line = raw.count(b"\n", 0, start) + 1
    column = len(raw[raw.rfind(b"\n", 0, start) + 1:start].decode(encoding, errors="replace")) + 1
    return (f"line {line}, column {column}: byte 0x{raw[start]:02x} is not valid {encoding} "
            f"(declare the file's encoding on its first line, e.g. '# -*- coding: latin-1 -*-')")


TEMP_PREFIX, TEMP_SUFFIX = ".kerasfix-", ".tmp"
_USE_TMPFILE = True  # tests turn it off to exercise the named-temp-file path


def _lines(text: str) -> list[str]:
    """Lines as ``diff``/``patch`` count them: split after ``\\n`` only (not form feeds or U+2028)."""
    parts = text.split("\n")
    lines = [part + "\n" for part in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1])
    return lines


def _write_temp(directory: str, data: bytes, st: os.stat_result, *, unnamed: bool) -> str:
    """``data`` in a new hidden file in ``directory``, complete, with ``st``'s mode, synced; its path.

    ``unnamed`` uses ``O_TMPFILE``: the file has no name while it is being
    written, so a crash then leaves nothing behind; it is named only for the
    instant before the rename.
    """
    tmp: str | None = None
    if unnamed:
        fd = os.open(directory, os.O_TMPFILE | os.O_WRONLY | os.O_CLOEXEC, 0o600)
    else:
        fd, tmp = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=TEMP_SUFFIX, dir=directory)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        os.fchmod(fd, stat.S_IMODE(st.st_mode))
        with contextlib.suppress(OSError):  # keep the owner where we may (as root, or the same user)
            os.fchown(fd, st.st_uid, st.st_gid)
        os.fsync(fd)
        if tmp is None:
            tmp = _link_temp(fd, directory)
        return tmp
    except BaseException:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        raise
    finally:
        os.close(fd)


def _link_temp(fd: int, directory: str) -> str:
    """Give the unnamed temp file ``fd`` a hidden name in ``directory``."""
    for _ in range(100):
        tmp = os.path.join(directory, f"{TEMP_PREFIX}{secrets.token_hex(6)}{TEMP_SUFFIX}")
        try:
            os.link(f"/proc/self/fd/{fd}", tmp, follow_symlinks=True)
        except FileExistsError:
            continue
        return tmp
    raise FileExistsError(f"no free temp name in {directory}")


def _fsync_dir(directory: str) -> None:
    """Make the rename itself durable (best effort: not every system can open a directory)."""
    try:
        dfd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dfd)
    except OSError:
        pass
    finally:
        os.close(dfd)

