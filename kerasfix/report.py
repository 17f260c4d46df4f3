"""Outcomes and how they are shown: ``FileResult``, ``Report`` (summary line, exit code) and the renderers
(full, concise, json, github, sarif).

A file is fixed whole or not touched (like libcst's codemod results); when
nothing was written, ``FileResult.why_not`` says why in one line. Everything
here is rendered from data, once, in the parent process.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Any, Literal

from kerasfix import __version__, faults
from kerasfix.fix import Fix
from kerasfix.patch import Patch
from kerasfix.types import Diagnosis, Finding, Rejected, Severity, to_jsonable

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


_RED, _BOLD_RED, _YELLOW, _GREEN, _BOLD = "1;31", "1;31", "33", "32", "1"


def _paint(text: str, style: str, color: bool) -> str:
    """``text`` in an ANSI style on a terminal; as it is otherwise."""
    return f"\x1b[{style}m{text}\x1b[0m" if color and text else text


def concise_lines(result: FileResult, *, color: bool = False) -> list[str]:
    """One line per finding: ``train.py:12:5: rank_mismatch: … ; fix: insert Flatten()``."""
    if result.status == "error":
        return [result.message]
    lines = []
    for f in result.findings:
        fix = _fix_for(result, f)
        step = next((s for s in fix.parts if s.finding == f), fix) if fix else None
        tail = ""
        if step is not None:
            tag = "" if step.verified else " (unverified)"
            tail = "; " + _paint(f"fix [{step.applicability.value}]{tag}:", _GREEN, color) + f" {step.summary}"
        silent = f.severity != Severity.ERROR
        kind = _paint(f"{f.kind}{' (silent)' if silent else ''}", _YELLOW if silent else _BOLD_RED, color)
        lines.append(f"{_loc(result, f)}: {kind}: {f.message}{tail}")
    if result.why_not:
        lines.append(f"{result.path}: nothing written: {result.why_not}")
    return lines


def rejected_lines(result: FileResult) -> list[str]:
    """``-v``: every candidate tried and not kept, with its reason."""
    return [f"{result.path}: tried {r.kind}: {r.summary or '(no candidate)'} — rejected: {r.reason}"
            for r in result.rejected]


def _table_lines(diagnosis: Diagnosis, color: bool) -> list[str]:
    out = []
    for line in diagnosis.table().splitlines():
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
            out.extend(_table_lines(r.diagnosis, color))
        out.extend(concise_lines(r, color=color))
        if verbose:
            out.extend(rejected_lines(r))
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


def render_json(report: Report) -> str:
    files = []
    for r in report.results:
        files.append({
            "path": r.path,
            "status": r.status,
            "message": r.message or None,
            "why_not": r.why_not or None,
            "findings": to_jsonable(r.findings),
            "fixes": to_jsonable(r.fixes),
            "applied": [f.summary for f in r.applied],
            "held": [f.summary for f in r.held],
            "rejected": to_jsonable(r.rejected),
            "diff": r.diff or None,
            "trains_after": r.trains_after,
        })
    return json.dumps({"files": files, "summary": report.summary(), "exit_code": report.exit_code}, indent=2)


def _escape_gh(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_gh_property(text: str) -> str:
    """A property value (``file=…``) also ends at ``,`` and ``:`` (as in @actions/core)."""
    return _escape_gh(text).replace(":", "%3A").replace(",", "%2C")


def render_github(report: Report) -> str:
    """GitHub Actions workflow commands (annotations)."""
    out = []
    for r in report.results:
        if r.status == "error":
            out.append(f"::error file={_escape_gh_property(r.path)},title=kerasfix::{_escape_gh(r.message)}")
        for f in r.left:
            level = "error" if f.severity == Severity.ERROR else "warning"
            pos = f",line={f.origin.line},col={f.origin.column + 1}" if f.origin else ""
            out.append(f"::{level} file={_escape_gh_property(r.path)}{pos},title={f.kind}::{_escape_gh(f.message)}")
    return "\n".join(out)


SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def sarif_rules() -> list[dict[str, Any]]:
    """One SARIF rule per catalogue entry, described by the catalogue, and ``could_not_run``."""
    rules: list[dict[str, Any]] = [
        {
            "id": e.kind.value,
            "shortDescription": {"text": e.summary},
            "fullDescription": {"text": e.explanation},
            "help": {"text": f"{e.explanation}\n\nBefore:\n{e.before}\n\nAfter:\n{e.after}\n\nFix: {e.fix}"},
            "properties": {"family": e.family.value, "applicability": e.applicability.value},
        }
        for e in faults.CATALOGUE
    ]
    rules.append({"id": "could_not_run", "shortDescription": {"text": "the script could not be run or analysed"}})
    return rules


def render_sarif(report: Report) -> str:
    """SARIF 2.1.0, one run, one rule per finding kind."""
    results: list[dict[str, Any]] = []
    for r in report.results:
        uri = os.path.relpath(r.path).replace(os.sep, "/")
        for f in r.left:
            region: dict[str, int] = {}
            if f.origin:
                region = {"startLine": f.origin.line, "startColumn": f.origin.column + 1,
                          "endLine": f.origin.end_line, "endColumn": f.origin.end_column + 1}
            loc: dict[str, Any] = {"physicalLocation": {"artifactLocation": {"uri": uri}}}
            if region:
                loc["physicalLocation"]["region"] = region
            results.append({
                "ruleId": f.kind.value,
                "level": "error" if f.severity == Severity.ERROR else "warning",
                "message": {"text": f.message},
                "locations": [loc],
            })
        if r.status == "error":
            results.append({
                "ruleId": "could_not_run", "level": "error", "message": {"text": r.message},
                "locations": [{"physicalLocation": {"artifactLocation": {"uri": uri}}}],
            })
    doc = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{"tool": {"driver": {"name": "kerasfix", "version": __version__, "rules": sarif_rules()}},
                  "results": results}],
    }
    return json.dumps(doc, indent=2)


__all__ = [
    "EXIT_CLEAN",
    "EXIT_ERROR",
    "EXIT_FINDINGS",
    "FORMATS",
    "FileResult",
    "Report",
    "Status",
    "concise_lines",
    "render_github",
    "render_json",
    "render_sarif",
    "render_text",
]
