"""Renderings: the layer table and findings for a terminal, and JSON."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kerasfix.diagnosis import Diagnosis


def _specs(specs: tuple[object, ...]) -> str:
    return ", ".join(str(s) for s in specs) if specs else "-"


def render_diagnosis(diag: Diagnosis) -> str:
    """A plain-text table, one row per layer, the failing row marked, then the findings."""
    header = ("", "layer", "class", "input", "output")
    rows = []
    if diag.input is not None:
        rows.append(("", "input", "", "", str(diag.input)))
    flagged = {f.layer: f.severity.value for f in reversed(diag.findings) if f.layer}
    for t in diag.trace:
        if t.error or t.layer.name == diag.failing_layer or flagged.get(t.layer.name) == "error":
            mark = "✗"
        elif t.layer.name in flagged:
            mark = "!"
        else:
            mark = ""
        rows.append((mark, t.layer.name, t.layer.class_name, _specs(t.inputs), _specs(t.outputs) if not t.error else "error"))
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in [header, *rows]]
    lines.insert(1, "  ".join("-" * w for w in widths))
    if diag.labels or diag.loss:
        lines.append(f"labels: {diag.labels or '-'}; loss: {diag.loss or '-'}")
    if diag.ok:
        lines.append("no problems found")
    for f in diag.findings:
        where = f"{f.origin}: " if f.origin else ""
        lines.append(f"{where}{f.severity.value}: {f.kind}: {f.message}")
    return "\n".join(lines)
