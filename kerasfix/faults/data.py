"""The data family: features and labels that do not fit the model as they arrive.

Real Stack Overflow programs fail as often on the data side as on the model
side (one sample without its batch axis, string labels, a batch axis declared
in ``input_shape``), and the data is usually what the user means: these kinds
are found before the model is traced, and repaired first.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from kerasfix.edits import positional_index
from kerasfix.faults.base import Context, Detector, Entry, Stage, finding
from kerasfix.kinds import Family, Kind
from kerasfix.structure import LayerEntry
from kerasfix.trace import Failure
from kerasfix.types import (
    Applicability,
    Calls,
    CastData,
    Detail,
    Edit,
    EncodeLabels,
    Finding,
    LayerRef,
    ReshapeData,
    SetInputShape,
    SetLayerArgument,
    Severity,
    Shape,
    render_shape,
)

# ---------------------------------------------------------------------------
# dtype_mismatch


@dataclass(frozen=True)
class DtypeDetail(Detail):
    """``which`` data has a dtype Keras refuses: text or Python objects."""

    which: Literal["x", "y"]
    dtype: str
    what: Literal["strings", "objects"]
    #: The features are numbers stored as objects/strings, so a cast repairs them.
    convertible: bool
    #: The columns (of 2-D features) that hold text: to encode or drop, a cast cannot help.
    text_columns: tuple[int, ...] = ()


def _is_text(arr: np.ndarray) -> bool:
    return arr.dtype.kind in "US" or (arr.dtype.kind == "O" and arr.size > 0 and isinstance(arr.flat[0], (str, bytes)))


def _text_columns(x: np.ndarray) -> tuple[int, ...]:
    """The columns of 2-D features whose values do not read as numbers."""
    if x.ndim != 2:
        return ()

    def numeric(v: Any) -> bool:
        try:
            float(v)
        except (TypeError, ValueError):
            return False
        return True

    return tuple(j for j in range(x.shape[1]) if not all(numeric(v) for v in x[:, j]))


def _example(x: np.ndarray, j: int) -> str:
    values = list(dict.fromkeys(str(v) for v in x[:, j]))
    return ", ".join(repr(v) for v in values[:2]) + (", …" if len(values) > 2 else "")


def detect_dtype(ctx: Context, found: Sequence[Finding]) -> list[Finding]:
    out: list[Finding] = []
    x, y, s = ctx.sample.x, ctx.sample.y, ctx.structure
    ref = s.input_ref
    if isinstance(x, np.ndarray) and x.dtype.kind in "OUS":
        try:
            np.asarray(x, dtype=np.float32)
            convertible = True
        except (TypeError, ValueError):
            convertible = False
        what: Literal["strings", "objects"] = "strings" if x.dtype.kind in "US" else "objects"
        words = "strings" if what == "strings" else "Python objects"
        columns = () if convertible else _text_columns(x)
        shown = ", ".join(f"column {j} ({_example(x, j)})" for j in columns[:3]) + (", …" if len(columns) > 3 else "")
        out.append(finding(
            Kind.DTYPE_MISMATCH,
            f"the features are an array of {words} (dtype {x.dtype}); Keras needs numbers"
            + ("" if convertible else " and they do not convert to float")
            + (f": {shown} hold{'s' if len(columns) == 1 else ''} text; encode "
               f"{'it' if len(columns) == 1 else 'them'} (one-hot, e.g. pd.get_dummies) or drop "
               f"{'it' if len(columns) == 1 else 'them'} before training" if columns else ""),
            DtypeDetail("x", str(x.dtype), what, convertible, columns),
            layer=ref.name if ref else None, producer="input", expected="float32", actual=str(x.dtype),
            origin=ctx.call or (ref.origin if ref else None),
        ))
    if isinstance(y, np.ndarray) and _is_text(y):
        out_entry = s.output_entry
        out.append(finding(
            Kind.DTYPE_MISMATCH,
            f"the labels are strings (dtype {y.dtype}); Keras needs numeric class ids",
            DtypeDetail("y", str(y.dtype), "strings", False),
            layer=out_entry.name if out_entry else None, producer="labels", expected="integer class ids",
            actual=str(y.dtype), origin=ctx.call or (out_entry.ref.origin if out_entry else None),
        ))
    return out


def dtype_candidates(f: Finding, ctx: Context, calls: Calls) -> list[tuple[Edit, ...]]:
    assert isinstance(f.detail, DtypeDetail)
    if f.detail.which == "y":
        return [(EncodeLabels("label_encoder", calls.fit),)]
    if f.detail.text_columns:
        return []  # which encoding a text column needs (or whether to drop it) is the user's call
    return [(CastData("x", "float32", calls.fit),)]


DTYPE = Entry(
    Kind.DTYPE_MISMATCH, Family.DATA, DtypeDetail,
    summary="features or labels of a dtype Keras cannot train on (strings, Python objects)",
    explanation=(
        "Keras trains on numbers. String class labels ('cat', 'dog') must become integer ids, and features "
        "read as objects (a CSV column of numbers stored as text, a ragged list) must be cast to float32. "
        "Keras 3 casts int32 and float64 data itself: only text and objects are refused."
    ),
    before='y = np.array(["cat", "dog", "cat"])\nmodel.fit(x, y)',
    after='y = LabelEncoder().fit_transform(y)\nmodel.fit(x, y)',
    fix="encode string labels with LabelEncoder (review: changes the labels); cast numeric features to float32 (safe); "
        "a text column among the features is named, to encode or drop",
    applicability=Applicability.SAFE,
    detectors=(Detector(Stage.DATA, detect_dtype),),
    candidates=dtype_candidates,
)


# ---------------------------------------------------------------------------
# Declared input against the data: shared reading.


def compatible(declared: Shape, data: Shape) -> bool:
    """Would Keras accept data of shape ``data`` for an input declared as ``declared``?"""
    def same(a: Shape, b: Shape) -> bool:
        return len(a) == len(b) and all(d is None or e is None or d == e for d, e in zip(a, b, strict=True))

    if same(declared, data):
        return True
    # Functional._adjust_input_rank adds or drops one trailing axis of size 1.
    if len(declared) == len(data) + 1 and declared[-1] == 1 and same(declared[:-1], data):
        return True
    return len(data) == len(declared) + 1 and data[-1] == 1 and same(declared, data[:-1])


def _multi_input(ctx: Context) -> bool:
    s, x = ctx.structure, ctx.sample.x
    return s.kind == "functional" and len(s.inputs) > 1 and isinstance(x, list) and len(x) == len(s.inputs)


def _one_unbatched_sample(ctx: Context) -> bool:
    """``predict(image)``: one sample without its batch axis reads as ``full_rows`` samples."""
    declared, data = ctx.structure.input_shape, ctx.data_shape
    return (
        declared is not None and data is not None and ctx.sample.y is None and ctx.full_rows is not None
        and not ctx.whole_set and compatible(declared, (ctx.full_rows, *data))
    )


def _transposed(ctx: Context) -> bool:
    """2-D features of (features, samples): each "sample" is as wide as the model's input is samples."""
    declared, data = ctx.structure.input_shape, ctx.data_shape
    return (
        declared is not None and data is not None and not compatible(declared, data)
        and len(data) == 1 and len(declared) == 1 and ctx.sample.y is not None and ctx.full_rows == declared[0]
    )


# ---------------------------------------------------------------------------
# data_shape_mismatch


DataShapeCause = Literal["missing_batch_axis", "transposed", "list_input", "cardinality", "not_like_training",
                         "channels_first", "inputs_order", "label_keys", "dataset_unbatched"]

#: Layers that read images with a channel axis (last, unless ``data_format="channels_first"``).
_IMAGE_LAYERS = frozenset({"Conv2D", "SeparableConv2D", "DepthwiseConv2D", "Conv2DTranspose", "MaxPooling2D",
                           "AveragePooling2D"})


def _channels_first(ctx: Context) -> LayerRef | None:
    """Images laid out (channels, height, width) for a model that reads channels last: the first image layer."""
    data, declared = ctx.data_shape, ctx.structure.input_shape
    if data is None or len(data) != 3 or data[0] not in (1, 3, 4) or not all(d is not None and d > 4 for d in data[1:]):
        return None
    # A declared shape may be either layout: the data's own (as given) or the channels-last one the user meant.
    if declared is not None and not compatible(declared, data) and not compatible(declared, (*data[1:], data[0])):
        return None
    first = next((e for e in ctx.structure.layers if e.cls.__name__ in _IMAGE_LAYERS), None)
    if first is None or (first.get("data_format") or "channels_last") != "channels_last":
        return None
    return first.ref


@dataclass(frozen=True)
class DataShapeDetail(Detail):
    """The data, not the model, is off: one sample without its batch axis, (features, samples), a Python
    list, features and labels of different lengths, or data prepared unlike what the model was trained on."""

    cause: DataShapeCause
    declared: Shape | None
    #: The data's per-sample shape as passed (for a missing batch axis: the whole sample's shape).
    data: Shape | None
    #: ``inputs_order``: the position in the list given each of the model's inputs, in the model's order.
    order: tuple[int, ...] = ()
    #: ``label_keys``: (given, the output's) name for each label the dict keys by another name.
    keys: tuple[tuple[str, str], ...] = ()


def _cardinality(ctx: Context) -> DataShapeCause | None:
    """Features and labels of different lengths: transposed features, or something else (Keras: "ambiguous")."""
    rows, labels, shape = ctx.full_rows, ctx.label_rows, ctx.x_shape
    if rows is None or labels is None or rows == labels:
        return None
    if shape is not None and len(shape) == 2 and shape[1] == labels and ctx.sample.x_columns is not None:
        return "transposed"
    return "cardinality"


def _input_order(ctx: Context) -> tuple[int, ...] | None:
    """The one reordering of a list of inputs that fits the model's declared inputs, when the list as given
    does not (``[meta, images]`` for a model of ``[images, meta]``)."""
    wants = [want for _, want in ctx.structure.inputs]
    gots = [tuple(int(d) for d in np.shape(arr)[1:]) for arr in ctx.sample.x]
    if all(compatible(w, g) for w, g in zip(wants, gots, strict=True)) or len(wants) > 6:
        return None
    fits = [order for order in itertools.permutations(range(len(wants)))
            if all(compatible(w, gots[i]) for w, i in zip(wants, order, strict=True))]
    return fits[0] if len(fits) == 1 else None


def _label_keys(ctx: Context) -> tuple[tuple[str, ...], tuple[str, ...], tuple[tuple[str, str], ...]] | None:
    """Labels given as a dict whose keys are not the model's output names: (the keys, the names, each
    unknown key with the one name it stands for, when every one has exactly one)."""
    y = ctx.sample.y
    if not isinstance(y, dict) or not all(isinstance(k, str) for k in y) or ctx.structure.functional_config is None:
        return None
    # Keras matches a dict of labels to ``model.output_names``: the keys of outputs given as a dict, else the
    # output layers' names.
    outputs = ctx.structure.functional_config.get("output_layers")
    names = tuple(outputs) if isinstance(outputs, dict) else tuple(e.name for e in ctx.structure.output_entries)
    if len(names) < 2:
        return None
    keys = tuple(y)
    unknown, free = [k for k in keys if k not in names], [n for n in names if n not in keys]
    if not unknown:
        return None
    pairs = []
    for key in unknown:
        scores = sorted(((len(os.path.commonprefix([key, n])), n) for n in free), reverse=True)
        best = [n for score, n in scores if score == scores[0][0] and score >= 3] if scores else []
        if len(best) != 1:
            return keys, names, ()
        pairs.append((key, best[0]))
    if len({n for _, n in pairs}) != len(pairs):
        return keys, names, ()
    return keys, names, tuple(pairs)


def detect_data_shape(ctx: Context, found: Sequence[Finding]) -> list[Finding]:
    if ctx.sample.unbatched:
        per_sample = render_shape(tuple(np.shape(ctx.sample.x))[1:]) if isinstance(ctx.sample.x, np.ndarray) else "?"
        return [finding(
            Kind.DATA_SHAPE_MISMATCH,
            f"the tf.data pipeline yields one sample at a time ({per_sample}, one label) and is never batched: "
            "Keras reads each sample as a batch of its rows",
            DataShapeDetail("dataset_unbatched", ctx.structure.input_shape, None), producer="input",
            expected="batches (dataset.batch(n))", actual="single samples", origin=ctx.call,
        )]
    named = _label_keys(ctx)
    if named is not None:
        keys, outputs, pairs = named
        return [finding(
            Kind.DATA_SHAPE_MISMATCH,
            f"the labels are a dict keyed {list(keys)} but the model's outputs are named {list(outputs)}: Keras "
            "matches labels to outputs by name (an unknown key fails as \"Cannot convert '<key>' to EagerTensor\")",
            DataShapeDetail("label_keys", None, None, keys=pairs), producer="labels",
            expected=f"labels keyed {list(outputs)}", actual=f"labels keyed {list(keys)}", origin=ctx.call,
        )]
    if _multi_input(ctx):
        order = _input_order(ctx)
        if order is None:
            return []
        names = [ref.name for ref, _ in ctx.structure.inputs]
        given = ", ".join(names[order.index(i)] for i in range(len(order)))
        return [finding(
            Kind.DATA_SHAPE_MISMATCH,
            f"the inputs are given in another order than the model declares them: the list holds data for "
            f"[{given}], the model takes [{', '.join(names)}]",
            DataShapeDetail("inputs_order", None, None, order), layer=names[0], producer="input",
            expected=f"[{', '.join(names)}]", actual=f"[{given}]", origin=ctx.call,
        )]
    declared, data, ref = ctx.structure.input_shape, ctx.data_shape, ctx.structure.input_ref
    # The data is what is off: the finding is where it was given to the model.
    here = ctx.call or (ref.origin if ref else None)
    where = dict(layer=ref.name if ref else None, producer="input", origin=here)
    if ctx.sample.x_list:
        return [finding(
            Kind.DATA_SHAPE_MISMATCH,
            "the features are a Python list: Keras 3 reads a list as one input per element (and refuses lists of "
            "numbers), not as a batch of samples",
            DataShapeDetail("list_input", declared, data), expected="an array (np.array)", actual="a list",
            **where,  # type: ignore[arg-type]
        )]
    batch = render_shape((None, *declared)) if declared is not None else None
    if declared is not None and data is not None and _one_unbatched_sample(ctx):
        assert ctx.full_rows is not None
        whole = (ctx.full_rows, *data)
        return [finding(
            Kind.DATA_SHAPE_MISMATCH,
            f"one sample of shape {whole} was passed without its batch axis; the model expects a batch of shape {batch}",
            DataShapeDetail("missing_batch_axis", declared, whole), expected=batch, actual=str(whole),
            **where,  # type: ignore[arg-type]
        )]
    if declared is not None and data is not None and _transposed(ctx) or _cardinality(ctx) == "transposed":
        return [finding(
            Kind.DATA_SHAPE_MISMATCH,
            f"the data looks transposed: {data} features per sample, {ctx.full_rows} samples"
            + (f", but {ctx.label_rows} labels" if ctx.label_rows is not None and ctx.label_rows != ctx.full_rows else ""),
            DataShapeDetail("transposed", declared, data), expected=str(declared), actual=str(data),
            **where,  # type: ignore[arg-type]
        )]
    if _cardinality(ctx) == "cardinality":
        return [finding(
            Kind.DATA_SHAPE_MISMATCH,
            f"the features have {ctx.full_rows} samples but the labels {ctx.label_rows}: they no longer belong "
            "together (a reshape, a split or a filter applied to one of them only)",
            DataShapeDetail("cardinality", declared, data), expected=f"{ctx.label_rows} samples",
            actual=f"{ctx.full_rows} samples", **where,  # type: ignore[arg-type]
        )]
    image_layer = _channels_first(ctx)
    if image_layer is not None and data is not None:
        c, h, w = data
        return [finding(
            Kind.DATA_SHAPE_MISMATCH,
            f"the images are channels-first ({c} channel{'s' if c != 1 else ''} of {h}x{w}) but "
            f"{image_layer.describe(here)} reads "
            f"the last axis as channels (data_format='channels_last'): it sees {c}x{h} images with {w} channels",
            DataShapeDetail("channels_first", declared, data), expected=render_shape((None, h, w, c)),
            actual=render_shape((None, c, h, w)), **where,  # type: ignore[arg-type]
        )]
    trained = ctx.trained_shape
    if trained is not None and data is not None and not compatible(trained, data):
        return [finding(
            Kind.DATA_SHAPE_MISMATCH,
            f"each sample here has shape {data} but the model was trained on samples of shape {trained}: this "
            "data is prepared differently from the training data",
            DataShapeDetail("not_like_training", trained, data), expected=render_shape((None, *trained)),
            actual=render_shape((None, *data)), **where,  # type: ignore[arg-type]
        )]
    return []


def data_shape_candidates(f: Finding, ctx: Context, calls: Calls) -> list[tuple[Edit, ...]]:
    assert isinstance(f.detail, DataShapeDetail)
    cause = f.detail.cause
    if cause == "transposed":
        return [(ReshapeData("x", "transpose", calls.fit),)]
    if cause == "missing_batch_axis":
        return [(ReshapeData("x", "add_batch", calls.fit),)]
    if cause == "list_input":
        return [(ReshapeData("x", "to_array", calls.fit),)]
    if cause == "dataset_unbatched":
        return [(ReshapeData("x", "batch_dataset", calls.fit),)]
    if cause == "label_keys" and f.detail.keys:
        return [(ReshapeData("y", "rename_keys", calls.fit, keys=f.detail.keys),)]
    if cause == "inputs_order":
        return [(ReshapeData("x", "reorder", calls.fit, order=f.detail.order),)]
    if cause == "channels_first" and f.detail.data is not None:
        c, h, w = f.detail.data
        move: tuple[Edit, ...] = (ReshapeData("x", "channels_last", calls.fit),)
        ref = ctx.structure.input_ref
        declared = ctx.structure.input_shape
        if declared is not None and ref is not None and not compatible(declared, (h, w, c)):
            move += (SetInputShape(ref, (h, w, c)),)
        return [move]
    return []  # lengths or preparation that differ: which side is right is the user's call


DATA_SHAPE = Entry(
    Kind.DATA_SHAPE_MISMATCH, Family.DATA, DataShapeDetail,
    summary="the data, not the model, has the wrong shape: a sample without its batch axis, transposed features",
    explanation=(
        "Keras reads the first axis of the data as the batch. `model.predict(image)` on a single (28, 28, 1) "
        "image reads it as 28 samples of (28, 1) and fails with a misleading 'negative dimension' error; "
        "features stored as (features, samples) train one sample per feature. The fix goes on the data."
    ),
    before="model.predict(x_test[0])",
    after="model.predict(np.expand_dims(x_test[0], 0))",
    fix="add the batch axis (safe); transpose the data or move its channel axis last (review)",
    applicability=Applicability.SAFE,
    detectors=(Detector(Stage.DATA, detect_data_shape),),
    candidates=data_shape_candidates,
)


# ---------------------------------------------------------------------------
# wrong_input_shape


@dataclass(frozen=True)
class InputShapeDetail(Detail):
    """The declared input disagrees with the data (or cannot size the weights)."""

    cause: Literal["batch_axis_included", "mismatch", "undefined_axis", "not_a_tuple"]
    declared: Shape | None
    data: Shape | None
    #: For a multi-input model: which ``Input``.
    input: str | None = None


def _input_words(ref: LayerRef) -> str:
    """One input of several, as written (``pixels``, ``the Input(shape=(8,))``), else ``input input_2`` by Keras."""
    return ref.describe(ref.origin) if ref.written is not None else f"input {ref.name}"


def detect_input_shape(ctx: Context, found: Sequence[Finding]) -> list[Finding]:
    s, x = ctx.structure, ctx.sample.x
    if _multi_input(ctx) and any(f.kind is Kind.DATA_SHAPE_MISMATCH for f in found):
        return []  # the inputs are given out of order: the declarations are right
    if _multi_input(ctx):
        out = []
        for (ref, want), arr in zip(s.inputs, x, strict=True):
            got = tuple(int(d) for d in np.shape(arr)[1:])
            if not compatible(want, got):
                out.append(finding(
                    Kind.WRONG_INPUT_SHAPE,
                    f"{_input_words(ref)} declares shape {want} but each sample of its data has shape {got}",
                    InputShapeDetail("mismatch", want, got, ref.name),
                    layer=ref.name, producer="input", expected=render_shape((None, *want)),
                    actual=render_shape((None, *got)), origin=ref.origin,
                ))
        return out
    declared, data, declared_by = s.input_shape, ctx.data_shape, s.input_ref
    if s.input_not_tuple and declared is not None and declared_by is not None:
        return [finding(
            Kind.WRONG_INPUT_SHAPE,
            f"input_shape=({declared[0]}) is the number {declared[0]}, not a shape: a one-element tuple needs a comma, "
            f"({declared[0]},)", InputShapeDetail("not_a_tuple", declared, data),
            layer=declared_by.name, producer="input", expected=f"({declared[0]},)", actual=f"({declared[0]})",
            origin=declared_by.origin,
        )]
    if declared is None or data is None or compatible(declared, data):
        return []
    if _one_unbatched_sample(ctx) or _transposed(ctx) or any(f.kind is Kind.DATA_SHAPE_MISMATCH for f in found):
        return []  # the data is off, not the declaration (data_shape_mismatch)
    if ctx.trained_shape is not None and compatible(declared, ctx.trained_shape):
        return []  # the model was trained on data that fits its declaration: this data is the odd one
    rows = ctx.full_rows
    if rows is not None and len(declared) == len(data) + 1 and declared[0] == rows:
        cause: Literal["batch_axis_included", "mismatch"] = "batch_axis_included"
        msg = f"the declared input shape {declared} includes the batch axis ({rows} samples); each sample has shape {data}"
    else:
        cause = "mismatch"
        msg = f"the model declares input shape {declared} but each sample of the data has shape {data}"
    return [finding(
        Kind.WRONG_INPUT_SHAPE, msg, InputShapeDetail(cause, declared, data),
        layer=declared_by.name if declared_by else None, producer="input", expected=render_shape((None, *declared)),
        actual=render_shape((None, *data)), origin=declared_by.origin if declared_by else None,
    )]


def classify_input_shape(failure: Failure, classes: Sequence[str]) -> Finding | None:
    if failure.custom or "must be fully-defined" not in failure.message:
        return None
    consumer = failure.layer
    actual = str(failure.inputs[0]) if failure.inputs else None
    return finding(
        Kind.WRONG_INPUT_SHAPE,
        f"the declared input shape has an unknown (None) axis that {consumer.describe(consumer.origin)} needs to "
        "size its weights",
        InputShapeDetail("undefined_axis", failure.inputs[0].shape[1:] if failure.inputs else None, None),
        layer=consumer.name, producer="input", expected="a fully defined shape", actual=actual,
        origin=consumer.origin,
    )


def input_candidates(f: Finding, ctx: Context, calls: Calls) -> list[tuple[Edit, ...]]:
    """Declare the input the data has (for a multi-input model, on the ``Input`` that disagrees)."""
    s, x = ctx.structure, ctx.sample.x
    if _multi_input(ctx):
        for ref, arr in zip((r for r, _ in s.inputs), x, strict=True):
            if ref.name == f.layer:
                return [(SetInputShape(ref, tuple(int(d) for d in np.shape(arr)[1:])),)]
        return []
    target = s.input_ref or (s.layers[0].ref if s.layers else None)
    if isinstance(f.detail, InputShapeDetail) and f.detail.cause == "not_a_tuple" and f.detail.declared and target:
        return [(SetInputShape(target, f.detail.declared),)]
    if ctx.data_shape is None or target is None:
        return []
    out: list[tuple[Edit, ...]] = [(SetInputShape(target, ctx.data_shape),)]
    declared, data = s.input_shape, ctx.data_shape
    if declared is not None and len(declared) == len(data) == 3 and data[-1] == 1 and declared[-1] == 3 \
            and compatible(declared[:-1], data[:-1]):
        # Gray images for a model built for colour (a pretrained base needs 3 channels): the gray channel
        # three times, when declaring one channel cannot be trained.
        out.append((ReshapeData("x", "to_rgb", calls.fit),))
    return out


WRONG_INPUT = Entry(
    Kind.WRONG_INPUT_SHAPE, Family.DATA, InputShapeDetail,
    summary="the declared input shape disagrees with the data (often `input_shape=X.shape`, batch axis included)",
    explanation=(
        "`input_shape` and `keras.Input(shape=…)` describe one sample, without the batch axis. "
        "`input_shape=X.shape` declares the number of samples as an extra axis: the model then builds for data "
        "it never gets, sometimes with hundreds of millions of parameters, and fails at `fit`."
    ),
    before="layers.Dense(64, input_shape=X_train.shape)",
    after="layers.Dense(64, input_shape=X_train.shape[1:])",
    fix="declare the data's per-sample shape (safe)",
    applicability=Applicability.SAFE,
    classify=classify_input_shape,
    detectors=(Detector(Stage.DATA, detect_input_shape),),
    candidates=input_candidates,
)


# ---------------------------------------------------------------------------
# missing_input_shape


@dataclass(frozen=True)
class MissingInputDetail(Detail):
    """The script used the model (summary, output_shape…) before it knew its input."""

    data: Shape | None
    error: str


def detect_missing_input(ctx: Context, found: Sequence[Finding]) -> list[Finding]:
    s = ctx.structure
    if ctx.usage_error is None or found or s.kind != "sequential" or not s.layers or ctx.data_shape is None:
        return []
    first = s.layers[0].ref
    shape = ctx.data_shape
    return [finding(
        Kind.MISSING_INPUT_SHAPE,
        f"the model has no input shape, so it is not built when the script uses it ({ctx.usage_error})",
        MissingInputDetail(shape, ctx.usage_error),
        layer=first.name, producer="input", expected=f"an input shape such as {shape}", actual="none",
        origin=first.origin,
    )]


#: How Keras says a model was used before it was built (``summary()``, ``output_shape``, ``count_params()``).
_UNBUILT = ("no defined output shape", "isn't built", "has not yet been built", "not yet built", "unbuilt")


def usage_error(message: str, model_built: bool) -> str | None:
    """The script's error, when it is Keras refusing to use a model that is not built yet (else None)."""
    if model_built or not any(k in message for k in _UNBUILT):
        return None
    return message


MISSING_INPUT = Entry(
    Kind.MISSING_INPUT_SHAPE, Family.DATA, MissingInputDetail,
    summary="the model is used (summary, output_shape, weights) before it knows its input shape",
    explanation=(
        "A Sequential model without an `Input` is built at its first `fit`/`predict`. Until then "
        "`model.summary()`, `model.output_shape` or `model.count_params()` fail with 'not built'. Declaring the "
        "input shape builds the model where it is defined."
    ),
    before="model = keras.Sequential([layers.Dense(10)])\nmodel.summary()",
    after="model = keras.Sequential([keras.Input(shape=(8,)), layers.Dense(10)])\nmodel.summary()",
    fix="declare the input shape, taken from the data (safe)",
    applicability=Applicability.SAFE,
    detectors=(Detector(Stage.LATE, detect_missing_input),),
    candidates=input_candidates,
    script_only=True,
)


# ---------------------------------------------------------------------------
# embedding_range


@dataclass(frozen=True)
class EmbeddingRangeDetail(Detail):
    """Token ids the ``Embedding`` that reads the input has no row for."""

    input_dim: int | None
    low: float | None
    high: float | None


def _embeddings_on_input(ctx: Context) -> list[LayerEntry]:
    """The ``Embedding`` layers the model's input feeds directly (the ones that read the data's ids)."""
    s = ctx.structure
    if s.kind == "sequential":
        return [e for e in s.layers[:1] if e.cls.__name__ == "Embedding"]
    if s.kind != "functional" or s.model is None:
        return []
    inputs = [id(t) for t in s.model.inputs]
    out = []
    for e in s.layers:
        if e.cls.__name__ != "Embedding":
            continue
        try:
            fed = id(e.original.input) in inputs
        except (AttributeError, ValueError):  # a layer called more than once has no single input
            fed = False
        if fed:
            out.append(e)
    return out


def _out_of_range(entry: LayerEntry, ctx: Context) -> bool:
    dim, span = entry.get("input_dim"), ctx.x_range
    return isinstance(dim, int) and span is not None and (span[1] >= dim or span[0] < 0)


def detect_embedding_range(ctx: Context, found: Sequence[Finding]) -> list[Finding]:
    if ctx.x_range is None:
        return []
    for entry in _embeddings_on_input(ctx):
        if _out_of_range(entry, ctx):
            return [_embedding_finding(entry, ctx.x_range)]
    return []


def _embedding_finding(entry: LayerEntry, span: tuple[float, float] | None) -> Finding:
    dim = entry.get("input_dim")
    low, high = span if span is not None else (None, None)
    name = entry.ref.describe(entry.ref.origin)
    if low is not None and low < 0:
        what = f"the token ids include {low:g}; an Embedding's rows are numbered 0..{dim - 1}"
    elif high is not None:
        what = (f"{name} has input_dim={dim} (rows for ids 0..{dim - 1}) but the ids go up to {high:g}: "
                f"it needs input_dim={int(high) + 1} (the vocabulary size plus one when 0 is padding)")
    else:
        what = f"{name} gets token ids it has no row for (input_dim={dim})"
    return finding(Kind.EMBEDDING_RANGE, what, EmbeddingRangeDetail(dim, low, high), layer=entry.name,
                   producer="input", expected=f"ids 0..{dim - 1}" if dim else None,
                   actual=f"ids up to {high:g}" if high is not None else None, origin=entry.ref.origin)


def embedding_candidates(f: Finding, ctx: Context, calls: Calls) -> list[tuple[Edit, ...]]:
    """``input_dim`` one past the largest id (never fewer rows than the layer has)."""
    span = ctx.x_range
    if span is None or span[0] < 0:
        return []
    for entry in _embeddings_on_input(ctx):
        dim = entry.get("input_dim")
        if f.layer == entry.name and isinstance(dim, int) and span[1] >= dim:
            value = int(span[1]) + 1
            return [(SetLayerArgument(entry.ref, "input_dim", value, positional_index(entry.cls, "input_dim"),
                                      offset=value - dim),)]
    return []


EMBEDDING_RANGE = Entry(
    Kind.EMBEDDING_RANGE, Family.DATA, EmbeddingRangeDetail,
    summary="token ids past the Embedding's input_dim (the vocabulary size, without the row for padding)",
    explanation=(
        "`Embedding(input_dim, …)` has one row per id 0..input_dim-1. Ids from a tokenizer run 1..len(vocabulary) "
        "with 0 kept for padding, so `input_dim=len(word_index)` is one row short: TensorFlow on CPU fails at the "
        "first batch with the largest id (\"indices[…] = 36 is not in [0, 36)\"); on GPU, and under JAX, the "
        "lookup silently returns zeros or another row. kerasfix reads the ids of the whole array, not the sample."
    ),
    before="layers.Embedding(len(word_index), 16)",
    after="layers.Embedding(len(word_index) + 1, 16)",
    fix="input_dim one past the largest id in the data (review)",
    applicability=Applicability.REVIEW,
    detectors=(Detector(Stage.DATA, detect_embedding_range),),
    candidates=embedding_candidates,
)


# ---------------------------------------------------------------------------
# label_leak


@dataclass(frozen=True)
class LabelLeakDetail(Detail):
    """A feature column that is the labels (a scaled copy): the model reads the answer from its input."""

    column: int
    columns: int | None


def detect_label_leak(ctx: Context, found: Sequence[Finding]) -> list[Finding]:
    k = ctx.label_column
    if k is None:
        return []
    width = ctx.x_shape[-1] if ctx.x_shape is not None else None
    where = "the first" if k == 0 else "the last" if width is not None and k == width - 1 else f"the {k + 1}th"
    return [finding(
        Kind.LABEL_LEAK,
        f"{where} feature column is the labels themselves (a scaled copy, "
        "correlation 1): the model learns to read the answer from its input and cannot be used on data without it",
        LabelLeakDetail(k, width), producer="labels", expected="features without the labels",
        actual=f"feature column {k} = the labels", origin=ctx.call, severity=Severity.WARNING,
    )]


def leak_candidates(f: Finding, ctx: Context, calls: Calls) -> list[tuple[Edit, ...]]:
    """Drop the column where the features are made, when it is the first or the last."""
    assert isinstance(f.detail, LabelLeakDetail)
    width, ref, declared = f.detail.columns, ctx.structure.input_ref, ctx.structure.input_shape
    if f.detail.column == 0:
        drop: tuple[Edit, ...] = (ReshapeData("x", "drop_first_column", calls.fit),)
    elif width is not None and f.detail.column == width - 1:
        drop = (ReshapeData("x", "drop_last_column", calls.fit),)
    else:
        return []
    if width is not None and ref is not None and declared is not None and tuple(declared) == (width,):
        drop += (SetInputShape(ref, (width - 1,)),)  # declared from the data: one feature fewer now
    return [drop]


LABEL_LEAK = Entry(
    Kind.LABEL_LEAK, Family.DATA, LabelLeakDetail,
    summary="a feature column is the labels themselves (the label column left among the features)",
    explanation=(
        "`X = data[:, 0:]` where `data[:, 0]` holds the label, or a DataFrame's target not dropped from the "
        "features: the model reaches perfect accuracy by reading the label, trains without a word, and is useless "
        "on new data, which has no label column. kerasfix looks for a column exactly proportional to the labels."
    ),
    before="y = data[:, 0]\nX = data[:, 0:] / 255.0",
    after="y = data[:, 0]\nX = data[:, 1:] / 255.0",
    fix="drop the column from the features where they are made (review); the declared input follows",
    applicability=Applicability.REVIEW,
    detectors=(Detector(Stage.DATA, detect_label_leak),),
    candidates=leak_candidates,
)


ENTRIES = (DTYPE, DATA_SHAPE, WRONG_INPUT, MISSING_INPUT, EMBEDDING_RANGE, LABEL_LEAK)

__all__ = [
    "DataShapeDetail",
    "DtypeDetail",
    "EmbeddingRangeDetail",
    "LabelLeakDetail",
    "ENTRIES",
    "InputShapeDetail",
    "MissingInputDetail",
    "compatible",
    "usage_error",
]
