"""The labels family: the output layer, the loss and the labels against one another.

Each detector is a pure function of the label analysis (``kerasfix.labels``),
the loss (``kerasfix.losses``) and the output head (units, activation): no
TensorFlow runs here. They are asked in catalogue order, so that several
independent faults are reported at once: does the loss fit the label encoding;
do the output units fit the number of classes; and (only when both do) does the
output activation fit the loss.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from kerasfix.edits import positional_index
from kerasfix.faults.base import Context, Detector, Entry, Stage, finding
from kerasfix.kinds import Family, Kind
from kerasfix.losses import BINARY_CE, CATEGORICAL_CE, SPARSE_CE
from kerasfix.structure import RECURRENT, LayerEntry
from kerasfix.types import (
    AppendLayer,
    Applicability,
    Calls,
    Detail,
    Edit,
    EncodeLabels,
    Finding,
    LayerRef,
    LayerSpec,
    ReplaceMetric,
    ReshapeData,
    SetCompileArgument,
    SetLayerArgument,
    Severity,
    render_shape,
)

ERROR, WARNING = Severity.ERROR, Severity.WARNING
_REGRESSION_LOSSES = ("mean_squared_error", "mean_absolute_error")


def _head(ctx: Context) -> tuple[Any, int] | None:
    """The output layer and its units, when the label detectors can judge them."""
    if ctx.labels is None or ctx.units is None or ctx.output_layer is None or ctx.loss.name is None:
        return None
    return ctx.output_layer, ctx.units


def _label_finding(ctx: Context, kind: Kind, message: str, detail: Detail, expected: str | None,
                   actual: str | None, severity: Severity, at: LayerRef | None = None) -> Finding:
    out = at or ctx.output_layer
    assert out is not None
    return finding(kind, message, detail, layer=out.name, expected=expected, actual=actual, origin=out.origin,
                   severity=severity)


def _shape(y: Any) -> str:
    return render_shape(tuple(int(d) for d in np.shape(y))) if y is not None else "?"


def _set(entry: LayerEntry, name: str, value: Any) -> SetLayerArgument:
    return SetLayerArgument(entry.ref, name, value, positional_index(entry.cls, name))


def _loss(name: str, calls: Calls) -> SetCompileArgument:
    return SetCompileArgument("loss", name, calls.compile)


# ---------------------------------------------------------------------------
# loss_label_mismatch


LossCause = Literal[
    "sparse_on_one_hot", "categorical_on_ids", "bce_on_multiclass_one_unit", "bce_on_multiclass",
    "bce_binary_many_units", "bce_on_one_hot", "regression_on_classes", "loss_fails", "categorical_on_one_unit",
    "sparse_on_one_unit", "bce_two_values_not_01", "bce_on_values",
]


@dataclass(frozen=True)
class LossLabelDetail(Detail):
    """The loss does not fit how the labels are encoded."""

    cause: LossCause
    loss: str | None
    encoding: str | None
    units: int | None
    n_classes: int | None
    #: What the loss raised on (labels, output), for ``loss_fails``.
    error: str | None = None


def detect_loss(ctx: Context, found: Sequence[Finding]) -> list[Finding]:
    head = _head(ctx)
    if head is None or ctx.labels is None:
        return []
    _, units = head
    labels, loss, act = ctx.labels, ctx.loss, ctx.output_activation
    enc, n = labels.encoding, labels.n_classes or 0
    sev_crash = ERROR if ctx.loss_error is not None else WARNING

    def add(cause: LossCause, message: str, expected: str, actual: str, severity: Severity) -> list[Finding]:
        detail = LossLabelDetail(cause, loss.name, enc, units, labels.n_classes)
        return [_label_finding(ctx, Kind.LOSS_LABEL_MISMATCH, message, detail, expected, actual, severity)]

    if loss.name == SPARSE_CE and enc == "one_hot":
        return add("sparse_on_one_hot",
                   f"the labels are one-hot over {labels.width} classes but the loss is sparse_categorical_crossentropy, "
                   "which wants integer class ids", "integer class ids (N,)", f"one-hot labels (N, {labels.width})", ERROR)
    if loss.name == CATEGORICAL_CE and enc == "sparse" and units == 1 and n <= 2 and act != "softmax":
        # Keras normalises the output to sum to 1 over the classes: with one unit that is always 1, log 1 = 0.
        return add("categorical_on_one_unit",
                   f"categorical_crossentropy on one output unit with {labels.describe()}: Keras scales the outputs to "
                   "sum to 1, so a single output is always 1 and the loss always 0: nothing is learned; binary labels "
                   "need binary_crossentropy",
                   "binary_crossentropy", "categorical_crossentropy", WARNING)
    if loss.name == CATEGORICAL_CE and enc == "sparse" and units > 1:
        return add("categorical_on_ids",
                   "the labels are integer class ids but the loss is categorical_crossentropy, which wants one-hot labels",
                   f"one-hot labels (N, {units})", f"integer labels {_shape(ctx.y)}", sev_crash)
    if loss.name == SPARSE_CE and enc == "sparse" and n <= 2 and units == 1 and labels.contiguous_from_zero:
        # One sigmoid unit is the binary model; the loss is the one thing that does not fit it.
        return add("sparse_on_one_unit",
                   f"sparse_categorical_crossentropy on one output unit with {labels.describe()}: it reads the unit as "
                   "the score of class 0 alone, so label 1 is out of range; one unit with binary labels wants "
                   "binary_crossentropy", "binary_crossentropy", "sparse_categorical_crossentropy", sev_crash)
    if loss.name == BINARY_CE and labels.min_label is not None and labels.max_label is not None \
            and (labels.min_label < 0 or labels.max_label > 1):
        if (enc == "sparse" and n == 2) or labels.two_valued:
            lo, hi = labels.min_label, labels.max_label
            return add("bce_two_values_not_01",
                       f"binary_crossentropy on labels that take the two values {lo:g} and {hi:g}: it reads each "
                       "label as the probability of the positive class, which must be 0 or 1 (the loss goes "
                       "negative and the model learns nothing meaningful)", "labels 0 and 1",
                       f"labels {lo:g} and {hi:g}", WARNING)
        if enc == "continuous":
            return add("bce_on_values",
                       f"binary_crossentropy on continuous targets from {labels.min_label:g} to {labels.max_label:g}: "
                       "it reads each target as a probability in [0, 1]; these are values to regress",
                       "a regression loss (mean_squared_error)", "binary_crossentropy", WARNING)
    if loss.name == BINARY_CE and enc == "sparse" and n > 2:
        if units == 1:
            return add("bce_on_multiclass_one_unit",
                       f"binary_crossentropy on {labels.describe()}: with one sigmoid unit the loss goes negative and "
                       "the model learns nothing about the classes",
                       f"{n} softmax units with sparse_categorical_crossentropy", "1 unit with binary_crossentropy", WARNING)
        return add("bce_on_multiclass",
                   f"binary_crossentropy on {labels.describe()} with {units} outputs: this is a multi-class problem",
                   "sparse_categorical_crossentropy", "binary_crossentropy", sev_crash)
    if loss.name == BINARY_CE and enc == "sparse" and units > 1:
        return add("bce_binary_many_units", f"binary labels against {units} output units with binary_crossentropy",
                   "1 sigmoid unit (or sparse_categorical_crossentropy)", f"{units} units", sev_crash)
    if loss.name == BINARY_CE and enc == "one_hot" and act == "softmax" and units > 2:
        return add("bce_on_one_hot",
                   f"binary_crossentropy on one-hot labels over {units} classes with a softmax output: use categorical_crossentropy",
                   "categorical_crossentropy", "binary_crossentropy", WARNING)
    if loss.name in _REGRESSION_LOSSES and enc == "sparse" and units > 1 and act == "softmax":
        return add("regression_on_classes",
                   f"{loss.name} compares {labels.describe()} of shape {_shape(ctx.y)} with a {units}-way softmax by "
                   "broadcasting: this is a classification problem", "sparse_categorical_crossentropy", loss.name, WARNING)
    return []


def detect_loss_error(ctx: Context, found: Sequence[Finding]) -> list[Finding]:
    """A loss that raises on (labels, output) that no other detector explained."""
    if ctx.loss_error is None or any(f.severity == ERROR for f in found):
        return []
    out = ctx.output_layer
    detail = LossLabelDetail("loss_fails", ctx.loss.name, ctx.labels.encoding if ctx.labels else None, ctx.units,
                             ctx.labels.n_classes if ctx.labels else None, ctx.loss_error)
    return [finding(Kind.LOSS_LABEL_MISMATCH, f"the loss fails on the labels and the model output: {ctx.loss_error}",
                    detail, layer=out.name if out else None, origin=out.origin if out else None)]


def loss_candidates(f: Finding, ctx: Context, calls: Calls) -> list[tuple[Edit, ...]]:
    """The loss that fits the labels (or the labels re-encoded for the loss)."""
    labels, out_entry = ctx.labels, ctx.output_entry(f)
    name = ctx.loss.name
    if labels is None or out_entry is None:
        return [(_loss(SPARSE_CE, calls),), (_loss(CATEGORICAL_CE, calls),)]
    act = out_entry.activation
    softmax = () if act == "softmax" else (_set(out_entry, "activation", "softmax"),)
    if name == SPARSE_CE and labels.encoding == "one_hot":
        return [(_loss(CATEGORICAL_CE, calls), *_metrics_for("one_hot", ctx, calls)), (EncodeLabels("argmax", calls.fit),)]
    if isinstance(f.detail, LossLabelDetail) and f.detail.cause == "categorical_on_one_unit":
        sigmoid = () if act == "sigmoid" else (_set(out_entry, "activation", "sigmoid"),)
        return [(_loss(BINARY_CE, calls), *sigmoid)]
    cause = f.detail.cause if isinstance(f.detail, LossLabelDetail) else None
    if cause == "sparse_on_one_unit":
        two_way = (_set(out_entry, "units", 2), *softmax)
        return [(_loss(BINARY_CE, calls),), two_way]
    if cause == "bce_two_values_not_01":
        return [(EncodeLabels("label_encoder", calls.fit),)]
    if cause == "bce_on_values":
        # A head of several has its own loss in a list or dict: not one compile argument to set.
        return [] if ctx.head_of_many else [(_loss("mean_squared_error", calls),)]
    if name == CATEGORICAL_CE and labels.encoding == "sparse":
        return [(_loss(SPARSE_CE, calls), *_metrics_for("sparse", ctx, calls)), (EncodeLabels("one_hot", calls.fit),)]
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


#: Accuracy-style metrics that read one-hot labels, and their counterparts for integer ids.
_ONE_HOT_METRICS = {"categorical_accuracy": "sparse_categorical_accuracy",
                    "top_k_categorical_accuracy": "sparse_top_k_categorical_accuracy",
                    "categorical_crossentropy": "sparse_categorical_crossentropy"}
_ID_METRICS = {v: k for k, v in _ONE_HOT_METRICS.items()}


def _metrics_for(encoding: str, ctx: Context, calls: Calls) -> tuple[Edit, ...]:
    """The metrics that read labels the way ``encoding`` has them (metrics follow the loss)."""
    table = _ONE_HOT_METRICS if encoding == "sparse" else _ID_METRICS
    return tuple(ReplaceMetric(m, table[m], calls.compile) for m in ctx.metrics if m in table)


LOSS_LABEL = Entry(
    Kind.LOSS_LABEL_MISMATCH, Family.LABELS, LossLabelDetail,
    summary="the loss does not fit the labels: categorical CE on integer ids, sparse CE on one-hot, BCE on many classes",
    explanation=(
        "`sparse_categorical_crossentropy` wants integer class ids, `categorical_crossentropy` one-hot rows, "
        "`binary_crossentropy` 0/1 targets. The wrong pairing crashes at the first step, or — BCE on ten classes "
        "with one sigmoid unit, MSE on class ids — trains without an error on a meaningless objective."
    ),
    before='model.compile(loss="categorical_crossentropy")\nmodel.fit(x, y_ids)',
    after='model.compile(loss="sparse_categorical_crossentropy")\nmodel.fit(x, y_ids)',
    fix="the loss that fits the labels, or re-encode the labels (review)",
    applicability=Applicability.REVIEW,
    detectors=(Detector(Stage.MODEL, detect_loss), Detector(Stage.LATE, detect_loss_error)),
    candidates=loss_candidates,
)


# ---------------------------------------------------------------------------
# units_mismatch


UnitsCause = Literal["one_hot_width", "one_indexed", "negative_ids", "not_from_zero", "fewer", "more", "targets", "head_not_called"]


@dataclass(frozen=True)
class UnitsDetail(Detail):
    """The output units against the number of classes."""

    cause: UnitsCause
    units: int
    #: The units the labels call for (None when the ids themselves are off).
    needed: int | None


def detect_units(ctx: Context, found: Sequence[Finding]) -> list[Finding]:
    head = _head(ctx)
    if head is None or ctx.labels is None:
        return []
    out_layer, units = head
    labels, loss = ctx.labels, ctx.loss
    if ctx.one_value_per_step:
        return []
    # BCE with one unit on multi-class ids: the loss fix (n softmax units) covers the units too.
    if loss.name == BINARY_CE and units == 1 and any(f.kind is Kind.LOSS_LABEL_MISMATCH for f in found):
        return []
    if any(isinstance(f.detail, LossLabelDetail) and f.detail.cause == "sparse_on_one_unit" for f in found):
        return []
    sets_units = ctx.units_entry(ctx.entry(out_layer.name))
    at = sets_units.ref if sets_units is not None else out_layer
    name, enc = at.describe(at.origin), labels.encoding

    def add(cause: UnitsCause, needed: int | None, message: str, expected: str, actual: str,
            severity: Severity) -> list[Finding]:
        return [_label_finding(ctx, Kind.UNITS_MISMATCH, message, UnitsDetail(cause, units, needed), expected,
                               actual, severity, at)]

    targets = _targets_per_sample(ctx)
    classes = any(f.kind is Kind.LOSS_LABEL_MISMATCH for f in found)  # the loss is what is wrong: it is a classifier
    if loss.is_regression and targets is not None and targets != units and not classes:
        # Keras's regression losses broadcast (N, 1) against (N, k) and (N, m) against (N,) without a word.
        silent = units == 1 or targets == 1
        skipped = next((e for e in ctx.uncalled if e.cls.__name__ == "Dense" and e.get("units") == targets), None)
        if skipped is not None:
            # The model's own output layer exists and is right: call() never applies it. Resizing the layer
            # that ends the model instead would hide that (a fix in call's code is the user's to write).
            return add("head_not_called", targets,
                       f"{skipped.ref.describe(skipped.ref.origin)} is made but call() never applies it: the model ends at "
                       f"{name}, {units} value{'s' if units > 1 else ''} per sample for {targets} target"
                       f"{'s' if targets > 1 else ''} ({_shape(ctx.y)})",
                       f"the output of {skipped.ref.describe(skipped.ref.origin)}", f"{units} units from {name}",
                       WARNING if silent else ERROR)
        return add("targets", targets,
                   f"{name} predicts {units} value{'s' if units > 1 else ''} per sample but each sample has "
                   f"{targets} target{'s' if targets > 1 else ''} ({_shape(ctx.y)})"
                   + (f": {loss.name} broadcasts one against the other and trains on nonsense" if silent else ""),
                   f"{targets} output unit{'s' if targets > 1 else ''}", f"{units} units", WARNING if silent else ERROR)
    if sets_units is not None and sets_units.cls.__name__ in _FEATURE_ENDS and loss.is_cross_entropy:
        n = labels.width if enc in ("one_hot", "multilabel") else labels.n_classes
        if n and n != units:
            return add("more" if units > n else "fewer", n,
                       f"the model ends at {name} ({units} features per sample) with no output layer: the labels "
                       f"have {n} classes", f"{n} outputs", f"{units} features", ERROR if units < n else WARNING)
    if enc == "one_hot" and loss.is_cross_entropy and labels.unused_first and labels.width == units + 1:
        return add("one_indexed", units,
                   f"the one-hot labels have {labels.width} columns for {units} output units, but column 0 is never "
                   f"used: class ids 1..{units} were one-hot encoded from 1 (to_categorical makes a column for 0)",
                   f"{units} columns", f"{labels.width} columns, the first always 0", ERROR)
    if enc in ("one_hot", "multilabel") and loss.is_cross_entropy and labels.width and labels.width != units:
        return add("one_hot_width", labels.width,
                   f"{name} has {units} output units but the {'one-hot ' if enc == 'one_hot' else ''}labels have {labels.width} columns",
                   f"{labels.width} units", f"{units} units", ERROR)
    # Integer class ids meet the output units under the sparse loss (or after the loss is fixed to it).
    if enc != "sparse" or labels.max_label is None or loss.name not in (SPARSE_CE, CATEGORICAL_CE):
        return []
    if loss.name == CATEGORICAL_CE and units == 1:
        return []
    needed = int(labels.max_label) + 1
    n = labels.n_classes or 0
    if labels.min_label is not None and labels.min_label < 0:
        return add("negative_ids", None,
                   f"the labels include negative class id {int(labels.min_label)}; class ids must be 0..{units - 1}",
                   f"class ids 0..{units - 1}", labels.describe(), ERROR)
    if needed > units and not labels.contiguous_from_zero and n <= units:
        return add("not_from_zero", None,
                   f"{name} has {units} output units but the labels run {int(labels.min_label or 0)}..{needed - 1}: "
                   f"class ids must be 0..{units - 1}", f"class ids 0..{units - 1}", labels.describe(), ERROR)
    if needed > units:
        return add("fewer", needed, f"{name} has {units} output units but the labels have {needed} classes (ids up to {needed - 1})",
                   f"{needed} units", f"{units} units", ERROR)
    if units > n and labels.complete and labels.contiguous_from_zero and units > 1:
        return add("more", n,
                   f"{name} has {units} output units but the labels have only {n} classes: {units - n} outputs are never trained",
                   f"{n} units", f"{units} units", WARNING)
    return []


def _last_state_of(ctx: Context, steps: int) -> LayerEntry | None:
    """The last recurrent layer, when it reads ``steps`` time steps, returns its last state only, and only
    ``Dense`` layers follow it (which would then act per step)."""
    rows = list(ctx.trace.rows) if ctx.trace is not None else []
    for i in range(len(rows) - 1, -1, -1):
        row = rows[i]
        if row.layer.class_name in RECURRENT:
            entry = ctx.entry(row.layer.name)
            after = {r.layer.class_name for r in rows[i + 1:]}
            fits = row.inputs and row.inputs[0].rank == 3 and row.inputs[0].shape[1] == steps
            if entry is not None and fits and after <= {"Dense", "Dropout"} and not entry.get("return_sequences", False):
                return entry
            return None
    return None


def _targets_per_sample(ctx: Context) -> int | None:
    """How many values each sample's target has, when the output is one vector per sample: ``(N,)`` and
    ``(N, 1)`` have one, ``(N, k)`` has k; None for anything else."""
    trace, labels = ctx.trace, ctx.labels
    if trace is None or trace.output is None or trace.output.rank != 2 or labels is None:
        return None
    shape = labels.sample_shape
    if len(shape) > 1:
        return None
    return shape[0] if shape else 1


#: Layers that end a feature extractor: a model ending in one has no output layer of its own.
_FEATURE_ENDS = frozenset({"Flatten", "GlobalAveragePooling1D", "GlobalAveragePooling2D", "GlobalAveragePooling3D",
                           "GlobalMaxPooling1D", "GlobalMaxPooling2D", "GlobalMaxPooling3D"})


def _missing_head(out_entry: LayerEntry, ctx: Context) -> LayerSpec | None:
    """The classifier head a model that ends in its features needs: one unit per class, the loss's activation."""
    labels = ctx.labels
    if out_entry.cls.__name__ not in _FEATURE_ENDS or labels is None or not ctx.loss.is_cross_entropy:
        return None
    one_hot = labels.encoding in ("one_hot", "multilabel")
    n = labels.width if one_hot else labels.n_classes
    if not n:
        return None
    if ctx.loss.name == BINARY_CE or labels.encoding == "multilabel":
        units, activation = (1 if n <= 2 and not one_hot else n), "sigmoid"
    else:
        units, activation = n, "softmax"
    kwargs: tuple[tuple[str, Any], ...] = (("units", units),)
    if not ctx.loss.from_logits:
        kwargs += (("activation", activation),)
    return LayerSpec("Dense", kwargs)


def units_candidates(f: Finding, ctx: Context, calls: Calls) -> list[tuple[Edit, ...]]:
    """Units from the labels' cardinality (after encoding ids that do not start at 0)."""
    out_entry, labels = ctx.output_entry(f), ctx.labels
    if out_entry is None or labels is None:
        return []
    head = _missing_head(out_entry, ctx)
    if head is not None:
        return [(AppendLayer(out_entry.ref, head),)]
    if isinstance(f.detail, UnitsDetail) and f.detail.cause == "head_not_called":
        return []
    if isinstance(f.detail, UnitsDetail) and f.detail.cause == "targets" and f.detail.needed:
        per_step = _last_state_of(ctx, f.detail.needed)
        units = (_set(out_entry, "units", f.detail.needed),)
        # One target per time step of a recurrent layer that returns its last state only: the steps were meant.
        return [(_set(per_step, "return_sequences", True),), units] if per_step is not None else [units]
    if isinstance(f.detail, UnitsDetail) and f.detail.cause == "one_indexed" and labels.width:
        # The labels carry a class no sample has: drop it on the label side (the units were right).
        return [(ReshapeData("y", "drop_first_column", calls.fit),), (_set(out_entry, "units", labels.width),)]
    if labels.encoding in ("one_hot", "multilabel") and labels.width:
        units = (_set(out_entry, "units", labels.width),)
        per_step = _last_state_of(ctx, labels.width) if labels.encoding == "multilabel" else None
        # A 0/1 flag per time step (anomalies, tags) reads as multi-label columns: the steps were meant.
        return [(_set(per_step, "return_sequences", True),), units] if per_step is not None else [units]
    if labels.encoding != "sparse" or labels.n_classes is None:
        return []
    cands: list[tuple[Edit, ...]] = []
    n = labels.n_classes
    needed = int(labels.max_label or 0) + 1
    act = out_entry.activation
    if not labels.contiguous_from_zero:
        encode: tuple[Edit, ...] = (EncodeLabels("label_encoder", calls.fit),)
        units = out_entry.get("units")
        cands.append(encode if units == n else encode + (_set(out_entry, "units", n),))
    target = n if labels.contiguous_from_zero else needed
    edits: tuple[Edit, ...] = (_set(out_entry, "units", target),)
    if act in ("sigmoid", "linear", None) and target > 1 and ctx.loss.name == SPARSE_CE and not ctx.loss.from_logits:
        edits += (_set(out_entry, "activation", "softmax"),)
    cands.append(edits)
    return cands


UNITS = Entry(
    Kind.UNITS_MISMATCH, Family.LABELS, UnitsDetail,
    summary="output units ≠ number of classes (a crash if fewer, silent if more)",
    explanation=(
        "A classifier needs one output per class. With fewer units Keras fails at run time on the first label "
        "out of range (on CPU; a GPU gives NaN); with more, it trains without a word and the extra outputs are "
        "never targeted."
    ),
    before="layers.Dense(10, activation='softmax')  # labels 0..4",
    after="layers.Dense(5, activation='softmax')",
    fix="set units from the labels, on the Dense before a separate Activation; add the missing classifier head; "
        "drop the unused first column of labels one-hot encoded from 1 (review)",
    applicability=Applicability.REVIEW,
    detectors=(Detector(Stage.MODEL, detect_units),),
    candidates=units_candidates,
)


# ---------------------------------------------------------------------------
# output_range

RangeCause = Literal["bounded_regression", "unbounded_probability", "softmax_multilabel"]
#: Output activations and the values they can take.
_BOUNDS: dict[str, tuple[float, float]] = {"sigmoid": (0.0, 1.0), "softmax": (0.0, 1.0), "tanh": (-1.0, 1.0),
                                           "hard_sigmoid": (0.0, 1.0)}
_UNBOUNDED = frozenset({"linear", "relu", "elu", "selu", "gelu", "leaky_relu", "softplus", "swish", "silu", "tanh"})


@dataclass(frozen=True)
class RangeDetail(Detail):
    """The output activation cannot produce what the targets are (or what the loss reads)."""

    cause: RangeCause
    activation: str | None
    low: float | None
    high: float | None


def detect_range(ctx: Context, found: Sequence[Finding]) -> list[Finding]:
    head = _head(ctx)
    if head is None or ctx.labels is None or any(f.kind is Kind.LOSS_LABEL_MISMATCH for f in found):
        return []
    out_layer, units = head
    labels, loss, act = ctx.labels, ctx.loss, ctx.output_activation
    lo, hi = labels.min_label, labels.max_label
    name = out_layer.describe(out_layer.origin)

    def add(cause: RangeCause, message: str, expected: str, actual: str) -> list[Finding]:
        detail = RangeDetail(cause, act, lo, hi)
        return [_label_finding(ctx, Kind.OUTPUT_RANGE, message, detail, expected, actual, WARNING)]

    numeric = labels.encoding == "continuous" or (labels.encoding == "sparse" and (labels.n_classes or 0) > 2)
    if loss.is_regression and numeric and act in _BOUNDS and lo is not None and hi is not None:
        low, high = _BOUNDS[act]
        if lo < low or hi > high or (act == "softmax" and units == 1):
            return add("bounded_regression",
                       f"{name} applies {act}, whose outputs lie in [{low:g}, {high:g}]"
                       + (" (on one unit: always 1.0)" if act == "softmax" and units == 1 else "")
                       + f", but the targets range {lo:g}..{hi:g}: the model can never predict them",
                       "linear output (no activation)", f"{act} output")
    if labels.encoding == "multilabel" and act == "softmax":
        return add("softmax_multilabel",
                   f"{name} applies softmax over {units} outputs, which sum to 1, but the targets have "
                   "several 1s per row (multi-label): each output needs its own sigmoid",
                   "sigmoid (with binary_crossentropy)", "softmax")
    binary_targets = (labels.encoding == "sparse" and lo is not None and lo >= 0 and hi is not None and hi <= 1) \
        or labels.encoding == "multilabel"
    if loss.name == BINARY_CE and not loss.from_logits and binary_targets and act in _UNBOUNDED:
        return add("unbounded_probability",
                   f"{name} applies {act}, whose outputs are not probabilities, but binary_crossentropy "
                   "reads them as probabilities (from_logits=False)", "sigmoid", str(act))
    return []


def range_candidates(f: Finding, ctx: Context, calls: Calls) -> list[tuple[Edit, ...]]:
    assert isinstance(f.detail, RangeDetail)
    out_entry = ctx.output_entry(f)
    if out_entry is None:
        return []
    cause = f.detail.cause
    if cause == "bounded_regression":
        return [(_set(out_entry, "activation", "linear"),)]
    if cause == "softmax_multilabel":
        edits: tuple[Edit, ...] = (_set(out_entry, "activation", "sigmoid"),)
        return [edits if ctx.loss.name == BINARY_CE else (*edits, _loss(BINARY_CE, calls))]
    return [(_set(out_entry, "activation", "sigmoid"),)]


OUTPUT_RANGE = Entry(
    Kind.OUTPUT_RANGE, Family.LABELS, RangeDetail,
    summary="the output activation cannot produce the targets: sigmoid on prices, relu under binary cross-entropy, "
            "softmax over multi-label targets",
    explanation=(
        "A sigmoid output lies in (0, 1): on house prices in the hundreds it can never be right, and the loss "
        "stalls. binary_crossentropy reads the output as a probability: a relu or linear output is not one. "
        "Softmax makes the outputs sum to 1: with several correct labels per row each output needs its own "
        "sigmoid. Keras trains all of these without a word."
    ),
    before="layers.Dense(1, activation='sigmoid')  # targets: prices 50..500, loss='mse'",
    after="layers.Dense(1)  # a linear output for a regression",
    fix="the activation that can produce the targets (review)",
    applicability=Applicability.REVIEW,
    detectors=(Detector(Stage.MODEL, detect_range),),
    candidates=range_candidates,
)


# ---------------------------------------------------------------------------
# activation_loss_mismatch


ActivationCause = Literal[
    "softmax_one_unit", "activation_with_logits", "logits_into_probability_loss", "sigmoid_single_label",
    "logit_into_bce",
]


@dataclass(frozen=True)
class ActivationDetail(Detail):
    """The output activation against the loss."""

    cause: ActivationCause
    activation: str | None
    units: int
    loss: str | None


def detect_activation(ctx: Context, found: Sequence[Finding]) -> list[Finding]:
    head = _head(ctx)
    if head is None or ctx.labels is None:
        return []
    if any(f.kind in (Kind.LOSS_LABEL_MISMATCH, Kind.UNITS_MISMATCH, Kind.OUTPUT_RANGE) for f in found):
        return []  # judged once the loss, units and output range fit
    out_layer, units = head
    labels, loss, act = ctx.labels, ctx.loss, ctx.output_activation
    name = out_layer.describe(out_layer.origin)

    def add(cause: ActivationCause, message: str, expected: str, actual: str) -> list[Finding]:
        detail = ActivationDetail(cause, act, units, loss.name)
        return [_label_finding(ctx, Kind.ACTIVATION_LOSS_MISMATCH, message, detail, expected, actual, WARNING)]

    if act == "softmax" and units == 1:
        return add("softmax_one_unit", f"{name} applies softmax to a single unit, so it always outputs 1.0",
                   "sigmoid on 1 unit", "softmax on 1 unit")
    if loss.from_logits and act in ("softmax", "sigmoid"):
        return add("activation_with_logits",
                   f"the loss expects logits (from_logits=True) but {name} already applies {act}",
                   "from_logits=False", "from_logits=True")
    if loss.name in (SPARSE_CE, CATEGORICAL_CE) and not loss.from_logits and act == "linear" and units > 1:
        return add("logits_into_probability_loss",
                   f"{name} outputs raw logits (no activation) but {loss.name} expects probabilities (from_logits=False)",
                   "softmax activation", "linear")
    if loss.name in (SPARSE_CE, CATEGORICAL_CE) and act == "sigmoid" and units > 1 and labels.encoding in ("sparse", "one_hot"):
        return add("sigmoid_single_label",
                   f"{name} uses sigmoid for a single-label {units}-class problem; {loss.name} expects softmax probabilities",
                   "softmax", "sigmoid")
    if loss.name == BINARY_CE and not loss.from_logits and act == "linear" and units == 1:
        return add("logit_into_bce",
                   f"{name} outputs a raw logit (no activation) but binary_crossentropy expects a probability (from_logits=False)",
                   "sigmoid activation", "linear")
    return []


def activation_candidates(f: Finding, ctx: Context, calls: Calls) -> list[tuple[Edit, ...]]:
    assert isinstance(f.detail, ActivationDetail)
    out_entry = ctx.output_entry(f)
    if out_entry is None:
        return []
    cause = f.detail.cause
    if cause in ("softmax_one_unit", "logit_into_bce"):
        return [(_set(out_entry, "activation", "sigmoid"),)]
    if cause == "activation_with_logits":
        return [(_loss(ctx.loss.name or SPARSE_CE, calls),), (_set(out_entry, "activation", "linear"),)]
    return [(_set(out_entry, "activation", "softmax"),)]


ACTIVATION = Entry(
    Kind.ACTIVATION_LOSS_MISMATCH, Family.LABELS, ActivationDetail,
    summary="the output activation does not fit the loss: softmax on one unit, logits into a probability loss",
    explanation=(
        "Softmax over a single unit always outputs 1.0, so the model cannot learn; a loss built with "
        "`from_logits=True` after a softmax squashes twice; raw logits into a probability loss train badly. "
        "Keras warns about none of these."
    ),
    before="layers.Dense(1, activation='softmax')  # binary labels",
    after="layers.Dense(1, activation='sigmoid')",
    fix="fix the activation or the loss (review)",
    applicability=Applicability.REVIEW,
    detectors=(Detector(Stage.MODEL, detect_activation),),
    candidates=activation_candidates,
)


# ---------------------------------------------------------------------------
# metric_mismatch


@dataclass(frozen=True)
class MetricDetail(Detail):
    """A metric that reads the labels in another encoding than they have (it reports nonsense)."""

    metric: str
    encoding: str


def detect_metric(ctx: Context, found: Sequence[Finding]) -> list[Finding]:
    labels = ctx.labels
    if labels is None or ctx.output_layer is None or labels.encoding not in ("sparse", "one_hot"):
        return []
    if any(f.kind is Kind.LOSS_LABEL_MISMATCH for f in found):
        return []  # the loss fix brings its metrics along
    wrong = _ONE_HOT_METRICS if labels.encoding == "sparse" else _ID_METRICS
    what = "integer class ids" if labels.encoding == "sparse" else "one-hot labels"
    return [
        _label_finding(ctx, Kind.METRIC_MISMATCH,
                       f"the metric {m} reads the labels as {'one-hot' if labels.encoding == 'sparse' else 'integer ids'}"
                       f" but they are {what}: it reports nonsense (training itself is unaffected)",
                       MetricDetail(m, labels.encoding), wrong[m], m, WARNING)
        for m in ctx.metrics if m in wrong
    ]


def metric_candidates(f: Finding, ctx: Context, calls: Calls) -> list[tuple[Edit, ...]]:
    assert isinstance(f.detail, MetricDetail)
    table = _ONE_HOT_METRICS if f.detail.encoding == "sparse" else _ID_METRICS
    return [(ReplaceMetric(f.detail.metric, table[f.detail.metric], calls.compile),)]


METRIC = Entry(
    Kind.METRIC_MISMATCH, Family.LABELS, MetricDetail,
    summary="a metric that reads the labels in another encoding: categorical_accuracy on integer class ids",
    explanation=(
        "`categorical_accuracy` compares the argmax of one-hot labels with the argmax of the output; on integer "
        "class ids it compares nonsense and reports ~1/k while the model may be nearly perfect. Switching the loss "
        "to the sparse one and leaving the metric behind does exactly this."
    ),
    before='model.compile(loss="sparse_categorical_crossentropy", metrics=["categorical_accuracy"])',
    after='model.compile(loss="sparse_categorical_crossentropy", metrics=["sparse_categorical_accuracy"])',
    fix="the metric for the labels' encoding (safe: training is unchanged)",
    applicability=Applicability.SAFE,
    detectors=(Detector(Stage.MODEL, detect_metric),),
    candidates=metric_candidates,
)


ENTRIES = (LOSS_LABEL, UNITS, OUTPUT_RANGE, ACTIVATION, METRIC)

__all__ = ["ActivationDetail", "ENTRIES", "LossLabelDetail", "MetricDetail", "RangeDetail", "UnitsDetail"]
