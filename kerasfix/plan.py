"""Repair planning: finding → candidate edits → verify on a rebuilt model → ranked fixes."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from kerasfix.applicability import applicability
from kerasfix.diagnosis import Examination, examine
from kerasfix.edits import apply_data_edits, apply_to_structure, compile_loss, encode_labels, positional_index
from kerasfix.findings import RECURRENT, REDUCERS
from kerasfix.labels import analyze_labels
from kerasfix.losses import BINARY_CE, CATEGORICAL_CE, SPARSE_CE, loss_info
from kerasfix.sample import Sample
from kerasfix.structure import LayerEntry, Structure, build_model
from kerasfix.types import (
    CastData,
    CompileArgs,
    Edit,
    EncodeLabels,
    Finding,
    Fix,
    InsertLayer,
    LayerRef,
    LayerSpec,
    MoveLayer,
    Origin,
    RemoveLayerArgument,
    ReshapeData,
    SetCompileArgument,
    SetInputShape,
    SetLayerArgument,
    Severity,
)

MAX_ROUNDS = 5


@dataclass(frozen=True)
class Calls:
    """Where ``compile`` and ``fit`` were called in source (None in the in-code API)."""

    compile: Origin | None = None
    fit: Origin | None = None


@dataclass
class State:
    """A candidate repaired world: structure, loss, data sample and all labels."""

    structure: Structure
    loss: Any
    sample: Sample
    y_full: Any
    full_rows: int | None
    edits: tuple[Edit, ...] = ()

    def apply(self, edits: Sequence[Edit]) -> State:
        structure = apply_to_structure(self.structure, edits)
        base_x, data_edits = self.sample.x, list(edits)
        transpose = ReshapeData("x", "transpose")
        if self.sample.x_columns is not None and any(_same_data_edit(e, transpose) for e in edits):
            # The sample was the first rows of transposed data; the first columns are the real samples.
            base_x = self.sample.x_columns.T
            data_edits = [e for e in edits if not _same_data_edit(e, transpose)]
        x, y = apply_data_edits(data_edits, base_x, self.sample.y)
        y_full = self.y_full
        if y_full is not None and any(isinstance(e, (EncodeLabels, ReshapeData, CastData)) and getattr(e, "which", "y") == "y" for e in edits):
            _, y_full = apply_data_edits([e for e in edits if getattr(e, "which", "y") == "y"], None, y_full)
            # Encode the sample exactly like the full labels, not on its own.
            if any(isinstance(e, EncodeLabels) and e.how == "label_encoder" for e in edits):
                y = _encode_like(self.sample.y, self.y_full)
        return State(
            structure, compile_loss(edits, self.loss), Sample(x, y, _rows(x, self.sample.rows)), y_full, self.full_rows,
            self.edits + tuple(edits),
        )

    def examine(self) -> Examination:
        labels = analyze_labels(self.y_full if self.y_full is not None else self.sample.y, complete=self.y_full is not None)
        return examine(self.structure, self.sample, labels, loss_info(self.loss), full_rows=self.full_rows)


def _rows(x: Any, rows: int) -> int:
    return min(rows, x.shape[0]) if isinstance(x, np.ndarray) and x.ndim else rows


def _same_data_edit(a: Edit, b: ReshapeData) -> bool:
    return isinstance(a, ReshapeData) and (a.which, a.how) == (b.which, b.how)


def _encode_like(y_sample: Any, y_full: Any) -> np.ndarray:
    from sklearn.preprocessing import LabelEncoder

    enc = LabelEncoder().fit(np.asarray(y_full).ravel())
    return np.asarray(enc.transform(np.asarray(y_sample).ravel()))


# ---------------------------------------------------------------------------
# Candidates: what an expert would try for each finding, best first.


def candidates(finding: Finding, ex: Examination, calls: Calls) -> list[tuple[Edit, ...]]:
    """Edit sets to try for ``finding``, in order of preference."""
    make = _CANDIDATES.get(finding.kind)
    return make(finding, ex, calls) if make else []


def _ref(s: Structure, name: str | None) -> LayerEntry | None:
    return s.entry(name) if name else None


def _set(entry: LayerEntry, name: str, value: Any) -> SetLayerArgument:
    return SetLayerArgument(entry.ref, name, value, positional_index(entry.cls, name))


def _data_shape(ex: Examination) -> tuple[int | None, ...] | None:
    x = ex.sample.x
    return tuple(int(d) for d in x.shape[1:]) if isinstance(x, np.ndarray) else None


def _rank_candidates(f: Finding, ex: Examination, calls: Calls) -> list[tuple[Edit, ...]]:
    s = ex.structure
    consumer = _ref(s, f.layer)
    if consumer is None:
        return []
    producer = _ref(s, f.producer)
    row = next((r for r in ex.trace.rows if r.layer.name == consumer.name), None)
    produced = row.inputs[0] if row and row.inputs else None
    if produced is None and ex.trace.failure is not None and ex.trace.failure.inputs:
        produced = ex.trace.failure.inputs[0]
    if produced is None:
        return []
    # Failure findings say "rank [at least] N" about the consumer's input; loss-level
    # findings describe the output, which always has too many axes.
    m = re.fullmatch(r"rank (?:at least |at most )?(\d+)", f.expected or "")
    needed = int(m.group(1)) if m else 0
    wants_more = produced.rank < needed
    out: list[tuple[Edit, ...]] = []
    if wants_more:
        if producer is not None and producer.cls.__name__ in RECURRENT and not producer.get("return_sequences", False):
            out.append((_set(producer, "return_sequences", True),))
        extra = (1,) * (needed - produced.rank)
        if producer is None and s.kind == "sequential":
            if s.input_shape is not None and s.input_ref is not None:
                out.append((SetInputShape(s.input_ref, tuple(s.input_shape) + extra),))
            target = tuple(d for d in produced.shape[1:]) + extra
            if all(d is not None for d in target):
                out.append((InsertLayer(consumer.ref, LayerSpec("Reshape", (("target_shape", target),))),))
        elif all(d is not None for d in produced.shape[1:]):
            target = tuple(produced.shape[1:]) + extra
            out.append((InsertLayer(consumer.ref, LayerSpec("Reshape", (("target_shape", target),))),))
        return out
    # Too many axes: reduce to one vector per sample before the consumer.
    rank = produced.rank
    gap = {3: "GlobalAveragePooling1D", 4: "GlobalAveragePooling2D", 5: "GlobalAveragePooling3D"}.get(rank)
    sequence_like = producer is not None and producer.cls.__name__ in (RECURRENT | {"Embedding", "Conv1D", "MaxPooling1D"})
    order = [gap, "Flatten"] if sequence_like else ["Flatten", gap]
    first = s.layers and s.layers[0].name == consumer.name
    for cls_name in order:
        if cls_name is None:
            continue
        if first and s.input_ref is not None and s.input_ref.name == consumer.name and s.input_shape is not None:
            spec = LayerSpec(cls_name, (("input_shape", tuple(s.input_shape)),))
            out.append((InsertLayer(consumer.ref, spec), RemoveLayerArgument(consumer.ref, "input_shape")))
        else:
            out.append((InsertLayer(consumer.ref, LayerSpec(cls_name)),))
    return out


def _order_candidates(f: Finding, ex: Examination, calls: Calls) -> list[tuple[Edit, ...]]:
    s = ex.structure
    if s.kind != "sequential" or f.layer is None:
        return []
    i = s.index(f.layer)
    out: list[tuple[Edit, ...]] = []
    for j in range(i):
        moving = s.layers[j]
        if moving.cls.__name__ not in REDUCERS:
            continue
        for k in range(i + 1, len(s.layers)):
            out.append((MoveLayer(moving.ref, s.layers[k].ref),))
        out.append((MoveLayer(moving.ref, None),))
    return out


def _input_candidates(f: Finding, ex: Examination, calls: Calls) -> list[tuple[Edit, ...]]:
    s = ex.structure
    x = ex.sample.x
    if len(s.inputs) > 1 and isinstance(x, list) and len(x) == len(s.inputs):
        for (ref, _), arr in zip(s.inputs, x, strict=True):
            if ref.name == f.layer:
                return [(SetInputShape(ref, tuple(int(d) for d in np.shape(arr)[1:])),)]
        return []
    shape = _data_shape(ex)
    target = s.input_ref or (s.layers[0].ref if s.layers else None)
    if shape is None or target is None:
        return []
    return [(SetInputShape(target, shape),)]


def _data_shape_candidates(f: Finding, ex: Examination, calls: Calls) -> list[tuple[Edit, ...]]:
    if "transposed" in f.message:
        return [(ReshapeData("x", "transpose", calls.fit),)]
    return [(ReshapeData("x", "add_batch", calls.fit),)]


def _dtype_candidates(f: Finding, ex: Examination, calls: Calls) -> list[tuple[Edit, ...]]:
    if f.producer == "labels":
        return [(EncodeLabels("label_encoder", calls.fit),)]
    return [(CastData("x", "float32", calls.fit),)]


def _out(ex: Examination, f: Finding) -> LayerEntry | None:
    return _ref(ex.structure, f.layer) or ex.structure.output_entry


def _loss(name: str, calls: Calls) -> SetCompileArgument:
    return SetCompileArgument("loss", name, calls.compile)


def _units_candidates(f: Finding, ex: Examination, calls: Calls) -> list[tuple[Edit, ...]]:
    out_entry, labels = _out(ex, f), ex.labels
    if out_entry is None or labels is None:
        return []
    cands: list[tuple[Edit, ...]] = []
    if labels.encoding in ("one_hot", "multilabel") and labels.width:
        return [(_set(out_entry, "units", labels.width),)]
    if labels.encoding != "sparse" or labels.n_classes is None:
        return []
    n = labels.n_classes
    needed = int(labels.max_label or 0) + 1
    act = out_entry.get("activation")
    if not labels.contiguous_from_zero:
        encode: tuple[Edit, ...] = (EncodeLabels("label_encoder", calls.fit),)
        units = out_entry.get("units")
        cands.append(encode if units == n else encode + (_set(out_entry, "units", n),))
    target = n if labels.contiguous_from_zero else needed
    edits: tuple[Edit, ...] = (_set(out_entry, "units", target),)
    if act in ("sigmoid", "linear", None) and target > 1 and ex.loss.name == SPARSE_CE and not ex.loss.from_logits:
        edits += (_set(out_entry, "activation", "softmax"),)
    cands.append(edits)
    return cands


def _loss_candidates(f: Finding, ex: Examination, calls: Calls) -> list[tuple[Edit, ...]]:
    labels, out_entry = ex.labels, _out(ex, f)
    name = ex.loss.name
    if labels is None or out_entry is None:
        return [(_loss(SPARSE_CE, calls),), (_loss(CATEGORICAL_CE, calls),)]
    act = out_entry.get("activation")
    softmax = () if act == "softmax" else (_set(out_entry, "activation", "softmax"),)
    if name == SPARSE_CE and labels.encoding == "one_hot":
        return [(_loss(CATEGORICAL_CE, calls),), (EncodeLabels("argmax", calls.fit),)]
    if name == CATEGORICAL_CE and labels.encoding == "sparse":
        return [(_loss(SPARSE_CE, calls),), (EncodeLabels("one_hot", calls.fit),)]
    if name == BINARY_CE and labels.encoding == "sparse":
        n = labels.n_classes or 2
        units = out_entry.get("units")
        if n > 2 and units == 1:
            return [(_set(out_entry, "units", n), *softmax, _loss(SPARSE_CE, calls))]
        if n > 2:
            return [(_loss(SPARSE_CE, calls), *softmax)]
        return [(_loss(SPARSE_CE, calls), *softmax), (_set(out_entry, "units", 1), _set(out_entry, "activation", "sigmoid"))]
    if name == BINARY_CE and labels.encoding == "one_hot":
        return [(_loss(CATEGORICAL_CE, calls),)]
    if labels.encoding == "sparse":
        return [(_loss(SPARSE_CE, calls), *softmax)]
    if labels.encoding == "one_hot":
        return [(_loss(CATEGORICAL_CE, calls), *softmax)]
    return []


def _activation_candidates(f: Finding, ex: Examination, calls: Calls) -> list[tuple[Edit, ...]]:
    out_entry = _out(ex, f)
    if out_entry is None:
        return []
    if f.actual == "softmax on 1 unit":
        return [(_set(out_entry, "activation", "sigmoid"),)]
    if f.actual == "from_logits=True":
        return [(_loss(ex.loss.name or SPARSE_CE, calls),), (_set(out_entry, "activation", "linear"),)]
    if f.expected == "sigmoid activation":
        return [(_set(out_entry, "activation", "sigmoid"),)]
    return [(_set(out_entry, "activation", "softmax"),)]


def _spatial_candidates(f: Finding, ex: Examination, calls: Calls) -> list[tuple[Edit, ...]]:
    s = ex.structure
    if f.layer is None or s.entry(f.layer) is None:
        return []
    i = s.index(f.layer)
    spatial = [e for e in s.layers[: i + 1] if e.get("padding") is not None]
    out: list[tuple[Edit, ...]] = []
    consumer = s.layers[i]
    if consumer.get("padding") == "valid":
        out.append((_set(consumer, "padding", "same"),))
    valid = tuple(_set(e, "padding", "same") for e in spatial if e.get("padding") == "valid")
    if valid and valid not in out:
        out.append(valid)
    return out


def _shape_candidates(f: Finding, ex: Examination, calls: Calls) -> list[tuple[Edit, ...]]:
    s = ex.structure
    consumer = _ref(s, f.layer)
    if consumer is None:
        return []
    failure = ex.trace.failure
    if consumer.cls.__name__ == "Reshape" and failure is not None and failure.inputs:
        size = math.prod(d for d in failure.inputs[0].shape[1:] if d is not None)
        target = list(consumer.get("target_shape") or ())
        out: list[tuple[Edit, ...]] = []
        for k in range(len(target)):
            rest = math.prod(d for j, d in enumerate(target) if j != k)
            if rest and size % rest == 0:
                fixed = tuple(size // rest if j == k else d for j, d in enumerate(target))
                out.append((_set(consumer, "target_shape", fixed),))
        return out
    expected = f.expected or ""
    if expected.startswith("last axis") and failure is not None and failure.inputs:
        width = int(expected.split()[-1])
        return [(InsertLayer(consumer.ref, LayerSpec("Dense", (("units", width),))),)]
    return []


_CANDIDATES: dict[str, Callable[[Finding, Examination, Calls], list[tuple[Edit, ...]]]] = {
    "rank_mismatch": _rank_candidates,
    "rank_silent": _rank_candidates,
    "layer_order": _order_candidates,
    "wrong_input_shape": _input_candidates,
    "missing_input_shape": _input_candidates,
    "data_shape_mismatch": _data_shape_candidates,
    "dtype_mismatch": _dtype_candidates,
    "units_mismatch": _units_candidates,
    "loss_label_mismatch": _loss_candidates,
    "activation_loss_mismatch": _activation_candidates,
    "spatial_too_small": _spatial_candidates,
    "shape_mismatch": _shape_candidates,
}


# ---------------------------------------------------------------------------
# Verification and ranking.

def _same(a: Finding, b: Finding) -> bool:
    return a.kind == b.kind and a.layer == b.layer


def _param_count(state: State) -> int:
    try:
        model = build_model(state.structure, state.structure.input_shape or _shape_of(state.sample.x))
        if state.structure.kind == "sequential" and not model.built:
            return 0
        return int(model.count_params())
    except Exception:
        return 0


def _shape_of(x: Any) -> tuple[int | None, ...] | None:
    return tuple(int(d) for d in x.shape[1:]) if isinstance(x, np.ndarray) else None


def train_step(state: State, optimizer: Any = "adam") -> float | None:
    """One real training step on the sample; the loss, or None if it fails or is not finite."""
    import keras

    s = state.structure
    if s.kind == "functional":
        s = replace(s, edited=True)
    shape = s.input_shape if s.input_shape is not None else _shape_of(state.sample.x)
    try:
        model = build_model(s, shape)
        loss = state.loss if state.loss is not None else "mean_squared_error"
        opt = keras.optimizers.get(optimizer) if isinstance(optimizer, str) else optimizer
        model.compile(optimizer=opt, loss=loss, run_eagerly=True)
        x, y = state.sample.x, state.sample.y
        if isinstance(x, np.ndarray):
            x = x[: state.sample.rows]
        if isinstance(y, np.ndarray):
            y = y[: state.sample.rows]
        value = model.train_on_batch(x, y)
    except Exception:  # the candidate does not train: unverified, never our crash
        return None
    value = float(np.asarray(value if not isinstance(value, list) else value[0]))
    return value if math.isfinite(value) else None


@dataclass(frozen=True)
class Step:
    finding: Finding
    edits: tuple[Edit, ...]
    state: State
    exam: Examination


def _try(state: State, edits: tuple[Edit, ...]) -> tuple[State, Examination] | None:
    try:
        new = state.apply(edits)
        return new, new.examine()
    except Exception:  # a candidate that cannot even be applied is simply not a fix
        return None


def _best_step(state: State, ex: Examination, finding: Finding, calls: Calls) -> list[Step]:
    """All accepted candidates for ``finding``, best first."""
    scored: list[tuple[tuple[int, int, int, int], Step]] = []
    for order, edits in enumerate(candidates(finding, ex, calls)):
        result = _try(state, edits)
        if result is None:
            continue
        new, ex2 = result
        if any(_same(finding, g) for g in ex2.findings):
            continue
        errors_before = sum(g.severity == Severity.ERROR for g in ex.findings)
        errors_after = sum(g.severity == Severity.ERROR for g in ex2.findings)
        if errors_after > errors_before or (ex2.trace.failure is not None and ex.trace.failure is None):
            continue
        score = (errors_after, len(ex2.findings), len(edits), order)
        scored.append((score, Step(finding, edits, new, ex2)))
    scored.sort(key=lambda t: t[0])
    return [s for _, s in scored]


def summarize(finding: Finding, edits: Sequence[Edit], ex: Examination) -> str:
    """One line naming the layers and what changes."""
    parts = []
    for e in edits:
        if isinstance(e, InsertLayer):
            prod = finding.producer
            row = next((r for r in ex.trace.rows if r.layer.name == prod), None)
            shape = f" {row.outputs[0]}" if row and row.outputs else ""
            short = finding.expected and re.fullmatch(r"rank (at least |at most )?\d+", finding.expected)
            expects = f" (expects {finding.expected})" if short else ""
            if prod and prod not in ("input", "labels"):
                parts.append(f"insert {e.layer} between {prod}{shape} and {e.before.name}{expects}")
            else:
                parts.append(f"insert {e.layer} before {e.before.name}{expects}")
        else:
            parts.append(e.describe())
    return "; ".join(parts)


def plan(
    state: State, calls: Calls = Calls(), *, optimizer: Any = "adam", alternatives: int = 2,
    exam: Examination | None = None,
) -> list[Fix]:
    """Repair ``state`` step by step until the model trains; return fixes best first.

    ``exam`` is ``state.examine()`` when the caller already has it (it is not cheap on large models).
    """
    ex = exam if exam is not None else state.examine()
    if ex.diagnosis.ok:
        return []
    compile_args = CompileArgs(loss=state.loss if isinstance(state.loss, str) else None,
                               optimizer=optimizer if isinstance(optimizer, str) else "adam", origin=calls.compile)
    steps: list[Step] = []
    first_alternatives: list[Step] = []
    cur_state, cur_ex = state, ex
    for _ in range(MAX_ROUNDS):
        finding = cur_ex.findings[0]
        accepted = _best_step(cur_state, cur_ex, finding, calls)
        if not accepted:
            break
        if not steps:
            first_alternatives = accepted[1: 1 + alternatives]
        step = accepted[0]
        steps.append(step)
        cur_state, cur_ex = step.state, step.exam
        if cur_ex.diagnosis.ok:
            break
    fixes: list[Fix] = []
    if steps:
        done = cur_ex.diagnosis.ok
        loss_after = train_step(cur_state, optimizer) if done and cur_state.sample.y is not None else None
        verified = done and _runs(cur_state, cur_ex, loss_after)
        step_fixes = tuple(
            Fix(s.finding, s.edits, summarize(s.finding, s.edits, ex if i == 0 else steps[i - 1].exam),
                applicability(s.edits, verified), verified, compile_args=compile_args)
            for i, s in enumerate(steps)
        )
        if len(step_fixes) == 1:
            fixes.append(replace(step_fixes[0], loss_after=loss_after))
        else:
            edits = tuple(e for s in steps for e in s.edits)
            summary = f"{len(steps)} fixes: " + "; ".join(f.summary for f in step_fixes)
            fixes.append(Fix(steps[0].finding, edits, summary, applicability(edits, verified), verified,
                             step_fixes, compile_args, loss_after))
        for alt in first_alternatives:
            ok = alt.exam.diagnosis.ok
            alt_loss = train_step(alt.state, optimizer) if ok and alt.state.sample.y is not None else None
            alt_verified = ok and _runs(alt.state, alt.exam, alt_loss)
            fixes.append(Fix(alt.finding, alt.edits, summarize(alt.finding, alt.edits, ex),
                             applicability(alt.edits, alt_verified), alt_verified, compile_args=compile_args,
                             loss_after=alt_loss))
    return fixes


def _runs(state: State, ex: Examination, loss_after: float | None) -> bool:
    """Verified means one finite training step; with no labels (a ``predict`` call), a clean forward pass."""
    if state.sample.y is None:
        return ex.output is not None
    return loss_after is not None


def state_for(model: Any, x: Any, y: Any = None, *, loss: Any = None) -> State:
    """The starting state for the in-code API (nothing is run yet)."""
    from kerasfix.sample import full_labels, take_sample
    from kerasfix.structure import structure_of

    structure = structure_of(model)
    n_inputs = len(structure.model.inputs) if structure.kind == "functional" and structure.model is not None else 1
    sample = take_sample(x, y, n_inputs=n_inputs)
    y_full = full_labels(y) if y is not None else None
    full_rows = int(np.shape(x)[0]) if isinstance(x, np.ndarray) and np.ndim(x) else None
    used_loss = loss if loss is not None else (None if isinstance(model, (list, tuple)) else getattr(model, "loss", None))
    return State(structure, used_loss, sample, y_full, full_rows)


def suggest_fixes(model: Any, x: Any, y: Any = None, *, loss: Any = None, optimizer: Any = "adam") -> list[Fix]:
    """Verified, ranked fixes for ``model`` on ``x``/``y``; empty when the model is fine.

    The first fix is the one to apply: when several faults are present it is the
    combined plan (``fix.steps`` lists each step). ``fix.apply(model)`` returns a
    repaired, compiled copy; ``fix.apply_data(x, y)`` the data it needs.
    """
    if not isinstance(model, (list, tuple)) and getattr(model, "optimizer", None) is not None and optimizer == "adam":
        optimizer = model.optimizer.__class__.__name__.lower()
    return plan(state_for(model, x, y, loss=loss), optimizer=optimizer)


__all__ = ["Calls", "State", "plan", "suggest_fixes", "train_step", "encode_labels", "LayerRef"]
