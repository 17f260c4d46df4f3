"""Finding detectors: name what is wrong, and at which connection.

Two families: ``classify_failure`` turns the first failing layer of a trace into
a finding; the ``check_*`` functions look for the faults Keras lets through
(it trains, but on nonsense), comparing the model's output with the labels and
the loss.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from kerasfix.labels import LabelInfo
from kerasfix.losses import BINARY_CE, CATEGORICAL_CE, SPARSE_CE, LossInfo
from kerasfix.trace import Failure, Trace
from kerasfix.types import Finding, LayerRef, LayerTrace, Origin, Severity, TensorSpec

ERROR, WARNING = Severity.ERROR, Severity.WARNING

_NDIM = re.compile(r"expected (min_|max_)?ndim=(\d+), found ndim=(\d+)")
_AXIS = re.compile(r"expected axis (-?\d+) of input shape to have value (\d+), but received input with shape (\(.*?\))")

#: Layers that reduce a spatial/sequence tensor to one vector per sample.
REDUCERS = {
    "Flatten", "GlobalAveragePooling1D", "GlobalAveragePooling2D", "GlobalAveragePooling3D",
    "GlobalMaxPooling1D", "GlobalMaxPooling2D", "GlobalMaxPooling3D",
}
RECURRENT = {"LSTM", "GRU", "SimpleRNN", "Bidirectional", "RNN"}


@dataclass(frozen=True)
class Context:
    """What the detectors look at besides the trace."""

    labels: LabelInfo | None
    loss: LossInfo
    output_layer: LayerRef | None
    output_activation: str | None
    units: int | None
    y_sample: Any
    output: Any  # the model's output on the sample (numpy), if it ran
    loss_error: str | None  # what the loss raised on (y, output), if anything


def _producer_origin(trace: Trace, name: str) -> Origin | None:
    for row in trace.rows:
        if row.layer.name == name:
            return row.layer.origin
    return None


def classify_failure(failure: Failure, trace: Trace, layer_classes: Sequence[str]) -> Finding:
    """Turn the first failing connection into a finding with expected vs actual."""
    msg = failure.message
    consumer, producer = failure.layer, failure.producer
    actual_spec = failure.inputs[0] if failure.inputs else None
    actual = str(actual_spec) if actual_spec else None
    where = f"{producer} → {consumer.name}" if producer else consumer.name
    origin = consumer.origin

    if failure.stage == "rebuild" and failure.custom:
        return Finding("custom_layer_error", f"custom layer {consumer.name} cannot be re-created: {msg}",
                       consumer.name, producer, None, None, origin, ERROR)
    if "should be tensors. Got 'None'" in msg or "returned None" in msg:
        return Finding(
            "custom_layer_error",
            f"layer {consumer.name} ({consumer.class_name}) returned None instead of a tensor: its call() is missing a `return`",
            consumer.name, producer, "a tensor", "None", origin, ERROR,
        )
    if failure.custom:
        return Finding(
            "custom_layer_error",
            f"custom layer {consumer.name} ({consumer.class_name}) failed on input {actual or '?'} from {producer}: {msg}",
            consumer.name, producer, None, actual, origin, ERROR,
        )
    m = _NDIM.search(msg)
    if m:
        kind_word = {"min_": "at least ", "max_": "at most ", None: ""}[m.group(1)]
        expected_rank, found = int(m.group(2)), int(m.group(3))
        expected = f"rank {kind_word}{expected_rank}"
        idx = failure.index
        if expected_rank > found and any(c in REDUCERS for c in layer_classes[:idx]) and producer != "input":
            flat = next(c for c in layer_classes[:idx] if c in REDUCERS)
            return Finding(
                "layer_order",
                f"{consumer.name} ({consumer.class_name}) expects {expected} input but {producer} passes {actual}: "
                f"the {flat} before it already flattened the data, so the layers are out of order",
                consumer.name, producer, expected, actual, origin, ERROR,
            )
        if producer == "input":
            return Finding(
                "rank_mismatch",
                f"{consumer.name} ({consumer.class_name}) expects {expected} input but the data arrives as {actual}",
                consumer.name, "input", expected, actual, origin, ERROR,
            )
        return Finding(
            "rank_mismatch",
            f"{consumer.name} ({consumer.class_name}) expects {expected} input but {producer} produces {actual}",
            consumer.name, producer, expected, actual, origin, ERROR,
        )
    m = _AXIS.search(msg)
    if m:
        expected = f"last axis {m.group(2)}"
        return Finding(
            "shape_mismatch",
            f"{consumer.name} ({consumer.class_name}) expects {expected} but {producer} produces {actual or m.group(3)}",
            consumer.name, producer, expected, actual or m.group(3), origin, ERROR,
        )
    if "output size would be zero or negative" in msg or "Negative dimension size" in msg:
        return Finding(
            "spatial_too_small",
            f"{consumer.name} ({consumer.class_name}) needs a larger input than the {actual} that {producer} produces "
            "(its output size would be zero or negative)",
            consumer.name, producer, "spatial size ≥ kernel/pool size", actual, origin, ERROR,
        )
    if "must be fully-defined" in msg:
        return Finding(
            "wrong_input_shape",
            f"the declared input shape has an unknown (None) axis that {consumer.name} needs to size its weights",
            consumer.name, "input", "a fully defined shape", actual, origin, ERROR,
        )
    return Finding("shape_mismatch", f"{where}: {msg}", consumer.name, producer, None, actual, origin, ERROR)


# ---------------------------------------------------------------------------
# Silent and loss-level faults.


def expected_output_rank(labels: LabelInfo | None, loss: LossInfo, y: Any) -> int | None:
    """The output rank (batch axis included) the labels and loss call for."""
    if y is None or labels is None:
        return None
    y_rank = np.ndim(y)
    if loss.name == SPARSE_CE:
        return 2 if y_rank <= 2 and labels.encoding in ("sparse", "strings") else y_rank + 1
    return max(y_rank, 2)


def check_rank(trace: Trace, ctx: Context, expected_rank: int | None) -> Finding | None:
    """A Dense applied to a rank-3+ tensor whose output never gets reduced to one vector per sample."""
    if expected_rank is None or trace.output is None or trace.output.rank <= expected_rank:
        return None
    rows = list(trace.rows)
    # Walk back to the earliest layer from which the rank stays above what the labels need.
    start = len(rows)
    for i in range(len(rows) - 1, -1, -1):
        outs = rows[i].outputs
        if outs and outs[0].rank > expected_rank:
            start = i
        else:
            break
    consumer = next((r for r in rows[start:] if r.layer.class_name == "Dense" and r.inputs and r.inputs[0].rank > 2), None)
    if consumer is None:
        consumer = rows[start] if start < len(rows) else None
    if consumer is None:
        return None
    producer = consumer.producers[0] if consumer.producers else "input"
    produced = consumer.inputs[0] if consumer.inputs else None
    crashes = ctx.loss_error is not None
    label_desc = ctx.labels.describe() if ctx.labels else "per-sample labels"
    expected = f"rank {expected_rank} output (one prediction per sample)"
    actual = f"rank {trace.output.rank} output {trace.output}"
    if crashes:
        return Finding(
            "rank_mismatch",
            f"{consumer.layer.name} ({consumer.layer.class_name}) receives {produced} from {producer}, so the model "
            f"outputs {trace.output} but the loss needs {expected} for {label_desc}",
            consumer.layer.name, producer, expected, actual, consumer.layer.origin, ERROR,
        )
    return Finding(
        "rank_silent",
        f"{consumer.layer.name} ({consumer.layer.class_name}) is applied to the rank-{produced.rank if produced else '?'} "
        f"tensor {produced} from {producer}, so the model outputs {trace.output}; the loss broadcasts it against "
        f"{label_desc} and trains on nonsense",
        consumer.layer.name, producer, expected, actual, consumer.layer.origin, WARNING,
    )


def check_labels(ctx: Context) -> list[Finding]:
    """Units, loss and activation against what the labels are.

    Three independent questions, so that several faults are reported at once:
    does the loss fit the label encoding; do the output units fit the number of
    classes; and (only when both do) does the output activation fit the loss.
    """
    labels, loss, units = ctx.labels, ctx.loss, ctx.units
    out_layer = ctx.output_layer
    if labels is None or units is None or out_layer is None or loss.name is None:
        return []
    found: list[Finding] = []

    def add(kind: str, message: str, expected: str | None, actual: str | None, severity: Severity) -> None:
        found.append(Finding(kind, message, out_layer.name, None, expected, actual, out_layer.origin, severity))

    found_loss = _loss_vs_encoding(ctx, add)
    units_fixed_by_loss_fix = loss.name == BINARY_CE and units == 1 and found_loss
    if not units_fixed_by_loss_fix:
        _units_vs_classes(ctx, add)
    if not found:
        _activation_vs_loss(ctx, add)
    return found


_Add = Any  # the ``add`` closure of check_labels


def _loss_vs_encoding(ctx: Context, add: _Add) -> bool:
    labels, loss, units, act = ctx.labels, ctx.loss, ctx.units, ctx.output_activation
    assert labels is not None and units is not None
    enc = labels.encoding
    n = labels.n_classes or 0
    sev_crash = ERROR if ctx.loss_error is not None else WARNING
    if loss.name == SPARSE_CE and enc == "one_hot":
        add("loss_label_mismatch",
            f"the labels are one-hot over {labels.width} classes but the loss is sparse_categorical_crossentropy, "
            "which wants integer class ids", "integer class ids (N,)", f"one-hot labels (N, {labels.width})", ERROR)
    elif loss.name == CATEGORICAL_CE and enc == "sparse" and units > 1:
        add("loss_label_mismatch",
            "the labels are integer class ids but the loss is categorical_crossentropy, which wants one-hot labels",
            f"one-hot labels (N, {units})", f"integer labels {_shape(ctx.y_sample)}", sev_crash)
    elif loss.name == BINARY_CE and enc == "sparse" and n > 2:
        if units == 1:
            add("loss_label_mismatch",
                f"binary_crossentropy on {labels.describe()}: with one sigmoid unit the loss goes negative and "
                "the model learns nothing about the classes",
                f"{n} softmax units with sparse_categorical_crossentropy", "1 unit with binary_crossentropy", WARNING)
        else:
            add("loss_label_mismatch",
                f"binary_crossentropy on {labels.describe()} with {units} outputs: this is a multi-class problem",
                "sparse_categorical_crossentropy", "binary_crossentropy", sev_crash)
    elif loss.name == BINARY_CE and enc == "sparse" and units > 1:
        add("loss_label_mismatch",
            f"binary labels against {units} output units with binary_crossentropy",
            "1 sigmoid unit (or sparse_categorical_crossentropy)", f"{units} units", sev_crash)
    elif loss.name == BINARY_CE and enc == "one_hot" and act == "softmax" and units > 2:
        add("loss_label_mismatch",
            f"binary_crossentropy on one-hot labels over {units} classes with a softmax output: use categorical_crossentropy",
            "categorical_crossentropy", "binary_crossentropy", WARNING)
    elif loss.name in ("mean_squared_error", "mean_absolute_error") and enc == "sparse" and units > 1 and act == "softmax":
        add("loss_label_mismatch",
            f"{loss.name} compares {labels.describe()} of shape {_shape(ctx.y_sample)} with a {units}-way softmax by "
            "broadcasting: this is a classification problem", "sparse_categorical_crossentropy", loss.name, WARNING)
    else:
        return False
    return True


def _units_vs_classes(ctx: Context, add: _Add) -> None:
    labels, loss, units = ctx.labels, ctx.loss, ctx.units
    assert labels is not None and units is not None and ctx.output_layer is not None
    name = ctx.output_layer.name
    enc = labels.encoding
    if enc in ("one_hot", "multilabel") and loss.is_cross_entropy and labels.width and labels.width != units:
        add("units_mismatch", f"{name} has {units} output units but the one-hot labels have {labels.width} columns",
            f"{labels.width} units", f"{units} units", ERROR)
        return
    # Integer class ids meet the output units under the sparse loss (or after the loss is fixed to it).
    if enc != "sparse" or labels.max_label is None or loss.name not in (SPARSE_CE, CATEGORICAL_CE):
        return
    if loss.name == CATEGORICAL_CE and units == 1:
        return
    needed = int(labels.max_label) + 1
    n = labels.n_classes or 0
    if labels.min_label is not None and labels.min_label < 0:
        add("units_mismatch", f"the labels include negative class id {int(labels.min_label)}; class ids must be 0..{units - 1}",
            f"class ids 0..{units - 1}", labels.describe(), ERROR)
    elif needed > units and not labels.contiguous_from_zero and n <= units:
        add("units_mismatch",
            f"{name} has {units} output units but the labels run {int(labels.min_label or 0)}..{needed - 1}: "
            f"class ids must be 0..{units - 1}", f"class ids 0..{units - 1}", labels.describe(), ERROR)
    elif needed > units:
        add("units_mismatch", f"{name} has {units} output units but the labels have {needed} classes (ids up to {needed - 1})",
            f"{needed} units", f"{units} units", ERROR)
    elif units > n and labels.complete and labels.contiguous_from_zero and units > 1:
        add("units_mismatch",
            f"{name} has {units} output units but the labels have only {n} classes: {units - n} outputs are never trained",
            f"{n} units", f"{units} units", WARNING)


def _activation_vs_loss(ctx: Context, add: _Add) -> None:
    labels, loss, units, act = ctx.labels, ctx.loss, ctx.units, ctx.output_activation
    assert labels is not None and units is not None and ctx.output_layer is not None
    name = ctx.output_layer.name
    if act == "softmax" and units == 1:
        add("activation_loss_mismatch", f"{name} applies softmax to a single unit, so it always outputs 1.0",
            "sigmoid on 1 unit", "softmax on 1 unit", WARNING)
    elif loss.from_logits and act in ("softmax", "sigmoid"):
        add("activation_loss_mismatch", f"the loss expects logits (from_logits=True) but {name} already applies {act}",
            "from_logits=False", "from_logits=True", WARNING)
    elif loss.name in (SPARSE_CE, CATEGORICAL_CE) and not loss.from_logits and act == "linear" and units > 1:
        add("activation_loss_mismatch",
            f"{name} outputs raw logits (no activation) but {loss.name} expects probabilities (from_logits=False)",
            "softmax activation", "linear", WARNING)
    elif loss.name in (SPARSE_CE, CATEGORICAL_CE) and act == "sigmoid" and units > 1 and labels.encoding in ("sparse", "one_hot"):
        add("activation_loss_mismatch",
            f"{name} uses sigmoid for a single-label {units}-class problem; {loss.name} expects softmax probabilities",
            "softmax", "sigmoid", WARNING)
    elif loss.name == BINARY_CE and not loss.from_logits and act == "linear" and units == 1:
        add("activation_loss_mismatch",
            f"{name} outputs a raw logit (no activation) but binary_crossentropy expects a probability (from_logits=False)",
            "sigmoid activation", "linear", WARNING)


def _shape(y: Any) -> str:
    return str(TensorSpec(tuple(int(d) for d in np.shape(y)), "")) if y is not None else "?"


def check_loss_error(ctx: Context, already: Sequence[Finding]) -> Finding | None:
    """A loss that raises on (labels, output) that no other detector explained."""
    if ctx.loss_error is None or any(f.severity == ERROR for f in already):
        return None
    name = ctx.output_layer.name if ctx.output_layer else None
    return Finding(
        "loss_label_mismatch", f"the loss fails on the labels and the model output: {ctx.loss_error}",
        name, None, None, None, ctx.output_layer.origin if ctx.output_layer else None, ERROR,
    )


_MERGES = {"Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum"}


def check_merge_broadcast(trace: Trace) -> list[Finding]:
    """``Add``-style merges whose inputs only agree by broadcasting (Keras lets ``(None, 1) + (None, 10)`` through)."""
    found = []
    for row in trace.rows:
        if row.layer.class_name not in _MERGES or len(row.inputs) < 2:
            continue
        # Broadcasting over spatial axes is deliberate (squeeze-and-excitation
        # blocks); a last axis of 1 against a wider one is the silent bug.
        lasts = {spec.shape[-1] for spec in row.inputs if spec.rank}
        if len(lasts) > 1 and 1 in lasts:
            pairs = ", ".join(f"{p} {s}" for p, s in zip(row.producers, row.inputs, strict=False))
            found.append(Finding(
                "shape_mismatch",
                f"{row.layer.name} ({row.layer.class_name}) merges tensors of different shapes ({pairs}); "
                "Keras broadcasts them silently",
                row.layer.name, ",".join(row.producers), "inputs of one shape", pairs, row.layer.origin, WARNING,
            ))
    return found


def rows_by_name(rows: Sequence[LayerTrace]) -> dict[str, LayerTrace]:
    return {r.layer.name: r for r in rows}
