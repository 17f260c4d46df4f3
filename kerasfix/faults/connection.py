"""The connection family: layers that do not connect, or connect only by reshaping what they should not.

Crashes are classified from the first failing connection of the trace (Keras's
own message, read here and only here); silent faults are found by comparing the
traced output with what the labels and loss need.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

import numpy as np

from kerasfix.edits import positional_index
from kerasfix.faults.base import Context, Detector, Entry, Stage, finding
from kerasfix.kinds import Family, Kind
from kerasfix.labels import LabelInfo
from kerasfix.losses import SPARSE_CE, LossInfo
from kerasfix.structure import RECURRENT, LayerEntry
from kerasfix.trace import Failure
from kerasfix.types import (
    Applicability,
    Calls,
    Detail,
    Edit,
    Finding,
    FixWeightShape,
    InsertLayer,
    LayerSpec,
    LayerTrace,
    MoveLayer,
    RemoveLayerArgument,
    ReplaceLayerClass,
    ReshapeData,
    ReturnFromCall,
    SetInputShape,
    SetLayerArgument,
    Severity,
    Shape,
    TensorSpec,
)

ERROR, WARNING = Severity.ERROR, Severity.WARNING

#: Keras's own wording for input-spec failures (the only messages read in this family).
_NDIM = re.compile(r"expected (min_|max_)?ndim=(\d+), found ndim=(\d+)")
_AXIS = re.compile(r"expected axis (-?\d+) of input shape to have value (\d+), but received input with shape (\(.*?\))")
_SPATIAL = ("output size would be zero or negative", "Negative dimension size")

#: Layers that reduce a spatial/sequence tensor to one vector per sample.
REDUCERS = frozenset({
    "Flatten", "GlobalAveragePooling1D", "GlobalAveragePooling2D", "GlobalAveragePooling3D",
    "GlobalMaxPooling1D", "GlobalMaxPooling2D", "GlobalMaxPooling3D",
})
_MERGES = frozenset({"Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum"})

Bound = Literal["exact", "min", "max"]
_BOUND_WORDS: dict[Bound, str] = {"exact": "", "min": "at least ", "max": "at most "}


def _set(entry: LayerEntry, name: str, value: Any) -> SetLayerArgument:
    return SetLayerArgument(entry.ref, name, value, positional_index(entry.cls, name))


def _producer_spec(f: Finding, ctx: Context) -> TensorSpec | None:
    """What reached the consumer: its traced input, else the failing call's input."""
    trace = ctx.trace
    if trace is None:
        return None
    row = next((r for r in trace.rows if r.layer.name == f.layer), None)
    if row is not None and row.inputs:
        return row.inputs[0]
    if trace.failure is not None and trace.failure.inputs:
        return trace.failure.inputs[0]
    return None


# ---------------------------------------------------------------------------
# custom_layer_error


@dataclass(frozen=True)
class CustomLayerDetail(Detail):
    """A user's layer failed: it cannot be re-created, returned None, or its call raised."""

    cause: Literal["not_recreatable", "returned_none", "call_failed", "weight_transposed", "weight_batch_axis"]
    error: str


#: TensorFlow's text for a matrix product of mismatched inner axes (read from TensorFlow, never from us).
_MATMUL = re.compile(r"Dimensions must be equal, but are \d+ and \d+ for '\{\{node \w*MatMul\w*\}\}.*?"
                     r"with input shapes: \[(?P<left>[^\]]*)\], \[(?P<right>[^\]]*)\]", re.S)


#: TensorFlow's graph and device text inside an error: nothing a user wrote or can act on.
_TF_NOISE = (re.compile(r"\{\{function_node [^}]*\}\}\s*"), re.compile(r"\s*\[Op:\w+\].*$", re.S),
             re.compile(r" for '\{\{node [^}]*\}\}[^']*'"))


def _readable(message: str) -> str:
    for noise in _TF_NOISE:
        message = noise.sub("", message)
    return message


def _dims(text: str) -> tuple[int | None, ...]:
    return tuple(int(d) if d.strip().lstrip("-").isdigit() else None for d in text.split(","))


def classify_custom(failure: Failure, classes: Sequence[str]) -> Finding | None:
    consumer, producer, msg = failure.layer, failure.producer, failure.message
    actual = str(failure.inputs[0]) if failure.inputs else None
    # Out of capture's sight, the class says which of the user's own classes to look at.
    layer = (consumer.describe(consumer.origin) if consumer.written is not None
             else f"custom layer {consumer.name} ({consumer.class_name})")
    if failure.stage == "rebuild" and failure.custom:
        return finding(Kind.CUSTOM_LAYER_ERROR, f"{layer} cannot be re-created: {msg}",
                       CustomLayerDetail("not_recreatable", msg), layer=consumer.name, producer=producer,
                       origin=consumer.origin)
    if failure.returned_none or "should be tensors. Got 'None'" in msg:
        return finding(
            Kind.CUSTOM_LAYER_ERROR,
            f"{layer} returned None instead of a tensor: its call() is missing a `return`",
            CustomLayerDetail("returned_none", msg), layer=consumer.name, producer=producer,
            expected="a tensor", actual="None", origin=consumer.origin,
        )
    m = _MATMUL.search(msg)
    if failure.custom and m:
        a, b = _dims(m.group("left")), _dims(m.group("right"))
        if len(a) >= 2 and len(b) == 2 and a[-1] == b[1] != b[0]:
            return finding(
                Kind.CUSTOM_LAYER_ERROR,
                f"{layer} multiplies its input {actual or '?'} by a "
                f"weight of shape ({b[0]}, {b[1]}): the input's last axis ({a[-1]}) must be the weight's first; the "
                f"weight was created (units, input_dim) where inputs @ w needs (input_dim, units)",
                CustomLayerDetail("weight_transposed", msg), layer=consumer.name, producer=producer,
                expected=f"a weight of shape ({b[1]}, {b[0]})", actual=f"({b[0]}, {b[1]})", origin=consumer.origin,
            )
    if failure.custom and "must be fully-defined" in msg and failure.inputs and failure.inputs[0].rank >= 2:
        return finding(
            Kind.CUSTOM_LAYER_ERROR,
            f"{layer} sizes a weight from the batch axis of its input "
            f"{actual or '?'} (None until data arrives): input_shape[0] where input_shape[-1], the features, was meant",
            CustomLayerDetail("weight_batch_axis", msg), layer=consumer.name, producer=producer,
            expected="a weight sized from input_shape[-1]", actual=actual, origin=consumer.origin,
        )
    if failure.custom:
        return finding(
            Kind.CUSTOM_LAYER_ERROR,
            f"{layer} failed on input {actual or '?'} from {failure.describe(producer)}: "
            f"{_readable(msg)}",
            CustomLayerDetail("call_failed", msg), layer=consumer.name, producer=producer, actual=actual,
            origin=consumer.origin,
        )
    return None


def is_user_class(entry: LayerEntry) -> bool:
    """A layer class defined by the user (its ``call`` is theirs to change), not one of Keras's."""
    return not entry.cls.__module__.startswith(("keras", "tensorflow", "tf_keras"))


def custom_candidates(f: Finding, ctx: Context, calls: Calls) -> list[tuple[Edit, ...]]:
    """Repairs in the custom layer's own ``build``: its code is the model, so the patched script is the test."""
    assert isinstance(f.detail, CustomLayerDetail)
    entry = ctx.entry(f.layer)
    if entry is None:
        return []
    if f.detail.cause == "weight_transposed":
        return [(FixWeightShape(entry.ref, "swap"),)]
    if f.detail.cause == "weight_batch_axis":
        return [(FixWeightShape(entry.ref, "last_axis"),)]
    if f.detail.cause == "returned_none" and is_user_class(entry):
        return [(ReturnFromCall(entry.ref),)]
    return []


CUSTOM_LAYER = Entry(
    Kind.CUSTOM_LAYER_ERROR, Family.CONNECTION, CustomLayerDetail,
    summary="a custom layer's build/call/compute_output_shape disagree, or its call returns None",
    explanation=(
        "Keras blames the layer *after* a custom layer whose `call` forgets `return`, and reports a custom "
        "layer's own shape bug as a raw TensorFlow message. kerasfix names the custom layer, what reached it "
        "and what it did with it."
    ),
    before="def call(self, inputs):\n    tf.matmul(inputs, self.w)",
    after="def call(self, inputs):\n    return tf.matmul(inputs, self.w)",
    fix="a weight created the wrong way round, or sized from the batch axis, is corrected in the layer's build "
        "(review; checked by running the patched script); other faults are reported with the layer and its input",
    applicability=Applicability.REVIEW,
    classify=classify_custom,
    candidates=custom_candidates,
)


# ---------------------------------------------------------------------------
# layer_order


@dataclass(frozen=True)
class LayerOrderDetail(Detail):
    """A layer needs more axes than reach it because a reducer earlier already flattened them."""

    expected_rank: int
    bound: Bound
    actual_rank: int
    reducer: str


def _ndim(failure: Failure) -> tuple[Bound, int, int] | None:
    m = _NDIM.search(failure.message)
    if not m:
        return None
    bound: Bound = {"min_": "min", "max_": "max", None: "exact"}[m.group(1)]  # type: ignore[assignment]
    return bound, int(m.group(2)), int(m.group(3))


def classify_order(failure: Failure, classes: Sequence[str]) -> Finding | None:
    ndim = _ndim(failure)
    if ndim is None or failure.producer == "input":
        return None
    bound, expected_rank, found = ndim
    reducer = next((c for c in classes[: failure.index] if c in REDUCERS), None)
    if expected_rank <= found or reducer is None:
        return None
    consumer, producer = failure.layer, failure.producer
    actual = str(failure.inputs[0]) if failure.inputs else None
    expected = f"rank {_BOUND_WORDS[bound]}{expected_rank}"
    return finding(
        Kind.LAYER_ORDER,
        f"{consumer.describe(consumer.origin)} expects {expected} input but {failure.describe(producer)} passes "
        f"{actual}: the {reducer} before it already flattened the data, so the layers are out of order",
        LayerOrderDetail(expected_rank, bound, found, reducer),
        layer=consumer.name, producer=producer, expected=expected, actual=actual, origin=consumer.origin,
    )


def order_candidates(f: Finding, ctx: Context, calls: Calls) -> list[tuple[Edit, ...]]:
    """Move an early reducer after the layer that needs the axes (each later place, then the end)."""
    s = ctx.structure
    if s.kind != "sequential" or f.layer is None or s.entry(f.layer) is None:
        return []
    i = s.index(f.layer)
    out: list[tuple[Edit, ...]] = []
    for moving in s.layers[:i]:
        if moving.cls.__name__ not in REDUCERS:
            continue
        for later in s.layers[i + 1:]:
            out.append((MoveLayer(moving.ref, later.ref),))
        out.append((MoveLayer(moving.ref, None),))
    return out


LAYER_ORDER = Entry(
    Kind.LAYER_ORDER, Family.CONNECTION, LayerOrderDetail,
    summary="layers ordered against the data: a Flatten placed before the convolution that needs the image",
    explanation=(
        "A convolution or recurrent layer needs its spatial or time axes. When a `Flatten` or global pooling "
        "comes before it, the axes are gone and the model fails to build. Moving the reducer after the layer "
        "restores the intended order."
    ),
    before="[layers.Flatten(), layers.Conv2D(8, 3), layers.Dense(10)]",
    after="[layers.Conv2D(8, 3), layers.Flatten(), layers.Dense(10)]",
    fix="move the layer (review: changes the model)",
    applicability=Applicability.REVIEW,
    classify=classify_order,
    candidates=order_candidates,
)


# ---------------------------------------------------------------------------
# rank_mismatch and rank_silent


@dataclass(frozen=True)
class RankDetail(Detail):
    """A tensor of the wrong rank.

    ``at="input"``: a layer's input has too few or too many axes (Keras fails to
    build). ``at="output"``: the model's output keeps axes the labels do not have
    (a Dense on a sequence or image, found against the loss).
    """

    at: Literal["input", "output", "merge"]
    expected_rank: int
    bound: Bound
    actual_rank: int
    #: For a merge: the input whose branch has the extra axes.
    branch: int | None = None


_RANK_MERGES = frozenset({"Concatenate", "Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Dot"})


def _classify_merge(failure: Failure) -> Finding | None:
    """A merge of branches of different ranks: the branch that kept its spatial or time axes."""
    consumer, specs = failure.layer, failure.inputs
    if consumer.class_name not in _RANK_MERGES or len(specs) < 2 or len({s.rank for s in specs}) < 2:
        return None
    low = min(s.rank for s in specs)
    branch = max(range(len(specs)), key=lambda i: specs[i].rank)
    names = failure.producers if len(failure.producers) == len(specs) else tuple("?" for _ in specs)
    parts = ", ".join(f"{s} from {failure.describe(p)}" for s, p in zip(specs, names, strict=True))
    return finding(
        Kind.RANK_MISMATCH,
        f"{consumer.describe(consumer.origin)} merges {parts}: the branch from {failure.describe(names[branch])} keeps "
        f"{specs[branch].rank - low} more axes than the others; reduce it to one vector per sample before the merge",
        RankDetail("merge", low, "exact", specs[branch].rank, branch),
        layer=consumer.name, producer=names[branch], expected=f"rank {low} on every input",
        actual=str(specs[branch]), origin=consumer.origin,
    )


def classify_rank(failure: Failure, classes: Sequence[str]) -> Finding | None:
    merged = _classify_merge(failure)
    if merged is not None:
        return merged
    ndim = _ndim(failure)
    if ndim is None and failure.layer.class_name in _AS_2D and failure.inputs and failure.inputs[0].rank == 4:
        ndim = ("exact", 3, 4)  # a 1-D convolution given images fails on its kernel, not on an input spec
    if ndim is None:
        return None
    bound, expected_rank, found = ndim
    consumer, producer = failure.layer, failure.producer
    actual = str(failure.inputs[0]) if failure.inputs else None
    expected = f"rank {_BOUND_WORDS[bound]}{expected_rank}"
    layer = consumer.describe(consumer.origin)
    if producer == "input":
        msg = f"{layer} expects {expected} input but the data arrives as {actual}"
    else:
        msg = f"{layer} expects {expected} input but {failure.describe(producer)} produces {actual}"
    return finding(Kind.RANK_MISMATCH, msg, RankDetail("input", expected_rank, bound, found),
                   layer=consumer.name, producer=producer, expected=expected, actual=actual, origin=consumer.origin)


def expected_output_rank(labels: LabelInfo | None, loss: LossInfo, y: Any) -> int | None:
    """The output rank (batch axis included) the labels and loss call for."""
    if y is None or labels is None:
        return None
    y_rank = np.ndim(y)
    if loss.name == SPARSE_CE:
        return 2 if y_rank <= 2 and labels.encoding in ("sparse", "strings") else y_rank + 1
    return max(y_rank, 2)


@dataclass(frozen=True)
class _Excess:
    consumer: LayerTrace
    producer: str
    produced: TensorSpec | None
    expected_rank: int
    output: TensorSpec


def _excess_rank(ctx: Context) -> _Excess | None:
    """The earliest layer from which the output keeps more axes than the labels need (a Dense if there is one)."""
    trace = ctx.trace
    if trace is None or trace.failure is not None or trace.output is None or ctx.y is None:
        return None
    expected_rank = expected_output_rank(ctx.labels, ctx.loss, ctx.y)
    if ctx.one_value_per_step:
        return None
    if expected_rank is None or trace.output.rank <= expected_rank:
        return None
    rows = list(trace.rows)
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
    return _Excess(consumer, producer, produced, expected_rank, trace.output)


def _rank_output(kind: Kind, ctx: Context) -> list[Finding]:
    excess = _excess_rank(ctx)
    if excess is None or (ctx.loss_error is not None) != (kind is Kind.RANK_MISMATCH):
        return []
    c, out = excess.consumer, excess.output
    label_desc = ctx.labels.describe() if ctx.labels else "per-sample labels"
    expected = f"rank {excess.expected_rank} output (one prediction per sample)"
    actual = f"rank {out.rank} output {out}"
    detail = RankDetail("output", excess.expected_rank, "exact", out.rank)
    where = dict(layer=c.layer.name, producer=excess.producer, expected=expected, actual=actual, origin=c.layer.origin)
    layer, producer = c.layer.describe(c.layer.origin), ctx.describe(excess.producer, c.layer.origin)
    if kind is Kind.RANK_MISMATCH:
        msg = (f"{layer} receives {excess.produced} from {producer}, so the model "
               f"outputs {out} but the loss needs {expected} for {label_desc}")
        return [finding(kind, msg, detail, severity=ERROR, **where)]  # type: ignore[arg-type]
    rank = excess.produced.rank if excess.produced else "?"
    msg = (f"{layer} is applied to the rank-{rank} tensor {excess.produced} from "
           f"{producer}, so the model outputs {out}; the loss broadcasts it against {label_desc} and trains on nonsense")
    return [finding(kind, msg, detail, severity=WARNING, **where)]  # type: ignore[arg-type]


def detect_rank_crash(ctx: Context, found: Sequence[Finding]) -> list[Finding]:
    return _rank_output(Kind.RANK_MISMATCH, ctx)


def detect_rank_silent(ctx: Context, found: Sequence[Finding]) -> list[Finding]:
    return _rank_output(Kind.RANK_SILENT, ctx)


def _broadcast_branch(f: Finding, ctx: Context, producer: LayerEntry | None) -> list[tuple[Edit, ...]]:
    rows = {r.layer.name: r for r in ctx.trace.rows} if ctx.trace is not None else {}
    merge = rows.get(producer.name) if producer is not None and producer.cls.__name__ in _RANK_MERGES else None
    if merge is None or len({s.rank for s in merge.inputs}) < 2 or len(merge.producers) != len(merge.inputs):
        return []
    ranks = [s.rank for s in merge.inputs]
    branch = max(range(len(ranks)), key=lambda i: ranks[i])
    detail = RankDetail("merge", min(ranks), "exact", ranks[branch], branch)
    at_merge = replace(f, layer=merge.layer.name, producer=merge.producers[branch], detail=detail)
    return _branch_candidates(at_merge, detail, ctx)


def _branch_candidates(f: Finding, d: RankDetail, ctx: Context) -> list[tuple[Edit, ...]]:
    """Flatten the branch with extra axes: before the first Dense applied to its feature maps (a tower that
    meant to flatten first), else right before the merge, on that input only."""
    consumer = ctx.entry(f.layer)
    rows = {r.layer.name: r for r in ctx.trace.rows} if ctx.trace is not None else {}
    if consumer is None or d.branch is None:
        return []
    node, first_dense = rows.get(f.producer or ""), None
    seen = 0
    while node is not None and node.inputs and seen < 100:
        if node.inputs[0].rank <= d.expected_rank:
            break
        if node.layer.class_name == "Dense":
            first_dense = node
        node = rows.get(node.producers[0]) if len(node.producers) == 1 else None
        seen += 1
    if first_dense is not None:
        return [(InsertLayer(first_dense.layer, LayerSpec("Flatten")),)]
    return [(InsertLayer(consumer.ref, LayerSpec("Flatten"), d.branch),)]


#: 1-D layers and the 2-D layer with the same arguments.
_AS_2D = {f"{name}1D": f"{name}2D" for name in (
    "Conv", "SeparableConv", "MaxPooling", "AveragePooling", "GlobalAveragePooling",
    "GlobalMaxPooling", "UpSampling", "ZeroPadding", "Cropping", "SpatialDropout")} | {"Conv1DTranspose": "Conv2DTranspose"}


def _channel_on_data(f: Finding, ctx: Context, extra: Shape, calls: Calls) -> list[tuple[Edit, ...]]:
    """The data's missing channel (or feature) axis added to the data, with the declaration that then fits.

    Declaring ``(28, 28, 1)`` alone leaves Keras to add the axis to the data at every call; the user meant
    images with a channel axis, so the axis goes on the array where it is made (issue 14). Only one trailing
    axis and one in-memory array: more axes, or a dataset, is not an axis the data merely lacks.
    """
    s = ctx.structure
    if f.producer != "input" or extra != (1,) or ctx.x_shape is None or not isinstance(ctx.sample.x, np.ndarray):
        return []
    if s.kind == "functional" and len(s.inputs) > 1:
        return []
    add: tuple[Edit, ...] = (ReshapeData("x", "add_channel", calls.fit),)
    if s.input_shape is not None and s.input_ref is not None:
        add += (SetInputShape(s.input_ref, (*s.input_shape, 1)),)
    return [add]


def rank_candidates(f: Finding, ctx: Context, calls: Calls) -> list[tuple[Edit, ...]]:
    """Add the axes a layer needs, or reduce to one vector per sample before the consumer."""
    assert isinstance(f.detail, RankDetail)
    if f.detail.at == "merge":
        return _branch_candidates(f, f.detail, ctx)
    s = ctx.structure
    consumer = ctx.entry(f.layer)
    produced = _producer_spec(f, ctx)
    if consumer is None or produced is None:
        return []
    producer = ctx.entry(f.producer)
    d = f.detail
    out: list[tuple[Edit, ...]] = []
    if d.at == "input" and produced.rank < d.expected_rank:
        # LSTM → Dropout → LSTM: the recurrent layer behind a dropout is the one that dropped the time axis.
        recurrent = ctx.through_same_width(producer) if ctx.structure.kind == "sequential" else producer
        if recurrent is not None and recurrent.cls.__name__ in RECURRENT:
            producer = recurrent
        if producer is not None and producer.cls.__name__ in RECURRENT and not producer.get("return_sequences", False):
            same_call = producer.ref.origin is not None and producer.ref.origin == consumer.ref.origin
            seq = _set(producer, "return_sequences", True)
            # Stacked in a loop (one source line makes them all): all but the last return sequences.
            out.append((replace(seq, except_last=True) if same_call else seq,))
        extra = (1,) * (d.expected_rank - produced.rank)
        target: Shape = (*produced.shape[1:], *extra)
        known = all(dim is not None for dim in target)
        out.extend(_channel_on_data(f, ctx, extra, calls))
        if f.producer == "input" and s.input_shape is not None and s.input_ref is not None:
            out.append((SetInputShape(s.input_ref, (*s.input_shape, *extra)),))  # declare the axis on the input
        if known:
            out.append((InsertLayer(consumer.ref, LayerSpec("Reshape", (("target_shape", target),))),))
        return out
    # Images into a 1-D convolution stack: the user meant the 2-D layers (a reshape to sequences would keep
    # the code and lose the images' geometry).
    if d.at == "input" and produced.rank == 4 and consumer.cls.__name__ in _AS_2D:
        out.append(tuple(ReplaceLayerClass(e.ref, _AS_2D[e.cls.__name__]) for e in s.layers
                         if e.cls.__name__ in _AS_2D))
    # A merge that broadcast a branch with spatial axes against a vector (``Add``): the branch was meant to be
    # reduced before the merge, as when the merge refuses it outright.
    out.extend(_broadcast_branch(f, ctx, producer))
    # Too many axes: a recurrent layer that returns the whole sequence was meant to return its last step;
    # otherwise reduce to one vector per sample before the consumer.
    if producer is not None and producer.cls.__name__ in RECURRENT and producer.get("return_sequences", False):
        out.append((_set(producer, "return_sequences", False),))
    gap = {3: "GlobalAveragePooling1D", 4: "GlobalAveragePooling2D", 5: "GlobalAveragePooling3D"}.get(produced.rank)
    sequence_like = producer is not None and producer.cls.__name__ in (RECURRENT | {"Embedding", "Conv1D", "MaxPooling1D"})
    # Averaging over a single channel leaves one number per sample: keep the information (Flatten).
    order = [gap, "Flatten"] if sequence_like and produced.shape[-1] != 1 else ["Flatten", gap]
    first = bool(s.layers) and s.layers[0].name == consumer.name
    for cls_name in order:
        if cls_name is None:
            continue
        if first and s.input_ref is not None and s.input_ref.name == consumer.name and s.input_shape is not None:
            spec = LayerSpec(cls_name, (("input_shape", tuple(s.input_shape)),))
            out.append((InsertLayer(consumer.ref, spec), RemoveLayerArgument(consumer.ref, "input_shape")))
        else:
            out.append((InsertLayer(consumer.ref, LayerSpec(cls_name)),))
    return out


RANK_MISMATCH = Entry(
    Kind.RANK_MISMATCH, Family.CONNECTION, RankDetail,
    summary="a layer receives a tensor with the wrong number of axes (Dense after Conv, LSTM fed 2-D data)",
    explanation=(
        "Each layer expects a rank: Dense one vector per sample, Conv2D an image with channels, LSTM a sequence. "
        "A missing Flatten leaves the feature maps in front of the classifier; stacked LSTMs need "
        "`return_sequences=True` on all but the last; 2-D data needs a channel or time axis for Conv1D/LSTM."
    ),
    before="[layers.Conv2D(8, 3), layers.MaxPooling2D(), layers.Dense(10)]",
    after="[layers.Conv2D(8, 3), layers.MaxPooling2D(), layers.Flatten(), layers.Dense(10)]",
    fix="insert Flatten/GlobalAveragePooling/Reshape (on the branch, before a merge), set return_sequences, or "
        "add a missing channel axis to the data where it is made, declared to match (safe); make a 1-D "
        "convolution stack given images 2-D (review)",
    applicability=Applicability.SAFE,
    classify=classify_rank,
    detectors=(Detector(Stage.MODEL, detect_rank_crash),),
    candidates=rank_candidates,
)

RANK_SILENT = Entry(
    Kind.RANK_SILENT, Family.CONNECTION, RankDetail,
    summary="Dense applied to a rank-3 tensor with one label per sample: it trains, on nonsense",
    explanation=(
        "Dense acts on the last axis only. After an Embedding or a sequence layer it outputs one prediction per "
        "time step; with one label per sample the loss broadcasts the labels over the steps and trains without "
        "an error, on the wrong problem."
    ),
    before="[layers.Embedding(1000, 16), layers.Dense(1, activation='sigmoid')]",
    after="[layers.Embedding(1000, 16), layers.GlobalAveragePooling1D(), layers.Dense(1, activation='sigmoid')]",
    fix="insert GlobalAveragePooling1D or Flatten before the Dense (safe)",
    applicability=Applicability.SAFE,
    detectors=(Detector(Stage.MODEL, detect_rank_silent),),
    candidates=rank_candidates,
)


# ---------------------------------------------------------------------------
# shape_mismatch


@dataclass(frozen=True)
class ShapeDetail(Detail):
    """Shapes that disagree at one axis or in size (rank is fine)."""

    cause: Literal["last_axis", "reshape_size", "merge_broadcast", "other"]
    #: The width the consumer needs on its last axis (``last_axis``).
    expected_width: int | None = None
    #: Keras's message (``other``, ``reshape_size``).
    error: str | None = None


def classify_shape(failure: Failure, classes: Sequence[str]) -> Finding | None:
    consumer, producer, msg = failure.layer, failure.producer, failure.message
    actual_spec = failure.inputs[0] if failure.inputs else None
    actual = str(actual_spec) if actual_spec else None
    m = _AXIS.search(msg)
    if m:
        expected = f"last axis {m.group(2)}"
        return finding(
            Kind.SHAPE_MISMATCH,
            f"{consumer.describe(consumer.origin)} expects {expected} but {failure.describe(producer)} produces "
            f"{actual or m.group(3)}",
            ShapeDetail("last_axis", int(m.group(2))),
            layer=consumer.name, producer=producer, expected=expected, actual=actual or m.group(3),
            origin=consumer.origin,
        )
    return None


def classify_other(failure: Failure, classes: Sequence[str]) -> Finding:
    """What no entry recognised: Keras's own sentence, at the failing connection."""
    consumer, producer, msg = failure.layer, failure.producer, failure.message
    layer = consumer.describe(consumer.origin)
    where = f"{failure.describe(producer)} → {layer}" if producer else layer
    cause: Literal["reshape_size", "other"] = "reshape_size" if consumer.class_name == "Reshape" else "other"
    actual = str(failure.inputs[0]) if failure.inputs else None
    return finding(Kind.SHAPE_MISMATCH, f"{where}: {msg}", ShapeDetail(cause, None, msg),
                   layer=consumer.name, producer=producer, actual=actual, origin=consumer.origin)


def detect_merge_broadcast(ctx: Context, found: Sequence[Finding]) -> list[Finding]:
    """``Add``-style merges whose inputs only agree by broadcasting (Keras lets ``(None, 1) + (None, 10)`` through)."""
    trace = ctx.trace
    if trace is None or trace.failure is not None:
        return []
    out = []
    for row in trace.rows:
        if row.layer.class_name not in _MERGES or len(row.inputs) < 2:
            continue
        # Broadcasting over spatial axes is deliberate (squeeze-and-excitation
        # blocks); a last axis of 1 against a wider one is the silent bug.
        lasts = {spec.shape[-1] for spec in row.inputs if spec.rank}
        if len(lasts) > 1 and 1 in lasts:
            pairs = ", ".join(f"{p} {s}" for p, s in zip(row.producers, row.inputs, strict=False))
            said = ", ".join(f"{ctx.describe(p, row.layer.origin)} {s}"
                             for p, s in zip(row.producers, row.inputs, strict=False))
            out.append(finding(
                Kind.SHAPE_MISMATCH,
                f"{row.layer.describe(row.layer.origin)} merges tensors of different shapes ({said}); "
                "Keras broadcasts them silently",
                ShapeDetail("merge_broadcast"),
                layer=row.layer.name, producer=",".join(row.producers), expected="inputs of one shape", actual=pairs,
                origin=row.layer.origin, severity=WARNING,
            ))
    return out


def shape_candidates(f: Finding, ctx: Context, calls: Calls) -> list[tuple[Edit, ...]]:
    """Correct a Reshape's target to the size that arrives, or project to the width the consumer needs."""
    assert isinstance(f.detail, ShapeDetail)
    consumer = ctx.entry(f.layer)
    failure = ctx.trace.failure if ctx.trace is not None else None
    if consumer is None or failure is None or not failure.inputs:
        return []
    if f.detail.cause == "reshape_size":
        size = math.prod(d for d in failure.inputs[0].shape[1:] if d is not None)
        target = list(consumer.get("target_shape") or ())
        out: list[tuple[Edit, ...]] = []
        for k in range(len(target)):
            rest = math.prod(d for j, d in enumerate(target) if j != k)
            if rest and size % rest == 0:
                fixed = tuple(size // rest if j == k else d for j, d in enumerate(target))
                out.append((_set(consumer, "target_shape", fixed),))
        return out
    if f.detail.cause == "last_axis" and f.detail.expected_width is not None:
        return [(InsertLayer(consumer.ref, LayerSpec("Dense", (("units", f.detail.expected_width),))),)]
    axis = _concatenation_axis(consumer, failure.inputs)
    if axis is not None:
        return [(_set(consumer, "axis", axis),)]
    return []


def _concatenation_axis(consumer: LayerEntry, inputs: Sequence[TensorSpec]) -> int | None:
    """The one axis a ``Concatenate`` could join its inputs on, when it is not the one it was given: two token
    sequences of 12 and 60 steps with the same features join along time, not features."""
    if consumer.cls.__name__ != "Concatenate" or len(inputs) < 2 or len({i.rank for i in inputs}) != 1:
        return None
    rank = inputs[0].rank
    differ = [k for k in range(1, rank) if len({i.shape[k] for i in inputs}) > 1]
    given = consumer.get("axis", -1)
    if len(differ) != 1 or not isinstance(given, int) or differ[0] == given % rank:
        return None
    return differ[0]


SHAPE_MISMATCH = Entry(
    Kind.SHAPE_MISMATCH, Family.CONNECTION, ShapeDetail,
    summary="shapes that disagree in size: a Reshape of the wrong size, a last axis of another width, a broadcasting merge",
    explanation=(
        "A `Reshape` must keep the number of elements; a layer built for 5 features fails on 6; an `Add` of "
        "(None, 1) and (None, 10) does not fail at all: Keras broadcasts it and the model learns something else."
    ),
    before="layers.Reshape((28, 27, 1))  # after 784 features",
    after="layers.Reshape((28, 28, 1))",
    fix="correct the target shape, or project with Dense (review)",
    applicability=Applicability.REVIEW,
    classify=classify_shape,
    detectors=(Detector(Stage.MODEL, detect_merge_broadcast),),
    candidates=shape_candidates,
)


# ---------------------------------------------------------------------------
# spatial_too_small


@dataclass(frozen=True)
class SpatialDetail(Detail):
    """A kernel or pool larger than the feature map that reaches it."""

    input: Shape | None


def classify_spatial(failure: Failure, classes: Sequence[str]) -> Finding | None:
    if not any(s in failure.message for s in _SPATIAL):
        return None
    consumer, producer = failure.layer, failure.producer
    spec = failure.inputs[0] if failure.inputs else None
    actual = str(spec) if spec else None
    return finding(
        Kind.SPATIAL_TOO_SMALL,
        f"{consumer.describe(consumer.origin)} needs a larger input than the {actual} that "
        f"{failure.describe(producer)} produces "
        "(its output size would be zero or negative)",
        SpatialDetail(spec.shape if spec else None),
        layer=consumer.name, producer=producer, expected="spatial size ≥ kernel/pool size", actual=actual,
        origin=consumer.origin,
    )


def spatial_candidates(f: Finding, ctx: Context, calls: Calls) -> list[tuple[Edit, ...]]:
    """``padding="same"`` on the failing layer, then on every valid-padded layer up to it."""
    s = ctx.structure
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


SPATIAL = Entry(
    Kind.SPATIAL_TOO_SMALL, Family.CONNECTION, SpatialDetail,
    summary="kernels or pools larger than the feature map that reaches them",
    explanation=(
        "Each valid-padded convolution and pooling shrinks the feature map. On small inputs a few of them "
        "leave nothing to convolve, and Keras fails with 'output size would be zero or negative'."
    ),
    before="layers.MaxPooling2D()  # the 4th pooling on an 8x8 input",
    after="layers.MaxPooling2D(padding=\"same\")",
    fix='padding="same" (review: changes the feature maps)',
    applicability=Applicability.REVIEW,
    classify=classify_spatial,
    candidates=spatial_candidates,
)


ENTRIES = (CUSTOM_LAYER, LAYER_ORDER, RANK_MISMATCH, RANK_SILENT, SHAPE_MISMATCH, SPATIAL)

__all__ = [
    "CustomLayerDetail",
    "ENTRIES",
    "LayerOrderDetail",
    "RECURRENT",
    "REDUCERS",
    "RankDetail",
    "ShapeDetail",
    "SpatialDetail",
    "classify_other",
    "expected_output_rank",
]
