"""``diagnose``: run the model on a sample and list what is wrong, connection by connection.

The catalogue (``kerasfix.faults``) says what to look for; this module runs the
stages in order: the data against the declared input, the symbolic walk and a
forward pass (a crash is classified by the catalogue), then the silent-fault
detectors on the traced output, the labels and the loss.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from kerasfix import faults
from kerasfix.edits import encode_labels
from kerasfix.faults.base import Context, Stage
from kerasfix.faults.data import DataShapeDetail, DtypeDetail, EmbeddingRangeDetail
from kerasfix.kinds import Family, Kind
from kerasfix.losses import LossInfo, loss_info
from kerasfix.problem import Problem, problem_for
from kerasfix.sample import feature_shape, row_count
from kerasfix.structure import Structure, activation_name
from kerasfix.trace import Trace, clean_message, compiled_or_eager, forward, walk
from kerasfix.types import Diagnosis, Finding, Severity, Shape

#: Refuse to build a model whose first layers would need more parameters than this
#: (``input_shape=X.shape`` can ask for hundreds of millions).
MAX_INPUT_ELEMENTS = 20_000_000

#: Rows run forward and through the loss: enough to expose shape and label faults,
#: few enough that a 600x600 EfficientNet costs seconds, not minutes.
FORWARD_ROWS = 8


@dataclass(frozen=True)
class Examination:
    """A diagnosis with what the planner reuses: the problem, the detectors' context, the output it computed.

    Not the model it ran: the planner keeps several examinations at once, and a large model's weights are
    gigabytes each.
    """

    diagnosis: Diagnosis
    problem: Problem
    context: Context
    output: Any = None
    #: For a model with several outputs: each output layer's own context (its labels, loss, units).
    heads: dict[str, Context] = field(default_factory=dict)

    def context_for(self, finding: Finding) -> Context:
        """The context a finding was made in (its output head's, for a multi-output model)."""
        return self.heads.get(finding.layer or "", self.context)

    @property
    def findings(self) -> tuple[Finding, ...]:
        return self.diagnosis.findings

    @property
    def trace(self) -> Trace:
        assert self.context.trace is not None
        return self.context.trace


def _detect(stage: Stage, ctx: Context, found: list[Finding]) -> None:
    for detector in faults.detectors(stage):
        found.extend(detector.detect(ctx, tuple(found)))


def _trace_shape(structure: Structure, data_shape: Shape | None, found: list[Finding]) -> Shape | None:
    """The input to trace with: the declared one when the data is off, the data's when the declaration is."""
    declared = structure.input_shape
    if structure.kind == "functional" and len(structure.inputs) > 1:
        return None
    if any(isinstance(f.detail, DataShapeDetail) for f in found):
        return declared
    if any(f.kind is Kind.WRONG_INPUT_SHAPE for f in found):
        return data_shape
    if declared is not None and (data_shape is None or (structure.kind == "sequential" and None in declared)):
        return declared
    return data_shape


def examine(problem: Problem) -> Examination:
    """Diagnose ``problem``: the shared core of ``diagnose``, the planner and the capture child."""
    structure, sample, loss = problem.structure, problem.sample, problem.loss_info
    labels = problem.labels
    x = sample.x
    data_shape = feature_shape(x)
    ctx = Context(structure, sample, loss, labels, problem.full_rows, data_shape, x_shape=problem.x_shape,
                  x_range=problem.x_range, label_column=problem.label_column,
                  label_rows=row_count(problem.y_full), trained_shape=problem.trained_shape,
                  usage_error=problem.usage_error, call=problem.calls.fit, whole_set=problem.whole_set,
                  metrics=problem.metrics)
    found: list[Finding] = []
    _detect(Stage.DATA, ctx, found)

    trace_shape = _trace_shape(structure, data_shape, found)
    if trace_shape is not None and math.prod(d or 1 for d in trace_shape) > MAX_INPUT_ELEMENTS:
        trace_shape = None
    traced = structure
    declared = structure.input_shape
    big = declared is not None and math.prod(d or 1 for d in declared) > MAX_INPUT_ELEMENTS
    if structure.kind == "sequential" and (big or any(f.kind is Kind.WRONG_INPUT_SHAPE for f in found)):
        # Trace as if the input matched the data, to find what else is wrong downstream.
        traced = replace(structure, input_shape=trace_shape)
    x_dtype = "float32"
    if isinstance(x, np.ndarray) and x.dtype.kind in "iu" and traced.layers and traced.layers[0].cls.__name__ == "Embedding":
        x_dtype = "int32"
    w = walk(traced, trace_shape, x_dtype)
    trace = w.trace
    if structure.kind == "subclassed":
        # Its layers in the order call() used them: the last one makes the output.
        by_name = {e.name: e for e in structure.layers}
        called = tuple(dict.fromkeys(by_name[r.layer.name] for r in trace.rows if r.layer.name in by_name))
        uncalled = tuple(e for e in structure.layers if e not in called)
        structure = traced = replace(structure, layers=called)
        ctx = replace(ctx, structure=structure, uncalled=uncalled)
    names = [e.cls.__name__ for e in traced.layers]
    out = None
    if trace.failure is not None:
        found.append(faults.classify_failure(trace.failure, names))
    elif trace.output is not None and not any(isinstance(f.detail, (DataShapeDetail, EmbeddingRangeDetail))
                                              for f in found):  # the forward pass would only fail on it
        xs = _usable_x(x, min(sample.rows, FORWARD_ROWS))
        if xs is not None:
            _model, out, failure = forward(traced, w, xs)
            if failure is not None:
                found.append(faults.classify_failure(failure, names))
                trace = Trace(trace.rows, trace.input_spec, trace.output, failure)

    y, judged_labels = _labels_as_judged(problem, found)
    units = trace.output.shape[-1] if trace.output is not None and trace.output.rank >= 2 else None
    out_entry = structure.output_entry
    loss_error = None
    judged = trace.failure is None and trace.output is not None and y is not None
    if judged and isinstance(out, np.ndarray) and isinstance(y, np.ndarray) and loss.name is not None:
        ys = y[: min(sample.rows, FORWARD_ROWS)]
        if len(out) != len(ys) and len(ys):  # a declared batch size ran more rows forward: match them
            ys = np.resize(ys, (len(out), *ys.shape[1:]))
        loss_error = _loss_error(loss, ys, out)
    ctx = replace(
        ctx, trace=trace, labels=judged_labels if judged else None, y=y if judged else None,
        output_layer=out_entry.ref if out_entry else None, output_activation=_output_activation(structure),
        units=units, output=out, loss_error=loss_error,
    )
    _detect(Stage.MODEL, ctx, found)
    heads = _heads(problem, structure, ctx) if judged is False and problem.multi_output else {}
    for head in heads.values():
        for detector in faults.detectors(Stage.MODEL, Family.LABELS):
            found.extend(detector.detect(head, tuple(found)))
    _detect(Stage.LATE, ctx, found)
    found.sort(key=lambda f: (f.severity != Severity.ERROR, faults.rank(f.kind)))
    diag = Diagnosis(
        findings=tuple(found), trace=trace.rows, input=trace.input_spec, output=trace.output,
        failing_layer=trace.failure.layer.name if trace.failure else None,
        labels=labels.describe() if labels else None, loss=loss.name,
    )
    return Examination(diag, problem, ctx, out, heads)


def _heads(problem: Problem, structure: Structure, ctx: Context) -> dict[str, Context]:
    """A context per output layer of a multi-output model: its labels, its loss, its units and activation."""
    trace = ctx.trace
    if trace is None or trace.failure is not None:
        return {}
    rows = {r.layer.name: r for r in trace.rows}
    heads = {}
    for index, entry in enumerate(structure.output_entries):
        row = rows.get(entry.name)
        if row is None or not row.outputs or row.outputs[0].rank < 2:
            continue
        y, labels, loss = problem.head(entry.name, index)
        if y is None or labels is None:
            continue
        heads[entry.name] = replace(
            ctx, labels=labels, loss=loss_info(loss), y=np.asarray(y), output_layer=entry.ref,
            output_activation=_activation_of(entry.cls.__name__, entry.effective_config(), entry.original),
            units=row.outputs[0].shape[-1], output=None, loss_error=None, head_of_many=True,
        )
    return heads


def _labels_as_judged(problem: Problem, found: list[Finding]) -> tuple[Any, Any]:
    """The labels the label detectors judge: string labels as the label fix will leave them (ids 0..k-1).

    So the other faults of a script with string labels are found in the same run.
    """
    y, labels = problem.sample.y, problem.labels
    if not any(isinstance(f.detail, DtypeDetail) and f.detail.which == "y" for f in found):
        return y, labels
    if labels is None or labels.encoding != "strings" or not isinstance(y, np.ndarray):
        return None, None
    ids = encode_labels(y.astype(str), "label_encoder")
    k = labels.n_classes or 0
    return ids.reshape(y.shape[:1] if y.ndim <= 2 else y.shape), replace(
        labels, encoding="sparse", min_label=0.0, max_label=float(k - 1), dtype="int64")


def _output_activation(structure: Structure) -> str | None:
    """The output layer's activation; None when it cannot be told (nested model, custom layer)."""
    out = structure.output_entry
    if out is None:
        return None
    return _activation_of(out.cls.__name__, out.effective_config(), out.original)


def _activation_of(class_name: str, config: dict[str, Any], layer: Any) -> str | None:
    if class_name == "Softmax":
        return "softmax"
    if class_name == "Activation" or "activation" in config:
        return activation_name(config.get("activation"))
    inner = getattr(layer, "layers", None)
    if inner:  # a nested model: its last layer decides
        last = inner[-1]
        try:
            return _activation_of(type(last).__name__, last.get_config(), last)
        except Exception:  # a custom layer without a config: unknown
            return None
    return None


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
    from keras.src.losses.losses import LossFunctionWrapper

    try:
        fn = keras.losses.get(loss.source if loss.source is not None else loss.name)
        if not isinstance(fn, keras.losses.Loss):
            # compile() wraps plain functions so labels of shape (N,) meet outputs (N, 1).
            fn = LossFunctionWrapper(fn)
        yv = np.asarray(y)
        if yv.dtype.kind == "b":
            yv = yv.astype("float32")
        compiled_or_eager(lambda: np.asarray(_jax_jit(fn)(yv, out)),
                          lambda: keras.ops.convert_to_numpy(fn(yv, out)))
    except Exception as exc:  # any loss failure is a finding, never our crash
        return clean_message(exc)
    return None


def _jax_jit(fn: Any) -> Any:
    """``fn`` compiled quickly; imported only when called, under the JAX backend."""
    from kerasfix.jax_compile import quick_jit

    return quick_jit(fn)


def diagnose(model: Any, x: Any, y: Any = None, *, loss: Any = None) -> Diagnosis:
    """Run ``model`` layer by layer on a sample of ``x`` and report the failing connection.

    ``model`` is a ``keras.Model`` (Sequential, built or not, or Functional) or a
    list of layers. ``x``/``y`` may be numpy arrays, lists, pandas objects, a
    ``tf.data.Dataset`` or a generator; only the first rows are used. The loss
    comes from ``model.compile`` when the model is compiled, else from ``loss``.
    """
    from kerasfix.capture.hooks import tensorflow_on_demand

    with tensorflow_on_demand(seed=False):
        return examine(problem_for(model, x, y, loss=loss)).diagnosis


__all__ = ["Diagnosis", "Examination", "diagnose", "examine"]
