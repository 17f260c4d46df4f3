"""One file through the pipeline: read, parse, capture, pick fixes, rewrite, re-verify, write.

A file is fixed whole or not touched (like libcst's codemod results): every
outcome is a ``FileResult``; nothing here prints or exits.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Literal

from kerasfix.capture.runner import DEFAULT_TIMEOUT, CaptureError, capture
from kerasfix.patch import FileChangedError, Patch, SourceFile
from kerasfix.types import Applicability, Finding, Fix

Status = Literal["clean", "findings", "fixed", "would_fix", "error"]

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


@dataclass(frozen=True)
class Options:
    """What the user asked for."""

    write: bool = False
    diff: bool = False
    safe_only: bool = False
    timeout: float = DEFAULT_TIMEOUT
    verify: bool = True


@dataclass(frozen=True)
class FileResult:
    """The outcome for one file."""

    path: str
    status: Status
    findings: tuple[Finding, ...] = ()
    fixes: tuple[Fix, ...] = ()
    applied: tuple[Fix, ...] = ()
    held: tuple[Fix, ...] = ()
    diff: str = ""
    message: str = ""
    diagnosis: str = ""
    trains_after: bool | None = None
    output: str = ""
    detail: str = ""
    patch: Patch | None = field(default=None, compare=False, repr=False)

    @property
    def left(self) -> tuple[Finding, ...]:
        """Findings not repaired by what was written (or would be, with ``--diff``)."""
        if self.status in ("fixed", "would_fix"):
            return ()
        return self.findings


@dataclass
class Report:
    """Collects file results; owns the summary line and the exit code (as black's Report does)."""

    results: list[FileResult] = field(default_factory=list)
    diff_mode: bool = False

    def add(self, result: FileResult) -> None:
        self.results.append(result)

    @property
    def exit_code(self) -> int:
        if any(r.status == "error" for r in self.results):
            return EXIT_ERROR
        if any(r.left for r in self.results):
            return EXIT_FINDINGS
        if self.diff_mode and any(r.status == "would_fix" for r in self.results):
            return EXIT_FINDINGS
        return EXIT_CLEAN

    def summary(self) -> str:
        counts: dict[str, int] = {}
        for r in self.results:
            counts[r.status] = counts.get(r.status, 0) + 1
        words = {
            "fixed": "fixed", "would_fix": "would be fixed", "findings": "with findings left",
            "clean": "clean", "error": "could not be analysed",
        }
        parts = [f"{n} file{'s' if n != 1 else ''} {words[s]}" for s, n in counts.items()]
        held = sum(len(r.held) for r in self.results)
        if held:
            parts.append(f"{held} review fix{'es' if held != 1 else ''} held back (--safe-only)")
        return ", ".join(parts) if parts else "no files"


class InputError(Exception):
    """A path the user gave cannot be used at all."""


def collect(paths: list[str]) -> Iterator[str]:
    """The Python files (and notebooks) named by ``paths``, directories searched recursively."""
    for path in paths:
        if not os.path.exists(path):
            raise InputError(f"{path}: no such file or directory")
        if os.path.isdir(path):
            found = False
            for root, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in ("__pycache__", "node_modules", "venv"))
                for name in sorted(files):
                    if name.endswith((".py", ".ipynb")):
                        found = True
                        yield os.path.join(root, name)
            if not found:
                raise InputError(f"{path}: directory has no Python files")
        else:
            yield path


def _parse_error(text: str, path: str) -> str | None:
    import warnings

    import libcst

    try:  # Python's own parser first: it gives the true line and column, and rejects what it cannot run
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(text, path, "exec", dont_inherit=True)
    except SyntaxError as exc:
        return f"{path}:{exc.lineno or 1}:{exc.offset or 1}: the file does not parse: {exc.msg}"
    except ValueError as exc:  # null bytes
        return f"{path}:1:1: the file does not parse: {exc}"
    try:
        libcst.parse_module(text)
    except libcst.ParserSyntaxError as exc:
        return f"{path}:{exc.raw_line}:{exc.raw_column + 1}: the file does not parse: {exc.message}"
    return None


def choose(fixes: tuple[Fix, ...], safe_only: bool) -> tuple[Fix | None, tuple[Fix, ...]]:
    """The fix to write (the best verified one) and the ones held back by ``--safe-only``."""
    for fix in fixes:
        if not fix.verified or fix.applicability == Applicability.DISPLAY:
            continue
        if safe_only and fix.applicability != Applicability.SAFE:
            return None, (fix,)
        return fix, ()
    return None, ()


def process(path: str, options: Options, progress: Callable[[str], None] = lambda _m: None) -> FileResult:
    """Check or repair one file; never raises for anything the user's file can cause."""
    try:
        source = SourceFile.read(path)
    except (OSError, UnicodeDecodeError, SyntaxError) as exc:
        return FileResult(path, "error", message=f"{path}: cannot read the file: {exc}")
    parse_error = _parse_error(source.text, path)
    if parse_error:
        return FileResult(path, "error", message=parse_error)
    progress(f"running {path} (capture)")
    try:
        captured = capture(path, timeout=options.timeout)
    except CaptureError as exc:
        return FileResult(path, "error", message=f"{path}: {exc}", output=exc.output, detail=exc.detail)
    findings, fixes = captured.findings, captured.fixes
    if not findings:
        return FileResult(path, "clean", diagnosis=captured.diagnosis, trains_after=captured.trains, output=captured.output)
    base = FileResult(path, "findings", findings, fixes, diagnosis=captured.diagnosis, output=captured.output)
    if not (options.write or options.diff):
        return base
    fix, held = choose(fixes, options.safe_only)
    if fix is None and captured.verify_by_rerun:
        progress(f"verifying candidate fixes for {path}")
        found = _verify_by_rerun(source, path, fixes, options)
        if found is not None:
            fix, patch, trains = found
            if options.safe_only and fix.applicability != Applicability.SAFE:
                fix, held = None, (fix,)
            else:
                return _finish(path, options, findings, fixes, fix, held, patch, trains, captured.diagnosis, captured.output)
    if fix is None:
        return FileResult(path, "findings", findings, fixes, held=held, diagnosis=captured.diagnosis, output=captured.output)
    from kerasfix.rewrite import RewriteError, apply_edits

    try:
        after = apply_edits(source.text, fix.edits, path=os.path.abspath(path))
    except RewriteError as exc:
        return FileResult(path, "findings", findings, fixes, diagnosis=captured.diagnosis,
                          message=f"{path}: the fix cannot be written into this source: {exc}")
    patch = Patch(source, after, (fix,))
    trains = None
    if options.verify and patch.changed:
        progress(f"re-running the patched {path}")
        try:
            again = capture(path, source=source.encode(after), timeout=options.timeout)
        except CaptureError as exc:
            return FileResult(path, "findings", findings, fixes, diagnosis=captured.diagnosis,
                              message=f"{path}: the patched script did not verify: {exc}")
        if again.findings or again.trains is False:
            left = "; ".join(f.kind for f in again.findings) or "it does not train"
            return FileResult(path, "findings", findings, fixes, diagnosis=captured.diagnosis,
                              message=f"{path}: the patched script did not verify ({left}); nothing written")
        trains = again.trains
    return _finish(path, options, findings, fixes, fix, held, patch, trains, captured.diagnosis, captured.output)


def _finish(
    path: str, options: Options, findings: tuple[Finding, ...], fixes: tuple[Fix, ...], fix: Fix,
    held: tuple[Fix, ...], patch: Patch, trains: bool | None, diagnosis: str, output: str,
) -> FileResult:
    """Write (unless asked only for a diff) and describe the outcome."""
    status: Status = "would_fix" if options.diff or not options.write else "fixed"
    if options.write and not options.diff:
        try:
            patch.write()
        except (FileChangedError, OSError) as exc:
            return FileResult(path, "error", findings, fixes, message=f"{path}: {exc}")
    return FileResult(path, status, findings, fixes, (fix,), held, patch.diff(), diagnosis=diagnosis,
                      trains_after=trains, output=output, patch=patch)


#: Re-running a script costs seconds: try this many unverified candidates at most.
MAX_RERUN_CANDIDATES = 3


def _verify_by_rerun(
    source: SourceFile, path: str, fixes: tuple[Fix, ...], options: Options
) -> tuple[Fix, Patch, bool | None] | None:
    """The first candidate whose patched script runs clean: verified on the script itself."""
    from dataclasses import replace

    from kerasfix.applicability import applicability
    from kerasfix.rewrite import RewriteError, apply_edits

    for fix in [f for f in fixes if f.edits][:MAX_RERUN_CANDIDATES]:
        try:
            after = apply_edits(source.text, fix.edits, path=os.path.abspath(path))
        except RewriteError:
            continue
        try:
            again = capture(path, source=source.encode(after), timeout=options.timeout)
        except CaptureError:
            continue
        if again.findings or again.trains is False:
            continue
        verified = replace(fix, verified=True, applicability=applicability(fix.edits, True))
        return verified, Patch(source, after, (verified,)), again.trains
    return None
