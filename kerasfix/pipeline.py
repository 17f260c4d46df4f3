"""One file through the pipeline: read, parse, capture, pick fixes, rewrite, re-verify, write.

A file is fixed whole or not touched (like libcst's codemod results): every
outcome is a ``FileResult``; nothing here prints or exits.
"""

from __future__ import annotations

import ast
import difflib
import fnmatch
import os
import warnings
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

import libcst
import nbformat

from kerasfix import faults, suppress
from kerasfix.capture.runner import DEFAULT_TIMEOUT, CaptureError, CaptureResult, capture
from kerasfix.capture.worker import prestart
from kerasfix.faults.keras2 import migration_fix, runtime_finding, write_migrations
from kerasfix.fix import Fix, combine
from kerasfix.kinds import Family, Kind
from kerasfix.notebook import NotebookError, cell_diffs, map_origin, notebook_to_script, script_to_notebook
from kerasfix.patch import FileChangedError, Patch, SourceFile
from kerasfix.report import FileResult, Status
from kerasfix.rewrite import RewriteError, Written, write_edits
from kerasfix.types import DATA_METHODS, Applicability, Edit, Finding, Migrate, Origin, Rejected


@dataclass(frozen=True)
class Options:
    """What the user asked for."""

    write: bool = False
    diff: bool = False
    safe_only: bool = False
    timeout: float = DEFAULT_TIMEOUT
    verify: bool = True
    #: Kinds and families to look for (``--select``); empty means all.
    select: frozenset[str] = frozenset()
    #: Kinds and families never looked for (``--ignore``, ``ignore =`` in ``[tool.kerasfix]``).
    ignore: frozenset[str] = frozenset()
    #: Arguments for the script (after ``--`` on the command line).
    argv: tuple[str, ...] = ()
    #: Working directory for the script's runs; None: the script's own folder.
    cwd: str | None = None
    #: Runs of scripts at once (files in parallel).
    jobs: int = 1

    def selects(self, kind: Kind) -> bool:
        if not self.select and not self.ignore:
            return True
        family = faults.entry(kind).family.value
        if kind.value in self.ignore or family in self.ignore:
            return False
        return not self.select or kind.value in self.select or family in self.select

    def selects_name(self, name: str) -> bool:
        """Whether a kind or family name is looked for at all (an unused suppression of it is worth saying)."""
        return any(self.selects(e.kind) for e in faults.CATALOGUE if name in (e.kind.value, e.family.value))

    @property
    def keras2_only(self) -> bool:
        """Only the Keras-2 family is selected: the script need not run to find what is asked."""
        return bool(self.select) and all(e.family is Family.KERAS2 for e in faults.CATALOGUE if self.selects(e.kind))


class InputError(Exception):
    """A path the user gave cannot be used at all."""


@dataclass(frozen=True)
class Target:
    """A file to look at, and whether it was found by searching a folder (rather than named)."""

    path: str
    in_folder: bool = False


#: Files a folder search leaves alone: tests are not training scripts, whatever they import.
_TEST_FILES = ("test_*.py", "*_test.py", "conftest.py")
_TEST_DIRS = frozenset({"tests", "test"})


def collect(paths: list[str], excluded: Callable[[str], bool] = lambda _p: False) -> Iterator[Target]:
    """The Python files (and notebooks) named by ``paths``, directories searched recursively.

    ``excluded`` (``exclude =`` of the configuration) leaves files and folders
    out of a folder search; a file named on the command line is always taken.
    """
    for path in paths:
        if not os.path.exists(path):
            raise InputError(f"{path}: no such file or directory")
        if os.path.isdir(path):
            found = left_out = False
            for root, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in ("__pycache__", "node_modules", "venv"))
                kept = [d for d in dirs if not excluded(os.path.join(root, d))]
                left_out |= len(kept) < len(dirs)
                dirs[:] = kept
                for name in sorted(files):
                    if name.endswith((".py", ".ipynb")):
                        if excluded(os.path.join(root, name)):
                            left_out = True
                            continue
                        found = True
                        yield Target(os.path.join(root, name), in_folder=True)
            if not found:
                why = "every Python file in it is excluded (exclude in [tool.kerasfix])" if left_out else "directory has no Python files"
                raise InputError(f"{path}: {why}")
        else:
            yield Target(path)


def is_test_file(path: str) -> bool:
    """A test module (``test_*.py``, ``*_test.py``, ``conftest.py``, or anything under ``tests/``)."""
    parts = os.path.normpath(path).split(os.sep)
    return any(fnmatch.fnmatch(parts[-1], p) for p in _TEST_FILES) or bool(_TEST_DIRS & set(parts[:-1]))


#: What building, loading or training a Keras model is called in source.
_MODEL_CALLS = frozenset({
    "Sequential", "Model", "Input", "load_model", "model_from_json", "clone_model",
    "fit_generator", "evaluate_generator", "predict_generator",
}) | DATA_METHODS
_KERAS_ROOTS = frozenset({"keras", "tensorflow", "tf_keras"})


def runs_keras(script: str) -> bool:
    """Whether a script's source imports Keras and builds, loads or trains a model (else it is not run).

    A helper module (``data_utils.py``) or a file of plain functions is left
    alone: kerasfix executes only what looks like a training script.
    """
    try:
        tree = ast.parse(script)
    except SyntaxError:
        return True  # reported as not parsing, elsewhere
    imports_keras = False
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imports_keras |= any(a.name.split(".")[0] in _KERAS_ROOTS for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            imports_keras |= node.module.split(".")[0] in _KERAS_ROOTS
    if not imports_keras:
        return False
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None
            if name in _MODEL_CALLS:
                return True
        if isinstance(node, ast.ClassDef) and any(
            (b.id if isinstance(b, ast.Name) else b.attr if isinstance(b, ast.Attribute) else "") == "Model"
            for b in node.bases
        ):
            return True
    return False


def _parse_error(text: str, path: str) -> str | None:
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


def choose(fixes: tuple[Fix, ...], safe_only: bool) -> tuple[tuple[Fix, ...], tuple[Fix, ...]]:
    """The fixes worth a verifying run (verified on the sample, best first) and those ``--safe-only`` holds back."""
    eligible: list[Fix] = []
    held: list[Fix] = []
    for fix in fixes:
        if not fix.verified or fix.applicability == Applicability.DISPLAY:
            continue
        (held if safe_only and fix.applicability != Applicability.SAFE else eligible).append(fix)
    return tuple(eligible), tuple(held)


@dataclass(frozen=True)
class Document:
    """What the pipeline parses, runs and rewrites for one file, and how results map back to it.

    For a ``.py`` file that is the file itself. For a notebook it is the code
    cells joined into one script (nbQA's approach); rewritten scripts are split
    back into cells and findings are shown at their cell.
    """

    source: SourceFile
    script: str
    cwd: str | None = None
    notebook: Any = None  # kerasfix.notebook.JoinedScript

    def run_bytes(self, script: str | None = None) -> bytes | None:
        """What the child runs: None for the file as it is on disk."""
        if script is None:
            return None if self.notebook is None else self.script.encode("utf-8")
        return self.source.encode(script) if self.notebook is None else script.encode("utf-8")

    def patch(self, script: str, fix: Fix) -> Patch:
        if self.notebook is None:
            return Patch(self.source, script, (fix,))
        return Patch(self.source, self.notebook.dumps(script_to_notebook(self.notebook, script)), (fix,))

    def diff(self, patch: Patch) -> str:
        if self.notebook is None or not patch.changed:
            return patch.diff()
        return cell_diffs(self.notebook.notebook, nbformat.reads(patch.after, as_version=nbformat.NO_CONVERT),
                          self.source.path)

    def show(self, finding: Finding) -> Finding:
        """The finding with its origin where the user sees it (a notebook cell)."""
        if self.notebook is None or finding.origin is None:
            return finding
        return replace(finding, origin=self.show_origin(finding.origin))

    def show_origin(self, origin: Origin) -> Origin:
        """A place in the script where the user sees it (a line of a notebook cell)."""
        if self.notebook is None:
            return origin
        try:
            mapped: Origin = map_origin(self.notebook, origin)
        except ValueError:
            return origin
        return mapped

    def show_fix(self, fix: Fix) -> Fix:
        return replace(fix, finding=self.show(fix.finding), steps=tuple(self.show_fix(s) for s in fix.steps))


def open_document(path: str) -> Document | FileResult:
    """Read ``path`` into a ``Document``, or the one-line error a user gets for it."""
    try:
        source = SourceFile.read(path)
    except (OSError, UnicodeDecodeError, SyntaxError) as exc:
        return FileResult(path, "error", message=f"{path}: cannot read the file: {exc}")
    if path.endswith(".ipynb"):
        try:
            joined = notebook_to_script(source.raw, path)
        except (NotebookError, ValueError) as exc:
            return FileResult(path, "error", message=f"{path}: not a notebook kerasfix can read: {exc}")
        doc = Document(source, joined.script, os.path.dirname(os.path.abspath(path)), joined)
    else:
        doc = Document(source, source.text)
    parse_error = _parse_error(doc.script, path)
    if parse_error:
        return FileResult(path, "error", message=parse_error)
    return doc


def _capture(doc: Document, path: str, options: Options, script: str | None) -> CaptureResult:
    """Run ``script`` (None: the file as it is) as the user runs the file: its folder, its arguments."""
    cwd = options.cwd or doc.cwd or os.path.dirname(os.path.abspath(path))
    return capture(path, source=doc.run_bytes(script), timeout=options.timeout, cwd=cwd, argv=options.argv,
                   jobs=options.jobs)


@dataclass(frozen=True)
class _Start:
    """The script the first run sees: the file itself, or the file with its Keras-2 API migrated."""

    script: str
    steps: tuple[Fix, ...] = ()


def write_source(script: str, edits: tuple[Edit, ...], path: str) -> str:
    """``script`` with ``edits`` written: Keras-2 migrations by the migration pass, model fixes by the rewriter."""
    return write_fix(script, edits, path).source


def write_fix(script: str, edits: tuple[Edit, ...], path: str, *, literal: bool = False,
              data: bool = True) -> Written:
    """``write_source``, telling which values went to their definitions (``literal``: none, all at the call;
    ``data=False``: no expression over the data, which only a run can check)."""
    migrations = tuple(e for e in edits if isinstance(e, Migrate))
    if migrations:
        if len(migrations) != len(edits):
            raise RewriteError("Keras 2 migrations are written on their own, before any other fix.")
        return Written(write_migrations(script, migrations))
    return write_edits(script, edits, path=path, literal=literal, data=data)


def _in_user_terms(script: str, fix: Fix, path: str) -> bool:
    """Whether ``fix`` is written at a definition or as an expression (so a literal-only try differs)."""
    try:
        return bool(write_fix(script, fix.edits, path).placed)
    except (RewriteError, ValueError):
        return False


def _noted(fix: Fix, written: list[Written]) -> Fix:
    """The fix's summary says where values were written; a definition read elsewhere too makes it ``review``."""
    notes = [n for w in written for n in w.notes]
    if not notes:
        return fix
    shared = any(w.shared for w in written)
    how = Applicability.REVIEW if shared and fix.applicability == Applicability.SAFE else fix.applicability
    return replace(fix, summary=f"{fix.summary} ({'; '.join(notes)})", applicability=how)


def process(path: str, options: Options, progress: Callable[[str], None] = lambda _m: None) -> FileResult:
    """Check or repair one file; never raises for anything the user's file can cause.

    Findings silenced by ``# kerasfix: ignore[…]`` comments are neither
    reported nor fixed; the result lists them apart (``suppressed``), with the
    comments that silenced nothing (``unused_suppressions``), for ``-v``.
    """
    quiet = _Quiet()
    return quiet.attach(_process(path, options, progress, quiet), options)


def _process(path: str, options: Options, progress: Callable[[str], None], quiet: _Quiet) -> FileResult:
    doc = open_document(path)
    if isinstance(doc, FileResult):
        return doc
    if not runs_keras(doc.script):
        return FileResult(path, "skipped", why_not="it never builds, loads or trains a Keras model (not run)")
    if not options.keras2_only or options.write or options.diff:
        prestart(options.jobs)  # the worker imports Keras while the file is scanned and migrated
    quiet.start(doc, path)
    abspath = os.path.abspath(path)
    static = quiet.keep(tuple(f for f in faults.scan(doc.script, abspath) if options.selects(f.kind)))
    start, rejected = _Start(doc.script), []
    migrate = migration_fix(static, safe_only=options.safe_only)
    if migrate is not None:
        try:
            start = _Start(write_source(doc.script, migrate.edits, abspath), (migrate,))
        except (RewriteError, ValueError) as exc:
            rejected.append(Rejected(migrate.finding.kind, migrate.summary, f"the migration cannot be written: {exc}"))
    shown_static = tuple(doc.show(f) for f in static)
    if options.keras2_only and not (options.write or options.diff):
        quiet.judged = True
        return FileResult(path, "findings" if static else "clean", shown_static, rejected=tuple(rejected))
    progress(f"running {path} (capture)")
    try:
        captured = _capture(doc, path, options, start.script if start.steps else None)
    except CaptureError as exc:
        return _not_captured(doc, path, exc, start, static, rejected, quiet)
    quiet.judged = True
    back = _line_map(doc.script, start.script) if start.steps else None
    run_findings = quiet.keep(tuple(_moved(f, back) for f in captured.findings if options.selects(f.kind)))
    findings = shown_static + tuple(doc.show(f) for f in run_findings)
    fixes = quiet.fixes(f for f in captured.fixes if options.selects(f.finding.kind))
    shown = ((doc.show_fix(start.steps[0]),) if start.steps else ()) + tuple(doc.show_fix(f) for f in fixes)
    rejected += captured.rejected
    base = FileResult(path, "findings", findings, shown, rejected=tuple(rejected), diagnosis=captured.diagnosis,
                      output=captured.output)
    if not findings:
        return replace(base, status="clean", trains_after=captured.trains)
    if not (options.write or options.diff):
        return base
    if start.steps and not run_findings:
        # Only the API needed migrating: the run just made is the migrated script's verification.
        if not captured.completed:
            return replace(base, why_not="the migrated script does not run to its end")
        combined = combine(start.steps, verified=True)
        return _written(doc, path, options, base, combined, doc.patch(start.script, combined), captured.trains)
    eligible, held = choose(fixes, options.safe_only)
    candidates = eligible[:MAX_RERUN_CANDIDATES]
    if not eligible and captured.verify_by_rerun:
        # The model never got built, so the child could not verify: the patched script is the test.
        candidates = tuple(f for f in fixes if f.edits)[:MAX_RERUN_CANDIDATES]
    for candidate in candidates:
        progress(f"re-running the patched {path}")
        outcome = _try_fix(doc, path, candidate, options, start)
        if isinstance(outcome, str) and _in_user_terms(start.script, candidate, abspath):
            # Written at the value's definition (or as an expression) it did not verify — the script may be
            # run with that flag set, say: the literal at the call is what is tried next.
            literal = _try_fix(doc, path, candidate, options, start, literal=True)
            outcome = outcome if isinstance(literal, str) else literal
        if isinstance(outcome, str):
            rejected.append(Rejected(candidate.finding.kind, candidate.summary, outcome))
            continue
        verified, patch, trains = outcome
        if options.safe_only and verified.applicability != Applicability.SAFE:
            held = (*held, doc.show_fix(verified))
            continue
        return _written(doc, path, options, replace(base, held=held, rejected=tuple(rejected)), verified, patch, trains)
    return replace(base, held=tuple(doc.show_fix(h) for h in held), rejected=tuple(rejected),
                   why_not=_why_not(candidates, held, rejected, fixes))


def _written(doc: Document, path: str, options: Options, base: FileResult, fix: Fix, patch: Patch,
             trains: bool | None) -> FileResult:
    """The verified ``fix`` written (``apply``) or shown (``--diff``)."""
    status: Status = "fixed" if options.write and not options.diff else "would_fix"
    if status == "fixed":
        try:
            patch.write()
        except (FileChangedError, OSError) as exc:
            return replace(base, status="error", message=f"{path}: {exc}")
    return replace(base, status=status, applied=(doc.show_fix(fix),), diff=doc.diff(patch), trains_after=trains,
                   patch=patch)


def _not_captured(doc: Document, path: str, exc: CaptureError, start: _Start, static: tuple[Finding, ...],
                  rejected: list[Rejected], quiet: _Quiet) -> FileResult:
    """The script could not be run to its model: a Keras-2 finding when that is why, else the one-line error."""
    found = tuple(doc.show(f) for f in static)
    err = exc.script_error
    if err is not None:
        runtime = runtime_finding(err["type"], err["message"], err.get("line"), start.script, os.path.abspath(path))
        if runtime is not None and quiet.keep((runtime,)):
            found += (doc.show(_moved(runtime, _line_map(doc.script, start.script) if start.steps else None)),)
    if not found:
        return FileResult(path, "error", message=f"{path}: {exc}", output=exc.output, detail=exc.detail)
    what = "the migrated script" if start.steps else "the script"
    return FileResult(path, "findings", found, tuple(doc.show_fix(s) for s in start.steps), rejected=tuple(rejected),
                      why_not=f"{what} could not be run to its model: {exc}", output=exc.output, detail=exc.detail)


def _line_map(before: str, after: str) -> dict[int, int]:
    """For each line of ``after`` (1-based), the line of ``before`` it comes from (a changed line: where its block starts)."""
    a, b = before.splitlines(), after.splitlines()
    mapping: dict[int, int] = {}
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        for j in range(j1, j2):
            mapping[j + 1] = (i1 + (j - j1) if tag == "equal" else min(i1 + (j - j1), max(i2 - 1, i1))) + 1
    return mapping


def _moved(finding: Finding, back: dict[int, int] | None) -> Finding:
    """A finding of the migrated script placed on the user's file (its lines, as far as they map)."""
    o = finding.origin
    if back is None or o is None:
        return finding
    origin = Origin(o.path, back.get(o.line, o.line), o.column, back.get(o.end_line, o.end_line), o.end_column, o.cell)
    return replace(finding, origin=origin)


def _why_not(tried: tuple[Fix, ...], held: tuple[Fix, ...], rejected: list[Rejected], fixes: tuple[Fix, ...]) -> str:
    """One line: why nothing was written although something was found."""
    if held and not tried:
        return f"the fix changes what the model learns and --safe-only holds it back ({held[0].summary})"
    if rejected:
        last = rejected[-1]
        what = f"{last.summary}: " if last.summary else ""
        return f"{what}{last.reason}"
    if held:
        return "the verified fix is a review fix and --safe-only holds it back"
    if fixes:
        return "no candidate fix could be verified"
    return "kerasfix has no repair for this fault"


#: Re-running a script costs seconds: try this many candidate fixes at most.
MAX_RERUN_CANDIDATES = 3


#: A fault can hide another until the script gets past it: re-run and repair at most this many times.
MAX_CHAINED_FIXES = 3


def _try_fix(doc: Document, path: str, fix: Fix, options: Options,
             start: _Start | None = None, *, literal: bool = False) -> tuple[Fix, Patch, bool | None] | str:
    """Write ``fix`` into the script, re-run it, and return the verified fix and patch, or why not.

    When the re-run finds a fault the first run could not see (the script died
    before it), and has a verified fix for it, that fix is written too and the
    script re-run again; the result is one combined fix whose steps are each
    stage (each step's edits refer to the script as it was before that step).
    A fix becomes ``verified`` only here, by the re-run; ``--no-verify`` writes
    only fixes already verified on the sample, and never a display fix. ``literal`` writes every value
    as a literal at its call, not at its definition.
    """
    begin = start or _Start(doc.script)
    script, steps = begin.script, list(begin.steps)
    step = fix
    written: list[Written] = []
    for _ in range(MAX_CHAINED_FIXES):
        try:
            # Without a run to check them, no expressions over the data: definitions are exact, those are not.
            done = write_fix(script, step.edits, os.path.abspath(path), literal=literal, data=options.verify)
            after = done.source
            written.append(done)
            patch = doc.patch(after, step)
        except (RewriteError, ValueError) as exc:
            return f"the fix cannot be written into this source: {exc}"
        steps.append(step)
        if not patch.changed:
            # The edit reads as already present, yet the script still has the fault: not a fix.
            return "the fix is already in the source but the fault remains"
        if not options.verify:
            if all(s.verified and s.applicability != Applicability.DISPLAY for s in steps):
                combined = _noted(combine(steps, verified=True), written)
                return combined, doc.patch(after, combined), None
            return "the fix is not verified and --no-verify does not re-run the script to verify it"
        try:
            again = _capture(doc, path, options, after)
        except CaptureError as exc:
            return f"the patched script did not verify: {exc}"
        # What the user silenced (comments in the patched script, --ignore, --select) is not left to fix.
        heed = _Quiet.of(after)
        again_findings = heed.keep(tuple(f for f in again.findings if options.selects(f.kind)), record=False)
        if not again_findings and again.completed:
            combined = _noted(combine(steps, verified=True), written)
            return combined, doc.patch(after, combined), again.trains
        follows, _ = choose(heed.fixes(f for f in again.fixes if options.selects(f.finding.kind)), options.safe_only)
        if not follows and again.verify_by_rerun:  # nothing could be tried on a model: the next run is the test
            follows = tuple(f for f in again.fixes if f.edits)
        follow = follows[0] if follows else None
        if not again_findings or follow is None:
            left = ", ".join(f.kind.value for f in again_findings) or "it does not run to its end"
            return f"the patched script did not verify ({left})"
        script, step = after, follow
    return "the patched script still has findings after several fixes"


# ---------------------------------------------------------------------------
# Suppression comments (``# kerasfix: ignore[kind]``), read from the script that is run.


def _family(kind: str) -> str | None:
    try:
        return faults.entry(kind).family.value
    except (KeyError, ValueError):
        return None


@dataclass
class _Quiet:
    """The ``# kerasfix: ignore`` comments of the script being processed, and what they silenced."""

    ledger: suppress.Ledger = field(default_factory=lambda: suppress.Ledger(()))
    doc: Document | None = None
    path: str = ""
    #: The script ran (or only static kinds were asked for): a comment that silenced nothing is unused.
    judged: bool = False

    @classmethod
    def of(cls, script: str) -> _Quiet:
        return cls(suppress.Ledger(suppress.parse(script), _family))

    def start(self, doc: Document, path: str) -> None:
        self.ledger, self.doc, self.path = suppress.Ledger(suppress.parse(doc.script), _family), doc, path

    def keep(self, findings: tuple[Finding, ...], *, record: bool = True) -> tuple[Finding, ...]:
        """The findings no comment silences (script coordinates); the others are noted."""
        return self.ledger.split(findings, record=record)[0] if self.ledger.suppressions else findings

    def fixes(self, fixes: Iterable[Fix]) -> tuple[Fix, ...]:
        """Fixes without their steps for silenced findings (a combined plan keeps the steps before the first)."""
        out: list[Fix] = []
        for fix in fixes:
            parts = fix.parts
            kept = next((parts[:i] for i, p in enumerate(parts) if self.ledger.silences(p.finding)), parts)
            if kept == parts:
                out.append(fix)
            elif kept:
                out.append(combine(kept, verified=fix.verified))
        return tuple(out)

    def attach(self, result: FileResult, options: Options) -> FileResult:
        if self.doc is None or not self.ledger.suppressions:
            return result
        doc = self.doc
        silenced = tuple(doc.show(f) for f in self.ledger.silenced)
        unused: tuple[suppress.Unused, ...] = ()
        if self.judged and result.status != "error":
            unused = tuple(replace(u, origin=doc.show_origin(u.origin))
                           for u in self.ledger.unused(self.path, options.selects_name))
        return replace(result, suppressed=silenced, unused_suppressions=unused)
