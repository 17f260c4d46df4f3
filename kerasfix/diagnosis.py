"""``diagnose``: run the model on a sample and list what is wrong, connection by connection."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from kerasfix import findings as F
from kerasfix.labels import LabelInfo
from kerasfix.losses import LossInfo
from kerasfix.sample import Sample
from kerasfix.structure import Structure
from kerasfix.trace import Trace, Walk, clean_message, forward, walk
from kerasfix.types import Finding, LayerTrace, Severity, TensorSpec

#: Refuse to build a model whose first layers would need more parameters than this
#: (``input_shape=X.shape`` can ask for hundreds of millions).
MAX_INPUT_ELEMENTS = 20_000_000

#: Rows run forward and through the loss: enough to expose shape and label faults,
#: few enough that a 600x600 EfficientNet costs seconds, not minutes.
FORWARD_ROWS = 8


@dataclass(frozen=True)
class Diagnosis:
    """What ``diagnose`` found: the per-layer trace and the findings, most important first."""

    findings: tuple[Finding, ...]
    trace: tuple[LayerTrace, ...]
    input: TensorSpec | None = None
    output: TensorSpec | None = None
    failing_layer: str | None = None
    labels: str | None = None
    loss: str | None = None

    @property
    def ok(self) -> bool:
        """True when nothing at all was found."""
        return not self.findings

    def __str__(self) -> str:
        from kerasfix.report import render_diagnosis

        return render_diagnosis(self)


@dataclass
class Examination:
    """A diagnosis with the live objects the planner reuses (model, sample, structure)."""

    diagnosis: Diagnosis
    structure: Structure
    sample: Sample
    labels: LabelInfo | None
    loss: LossInfo
    trace: Trace
    data_shape: tuple[int | None, ...] | None
    model: Any = None
    output: Any = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def findings(self) -> tuple[Finding, ...]:
        return self.diagnosis.findings


def _feature_shape(x: Any) -> tuple[int | None, ...] | None:
    if isinstance(x, np.ndarray):
        return tuple(int(d) for d in x.shape[1:])
    return None


def _compatible(declared: tuple[int | None, ...], data: tuple[int | None, ...]) -> bool:
    """Would Keras accept data of shape ``data`` for an input declared as ``declared``?"""
    def same(a: tuple[int | None, ...], b: tuple[int | None, ...]) -> bool:
        return len(a) == len(b) and all(d is None or e is None or d == e for d, e in zip(a, b, strict=True))

    if same(declared, data):
        return True
    # Functional._adjust_input_rank adds or drops one trailing axis of size 1.
    if len(declared) == len(data) + 1 and declared[-1] == 1 and same(declared[:-1], data):
        return True
    return len(data) == len(declared) + 1 and data[-1] == 1 and same(declared, data[:-1])


def _check_data(structure: Structure, sample: Sample, full_rows: int | None) -> tuple[list[Finding], tuple[int | None, ...] | None]:
    """Dtype and shape of the data against the model; returns findings and the shape to trace with."""
    found: list[Finding] = []
    x = sample.x
    data_shape = _feature_shape(x)
    ref = structure.input_ref
    if isinstance(x, np.ndarray) and x.dtype.kind in "OUS":
        try:
            np.asarray(x, dtype=np.float32)
            convertible = True
        except (TypeError, ValueError):
            convertible = False
        what = "strings" if x.dtype.kind in "US" else "Python objects"
        found.append(Finding(
            "dtype_mismatch",
            f"the features are an array of {what} (dtype {x.dtype}); Keras needs numbers"
            + ("" if convertible else " and they do not convert to float"),
            ref.name if ref else None, "input", "float32", str(x.dtype), ref.origin if ref else None, Severity.ERROR,
        ))
    y = sample.y
    if isinstance(y, np.ndarray) and (y.dtype.kind in "US" or (y.dtype.kind == "O" and y.size and isinstance(y.flat[0], (str, bytes)))):
        out = structure.output_entry
        found.append(Finding(
            "dtype_mismatch",
            f"the labels are strings (dtype {y.dtype}); Keras needs numeric class ids",
            out.name if out else None, "labels", "integer class ids", str(y.dtype),
            out.ref.origin if out else None, Severity.ERROR,
        ))
    if structure.kind == "functional" and len(structure.inputs) > 1 and isinstance(x, list) and len(x) == len(structure.inputs):
        for (ref, want), arr in zip(structure.inputs, x, strict=True):
            got = _feature_shape(np.asarray(arr))
            if got is not None and not _compatible(want, got):
                found.append(Finding(
                    "wrong_input_shape",
                    f"input {ref.name} declares shape {want} but each sample of its data has shape {got}",
                    ref.name, "input", str(TensorSpec((None, *want), "")), str(TensorSpec((None, *got), "")),
                    ref.origin, Severity.ERROR,
                ))
        return found, None
    declared = structure.input_shape
    if (
        declared is not None and data_shape is not None and sample.y is None and full_rows is not None
        and _compatible(declared, (full_rows, *data_shape))
    ):
        # predict(image): one sample without its batch axis reads as `full_rows` samples.
        found.append(Finding(
            "data_shape_mismatch",
            f"one sample of shape {(full_rows, *data_shape)} was passed without its batch axis; "
            f"the model expects a batch of shape {TensorSpec((None, *declared), '')}",
            ref.name if ref else None, "input", str(TensorSpec((None, *declared), "")),
            str((full_rows, *data_shape)), ref.origin if ref else None, Severity.ERROR,
        ))
        return found, declared
    if declared is not None and data_shape is not None and not _compatible(declared, data_shape):
        trace_shape = data_shape
        if full_rows is not None and len(declared) == len(data_shape) + 1 and declared[0] == full_rows:
            msg = (f"the declared input shape {declared} includes the batch axis ({full_rows} samples); "
                   f"each sample has shape {data_shape}")
        elif len(data_shape) == 1 and len(declared) == 1 and sample.y is not None and full_rows == declared[0]:
            msg = f"the data looks transposed: {data_shape} features per sample, {full_rows} samples"
            found.append(Finding("data_shape_mismatch", msg, ref.name if ref else None, "input",
                                 str(declared), str(data_shape), ref.origin if ref else None, Severity.ERROR))
            return found, declared
        else:
            msg = f"the model declares input shape {declared} but each sample of the data has shape {data_shape}"
        found.append(Finding("wrong_input_shape", msg, ref.name if ref else None, "input",
                             str(TensorSpec((None, *declared), "")), str(TensorSpec((None, *data_shape), "")),
                             ref.origin if ref else None, Severity.ERROR))
        return found, trace_shape
    if declared is not None and any(d is None for d in declared) and structure.kind == "sequential" and data_shape:
        return found, declared
    return found, declared if declared is not None and data_shape is None else data_shape


def _output_activation(structure: Structure) -> tuple[str | None, Any]:
    """The output layer's entry and its activation; None when it cannot be told (nested model, custom layer)."""
    out = structure.output_entry
    if out is None:
        return None, None
    return _activation_of(out.cls.__name__, out.effective_config(), out.original), out


def _activation_of(class_name: str, config: dict[str, Any], layer: Any) -> str | None:
    if class_name == "Softmax":
        return "softmax"
    if class_name == "Activation" or "activation" in config:
        act = config.get("activation")
        if isinstance(act, dict):
            act = act.get("config", {}).get("name") or act.get("class_name")
        return act if isinstance(act, str) else None
    inner = getattr(layer, "layers", None)
    if inner:  # a nested model: its last layer decides
        last = inner[-1]
        try:
            return _activation_of(type(last).__name__, last.get_config(), last)
        except Exception:  # a custom layer without a config: unknown
            return None
    return None


def examine(
    structure: Structure,
    sample: Sample,
    labels: LabelInfo | None,
    loss: LossInfo,
    *,
    full_rows: int | None = None,
) -> Examination:
    """Diagnose ``structure`` on ``sample``: the shared core of ``diagnose`` and the planner."""
    original = structure
    label_text = labels.describe() if labels else None
    found, data_shape = _check_data(structure, sample, full_rows)
    x = sample.x
    if data_shape is not None and math.prod(d or 1 for d in data_shape) > MAX_INPUT_ELEMENTS:
        data_shape = None
    declared = structure.input_shape
    if declared is not None and math.prod(d or 1 for d in declared) > MAX_INPUT_ELEMENTS and structure.kind == "sequential":
        structure = _with_input(structure, data_shape)
    if any(f.kind in ("wrong_input_shape",) for f in found) and structure.kind == "sequential":
        # Trace as if the input matched the data, to find what else is wrong downstream.
        structure = _with_input(structure, data_shape)
    x_dtype = "float32"
    if isinstance(x, np.ndarray) and x.dtype.kind in "iu" and structure.layers and structure.layers[0].cls.__name__ == "Embedding":
        x_dtype = "int32"
    w: Walk = walk(structure, data_shape, x_dtype)
    trace = w.trace
    model = out = None
    loss_error = None
    if trace.failure is not None:
        names = [e.cls.__name__ for e in structure.layers]
        found.append(F.classify_failure(trace.failure, trace, names))
    elif trace.output is not None and not any(f.producer == "input" and f.kind == "data_shape_mismatch" for f in found):
        xs = _usable_x(x, min(sample.rows, FORWARD_ROWS))
        if xs is not None:
            model, out, failure = forward(structure, w, xs)
            if failure is not None:
                names = [e.cls.__name__ for e in structure.layers]
                found.append(F.classify_failure(failure, trace, names))
                trace = Trace(trace.rows, trace.input_spec, trace.output, failure)
    act, out_entry = _output_activation(structure)
    units = None
    if trace.output is not None and trace.output.rank >= 2:
        units = trace.output.shape[-1]
    y = sample.y
    label_bad = any(f.kind == "dtype_mismatch" and f.producer == "labels" for f in found)
    if label_bad and labels is not None and labels.encoding == "strings" and isinstance(y, np.ndarray):
        # Judge the rest as the label fix will leave it: ids 0..k-1, so other faults show up now too.
        y = np.unique(y.astype(str).ravel(), return_inverse=True)[1].reshape(y.shape[:1] if y.ndim <= 2 else y.shape)
        k = labels.n_classes or 0
        labels = replace(labels, encoding="sparse", min_label=0.0, max_label=float(k - 1), dtype="int64")
        label_bad = False
    if out is not None and isinstance(out, np.ndarray) and isinstance(y, np.ndarray) and loss.name is not None and not label_bad:
        loss_error = _loss_error(loss, y[: min(sample.rows, FORWARD_ROWS)], out)
    ctx = F.Context(
        labels=labels, loss=loss, output_layer=out_entry.ref if out_entry else None, output_activation=act,
        units=units, y_sample=y, output=out, loss_error=loss_error,
    )
    if trace.failure is None:
        found.extend(F.check_merge_broadcast(trace))
    if trace.failure is None and trace.output is not None and y is not None and not label_bad:
        rank_finding = F.check_rank(trace, ctx, F.expected_output_rank(labels, loss, y))
        if rank_finding is not None:
            found.append(rank_finding)
        found.extend(F.check_labels(ctx))
        extra = F.check_loss_error(ctx, found)
        if extra is not None:
            found.append(extra)
    found.sort(key=lambda f: (f.severity != Severity.ERROR, _stage(f.kind)))
    diag = Diagnosis(
        findings=tuple(found), trace=trace.rows, input=trace.input_spec, output=trace.output,
        failing_layer=trace.failure.layer.name if trace.failure else None,
        labels=label_text, loss=loss.name,
    )
    return Examination(diag, original, sample, labels, loss, trace, data_shape, model, out)


_ORDER = ["dtype_mismatch", "data_shape_mismatch", "wrong_input_shape", "missing_input_shape"]


def _stage(kind: str) -> int:
    return _ORDER.index(kind) if kind in _ORDER else len(_ORDER)


def _with_input(structure: Structure, shape: tuple[int | None, ...] | None) -> Structure:
    return replace(structure, input_shape=shape)


def _usable_x(x: Any, rows: int) -> Any:
    if isinstance(x, np.ndarray):
        if x.dtype.kind in "OUS":
            # Features Keras would refuse: look past the dtype (the cast fix) when they are numbers.
            try:
                return x[:rows].astype(np.float32)
            except (TypeError, ValueError):
                return None
        return x[:rows]
    if isinstance(x, list):
        return [np.asarray(v)[:rows] for v in x]
    if isinstance(x, dict):
        return {k: np.asarray(v)[:rows] for k, v in x.items()}
    return None


def _loss_error(loss: LossInfo, y: Any, out: np.ndarray) -> str | None:
    """What the loss raises on (labels, output), as Keras would at the first training step."""
    import keras

    try:
        fn = keras.losses.get(loss.source if loss.source is not None else loss.name)
        if not isinstance(fn, keras.losses.Loss):
            # compile() wraps plain functions so labels of shape (N,) meet outputs (N, 1).
            from keras.src.losses.losses import LossFunctionWrapper

            fn = LossFunctionWrapper(fn)
        yv = np.asarray(y)
        if yv.dtype.kind == "b":
            yv = yv.astype("float32")
        value = fn(yv, out)
        np.asarray(value)
    except Exception as exc:  # any loss failure is a finding, never our crash
        return clean_message(exc)
    return None


def diagnose(model: Any, x: Any, y: Any = None, *, loss: Any = None) -> Diagnosis:
    """Run ``model`` layer by layer on a sample of ``x`` and report the failing connection.

    ``model`` is a ``keras.Model`` (Sequential, built or not, or Functional) or a
    list of layers. ``x``/``y`` may be numpy arrays, lists, pandas objects, a
    ``tf.data.Dataset`` or a generator; only the first rows are used. The loss
    comes from ``model.compile`` when the model is compiled, else from ``loss``.
    """
    return examine_model(model, x, y, loss=loss).diagnosis


def examine_model(model: Any, x: Any, y: Any = None, *, loss: Any = None) -> Examination:
    """``diagnose``, keeping the live objects for the planner."""
    from kerasfix.plan import state_for  # the planner's starting state is exactly what is diagnosed

    return state_for(model, x, y, loss=loss).examine()
