"""Output formats for ``check``/``apply``: full, concise, json, github, sarif."""

from __future__ import annotations

import json
import os
from typing import Any

from kerasfix.pipeline import FileResult, Report
from kerasfix.types import FINDING_KINDS, Finding, Fix, to_jsonable

FORMATS = ("full", "concise", "json", "github", "sarif")


def _loc(result: FileResult, finding: Finding) -> str:
    if finding.origin is not None:
        cell = f"cell {finding.origin.cell}:" if finding.origin.cell is not None else ""
        return f"{result.path}:{cell}{finding.origin.line}:{finding.origin.column + 1}"
    return result.path


def _fix_for(result: FileResult, finding: Finding) -> Fix | None:
    for fix in (*result.applied, *result.fixes):
        if fix.finding == finding or any(s.finding == finding for s in fix.steps):
            return fix
    return None


def concise_lines(result: FileResult) -> list[str]:
    """One line per finding: ``train.py:12:5: rank_mismatch: … ; fix: insert Flatten()``."""
    if result.status == "error":
        return [result.message]
    lines = []
    for f in result.findings:
        fix = _fix_for(result, f)
        step = next((s for s in fix.steps if s.finding == f), fix) if fix else None
        tail = ""
        if step is not None:
            tag = "" if step.verified else " (unverified)"
            tail = f"; fix [{step.applicability.value}]{tag}: {step.summary}"
        sev = "" if f.severity.value == "error" else " (silent)"
        lines.append(f"{_loc(result, f)}: {f.kind}{sev}: {f.message}{tail}")
    if result.message:
        lines.append(result.message)
    return lines


def render_text(report: Report, *, full: bool) -> str:
    out: list[str] = []
    for r in report.results:
        if full and r.diagnosis and r.status != "error":
            out.append(f"── {r.path}")
            table = [ln for ln in r.diagnosis.splitlines() if not ln.lstrip().startswith(("error:", "warning:")) and ": error: " not in ln and ": warning: " not in ln]
            out.extend(table)
        out.extend(concise_lines(r))
        if r.status in ("fixed", "would_fix"):
            verb = "fixed" if r.status == "fixed" else "would fix"
            for fix in r.applied:
                review = " — review it: it changes what the model learns" if fix.applicability.value == "review" else ""
                out.append(f"{r.path}: {verb}: {fix.summary}{review}")
            if r.trains_after:
                out.append(f"{r.path}: the patched script now gets through a training step")
    return "\n".join(out)


def colorize(text: str) -> str:
    """ANSI colours for a terminal: failing rows and errors red, silent faults yellow, fixes green."""
    import re

    out = []
    for line in text.splitlines():
        if line.startswith("✗"):
            line = f"\x1b[1;31m{line}\x1b[0m"
        elif line.startswith("!"):
            line = f"\x1b[33m{line}\x1b[0m"
        elif line.startswith("── "):
            line = f"\x1b[1m{line}\x1b[0m"
        else:
            line = re.sub(r": (\w+_\w+)( \(silent\))?: ",
                          lambda m: f": \x1b[{'33' if m.group(2) else '1;31'}m{m.group(1)}{m.group(2) or ''}\x1b[0m: ", line, count=1)
            line = re.sub(r"(; fix \[\w+\]( \(unverified\))?:)", "\x1b[32m\\1\x1b[0m", line, count=1)
            line = re.sub(r"(: (would fix|fixed): )", "\x1b[32m\\1\x1b[0m", line, count=1)
        out.append(line)
    return "\n".join(out)


def render_json(report: Report) -> str:
    files = []
    for r in report.results:
        files.append({
            "path": r.path,
            "status": r.status,
            "message": r.message or None,
            "findings": to_jsonable(r.findings),
            "fixes": to_jsonable(r.fixes),
            "applied": [f.summary for f in r.applied],
            "held": [f.summary for f in r.held],
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
            level = "error" if f.severity.value == "error" else "warning"
            pos = f",line={f.origin.line},col={f.origin.column + 1}" if f.origin else ""
            out.append(f"::{level} file={_escape_gh_property(r.path)}{pos},title={f.kind}::{_escape_gh(f.message)}")
    return "\n".join(out)


SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def render_sarif(report: Report) -> str:
    """SARIF 2.1.0, one run, one rule per finding kind."""
    from kerasfix import __version__

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
                "ruleId": f.kind,
                "level": "error" if f.severity.value == "error" else "warning",
                "message": {"text": f.message},
                "locations": [loc],
            })
        if r.status == "error":
            results.append({
                "ruleId": "could_not_run", "level": "error", "message": {"text": r.message},
                "locations": [{"physicalLocation": {"artifactLocation": {"uri": uri}}}],
            })
    rules = [{"id": k, "shortDescription": {"text": k.replace("_", " ")}} for k in (*FINDING_KINDS, "could_not_run")]
    doc = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{"tool": {"driver": {"name": "kerasfix", "version": __version__, "rules": rules}}, "results": results}],
    }
    return json.dumps(doc, indent=2)
