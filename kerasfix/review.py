"""``apply --interactive``: show each verified fix with its diff and ask, like ``git add -p``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import TextIO

from kerasfix.patch import FileChangedError
from kerasfix.report import FileResult

PROMPT = "Apply this fix to {path}? [y,n,q,?] "
HELP = "y - write this fix\nn - leave this file as it is\nq - quit; write nothing more\n? - this help\n"


def render_diff(diff: str, out: TextIO, *, color: bool) -> None:
    """Print a unified diff, coloured on a terminal."""
    if not color:
        out.write(diff)
        return
    from rich.console import Console
    from rich.syntax import Syntax

    Console(file=out, force_terminal=True).print(Syntax(diff, "diff", theme="ansi_dark", background_color="default"))


def review(
    results: list[FileResult], ask: Callable[[str], str], out: TextIO, *, color: bool
) -> list[FileResult]:
    """Ask about each file that has a verified patch; write the accepted ones. Returns the updated results."""
    updated: list[FileResult] = []
    quitting = False
    for result in results:
        patch = result.patch
        if quitting or patch is None or not patch.changed:
            updated.append(_declined(result) if patch is not None and patch.changed else result)
            continue
        for fix in result.applied:
            for step in fix.parts:
                tag = "review: changes what the model learns" if step.applicability.value == "review" else "safe"
                out.write(f"{result.path}: {step.finding.kind}: {step.finding.message}\n  fix [{tag}]: {step.summary}\n")
        render_diff(patch.diff(), out, color=color)
        answer = ""
        while answer not in ("y", "n", "q"):
            try:
                answer = ask(PROMPT.format(path=result.path)).strip().lower()[:1]
            except EOFError:
                answer = "q"
            if answer == "?":
                out.write(HELP)
        if answer == "y":
            try:
                patch.write()
            except (FileChangedError, OSError) as exc:
                updated.append(replace(result, status="error", message=f"{result.path}: {exc}"))
                continue
            updated.append(replace(result, status="fixed"))
        else:
            quitting = answer == "q"
            updated.append(_declined(result))
    return updated


def _declined(result: FileResult) -> FileResult:
    return replace(result, status="findings", applied=(), diff="", why_not="fix not applied (declined)")
