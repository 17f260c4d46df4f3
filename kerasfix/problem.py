"""The thing under repair, built once for both doors (``suggest_fixes`` and the capture child).

A ``Problem`` is a model's structure, its loss and optimizer, a sample of its
data, all of its labels, and where in source ``compile`` and the data call
were made. Candidate repairs are new problems (``apply``); nothing here runs
the model.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from kerasfix.edits import apply_data_edits, apply_to_structure, compile_loss, encode_like
from kerasfix.labels import LabelInfo, analyze_labels
from kerasfix.losses import LossInfo, loss_info
from kerasfix.sample import Sample, dataset_labels, full_labels, iterator_labels, row_count, take_sample
from kerasfix.structure import Structure, structure_of
from kerasfix.types import Calls, CastData, CompileArgs, Edit, EncodeLabels, ReplaceMetric, ReshapeData, SetInputShape


@dataclass(frozen=True)
class Problem:
    """A model and its data as the planner sees them; ``edits`` are what was applied to get here."""

    structure: Structure
    loss: Any
    sample: Sample
    #: All the labels when they are an in-memory array (label statistics come from them, not the sample).
    y_full: Any
    #: The number of samples in the features, when they are one in-memory array.
    full_rows: int | None
    calls: Calls = Calls()
    optimizer: str = "adam"
    #: The script used the model before it was built (the error it got), if it did.
    usage_error: str | None = None
    #: The whole features' shape, when they are one in-memory array.
    x_shape: tuple[int, ...] | None = None
    #: The per-sample shape an earlier call of the script trained this model on, if one did.
    trained_shape: tuple[int | None, ...] | None = None
    #: The features are a whole data set the script holds (its model was never called): never one sample.
    whole_set: bool = False
    #: The metrics ``compile`` was given, by name.
    metrics: tuple[str, ...] = ()
    edits: tuple[Edit, ...] = ()
    #: The smallest and largest value of the whole features, when they are one numeric array (token ids
    #: beyond an ``Embedding``'s ``input_dim`` may be in rows the sample does not have).
    x_range: tuple[float, float] | None = None
    #: The one feature column that is the labels themselves (a scaled copy), when the features are one 2-D
    #: array and the labels one column.
    label_column: int | None = None

    @property
    def multi_output(self) -> bool:
        """Labels given per output (a dict by output name, or a list): judged head by head."""
        return isinstance(self.sample.y, (dict, list, tuple))

    @property
    def labels(self) -> LabelInfo | None:
        """The label analysis, from all labels when they are at hand (else from the sample, marked incomplete)."""
        if self.multi_output:
            return None
        whole = self.y_full is not None
        return analyze_labels(self.y_full if whole else self.sample.y, complete=whole)

    def head(self, name: str, index: int) -> tuple[Any, LabelInfo | None, Any]:
        """One output's labels (sample), their analysis (from all of them when at hand) and its loss."""
        def pick(tree: Any) -> Any:
            if isinstance(tree, dict):
                return tree.get(name)
            if isinstance(tree, (list, tuple)):
                return tree[index] if index < len(tree) else None
            return tree

        y, whole = pick(self.sample.y), pick(self.y_full)
        labels = analyze_labels(whole if whole is not None else y, complete=whole is not None)
        return y, labels, pick(self.loss)

    @property
    def loss_info(self) -> LossInfo:
        return loss_info(self.loss)

    @property
    def compile_args(self) -> CompileArgs:
        return CompileArgs(loss=self.loss if isinstance(self.loss, str) else None, optimizer=self.optimizer,
                           origin=self.calls.compile)

    def apply(self, edits: Sequence[Edit]) -> Problem:
        """The problem as it is once ``edits`` are made: the model's structure, the loss and the data."""
        structure = apply_to_structure(self.structure, edits)
        base_x, data_edits = self.sample.x, list(edits)
        if self.sample.x_columns is not None and any(_is_transpose(e) for e in edits):
            # The sample was the first rows of transposed data; the first columns are the real samples.
            base_x = self.sample.x_columns.T
            data_edits = [e for e in edits if not _is_transpose(e)]
        x, y = apply_data_edits(data_edits, base_x, self.sample.y)
        full_rows, x_shape = self.full_rows, self.x_shape
        if base_x is not self.sample.x and x_shape is not None:
            x_shape = tuple(reversed(x_shape))
            full_rows = x_shape[0]
        elif x_shape is not None and isinstance(x, np.ndarray) and any(_per_sample(e) for e in edits):
            x_shape = (x_shape[0], *x.shape[1:])  # every row reshaped alike: the whole data's samples are the sample's
        y_full = self.y_full
        label_edits = [e for e in edits if isinstance(e, (EncodeLabels, ReshapeData, CastData)) and e.which == "y"]
        if y_full is not None and label_edits:
            _, y_full = apply_data_edits(label_edits, None, y_full)
            if any(isinstance(e, EncodeLabels) and e.how == "label_encoder" for e in edits):
                y = encode_like(self.sample.y, self.y_full)  # the sample encoded exactly like all labels
        rows = min(self.sample.rows, x.shape[0]) if isinstance(x, np.ndarray) and x.ndim else self.sample.rows
        # Declaring the input builds the model where it is defined: the script's early use of it then works.
        usage_error = None if any(isinstance(e, SetInputShape) for e in edits) else self.usage_error
        metrics = tuple(next((e.new for e in edits if isinstance(e, ReplaceMetric) and e.old == m), m)
                        for m in self.metrics)
        leak = self.label_column
        for e in edits:  # the labels' column, once dropped, is no longer among the features
            if leak is not None and isinstance(e, ReshapeData) and e.which == "x" and e.how == "drop_first_column":
                leak = None if leak == 0 else leak - 1
            if leak is not None and isinstance(e, ReshapeData) and e.which == "x" and e.how == "drop_last_column" \
                    and self.x_shape is not None and leak == self.x_shape[-1] - 1:
                leak = None
        return replace(self, structure=structure, loss=compile_loss(edits, self.loss), sample=Sample(x, y, rows),
                       metrics=metrics, label_column=leak,
                       # A new declared input makes a new model, trained afresh: what the old one learned from
                       # no longer says what data is odd.
                       trained_shape=None if any(isinstance(e, SetInputShape) for e in edits) else self.trained_shape,
                       y_full=y_full, full_rows=full_rows, x_shape=x_shape, usage_error=usage_error,
                       edits=self.edits + tuple(edits))


def _per_sample(edit: Edit) -> bool:
    return isinstance(edit, ReshapeData) and edit.which == "x" and edit.how in (
        "add_channel", "channels_last", "drop_first_column", "drop_last_column", "to_rgb")


def _is_transpose(edit: Edit) -> bool:
    return isinstance(edit, ReshapeData) and edit.which == "x" and edit.how == "transpose"


def optimizer_name(optimizer: Any) -> str:
    """A Keras optimizer identifier for what ``compile`` got (a string, or an optimizer object)."""
    if isinstance(optimizer, str):
        return optimizer
    if optimizer is not None and hasattr(optimizer, "get_config"):
        return type(optimizer).__name__.lower()
    return "adam"


def metric_names(metrics: Any) -> tuple[str, ...]:
    """Metrics as ``compile`` was given them, by name (a metric object by its ``name``)."""
    if isinstance(metrics, str):
        return (metrics,)
    if not isinstance(metrics, (list, tuple)):
        return ()
    return tuple(m if isinstance(m, str) else str(getattr(m, "name", type(m).__name__)) for m in metrics)


def _has_trained(model: Any) -> bool:
    """Whether the model has taken training steps (its optimizer has counted some)."""
    try:
        return int(model.optimizer.iterations.numpy()) > 0 if getattr(model, "optimizer", None) is not None else False
    except Exception:  # an optimizer without a step counter
        return False


def _compiled_metrics(model: Any) -> Any:
    try:
        return (model.get_compile_config() or {}).get("metrics") if getattr(model, "compiled", False) else None
    except Exception:  # a model whose compile config cannot be read: no metrics known
        return None


def problem_for(
    model: Any,
    x: Any,
    y: Any = None,
    *,
    loss: Any = None,
    optimizer: Any = None,
    calls: Calls | None = None,
    usage_error: str | None = None,
    trained_shape: tuple[int | None, ...] | None = None,
    whole_set: bool = False,
    metrics: Any = None,
) -> Problem:
    """The problem of ``model`` on ``x``/``y`` (nothing is run yet).

    ``loss``/``optimizer`` default to what the model was compiled with. Raises
    ``TypeError`` for something that is not a model, ``SampleError`` for data
    that cannot be sampled.
    """
    structure = structure_of(model)
    n_inputs = len(structure.model.inputs) if structure.kind == "functional" and structure.model is not None else 1
    sample = take_sample(x, y, n_inputs=n_inputs)
    is_layers = isinstance(model, (list, tuple))
    if loss is None and not is_layers:
        loss = getattr(model, "loss", None)
    if optimizer is None and not is_layers:
        optimizer = getattr(model, "optimizer", None)
    if metrics is None and not is_layers:
        metrics = _compiled_metrics(model)
    x_shape = tuple(int(d) for d in x.shape) if isinstance(x, np.ndarray) else None
    if trained_shape is None and not is_layers and _has_trained(model) and structure.input_shape is not None:
        trained_shape = structure.input_shape  # it learned from data of its declared shape: other data is the odd one
    labels = full_labels(y) if y is not None else dataset_labels(x)
    if labels is None and y is None:
        labels = iterator_labels(x)
    return Problem(structure, loss, sample, labels, row_count(x),
                   calls or Calls(), optimizer_name(optimizer), usage_error, x_shape, trained_shape, whole_set,
                   metric_names(metrics), label_column=_label_column(x, labels),
                   # a pass over the whole array, on every data call: only where an Embedding reads ids
                   x_range=_value_range(x) if any(e.cls.__name__ == "Embedding" for e in structure.layers) else None)


#: Rows read to look for the labels among the features (enough that a match is no coincidence).
LEAK_ROWS = 5000


def _label_column(x: Any, y: Any) -> int | None:
    """The one column of 2-D features that is an exact linear function of the labels (``data[:, 0:]`` with
    the label in column 0, scaled with the pixels): correlation 1 on every row read."""
    if not isinstance(x, np.ndarray) or x.ndim != 2 or x.dtype.kind not in "iufb" or x.shape[1] < 2:
        return None
    if not isinstance(y, np.ndarray) or y.dtype.kind not in "iufb" or len(y) != len(x) or len(x) < 50:
        return None
    labels = y.reshape(len(y), -1)
    if labels.shape[1] != 1:
        return None
    xs, ys = x[:LEAK_ROWS].astype(np.float64), labels[:LEAK_ROWS, 0].astype(np.float64)
    xc, yc = xs - xs.mean(axis=0), ys - ys.mean()
    spread = np.sqrt((xc ** 2).sum(axis=0) * (yc ** 2).sum())
    if not (yc ** 2).sum():
        return None
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.where(spread > 0, (xc * yc[:, None]).sum(axis=0) / spread, 0.0)
    hits = np.flatnonzero(np.abs(r) > 1 - 1e-9)
    return int(hits[0]) if hits.size == 1 else None


def _value_range(x: Any) -> tuple[float, float] | None:
    """(min, max) of one numeric array of features; None for anything else (or an empty array)."""
    if not isinstance(x, np.ndarray) or x.dtype.kind not in "iuf" or x.size == 0:
        return None
    low, high = float(np.min(x)), float(np.max(x))
    return (low, high) if np.isfinite(low) and np.isfinite(high) else None


__all__ = ["Problem", "optimizer_name", "problem_for"]
