"""The label, loss and activation detectors as pure functions: valid and invalid examples, no TensorFlow.

Each row is (labels, loss, output units, output activation) → the causes found,
in the order the catalogue asks: loss vs encoding, units vs classes, activation vs loss.
"""

from __future__ import annotations

import numpy as np
import pytest

from kerasfix import faults
from kerasfix.faults.base import Context, Stage
from kerasfix.kinds import Kind
from kerasfix.labels import analyze_labels
from kerasfix.losses import loss_info
from kerasfix.sample import Sample
from kerasfix.structure import Structure
from kerasfix.trace import Trace
from kerasfix.types import Finding, LayerRef, Severity, TensorSpec

OUT = LayerRef("out", "Dense")


def judge(y: np.ndarray, loss: object, units: int, activation: str | None, *, loss_error: str | None = None,
          metrics: tuple[str, ...] = ()) -> list[Finding]:
    """Run the model-stage and late detectors of the labels family on one head."""
    # The head's output: one vector of ``units`` values per sample.
    trace = Trace((), None, TensorSpec((None, units), "float32"), None)
    ctx = Context(
        Structure("sequential", (), None), Sample(None, y, len(y)), loss_info(loss), analyze_labels(y),
        output_layer=OUT, output_activation=activation, units=units, y=y, loss_error=loss_error, metrics=metrics,
        trace=trace,
    )
    found: list[Finding] = []
    for stage in (Stage.MODEL, Stage.LATE):
        for d in faults.detectors(stage):
            if faults.entry(_kind_of(d)).family.value == "labels":
                found.extend(d.detect(ctx, tuple(found)))
    return found


def _kind_of(detector: faults.Detector) -> Kind:
    return next(e.kind for e in faults.CATALOGUE if detector in e.detectors)


IDS3 = np.array([0, 1, 2, 1, 0, 2, 2, 1])
IDS5 = np.arange(20) % 5
BINARY = np.array([0, 1, 1, 0, 1, 0])
ONE_HOT3 = np.eye(3)[IDS3]
MULTI = np.array([[1, 0, 1], [0, 1, 1], [1, 1, 0], [0, 0, 1]])
ONE_TO_THREE = IDS3 + 1
PRICES = np.linspace(50.0, 500.0, 12)
AGES = np.arange(18, 90, 3)
UNIT = np.linspace(-2.0, 3.0, 10)
PLUS_MINUS = np.array([-1, 1, 1, -1, 1, -1])
SCALED_01 = (BINARY - BINARY.mean()) / BINARY.std()  # 0/1 labels that went through a StandardScaler
DAY = np.linspace(0.0, 1.0, 10 * 24).reshape(10, 24)  # 24 hourly targets per sample

VALID = [
    ("ids + sparse CE + softmax", IDS3, "sparse_categorical_crossentropy", 3, "softmax"),
    ("one-hot + categorical CE + softmax", ONE_HOT3, "categorical_crossentropy", 3, "softmax"),
    ("binary + BCE + sigmoid", BINARY, "binary_crossentropy", 1, "sigmoid"),
    ("multi-label + BCE + sigmoid", MULTI, "binary_crossentropy", 3, "sigmoid"),
    ("ids + sparse CE from logits + linear", IDS3, "SparseCategoricalCrossentropy(from_logits=True)", 3, "linear"),
    ("binary + BCE from logits + linear", BINARY, "BinaryCrossentropy(from_logits=True)", 1, "linear"),
    ("regression + MSE + linear", np.linspace(0, 1, 8), "mse", 1, "linear"),
    ("bounded regression: sigmoid on targets in [0, 1]", np.linspace(0, 1, 8), "mse", 1, "sigmoid"),
    ("prices + MSE + linear", np.linspace(50, 500, 8), "mse", 1, "linear"),
    ("prices as a column + MSE + one unit", np.linspace(50, 500, 8)[:, None], "mse", 1, "linear"),
    ("24 targets + MSE + 24 units", DAY, "mse", 24, "linear"),
    ("soft labels in [0, 1] + BCE + sigmoid", np.linspace(0, 1, 8), "binary_crossentropy", 1, "sigmoid"),
    ("multi-label + BCE + sigmoid, accuracy", MULTI, "binary_crossentropy", 3, "sigmoid", ("accuracy",)),
    ("ids + sparse CE + sparse accuracy", IDS3, "sparse_categorical_crossentropy", 3, "softmax",
     ("sparse_categorical_accuracy",)),
]

INVALID = [
    # (name, y, loss, units, activation, [(kind, cause, severity)])
    ("sparse CE on one-hot", ONE_HOT3, "sparse_categorical_crossentropy", 3, "softmax",
     [(Kind.LOSS_LABEL_MISMATCH, "sparse_on_one_hot", Severity.ERROR)]),
    ("categorical CE on ids", IDS3, "categorical_crossentropy", 3, "softmax",
     [(Kind.LOSS_LABEL_MISMATCH, "categorical_on_ids", Severity.WARNING)]),
    ("BCE with one unit on five classes", IDS5, "binary_crossentropy", 1, "sigmoid",
     [(Kind.LOSS_LABEL_MISMATCH, "bce_on_multiclass_one_unit", Severity.WARNING)]),
    ("BCE with five units on five classes", IDS5, "binary_crossentropy", 5, "softmax",
     [(Kind.LOSS_LABEL_MISMATCH, "bce_on_multiclass", Severity.WARNING)]),
    ("BCE on binary ids with two units", BINARY, "binary_crossentropy", 2, "softmax",
     [(Kind.LOSS_LABEL_MISMATCH, "bce_binary_many_units", Severity.WARNING)]),
    ("BCE on one-hot softmax", ONE_HOT3, "binary_crossentropy", 3, "softmax",
     [(Kind.LOSS_LABEL_MISMATCH, "bce_on_one_hot", Severity.WARNING)]),
    ("MSE on class ids with softmax", IDS3, "mse", 3, "softmax",
     [(Kind.LOSS_LABEL_MISMATCH, "regression_on_classes", Severity.WARNING)]),
    ("more units than classes", IDS5, "sparse_categorical_crossentropy", 10, "softmax",
     [(Kind.UNITS_MISMATCH, "more", Severity.WARNING)]),
    ("fewer units than classes", IDS5, "sparse_categorical_crossentropy", 3, "softmax",
     [(Kind.UNITS_MISMATCH, "fewer", Severity.ERROR)]),
    ("ids from 1 with as many units as classes", ONE_TO_THREE, "sparse_categorical_crossentropy", 3, "softmax",
     [(Kind.UNITS_MISMATCH, "not_from_zero", Severity.ERROR)]),
    ("one-hot width against units", ONE_HOT3, "categorical_crossentropy", 4, "softmax",
     [(Kind.UNITS_MISMATCH, "one_hot_width", Severity.ERROR)]),
    ("softmax on one unit", BINARY, "binary_crossentropy", 1, "softmax",
     [(Kind.ACTIVATION_LOSS_MISMATCH, "softmax_one_unit", Severity.WARNING)]),
    ("softmax then from_logits=True", IDS3, "SparseCategoricalCrossentropy(from_logits=True)", 3, "softmax",
     [(Kind.ACTIVATION_LOSS_MISMATCH, "activation_with_logits", Severity.WARNING)]),
    ("linear into a probability loss", IDS3, "sparse_categorical_crossentropy", 3, "linear",
     [(Kind.ACTIVATION_LOSS_MISMATCH, "logits_into_probability_loss", Severity.WARNING)]),
    ("sigmoid on a single-label problem", ONE_HOT3, "categorical_crossentropy", 3, "sigmoid",
     [(Kind.ACTIVATION_LOSS_MISMATCH, "sigmoid_single_label", Severity.WARNING)]),
    ("a logit into BCE", BINARY, "binary_crossentropy", 1, "linear",
     [(Kind.OUTPUT_RANGE, "unbounded_probability", Severity.WARNING)]),
    ("relu under BCE", BINARY, "binary_crossentropy", 1, "relu",
     [(Kind.OUTPUT_RANGE, "unbounded_probability", Severity.WARNING)]),
    ("sigmoid on prices", PRICES, "mse", 1, "sigmoid",
     [(Kind.OUTPUT_RANGE, "bounded_regression", Severity.WARNING)]),
    ("sigmoid on ages (integer targets)", AGES, "mae", 1, "sigmoid",
     [(Kind.OUTPUT_RANGE, "bounded_regression", Severity.WARNING)]),
    ("softmax on one unit, continuous targets", UNIT, "mse", 1, "softmax",
     [(Kind.OUTPUT_RANGE, "bounded_regression", Severity.WARNING)]),
    ("sparse CE on one sigmoid unit, binary ids", BINARY, "sparse_categorical_crossentropy", 1, "sigmoid",
     [(Kind.LOSS_LABEL_MISMATCH, "sparse_on_one_unit", Severity.WARNING)]),
    ("BCE on labels -1 and 1", PLUS_MINUS, "binary_crossentropy", 1, "sigmoid",
     [(Kind.LOSS_LABEL_MISMATCH, "bce_two_values_not_01", Severity.WARNING)]),
    ("BCE on 0/1 labels through a scaler", SCALED_01, "binary_crossentropy", 1, "sigmoid",
     [(Kind.LOSS_LABEL_MISMATCH, "bce_two_values_not_01", Severity.WARNING)]),
    ("BCE on amounts", PRICES, "binary_crossentropy", 1, "linear",
     [(Kind.LOSS_LABEL_MISMATCH, "bce_on_values", Severity.WARNING)]),
    ("one unit for 24 targets: MSE broadcasts", DAY, "mse", 1, "linear",
     [(Kind.UNITS_MISMATCH, "targets", Severity.WARNING)]),
    ("32 units for one target: MAE broadcasts", PRICES, "mae", 32, "relu",
     [(Kind.UNITS_MISMATCH, "targets", Severity.WARNING)]),
    ("3 units for 24 targets: the loss fails", DAY, "mse", 3, "linear",
     [(Kind.UNITS_MISMATCH, "targets", Severity.ERROR)]),
    ("softmax over multi-label targets", MULTI, "mse", 3, "softmax",
     [(Kind.OUTPUT_RANGE, "softmax_multilabel", Severity.WARNING)]),
    ("categorical_accuracy on integer ids", IDS3, "sparse_categorical_crossentropy", 3, "softmax",
     [(Kind.METRIC_MISMATCH, None, Severity.WARNING)], ("categorical_accuracy",)),
    ("sparse_categorical_accuracy on one-hot", ONE_HOT3, "categorical_crossentropy", 3, "softmax",
     [(Kind.METRIC_MISMATCH, None, Severity.WARNING)], ("sparse_categorical_accuracy", "accuracy")),
    # Independent faults are reported together; the activation is judged only once loss and units fit.
    ("categorical CE on ids and too many units", IDS5, "categorical_crossentropy", 8, "sigmoid",
     [(Kind.LOSS_LABEL_MISMATCH, "categorical_on_ids", Severity.WARNING), (Kind.UNITS_MISMATCH, "more", Severity.WARNING)]),
    # BCE with one unit on many classes: the loss fix (n softmax units) covers the units.
    ("BCE one unit on five classes covers units", IDS5, "binary_crossentropy", 1, "softmax",
     [(Kind.LOSS_LABEL_MISMATCH, "bce_on_multiclass_one_unit", Severity.WARNING)]),
]


def _loss(spec: str) -> object:
    if "(" not in spec:
        return spec
    import types

    name = spec.split("(")[0]
    # A stand-in with the attributes loss_info reads: no Keras needed.
    return types.SimpleNamespace(fn=types.SimpleNamespace(__name__={
        "SparseCategoricalCrossentropy": "sparse_categorical_crossentropy",
        "BinaryCrossentropy": "binary_crossentropy",
    }[name]), from_logits=True, get_config=lambda: {"from_logits": True})


@pytest.mark.parametrize("row", VALID, ids=[v[0] for v in VALID])
def test_valid_heads_come_back_clean(row: tuple) -> None:
    name, y, loss, units, activation, *metrics = row
    assert judge(y, _loss(loss), units, activation, metrics=metrics[0] if metrics else ()) == []


@pytest.mark.parametrize("row", INVALID, ids=[v[0] for v in INVALID])
def test_invalid_heads_are_found_with_their_cause(row: tuple) -> None:
    name, y, loss, units, activation, expected, *metrics = row
    found = judge(y, _loss(loss), units, activation, metrics=metrics[0] if metrics else ())
    assert [(f.kind, getattr(f.detail, "cause", None), f.severity) for f in found] == expected
    assert all(f.layer == "out" for f in found)


def test_a_loss_that_fails_with_nothing_else_to_explain_it_is_reported() -> None:
    found = judge(np.linspace(0, 1, 8), "mean_squared_logarithmic_error", 1, "linear", loss_error="Dimensions must be equal")
    assert [(f.kind, f.detail.cause) for f in found] == [(Kind.LOSS_LABEL_MISMATCH, "loss_fails")]  # type: ignore[union-attr]
    assert judge(IDS3, "sparse_categorical_crossentropy", 3, "softmax", loss_error=None) == []


def test_a_crash_makes_a_loss_finding_an_error() -> None:
    found = judge(IDS3, "categorical_crossentropy", 3, "softmax", loss_error="Arguments target and output must have the same rank")
    assert [(f.kind, f.severity) for f in found] == [(Kind.LOSS_LABEL_MISMATCH, Severity.ERROR)]
