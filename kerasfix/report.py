"""Outcomes and how they are shown: ``FileResult``, ``Report`` (summary line, exit code) and the renderers
(full, concise, json, github, sarif), and the rule documentation (``kerasfix rule``).

A file is fixed whole or not touched (like libcst's codemod results); when
nothing was written, ``FileResult.why_not`` says why in one line. Everything
here is rendered from data, once, in the parent process.

Every format counts lines and columns from 1 (as the text output and ruff's
JSON do) and names a file as it was given on the command line.
"""

from __future__ import annotations

import dataclasses
import difflib
import enum
import functools
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import metadata, resources
from typing import Any, Literal

from kerasfix import __version__, faults
from kerasfix.faults.base import Entry
from kerasfix.fix import Fix
from kerasfix.patch import Patch
from kerasfix.suppress import Unused
from kerasfix.types import Applicability, Diagnosis, Finding, Origin, Rejected, Severity, TextEdit, to_jsonable

Status = Literal["clean", "findings", "fixed", "would_fix", "error", "skipped"]

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2

FORMATS = ("full", "concise", "json", "github", "sarif")


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
    #: The one-line error of a file that could not be analysed (status ``error``).
    message: str = ""
    #: Why nothing was written although there were findings (one line), when that is the case.
    why_not: str = ""
    #: Every candidate fix that was tried and not kept, with its reason.
    rejected: tuple[Rejected, ...] = ()
    diagnosis: Diagnosis | None = None
    trains_after: bool | None = None
    output: str = ""
    detail: str = ""
    patch: Patch | None = field(default=None, compare=False, repr=False)
    #: Findings silenced by ``# kerasfix: ignore`` comments: not left, not fixed; listed with ``-v``.
    suppressed: tuple[Finding, ...] = ()
    #: Suppression comments (or names in them) that silenced nothing; listed with ``-v``.
    unused_suppressions: tuple[Unused, ...] = ()

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
            "clean": "clean", "error": "could not be analysed", "skipped": "skipped",
        }
        parts = [f"{n} file{'s' if n != 1 else ''} {words[s]}" for s, n in counts.items()]
        held = sum(len(r.held) for r in self.results)
        if held:
            parts.append(f"{held} review fix{'es' if held != 1 else ''} held back (--safe-only)")
        return ", ".join(parts) if parts else "no files"


# ---------------------------------------------------------------------------
# Text: full and concise.


def _loc(result: FileResult, finding: Finding) -> str:
    if finding.origin is not None:
        cell = f"cell {finding.origin.cell}:" if finding.origin.cell is not None else ""
        return f"{result.path}:{cell}{finding.origin.line}:{finding.origin.column + 1}"
    return result.path


def _fix_for(result: FileResult, finding: Finding) -> Fix | None:
    for fix in (*result.applied, *result.fixes):
        if any(s.finding == finding for s in fix.parts):
            return fix
    return None


def _step_for(result: FileResult, finding: Finding) -> Fix | None:
    """The single-finding fix suggested for ``finding`` (its step of a combined plan), if any."""
    fix = _fix_for(result, finding)
    return next((s for s in fix.parts if s.finding == finding), fix) if fix else None


def fix_text(step: Fix) -> str:
    """``fix [safe]: insert Flatten()`` (``(unverified)`` when it is)."""
    tag = "" if step.verified else " (unverified)"
    return f"fix [{step.applicability.value}]{tag}: {step.summary}"


def where(origin: Origin) -> str:
    """``line 12``, or ``cell 2, line 3`` in a notebook."""
    cell = f"cell {origin.cell}, " if origin.cell is not None else ""
    return f"{cell}line {origin.line}"


_RED, _BOLD_RED, _YELLOW, _GREEN, _BOLD = "1;31", "1;31", "33", "32", "1"


def _paint(text: str, style: str, color: bool) -> str:
    """``text`` in an ANSI style on a terminal; as it is otherwise."""
    return f"\x1b[{style}m{text}\x1b[0m" if color and text else text


def concise_lines(result: FileResult, *, color: bool = False, verbose: bool = False) -> list[str]:
    """One line per finding: ``train.py:12:5: rank_mismatch: … ; fix: insert Flatten()``.

    ``verbose`` adds the Keras names of the layers the finding is about (``[layer dense_1]``), as the layer
    table and the JSON output name them; the message itself names layers as the user wrote them.
    """
    if result.status == "error":
        return [result.message]
    lines = []
    for f in result.findings:
        step = _step_for(result, f)
        tail = ""
        if step is not None:
            head, _, summary = fix_text(step).partition(": ")
            tail = "; " + _paint(f"{head}:", _GREEN, color) + f" {summary}"
        silent = f.severity != Severity.ERROR
        kind = _paint(f"{f.kind}{' (silent)' if silent else ''}", _YELLOW if silent else _BOLD_RED, color)
        names = f" [{_keras_names(f)}]" if verbose and f.layer else ""
        lines.append(f"{_loc(result, f)}: {kind}: {f.message}{names}{tail}")
    if result.why_not:
        lines.append(f"{result.path}: nothing written: {result.why_not}")
    return lines


def _keras_names(f: Finding) -> str:
    """``layer dense_1``, ``layer dense, from max_pooling2d``: kerasfix's names for the finding's layers."""
    producer = f", from {f.producer}" if f.producer and f.producer not in ("input", "labels") else ""
    return f"layer {f.layer}{producer}"


def rejected_lines(result: FileResult) -> list[str]:
    """``-v``: every candidate tried and not kept, with its reason."""
    return [f"{result.path}: tried {r.kind}: {r.summary or '(no candidate)'} — rejected: {r.reason}"
            for r in result.rejected]


def suppression_lines(result: FileResult) -> list[str]:
    """``-v``: the findings ``# kerasfix: ignore`` silenced, and the comments that silenced nothing."""
    lines = [f"{_loc(result, f)}: {f.kind} (suppressed): {f.message}" for f in result.suppressed]
    lines += [f"{result.path}: {u.describe(where(u.origin))}" for u in result.unused_suppressions]
    return lines


def _table_lines(diagnosis: Diagnosis, color: bool, verbose: bool = False) -> list[str]:
    out = []
    for line in diagnosis.table(written=verbose).splitlines():
        if line.startswith("✗"):
            line = _paint(line, _RED, color)
        elif line.startswith("!"):
            line = _paint(line, _YELLOW, color)
        out.append(line)
    return out


def render_text(results: list[FileResult], *, full: bool, verbose: bool = False, color: bool = False) -> str:
    """The terminal rendering: per file, the layer table (``full``), one line per finding, what was fixed.

    ``color`` adds ANSI colours as the lines are made: failing rows and errors
    red, silent faults yellow, fixes green.
    """
    out: list[str] = []
    for r in results:
        if r.status == "skipped":
            if verbose:
                out.append(f"{r.path}: skipped: {r.why_not}")
            continue
        if full and r.diagnosis is not None and r.status != "error":
            out.append(_paint(f"── {r.path}", _BOLD, color))
            out.extend(_table_lines(r.diagnosis, color, verbose))
        out.extend(concise_lines(r, color=color, verbose=verbose))
        if verbose:
            out.extend(rejected_lines(r))
            out.extend(suppression_lines(r))
        if r.status in ("fixed", "would_fix"):
            verb = "fixed" if r.status == "fixed" else "would fix"
            for fix in r.applied:
                review = " — review it: it changes what the model learns" if fix.applicability.value == "review" else ""
                out.append(f"{r.path}: {_paint(verb + ':', _GREEN, color)} {fix.summary}{review}")
            if r.trains_after:
                out.append(f"{r.path}: the patched script now runs to its end (each fit/evaluate/predict on one batch)")
    return "\n".join(out)


# ---------------------------------------------------------------------------
# Machine formats.


#: The version of the JSON document's shape (``"version"``); ``kerasfix/schemas/report.schema.json`` describes it.
JSON_VERSION = 1


def json_schema() -> dict[str, Any]:
    """The JSON Schema of ``--output-format json`` (shipped as ``kerasfix/schemas/report.schema.json``)."""
    text = resources.files("kerasfix").joinpath("schemas/report.schema.json").read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def shown_path(path: str, given: str) -> str:
    """``path`` named as the user named their file: ``given`` itself for that file, else relative to the
    working directory when ``given`` is relative (absolute when it is absolute)."""
    if os.path.abspath(path) == os.path.abspath(given):
        return given
    return os.path.abspath(path) if os.path.isabs(given) else os.path.relpath(path)


def _location(line: int, column: int) -> dict[str, int]:
    """A 1-based position as ruff's JSON has it; ``column`` is 0-based (as ``Origin`` keeps it)."""
    return {"row": line, "column": column + 1}


def _plain(obj: Any, given: str) -> Any:
    """JSON-ready values: every ``Origin`` with 1-based columns and the path as given (``to_jsonable`` otherwise)."""
    if isinstance(obj, Origin):
        return {"path": shown_path(obj.path, given), "line": obj.line, "column": obj.column + 1,
                "end_line": obj.end_line, "end_column": obj.end_column + 1, "cell": obj.cell}
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: _plain(getattr(obj, f.name), given) for f in dataclasses.fields(obj)
                if f.metadata.get("serialize", True)}  # not Fix.layers: it only serves apply() in a session
    if isinstance(obj, enum.Enum):
        return obj.value
    if isinstance(obj, (list, tuple)):
        return [_plain(v, given) for v in obj]
    if isinstance(obj, dict):
        return {k: _plain(v, given) for k, v in obj.items()}
    return obj


def _finding_json(result: FileResult, f: Finding) -> dict[str, Any]:
    d: dict[str, Any] = _plain(f, result.path)
    o = f.origin
    d["location"] = _location(o.line, o.column) if o else None
    d["end_location"] = _location(o.end_line, o.end_column) if o else None
    d["cell"] = o.cell if o else None
    step = _step_for(result, f)
    d["fix"] = None if step is None else {
        "message": step.summary, "applicability": step.applicability.value, "verified": step.verified}
    return d


def text_edits(before: str, after: str) -> list[TextEdit]:
    """The changes from ``before`` to ``after`` as text edits: whole lines per changed hunk, or the characters
    that differ when one line is changed in place.

    Positions are 1-based ``(line, column)`` (columns in characters); ``end``
    is the position just after the replaced text. Applied from the last to
    the first, they turn ``before`` into ``after``.
    """
    a, b = _split_lines(before), _split_lines(after)
    starts = [0]
    for line in a:
        starts.append(starts[-1] + len(line))
    edits = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        lo, hi, new = starts[i1], starts[i2], "".join(b[j1:j2])
        if i2 - i1 == j2 - j1 == 1:  # one line changed in place: narrow to the characters that differ
            old = before[lo:hi]
            keep = len(os.path.commonprefix([old, new]))
            lo, old, new = lo + keep, old[keep:], new[keep:]
            tail = len(os.path.commonprefix([old[::-1], new[::-1]]))
            hi, new = lo + len(old) - tail, new[: len(new) - tail]
        edits.append(TextEdit(_position(before, lo), _position(before, hi), new))
    return edits


def _split_lines(text: str) -> list[str]:
    """Lines ending at ``\\n`` only (as diffs count them), each with its newline."""
    parts = text.split("\n")
    return [p + "\n" for p in parts[:-1]] + ([parts[-1]] if parts[-1] else [])


def _position(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def _edits_json(result: FileResult) -> list[dict[str, Any]]:
    patch = result.patch
    if patch is None or not patch.changed:
        return []
    return [{"content": e.content, "location": {"row": e.start[0], "column": e.start[1]},
             "end_location": {"row": e.end[0], "column": e.end[1]}}
            for e in text_edits(patch.source.text, patch.after)]


def _unused_json(u: Unused) -> dict[str, Any]:
    return {"name": u.name, "known": u.known, "location": _location(u.origin.line, u.origin.column),
            "cell": u.origin.cell, "message": u.describe(where(u.origin))}


def render_json(report: Report) -> str:
    """The JSON document (``kerasfix/schemas/report.schema.json``, version ``JSON_VERSION``)."""
    files = []
    for r in report.results:
        files.append({
            "path": r.path,
            "status": r.status,
            "message": r.message or None,
            "why_not": r.why_not or None,
            "findings": [_finding_json(r, f) for f in r.findings],
            "fixes": _plain(r.fixes, r.path),
            "applied": [f.summary for f in r.applied],
            "held": [f.summary for f in r.held],
            "rejected": to_jsonable(r.rejected),
            "diff": r.diff or None,
            "edits": _edits_json(r),
            "trains_after": r.trains_after,
            "suppressed": [_finding_json(r, f) for f in r.suppressed],
            "unused_suppressions": [_unused_json(u) for u in r.unused_suppressions],
        })
    return json.dumps({"version": JSON_VERSION, "files": files, "summary": report.summary(),
                       "exit_code": report.exit_code}, indent=2)


def _escape_gh(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_gh_property(text: str) -> str:
    """A property value (``file=…``) also ends at ``,`` and ``:`` (as in @actions/core)."""
    return _escape_gh(text).replace(":", "%3A").replace(",", "%2C")


def _message_with_fix(result: FileResult, f: Finding) -> str:
    """The finding's message, placed in its cell for a notebook, and the suggested fix on a second line."""
    text = f.message
    if f.origin is not None and f.origin.cell is not None:
        text = f"{where(f.origin)}, column {f.origin.column + 1}: {text}"
    step = _step_for(result, f)
    return text if step is None else f"{text}\n{fix_text(step)}"


def render_github(report: Report) -> str:
    """GitHub Actions workflow commands (annotations), the suggested fix in the message.

    A notebook's findings are annotated on the file without a line (a cell's
    line is not a line of the ``.ipynb``); the message says which cell and line.
    """
    out = []
    for r in report.results:
        if r.status == "error":
            out.append(f"::error file={_escape_gh_property(r.path)},title=kerasfix::{_escape_gh(r.message)}")
        for f in r.left:
            level = "error" if f.severity == Severity.ERROR else "warning"
            o = f.origin
            pos = f",line={o.line},col={o.column + 1}" if o is not None and o.cell is None else ""
            out.append(f"::{level} file={_escape_gh_property(r.path)}{pos},title={f.kind}::"
                       f"{_escape_gh(_message_with_fix(r, f))}")
    return "\n".join(out)


SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


@functools.lru_cache(maxsize=1)
def docs_url() -> str | None:
    """The README the rule sections are in: the package's ``Documentation`` URL (``[project.urls]``), if any."""
    try:
        urls = metadata.metadata("kerasfix").get_all("Project-URL") or []
    except metadata.PackageNotFoundError:
        return None
    for entry in urls:
        label, _, url = entry.partition(",")
        if label.strip().lower() == "documentation" and url.strip().startswith(("https://", "http://")):
            return url.strip()
    return None


def rule_url(kind: str, base: str | None = None) -> str | None:
    """``<README>#rule-<kind>``: an absolute URI, as SARIF's ``helpUri`` must be (None without a base)."""
    base = base if base is not None else docs_url()
    return f"{base.split('#')[0]}#rule-{kind}" if base else None


_APPLICABILITY = {
    Applicability.SAFE: "safe — it does not change what the model learns; `apply` writes it, also with `--safe-only`",
    Applicability.REVIEW: "review — it changes what the model learns; `apply` writes it and marks it for review, "
                          "`--safe-only` holds it back",
    Applicability.DISPLAY: "display — shown, never written: the fix is yours to make",
}


def render_rule(e: Entry) -> str:
    """A kind's documentation (``kerasfix rule KIND``, SARIF ``help``): Markdown, after ``ruff rule``."""
    summary = e.summary[:1].upper() + e.summary[1:]
    return "\n".join([
        f"# {e.kind.value} ({e.family.value})", "",
        f"{summary}.", "",
        "## Why it matters", "",
        e.explanation, "",
        "## Example", "",
        "Before:", "", "```python", e.before, "```", "",
        "After:", "", "```python", e.after, "```", "",
        "## Fix", "",
        e.fix[:1].upper() + e.fix[1:] + ".", "",
        f"Applicability: {_APPLICABILITY[e.applicability]}.",
    ])


def sarif_rules(base: str | None = None) -> list[dict[str, Any]]:
    """One SARIF rule per catalogue entry, described by the catalogue, and ``could_not_run``."""
    rules: list[dict[str, Any]] = []
    for e in faults.CATALOGUE:
        rule: dict[str, Any] = {
            "id": e.kind.value,
            "name": "".join(part.capitalize() for part in e.kind.value.split("_")),
            "shortDescription": {"text": e.summary},
            "fullDescription": {"text": e.explanation},
            "help": {"text": f"{e.explanation}\n\nBefore:\n{e.before}\n\nAfter:\n{e.after}\n\nFix: {e.fix}",
                     "markdown": render_rule(e)},
            "properties": {"family": e.family.value, "applicability": e.applicability.value},
        }
        url = rule_url(e.kind.value, base)
        if url:
            rule["helpUri"] = url
        rules.append(rule)
    rules.append({"id": "could_not_run", "shortDescription": {"text": "the script could not be run or analysed"}})
    return rules


def _region(start: tuple[int, int], end: tuple[int, int]) -> dict[str, int]:
    return {"startLine": start[0], "startColumn": start[1], "endLine": end[0], "endColumn": end[1]}


def _sarif_fix(fix: Fix, patch: Patch, uri: str) -> dict[str, Any]:
    """A SARIF ``fix``: the patch as replacements of the file's text (1-based regions, as SARIF counts)."""
    replacements = [{"deletedRegion": _region(e.start, e.end), "insertedContent": {"text": e.content}}
                    for e in text_edits(patch.source.text, patch.after)]
    return {"description": {"text": fix_text(fix)},
            "artifactChanges": [{"artifactLocation": {"uri": uri}, "replacements": replacements}]}


def render_sarif(report: Report, *, docs: str | None = None) -> str:
    """SARIF 2.1.0, one run, one rule per finding kind.

    A file ``apply --diff`` would fix reports its findings with the fix as
    ``fixes[]`` (the patch as text replacements), on the first finding it
    repairs. A notebook's findings carry no region (a cell's line is not a
    line of the ``.ipynb``): the message says which cell and line.
    """
    results: list[dict[str, Any]] = []
    for r in report.results:
        uri = os.path.relpath(r.path).replace(os.sep, "/")
        pending = r.patch is not None and r.patch.changed and r.status == "would_fix"
        fixed_by_patch: set[int] = set()
        for f in r.findings if pending else r.left:
            loc: dict[str, Any] = {"physicalLocation": {"artifactLocation": {"uri": uri}}}
            o = f.origin
            if o is not None and o.cell is None:
                loc["physicalLocation"]["region"] = _region((o.line, o.column + 1), (o.end_line, o.end_column + 1))
            result: dict[str, Any] = {
                "ruleId": f.kind.value,
                "level": "error" if f.severity == Severity.ERROR else "warning",
                "message": {"text": _message_with_fix(r, f)},
                "locations": [loc],
            }
            fix = _fix_for(r, f)
            if pending and r.patch is not None and fix is not None and fix in r.applied and id(fix) not in fixed_by_patch:
                fixed_by_patch.add(id(fix))
                result["fixes"] = [_sarif_fix(fix, r.patch, uri)]
            results.append(result)
        if r.status == "error":
            results.append({
                "ruleId": "could_not_run", "level": "error", "message": {"text": r.message},
                "locations": [{"physicalLocation": {"artifactLocation": {"uri": uri}}}],
            })
    doc = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{"tool": {"driver": {"name": "kerasfix", "version": __version__, "rules": sarif_rules(docs)}},
                  "results": results}],
    }
    return json.dumps(doc, indent=2)


def rules_of(kinds: Sequence[str]) -> list[Entry]:
    """The catalogue entries of ``kinds`` (all of them for an empty sequence); ``KeyError`` names an unknown one."""
    if not kinds:
        return list(faults.CATALOGUE)
    known = {e.kind.value: e for e in faults.CATALOGUE}
    for k in kinds:
        if k not in known:
            raise KeyError(k)
    return [known[k] for k in kinds]


__all__ = [
    "EXIT_CLEAN",
    "EXIT_ERROR",
    "EXIT_FINDINGS",
    "FORMATS",
    "FileResult",
    "Report",
    "Status",
    "JSON_VERSION",
    "concise_lines",
    "docs_url",
    "fix_text",
    "json_schema",
    "render_github",
    "render_json",
    "render_rule",
    "render_sarif",
    "render_text",
    "rule_url",
    "rules_of",
    "sarif_rules",
    "shown_path",
    "suppression_lines",
    "text_edits",
    "where",
]
