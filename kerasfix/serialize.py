"""Reading back what ``to_jsonable`` wrote: the capture child's results, in the parent.

Everything crosses the process boundary as data (findings with their typed
details, fixes, the diagnosis, rejected candidates) and is rendered once, in
the parent; nothing is turned into text and parsed back.
"""

from __future__ import annotations

import dataclasses
from typing import Any, get_type_hints

from kerasfix import faults
from kerasfix.fix import Fix
from kerasfix.kinds import Kind
from kerasfix.types import (
    EDIT_TYPES,
    Applicability,
    CompileArgs,
    Detail,
    Diagnosis,
    Edit,
    Finding,
    LayerRef,
    LayerSpec,
    LayerTrace,
    Origin,
    Rejected,
    Severity,
    TensorSpec,
    Written,
)

_EDITS: dict[str, type] = {
    str(next(f.default for f in dataclasses.fields(t) if f.name == "kind")): t for t in EDIT_TYPES
}


def _tuplify(value: Any) -> Any:
    """JSON has lists where the dataclasses hold tuples."""
    if isinstance(value, list):
        return tuple(_tuplify(v) for v in value)
    return value


def origin_from_json(d: dict[str, Any] | None) -> Origin | None:
    return None if d is None else Origin(**d)


def layer_ref_from_json(d: dict[str, Any] | None) -> LayerRef | None:
    if d is None:
        return None
    written = d.get("written")
    return LayerRef(d["name"], d["class_name"], origin_from_json(d.get("origin")),
                    Written(**written) if written is not None else None)


def detail_from_json(kind: Kind, d: dict[str, Any] | None) -> Detail | None:
    if d is None:
        return None
    cls = faults.detail_type(kind)
    names = {f.name for f in dataclasses.fields(cls)}
    detail: Detail = cls(**{k: _tuplify(v) for k, v in d.items() if k in names})
    return detail


def finding_from_json(d: dict[str, Any]) -> Finding:
    kind = Kind(d["kind"])
    return Finding(
        kind=kind,
        message=d["message"],
        layer=d.get("layer"),
        producer=d.get("producer"),
        expected=d.get("expected"),
        actual=d.get("actual"),
        origin=origin_from_json(d.get("origin")),
        severity=Severity(d.get("severity", "error")),
        detail=detail_from_json(kind, d.get("detail")),
    )


def edit_from_json(d: dict[str, Any]) -> Edit:
    cls = _EDITS[d["kind"]]
    hints = get_type_hints(cls)
    kwargs: dict[str, Any] = {}
    for name, value in d.items():
        hint = str(hints.get(name, ""))
        if "LayerRef" in hint and isinstance(value, dict):
            kwargs[name] = layer_ref_from_json(value)
        elif "LayerSpec" in hint and isinstance(value, dict):
            kwargs[name] = LayerSpec(value["class_name"], tuple((k, _tuplify(v)) for k, v in value["kwargs"]))
        elif "tuple[Origin" in hint or "tuple[kerasfix.types.Origin" in hint:
            kwargs[name] = tuple(origin_from_json(v) for v in value)
        elif "Origin" in hint:
            kwargs[name] = origin_from_json(value)
        else:
            kwargs[name] = _tuplify(value)
    edit: Edit = cls(**kwargs)
    return edit


def compile_args_from_json(d: dict[str, Any] | None) -> CompileArgs | None:
    if d is None:
        return None
    return CompileArgs(
        loss=_tuplify(d.get("loss")),
        optimizer=_tuplify(d.get("optimizer")),
        metrics=tuple(d.get("metrics") or ()),
        from_logits=bool(d.get("from_logits")),
        origin=origin_from_json(d.get("origin")),
    )


def fix_from_json(d: dict[str, Any]) -> Fix:
    return Fix(
        finding=finding_from_json(d["finding"]),
        edits=tuple(edit_from_json(e) for e in d["edits"]),
        summary=d["summary"],
        applicability=Applicability(d["applicability"]),
        verified=bool(d["verified"]),
        steps=tuple(fix_from_json(s) for s in d.get("steps", ())),
        compile_args=compile_args_from_json(d.get("compile_args")),
        loss_after=d.get("loss_after"),
    )


def rejected_from_json(d: dict[str, Any]) -> Rejected:
    return Rejected(Kind(d["kind"]), d["summary"], d["reason"])


def _spec(d: dict[str, Any] | None) -> TensorSpec | None:
    return None if d is None else TensorSpec(_tuplify(d["shape"]), d["dtype"])


def diagnosis_from_json(d: dict[str, Any] | None) -> Diagnosis | None:
    if d is None:
        return None
    rows = []
    for r in d.get("trace", ()):
        ref = layer_ref_from_json(r["layer"])
        assert ref is not None
        rows.append(LayerTrace(
            ref, tuple(TensorSpec(_tuplify(s["shape"]), s["dtype"]) for s in r["inputs"]),
            tuple(TensorSpec(_tuplify(s["shape"]), s["dtype"]) for s in r["outputs"]),
            tuple(r.get("producers", ())), r.get("error"), bool(r.get("custom")),
        ))
    return Diagnosis(
        findings=tuple(finding_from_json(f) for f in d.get("findings", ())),
        trace=tuple(rows),
        input=_spec(d.get("input")),
        output=_spec(d.get("output")),
        failing_layer=d.get("failing_layer"),
        labels=d.get("labels"),
        loss=d.get("loss"),
    )


__all__ = [
    "diagnosis_from_json",
    "edit_from_json",
    "finding_from_json",
    "fix_from_json",
    "rejected_from_json",
]
