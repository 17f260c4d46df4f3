"""A file's change: read it faithfully, diff it, write it atomically or not at all."""

from __future__ import annotations

import difflib
import io
import os
import stat
import tempfile
import tokenize
from dataclasses import dataclass

from kerasfix.types import Fix


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
        encoding, _ = tokenize.detect_encoding(io.BytesIO(raw).readline)
        # newline="" semantics: bytes.decode keeps \r\n and lone \r exactly.
        return cls(path, raw, raw.decode(encoding), encoding)

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
        before = self.source.text.splitlines(keepends=True)
        after = self.after.splitlines(keepends=True)
        name = self.path.lstrip("/")
        lines = difflib.unified_diff(before, after, fromfile=f"a/{name}", tofile=f"b/{name}")
        return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines)

    def write(self) -> None:
        """Write atomically: temp file in the same directory, then ``os.replace``.

        Refuses (``FileChangedError``) when the file is no longer what was read;
        keeps the file mode; a symlink is written through to its target.
        """
        target = os.path.realpath(self.path)
        with open(target, "rb") as fh:
            if fh.read() != self.source.raw:
                raise FileChangedError(f"{self.path} changed since kerasfix read it; nothing was written")
        mode = stat.S_IMODE(os.stat(target).st_mode)
        data = self.source.encode(self.after)
        fd, tmp = tempfile.mkstemp(prefix=".kerasfix-", suffix=".tmp", dir=os.path.dirname(target))
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.chmod(tmp, mode)
            os.replace(tmp, target)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
