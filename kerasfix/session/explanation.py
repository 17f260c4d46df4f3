"""What kerasfix says about one exception: the diagnosis of the model and data behind it, and the fixes."""

from __future__ import annotations

import sys
import warnings
from dataclasses import dataclass
from typing import Any

from kerasfix.session.locate import Found, find_model_and_data
from kerasfix.session.quiet import _keras_names_kept, _native_stderr_quiet
from kerasfix.session.shell import _get_ipython


@dataclass(frozen=True)
class Explanation:
    """What kerasfix says about one exception: the diagnosis and the fixes, best first."""

    exception: BaseException
    found: Found
    diagnosis: Any  # kerasfix.diagnosis.Diagnosis
    fixes: tuple[Any, ...] = ()  # kerasfix.types.Fix
    interactive: bool = False  # IPython or the Python prompt: the session goes on after the error

    @property
    def fix(self) -> Any:
        """The fix to apply (``None`` when kerasfix has none)."""
        return self.fixes[0] if self.fixes else None

    def __str__(self) -> str:
        return render(self)


def _is_candidate(exc: BaseException) -> bool:
    """Could this be Keras refusing a model or its data? (Cheap: no import, no frame walk.)"""
    if "keras" not in sys.modules:
        return False  # Keras was never imported, so it raised nothing
    return isinstance(exc, (ValueError, TypeError)) or type(exc).__module__.startswith("tensorflow")


def explain(exc: BaseException) -> Explanation | None:
    """Diagnose the model and data behind ``exc``; ``None`` when it is not a model/data fault kerasfix knows.

    May raise if kerasfix itself fails; the hooks catch that.
    """
    if not _is_candidate(exc):
        return None
    found = find_model_and_data(exc.__traceback__)
    if found is None:
        return None
    from kerasfix.diagnosis import diagnose
    from kerasfix.plan import suggest_fixes

    with _keras_names_kept(), _native_stderr_quiet(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Keras's warnings about kerasfix's candidate models
        diag = diagnose(found.model, found.x, found.y)
        if diag.ok:
            return None  # the model and data agree: this error is about something else
        fixes = tuple(suggest_fixes(found.model, found.x, found.y))
    interactive = _get_ipython() is not None or hasattr(sys, "ps1") or bool(sys.flags.interactive)
    return Explanation(exc, found, diag, fixes, interactive)


def _indent(text: str, prefix: str = "  ") -> str:
    return "\n".join(prefix + line if line else line for line in text.splitlines())


def render(expl: Explanation) -> str:
    """The explanation as plain text: headline, the connection, the layer table and findings, the fixes."""
    found, diag = expl.found, expl.diagnosis
    call = "keras.Sequential([...])" if found.call == "Sequential" else f"model.{found.call}(...)"
    at = f" at {found.where}" if found.where else ""
    building = found.call in ("Sequential", "add")
    what = "its layers do not connect" if building else "the model and its data do not fit together"
    lines = [f"kerasfix: {type(expl.exception).__name__} from {call}{at}: {what}."]
    if found.where and found.where.code:
        lines.append(f"  {found.where.code}")
    first = diag.findings[0]
    if first.producer and first.layer:
        refs = {t.layer.name: t.layer for t in diag.trace}

        def named(layer: str) -> str:
            return refs[layer].describe(first.origin) if layer in refs else layer

        lines.append(f"failing connection: {named(first.producer)} → {named(first.layer)}"
                     + (f" (expected {first.expected}, got {first.actual})" if first.expected and first.actual else ""))
    if found.synthetic:
        lines.append("(the data did not exist yet: traced with zeros of the declared input shape)")
    lines.append("")
    lines.append(_indent(str(diag)))
    lines.append("")
    if not expl.fixes:
        lines.append("kerasfix has no verified fix for this; the finding above names the layer to change.")
        return "\n".join(lines)
    best = expl.fixes[0]
    state = "verified: one training step runs" if best.verified else "not verified"
    lines.append(f"suggested fix [{best.applicability.value}, {state}]: {best.summary}")
    for other in expl.fixes[1:]:
        lines.append(f"  or [{other.applicability.value}]: {other.summary}")
    if expl.interactive:
        lines.append("try it here:")
        lines.append("  from kerasfix.session import last")
        if found.call == "Sequential":
            lines.append("  model = last.fix.apply(last.found.model)  # the layers you gave Sequential, fixed")
        else:
            lines.append("  model = last.fix.apply(model)  # a new model, compiled like yours")
        if best.changes_data:
            lines.append("  x, y = last.fix.apply_data(x, y)")
    elif found.where is not None and found.where.is_script:
        lines.append(f"to write it into the script: kerasfix apply --diff {found.where.filename}")
    return "\n".join(lines)
