"""The repair planner: for each finding kind the top fix is the expected edit, verified, and it trains."""

from __future__ import annotations

import keras
import numpy as np
import pytest
from keras import layers

from kerasfix import suggest_fixes
from kerasfix.types import (
    Applicability,
    CastData,
    EncodeLabels,
    InsertLayer,
    MoveLayer,
    ReshapeData,
    SetCompileArgument,
    SetInputShape,
    SetLayerArgument,
)

RNG = np.random.default_rng(1)


def ids(n: int, k: int) -> np.ndarray:
    y = np.arange(n) % k
    RNG.shuffle(y)
    return y


def top(model, x, y, **kw):
    fixes = suggest_fixes(model, x, y, **kw)
    assert fixes, "no fix proposed"
    fix = fixes[0]
    assert fix.verified, fix.summary
    assert fix.loss_after is not None and np.isfinite(fix.loss_after)
    return fix


def trains(fix, model, x, y) -> None:
    repaired = fix.apply(model)
    xs, ys = fix.apply_data(x, y)
    history = repaired.fit(xs, ys, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][-1])


def test_missing_flatten_inserts_flatten_before_the_dense_and_leaves_the_model_alone() -> None:
    model = keras.Sequential([keras.Input((12, 12, 1)), layers.Conv2D(4, 3), layers.MaxPooling2D(name="pool"),
                              layers.Dense(5, activation="softmax", name="head")])
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    x, y = RNG.random((48, 12, 12, 1)), ids(48, 5)
    fix = top(model, x, y)
    (edit,) = fix.edits
    assert isinstance(edit, InsertLayer) and edit.layer.class_name == "Flatten" and edit.before.name == "head"
    assert fix.applicability == Applicability.SAFE
    assert "between pool (None, 5, 5, 4) and head" in fix.summary
    trains(fix, model, x, y)
    assert model.output_shape == (None, 5, 5, 5)  # the user's model is untouched
    assert fix.apply(model).get_compile_config()["metrics"] == ["accuracy"]


def test_stacked_lstm_sets_return_sequences_on_the_producer() -> None:
    model = [layers.LSTM(8, name="first"), layers.LSTM(4, name="second"), layers.Dense(1, activation="sigmoid")]
    x, y = RNG.random((32, 10, 3)), ids(32, 2)
    fix = top(model, x, y, loss="binary_crossentropy")
    assert fix.edits == (SetLayerArgument(fix.edits[0].layer, "return_sequences", True, fix.edits[0].position),)
    assert fix.edits[0].layer.name == "first"
    trains(fix, model, x, y)


def test_lstm_on_2d_data_with_a_declared_shape_gets_the_feature_axis_on_the_data() -> None:
    model = [layers.LSTM(4, input_shape=(10,), name="lstm"), layers.Dense(1)]
    x, y = RNG.random((32, 10)), RNG.random(32)
    fix = top(model, x, y, loss="mse")
    assert fix.edits == (ReshapeData("x", "add_channel"), SetInputShape(fix.edits[1].target, (10, 1)))
    trains(fix, model, x, y)


def test_grayscale_images_get_their_channel_axis_on_the_data_not_only_in_the_declaration() -> None:
    model = [layers.Conv2D(4, 3, input_shape=(12, 12), name="conv"), layers.Flatten(),
             layers.Dense(3, activation="softmax")]
    x, y = RNG.random((32, 12, 12)), ids(32, 3)
    fixes = suggest_fixes(model, x, y, loss="sparse_categorical_crossentropy")
    fix = fixes[0]
    assert fix.verified and fix.applicability == Applicability.SAFE
    assert fix.edits == (ReshapeData("x", "add_channel"), SetInputShape(fix.edits[1].target, (12, 12, 1)))
    assert fix.apply_data(x, y)[0].shape == (32, 12, 12, 1)
    trains(fix, model, x, y)
    # Declaring the axis alone (Keras then adds it to the data at each call) is still offered, after it.
    assert (SetInputShape(fix.edits[1].target, (12, 12, 1)),) in [f.edits for f in fixes[1:]]


def test_images_without_a_declared_input_get_the_channel_axis_on_the_data_alone() -> None:
    model = [layers.Conv2D(4, 3), layers.GlobalAveragePooling2D(), layers.Dense(3, activation="softmax")]
    x, y = RNG.random((32, 12, 12)), ids(32, 3)
    fix = top(model, x, y, loss="sparse_categorical_crossentropy")
    assert fix.edits == (ReshapeData("x", "add_channel"),)
    trains(fix, model, x, y)


def test_embedding_into_dense_prefers_global_average_pooling() -> None:
    inputs = keras.Input((12,), dtype="int32")
    out = layers.Dense(1, activation="sigmoid", name="head")(layers.Embedding(50, 8, name="emb")(inputs))
    model = keras.Model(inputs, out)
    model.compile("adam", "binary_crossentropy")
    x, y = RNG.integers(0, 50, (32, 12)), ids(32, 2).astype("float32")
    fix = top(model, x, y)
    assert isinstance(fix.edits[0], InsertLayer) and fix.edits[0].layer.class_name == "GlobalAveragePooling1D"
    trains(fix, model, x, y)


def test_units_follow_the_labels_both_ways() -> None:
    for k, severity in ((12, "error"), (5, "warning")):
        model = keras.Sequential([keras.Input((6,)), layers.Dense(10, activation="softmax", name="out")])
        model.compile("adam", "sparse_categorical_crossentropy")
        x, y = RNG.random((60, 6)), ids(60, k)
        fix = top(model, x, y)
        assert fix.finding.severity.value == severity
        assert fix.edits == (SetLayerArgument(fix.edits[0].layer, "units", k, 0),)
        assert fix.applicability == Applicability.REVIEW
        trains(fix, model, x, y)


def test_labels_starting_at_one_are_encoded_not_given_an_extra_unit() -> None:
    model = keras.Sequential([keras.Input((6,)), layers.Dense(10, activation="softmax")])
    x, y = RNG.random((60, 6)), ids(60, 10) + 1
    fix = top(model, x, y, loss="sparse_categorical_crossentropy")
    assert fix.edits == (EncodeLabels("label_encoder"),)
    xs, ys = fix.apply_data(x, y)
    assert ys.min() == 0 and ys.max() == 9
    trains(fix, model, x, y)


def test_string_labels_are_label_encoded() -> None:
    model = keras.Sequential([keras.Input((4,)), layers.Dense(3, activation="softmax")])
    x, y = RNG.random((30, 4)), np.array(["a", "b", "c"])[ids(30, 3)]
    fix = top(model, x, y, loss="sparse_categorical_crossentropy")
    assert fix.edits == (EncodeLabels("label_encoder"),)
    trains(fix, model, x, y)


def test_object_features_are_cast() -> None:
    model = keras.Sequential([keras.Input((4,)), layers.Dense(1, activation="sigmoid")])
    x, y = np.array(RNG.random((30, 4)).tolist(), dtype=object), ids(30, 2)
    fix = top(model, x, y, loss="binary_crossentropy")
    assert fix.edits == (CastData("x", "float32"),) and fix.applicability == Applicability.SAFE
    trains(fix, model, x, y)


@pytest.mark.parametrize("loss,y_kind,expected", [
    ("categorical_crossentropy", "ids", "sparse_categorical_crossentropy"),
    ("sparse_categorical_crossentropy", "onehot", "categorical_crossentropy"),
])
def test_loss_is_matched_to_the_labels(loss: str, y_kind: str, expected: str) -> None:
    model = keras.Sequential([keras.Input((8,)), layers.Dense(4, activation="softmax")])
    model.compile("adam", loss)
    x, y = RNG.random((40, 8)), ids(40, 4)
    if y_kind == "onehot":
        y = np.eye(4)[y]
    fix = top(model, x, y)
    assert fix.edits == (SetCompileArgument("loss", expected),)
    trains(fix, model, x, y)
    assert fix.apply(model).loss == expected


def test_binary_crossentropy_on_ten_classes_becomes_a_softmax_classifier() -> None:
    model = keras.Sequential([keras.Input((8,)), layers.Dense(1, activation="sigmoid", name="out")])
    x, y = RNG.random((50, 8)), ids(50, 10)
    fix = top(model, x, y, loss="binary_crossentropy")
    names = {(type(e).__name__, getattr(e, "name", None), getattr(e, "value", None)) for e in fix.edits}
    assert ("SetLayerArgument", "units", 10) in names and ("SetLayerArgument", "activation", "softmax") in names
    assert ("SetCompileArgument", "loss", "sparse_categorical_crossentropy") in names
    trains(fix, model, x, y)


def test_softmax_on_one_unit_becomes_sigmoid() -> None:
    model = keras.Sequential([keras.Input((6,)), layers.Dense(1, activation="softmax", name="out")])
    x, y = RNG.random((32, 6)), ids(32, 2)
    fix = top(model, x, y, loss="binary_crossentropy")
    assert fix.edits == (SetLayerArgument(fix.edits[0].layer, "activation", "sigmoid", 1),)
    trains(fix, model, x, y)


def test_wrong_input_shape_takes_the_datas_shape() -> None:
    x = RNG.random((200, 8)).astype("float32")
    model = [layers.Dense(16, input_shape=x.shape), layers.Dense(1)]
    fix = top(model, x, RNG.random(200), loss="mse")
    assert fix.edits == (SetInputShape(fix.edits[0].target, (8,)),)
    trains(fix, model, x, RNG.random(200))


def test_transposed_data_is_transposed() -> None:
    model = keras.Sequential([keras.Input((5,)), layers.Dense(1)])
    x, y = RNG.random((5, 64)), RNG.random(64)
    fix = top(model, x, y, loss="mse")
    assert fix.edits == (ReshapeData("x", "transpose"),)
    trains(fix, model, x, y)


def test_flatten_before_conv_is_moved_after_it() -> None:
    model = [keras.Input((12, 12, 1)), layers.Flatten(name="flat"), layers.Conv2D(4, 3), layers.Dense(3, activation="softmax", name="out")]
    x, y = RNG.random((30, 12, 12, 1)), ids(30, 3)
    fix = top(model, x, y, loss="sparse_categorical_crossentropy")
    assert fix.edits == (MoveLayer(fix.edits[0].layer, fix.edits[0].before),)
    assert fix.edits[0].layer.name == "flat" and fix.edits[0].before is not None and fix.edits[0].before.name == "out"
    trains(fix, model, x, y)


def test_spatial_collapse_gets_same_padding() -> None:
    model = [keras.Input((8, 8, 1)), layers.Conv2D(4, 3), layers.MaxPooling2D(), layers.Conv2D(4, 3),
             layers.MaxPooling2D(name="p2"), layers.Flatten(), layers.Dense(1)]
    x, y = RNG.random((16, 8, 8, 1)), RNG.random(16)
    fix = top(model, x, y, loss="mse")
    assert fix.edits[0] == SetLayerArgument(fix.edits[0].layer, "padding", "same", fix.edits[0].position)
    trains(fix, model, x, y)


def test_reshape_target_is_corrected() -> None:
    model = [keras.Input((784,)), layers.Reshape((28, 27, 1), name="r"), layers.Flatten(), layers.Dense(2)]
    x, y = RNG.random((16, 784)), RNG.random((16, 2))
    fix = top(model, x, y, loss="mse")
    assert fix.edits == (SetLayerArgument(fix.edits[0].layer, "target_shape", (28, 28, 1), 0),)
    trains(fix, model, x, y)


def test_two_independent_faults_get_one_combined_verified_plan() -> None:
    model = keras.Sequential([keras.Input((10, 10, 1)), layers.Conv2D(4, 3), layers.MaxPooling2D(),
                              layers.Dense(10, activation="softmax", name="out")])
    model.compile("adam", "sparse_categorical_crossentropy")
    x, y = RNG.random((40, 10, 10, 1)), ids(40, 4)
    fix = top(model, x, y)
    assert len(fix.steps) == 2
    kinds = [s.finding.kind for s in fix.steps]
    assert kinds == ["rank_mismatch", "units_mismatch"]
    assert fix.edits == fix.steps[0].edits + fix.steps[1].edits
    trains(fix, model, x, y)


def test_custom_layers_survive_the_rebuild() -> None:
    class Scale(keras.layers.Layer):
        def __init__(self, factor: float = 2.0, **kwargs) -> None:
            super().__init__(**kwargs)
            self.factor = factor

        def call(self, inputs):
            return inputs * self.factor

        def get_config(self):
            return {**super().get_config(), "factor": self.factor}

    model = keras.Sequential([keras.Input((6, 6, 1)), Scale(3.0), layers.Conv2D(2, 3), layers.Dense(3, activation="softmax")])
    x, y = RNG.random((24, 6, 6, 1)), ids(24, 3)
    fix = top(model, x, y, loss="sparse_categorical_crossentropy")
    repaired = fix.apply(model)
    assert any(type(layer).__name__ == "Scale" and layer.factor == 3.0 for layer in repaired.layers)
    trains(fix, model, x, y)


def test_a_correct_model_gets_no_fix() -> None:
    model = keras.Sequential([keras.Input((8,)), layers.Dense(3, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy")
    assert suggest_fixes(model, RNG.random((30, 8)), ids(30, 3)) == []


def test_custom_layer_bug_gets_no_written_fix() -> None:
    class Broken(keras.layers.Layer):
        def call(self, inputs):
            raise RuntimeError("bug")

    fixes = suggest_fixes([keras.Input((4,)), Broken(), layers.Dense(1)], RNG.random((8, 4)), RNG.random(8), loss="mse")
    assert all(not f.verified for f in fixes)
