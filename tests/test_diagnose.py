"""The diagnosis engine on real TensorFlow with small synthetic data: kind, connection, expected vs actual."""

from __future__ import annotations

import keras
import numpy as np
import pytest
from keras import layers

from kerasfix import diagnose
from kerasfix.types import Severity

RNG = np.random.default_rng(0)


def images(n: int = 64, size: int = 28, channels: int | None = 1) -> np.ndarray:
    shape = (n, size, size) if channels is None else (n, size, size, channels)
    return RNG.random(shape).astype("float32")


def classes(n: int = 64, k: int = 10) -> np.ndarray:
    y = np.arange(n) % k
    RNG.shuffle(y)
    return y


def only(diag, kind: str):
    found = [f for f in diag.findings if f.kind == kind]
    assert found, f"no {kind} in {[str(f) for f in diag.findings]}"
    return found[0]


# -- crashes Keras raises ------------------------------------------------------------


def test_missing_flatten_names_pool_to_dense_and_the_shapes() -> None:
    model = keras.Sequential([
        keras.Input((28, 28, 1)), layers.Conv2D(8, 3, name="conv"), layers.MaxPooling2D(name="pool"),
        layers.Dense(10, activation="softmax", name="head"),
    ])
    model.compile("adam", "sparse_categorical_crossentropy")
    diag = diagnose(model, images(), classes())
    f = only(diag, "rank_mismatch")
    assert (f.producer, f.layer) == ("pool", "head")
    assert "(None, 13, 13, 8)" in f.message and "rank 2" in (f.expected or "")
    assert f.severity == Severity.ERROR
    assert not diag.ok
    assert [t.layer.name for t in diag.trace] == ["conv", "pool", "head"]


def test_stacked_lstm_blames_the_connection_between_the_two_lstms() -> None:
    model = keras.Sequential([layers.LSTM(16, name="first"), layers.LSTM(8, name="second"), layers.Dense(1, activation="sigmoid")])
    diag = diagnose(model, RNG.random((32, 20, 3)), classes(32, 2), loss="binary_crossentropy")
    f = only(diag, "rank_mismatch")
    assert (f.producer, f.layer) == ("first", "second")
    assert f.expected == "rank 3" and f.actual == "(None, 16)"
    assert diag.failing_layer == "second"
    assert "✗" in str(diag)


def test_lstm_fed_2d_data_names_the_data_as_producer() -> None:
    diag = diagnose([layers.LSTM(4, name="lstm"), layers.Dense(1)], RNG.random((32, 20)), RNG.random(32), loss="mse")
    f = only(diag, "rank_mismatch")
    assert (f.producer, f.layer, f.expected) == ("input", "lstm", "rank 3")


def test_conv2d_on_images_without_channel_axis() -> None:
    diag = diagnose([layers.Conv2D(4, 3, name="conv"), layers.Flatten(), layers.Dense(10, activation="softmax")],
                    images(channels=None), classes(), loss="sparse_categorical_crossentropy")
    f = only(diag, "rank_mismatch")
    assert f.layer == "conv" and f.expected == "rank at least 4"


def test_add_style_sequential_that_cannot_be_built_is_diagnosed_from_its_layers() -> None:
    model = keras.Sequential()
    model.add(keras.Input((20, 3)))
    model.add(layers.LSTM(16, name="first"))
    second = layers.LSTM(8, name="second")
    with pytest.raises(ValueError):
        model.add(second)  # Keras itself refuses: the model cannot exist, so its layers are diagnosed
    diag = diagnose([keras.Input((20, 3)), model.layers[0], second, layers.Dense(1)], RNG.random((16, 20, 3)),
                    RNG.random(16), loss="mse")
    f = only(diag, "rank_mismatch")
    assert (f.producer, f.layer) == ("first", "second")


def test_reshape_of_the_wrong_size() -> None:
    diag = diagnose([keras.Input((784,)), layers.Reshape((28, 27, 1), name="reshape"), layers.Flatten(), layers.Dense(10)],
                    RNG.random((16, 784)), RNG.random((16, 10)), loss="mse")
    f = only(diag, "shape_mismatch")
    assert f.layer == "reshape" and "28, 27, 1" in f.message


def test_pooling_past_zero_is_spatial_too_small() -> None:
    model = [keras.Input((8, 8, 1)), layers.Conv2D(4, 3), layers.MaxPooling2D(name="p1"), layers.Conv2D(4, 3, name="c2"),
             layers.MaxPooling2D(name="p2"), layers.Flatten(), layers.Dense(1)]
    diag = diagnose(model, images(16, 8), RNG.random(16), loss="mse")
    f = only(diag, "spatial_too_small")
    assert (f.producer, f.layer) == ("c2", "p2")


def test_flatten_before_conv_is_layer_order() -> None:
    diag = diagnose([keras.Input((16, 16, 1)), layers.Flatten(name="flat"), layers.Conv2D(4, 3, name="conv"), layers.Dense(3)],
                    images(16, 16), classes(16, 3), loss="sparse_categorical_crossentropy")
    f = only(diag, "layer_order")
    assert (f.producer, f.layer) == ("flat", "conv")


def test_batch_axis_in_input_shape_is_wrong_input_shape_and_builds_nothing_huge() -> None:
    x = RNG.random((60000, 8)).astype("float32")
    diag = diagnose([layers.Dense(512, input_shape=x.shape, name="d"), layers.Dense(1)], x, RNG.random(60000), loss="mse")
    f = only(diag, "wrong_input_shape")
    assert "batch axis" in f.message and f.expected == "(None, 60000, 8)" and f.actual == "(None, 8)"


def test_declared_input_that_disagrees_with_the_data() -> None:
    model = keras.Sequential([keras.Input((8,)), layers.Dense(1)])
    diag = diagnose(model, RNG.random((32, 10)), RNG.random(32), loss="mse")
    f = only(diag, "wrong_input_shape")
    assert f.expected == "(None, 8)" and f.actual == "(None, 10)"


def test_keras_adjusts_a_trailing_axis_of_one_so_that_is_not_a_finding() -> None:
    model = keras.Sequential([keras.Input((20, 1)), layers.LSTM(4), layers.Dense(1)])
    assert diagnose(model, RNG.random((32, 20)), RNG.random(32), loss="mse").ok


def test_transposed_features() -> None:
    model = keras.Sequential([keras.Input((5,)), layers.Dense(1)])
    f = only(diagnose(model, RNG.random((5, 64)), RNG.random(64), loss="mse"), "data_shape_mismatch")
    assert "transposed" in f.message


def test_string_labels_and_object_features_are_dtype_mismatches() -> None:
    model = keras.Sequential([keras.Input((4,)), layers.Dense(3, activation="softmax", name="out")])
    y = np.array(["cat", "dog", "bird"])[classes(30, 3)]
    f = only(diagnose(model, RNG.random((30, 4)), y, loss="sparse_categorical_crossentropy"), "dtype_mismatch")
    assert f.producer == "labels" and f.layer == "out"
    x = np.array(RNG.random((30, 4)).tolist(), dtype=object)
    f = only(diagnose(model, x, classes(30, 3), loss="sparse_categorical_crossentropy"), "dtype_mismatch")
    assert f.producer == "input" and f.actual == "object"


def test_int32_data_is_fine_in_keras_3() -> None:
    model = keras.Sequential([keras.Input((2,)), layers.Dense(1, activation="sigmoid")])
    x = np.array([[1, 2], [3, 4]], dtype=np.int32)
    assert diagnose(model, x, np.array([0, 1], dtype=np.int32), loss="binary_crossentropy").ok


# -- the seed article's three scenarios ---------------------------------------------


def seed_model() -> keras.Sequential:
    model = keras.Sequential([layers.Flatten(input_shape=(28, 28)), layers.Dense(100, activation="relu"),
                              layers.Dense(10, activation="softmax", name="out")])
    model.compile("adam", "sparse_categorical_crossentropy")
    return model


def test_seed_more_classes_than_units_is_an_error() -> None:
    f = only(diagnose(seed_model(), images(96, channels=None), np.arange(96) % 12), "units_mismatch")
    assert f.severity == Severity.ERROR and f.expected == "12 units" and f.actual == "10 units" and f.layer == "out"


def test_seed_fewer_classes_than_units_is_silent() -> None:
    f = only(diagnose(seed_model(), images(60, channels=None), np.arange(60) % 5), "units_mismatch")
    assert f.severity == Severity.WARNING and f.expected == "5 units"


def test_fewer_classes_than_units_through_imagedatagenerator_flow() -> None:
    from tensorflow.keras.preprocessing.image import ImageDataGenerator  # Keras 3 keeps it for tf.keras only

    y = np.arange(60) % 5
    flow = ImageDataGenerator(horizontal_flip=True).flow(images(60, channels=None)[..., None], y, batch_size=16)
    model = keras.Sequential([layers.Flatten(input_shape=(28, 28, 1)), layers.Dense(10, activation="softmax", name="out")])
    model.compile("adam", "sparse_categorical_crossentropy")
    f = only(diagnose(model, flow), "units_mismatch")
    assert f.severity == Severity.WARNING and f.expected == "5 units"


def _class_folders(root, counts: list[int]) -> None:
    """``root/c<i>/<j>.png`` files (empty: the tests stand in for Pillow, which is not installed)."""
    for i, n in enumerate(counts):
        (root / f"c{i}").mkdir()
        for j in range(n):
            (root / f"c{i}" / f"{j}.png").write_bytes(b"")


@pytest.fixture
def fake_images(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every image file loads as a 12x12 RGB array, so a DirectoryIterator yields batches without Pillow."""
    from keras.src.legacy.preprocessing import image as legacy

    monkeypatch.setattr(legacy.image_utils, "load_img", lambda path, **kwargs: np.full((12, 12, 3), 0.5, "float32"))


@pytest.mark.usefixtures("fake_images")
@pytest.mark.parametrize("mode", ["sparse", "categorical", "binary"])
def test_flow_from_directory_labels_are_those_its_batches_yield(tmp_path, mode: str) -> None:
    from tensorflow.keras.preprocessing.image import ImageDataGenerator

    from kerasfix.sample import iterator_labels

    _class_folders(tmp_path, [3, 2] if mode == "binary" else [3, 2, 4, 1, 2])
    flow = ImageDataGenerator().flow_from_directory(
        str(tmp_path), target_size=(12, 12), class_mode=mode, batch_size=4, shuffle=False)
    labels = iterator_labels(flow)
    yielded = np.concatenate([flow[i][1] for i in range(len(flow))])
    assert labels.dtype == yielded.dtype and np.array_equal(labels, yielded)


@pytest.mark.usefixtures("fake_images")
@pytest.mark.parametrize("mode", ["sparse", "categorical"])
def test_flow_from_dataframe_labels_are_those_its_batches_yield(tmp_path, mode: str) -> None:
    import pandas as pd
    from tensorflow.keras.preprocessing.image import ImageDataGenerator

    from kerasfix.sample import iterator_labels

    _class_folders(tmp_path, [6])
    frame = pd.DataFrame({"file": [f"c0/{j}.png" for j in range(6)], "label": ["b", "a", "c", "a", "b", "a"]})
    flow = ImageDataGenerator().flow_from_dataframe(
        frame, str(tmp_path), "file", "label", target_size=(12, 12), class_mode=mode, batch_size=4, shuffle=False)
    yielded = np.concatenate([flow[i][1] for i in range(len(flow))])
    assert np.array_equal(iterator_labels(flow), yielded)
    multi = frame.assign(label=[["a", "b"]] * 6)
    several = ImageDataGenerator().flow_from_dataframe(multi, str(tmp_path), "file", "label", class_mode="categorical")
    assert iterator_labels(several) is None  # several classes per image: no one class id per file


@pytest.mark.usefixtures("fake_images")
def test_fewer_classes_than_units_through_flow_from_directory(tmp_path) -> None:
    from tensorflow.keras.preprocessing.image import ImageDataGenerator

    _class_folders(tmp_path, [4] * 5)
    flow = ImageDataGenerator(rescale=1 / 255).flow_from_directory(
        str(tmp_path), target_size=(12, 12), class_mode="sparse", batch_size=4)
    model = keras.Sequential([layers.Flatten(input_shape=(12, 12, 3)), layers.Dense(10, activation="softmax", name="out")])
    model.compile("adam", "sparse_categorical_crossentropy")
    f = only(diagnose(model, flow), "units_mismatch")
    assert f.severity == Severity.WARNING and f.expected == "5 units"


@pytest.mark.usefixtures("fake_images")
def test_flow_from_directory_without_class_labels_is_not_read(tmp_path) -> None:
    from tensorflow.keras.preprocessing.image import ImageDataGenerator

    from kerasfix.sample import iterator_labels

    _class_folders(tmp_path, [2, 2])
    for mode in ("input", None):
        assert iterator_labels(ImageDataGenerator().flow_from_directory(str(tmp_path), class_mode=mode)) is None

    class Relabelled(type(ImageDataGenerator().flow_from_directory(str(tmp_path)))):  # type: ignore[misc]
        """A subclass may yield other labels than its classes."""

    assert iterator_labels(Relabelled(str(tmp_path), ImageDataGenerator(), class_mode="sparse")) is None


def test_a_pydataset_holding_labels_of_its_own_is_not_read_for_the_class_count() -> None:
    class Batches(keras.utils.PyDataset):
        """Holds ``y`` but yields something else: its labels are only what its batches show."""

        def __init__(self, x: np.ndarray, y: np.ndarray) -> None:
            super().__init__()
            self.x, self.y = x, y

        def __len__(self) -> int:
            return 4

        def __getitem__(self, i: int) -> tuple[np.ndarray, np.ndarray]:
            return self.x[i * 16:(i + 1) * 16], self.y[i * 16:(i + 1) * 16] % 2

    model = keras.Sequential([layers.Flatten(input_shape=(28, 28)), layers.Dense(10, activation="softmax", name="out")])
    model.compile("adam", "sparse_categorical_crossentropy")
    assert diagnose(model, Batches(images(64, channels=None), np.arange(64) % 5)).ok


def test_seed_labels_as_strings() -> None:
    y = np.array([f"c{i}" for i in range(10)])[np.arange(40) % 10]
    assert only(diagnose(seed_model(), images(40, channels=None), y), "dtype_mismatch").producer == "labels"


class WrongWayRound(keras.layers.Layer):
    def __init__(self, units: int = 32) -> None:
        super().__init__()
        self.units = units

    def build(self, input_shape):
        self.w = self.add_weight(shape=(self.units, input_shape[-1]), initializer="random_normal")

    def call(self, inputs):
        return keras.ops.matmul(inputs, self.w)


def test_seed_custom_layer_with_weights_the_wrong_way_round() -> None:
    diag = diagnose([keras.Input((10,)), layers.Dense(64, name="d"), WrongWayRound(32), layers.Dense(1)],
                    RNG.random((16, 10)), classes(16, 2), loss="binary_crossentropy")
    f = only(diag, "custom_layer_error")
    assert f.producer == "d" and "WrongWayRound" in f.message and "(None, 64)" in f.message


class ForgetsReturn(keras.layers.Layer):
    def call(self, inputs):
        inputs * 2  # noqa: B018  (the bug under test)


def test_custom_call_without_return_blames_the_custom_layer_not_the_next() -> None:
    diag = diagnose([keras.Input((4,)), ForgetsReturn(name="buggy"), layers.Dense(1, name="next")],
                    RNG.random((16, 4)), RNG.random(16), loss="mse")
    f = only(diag, "custom_layer_error")
    assert f.layer == "buggy" and "return" in f.message


class Crashes(keras.layers.Layer):
    def call(self, inputs):
        raise RuntimeError("bug in my layer")


def test_a_non_shape_bug_in_a_custom_call_is_reported_as_such() -> None:
    f = only(diagnose([keras.Input((4,)), Crashes(name="mine"), layers.Dense(1)], RNG.random((8, 4)), RNG.random(8), loss="mse"),
             "custom_layer_error")
    assert f.layer == "mine" and "bug in my layer" in f.message


# -- silent faults -------------------------------------------------------------------


def test_categorical_loss_on_integer_labels() -> None:
    model = keras.Sequential([keras.Input((8,)), layers.Dense(4, activation="softmax", name="out")])
    f = only(diagnose(model, RNG.random((32, 8)), classes(32, 4), loss="categorical_crossentropy"), "loss_label_mismatch")
    assert f.layer == "out" and "one-hot" in f.message


def test_sparse_loss_on_one_hot_labels() -> None:
    model = keras.Sequential([keras.Input((8,)), layers.Dense(4, activation="softmax")])
    y = np.eye(4)[classes(32, 4)]
    f = only(diagnose(model, RNG.random((32, 8)), y, loss="sparse_categorical_crossentropy"), "loss_label_mismatch")
    assert "one-hot" in f.message


def test_bce_with_one_sigmoid_unit_on_ten_classes_is_silent() -> None:
    model = keras.Sequential([keras.Input((8,)), layers.Dense(1, activation="sigmoid")])
    f = only(diagnose(model, RNG.random((40, 8)), classes(40, 10), loss="binary_crossentropy"), "loss_label_mismatch")
    assert f.severity == Severity.WARNING


def test_softmax_on_one_unit() -> None:
    model = keras.Sequential([keras.Input((6,)), layers.Dense(1, activation="softmax", name="out")])
    f = only(diagnose(model, RNG.random((32, 6)), classes(32, 2), loss="binary_crossentropy"), "activation_loss_mismatch")
    assert f.layer == "out" and f.severity == Severity.WARNING


def test_softmax_output_with_from_logits_loss() -> None:
    model = keras.Sequential([keras.Input((6,)), layers.Dense(3, activation="softmax")])
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    f = only(diagnose(model, RNG.random((30, 6)), classes(30, 3), loss=loss), "activation_loss_mismatch")
    assert f.actual == "from_logits=True"


def test_dense_on_rank_3_embeddings_with_per_sample_labels_is_rank_silent() -> None:
    inputs = keras.Input((12,), dtype="int32")
    out = layers.Dense(1, activation="sigmoid", name="head")(layers.Embedding(100, 8, name="emb")(inputs))
    model = keras.Model(inputs, out)
    model.compile("adam", "mse")
    diag = diagnose(model, RNG.integers(0, 100, (32, 12)), RNG.integers(0, 2, (32, 1)).astype("float32"))
    f = only(diag, "rank_silent")
    assert (f.producer, f.layer) == ("emb", "head") and f.severity == Severity.WARNING


def test_add_that_only_works_by_broadcasting() -> None:
    a, b = keras.Input((10,)), keras.Input((4,))
    merged = layers.Add(name="add")([layers.Dense(10, name="wide")(a), layers.Dense(1, name="narrow")(b)])
    model = keras.Model([a, b], layers.Dense(1)(merged))
    diag = diagnose(model, [RNG.random((16, 10)), RNG.random((16, 4))], RNG.random(16), loss="mse")
    f = only(diag, "shape_mismatch")
    assert f.layer == "add" and "wide" in (f.producer or "") and "narrow" in (f.producer or "")


# -- correct models stay clean -----------------------------------------------------


def test_correct_multi_input_functional_with_concatenate_is_clean() -> None:
    a, b = keras.Input((6,)), keras.Input((4,))
    merged = layers.Concatenate()([layers.Dense(8)(a), layers.Dense(8)(b)])
    model = keras.Model([a, b], layers.Dense(3, activation="softmax")(merged))
    model.compile("adam", "sparse_categorical_crossentropy")
    diag = diagnose(model, [RNG.random((32, 6)), RNG.random((32, 4))], classes(32, 3))
    assert diag.ok, str(diag)
    assert "no problems found" in str(diag)


def test_nested_sequential_inside_functional_is_clean() -> None:
    inner = keras.Sequential([layers.Dense(8, activation="relu"), layers.Dense(3, activation="softmax")], name="inner")
    inputs = keras.Input((5,))
    model = keras.Model(inputs, inner(inputs))
    assert diagnose(model, RNG.random((32, 5)), classes(32, 3), loss="sparse_categorical_crossentropy").ok


def test_data_sources_are_sampled_not_materialised() -> None:
    import tensorflow as tf

    model = keras.Sequential([keras.Input((4,)), layers.Dense(2, activation="softmax")])
    x, y = RNG.random((64, 4)).astype("float32"), classes(64, 2)
    ds = tf.data.Dataset.from_tensor_slices((x, y)).batch(16)
    assert diagnose(model, ds, loss="sparse_categorical_crossentropy").ok

    def gen():
        while True:
            yield x[:16], y[:16]

    assert diagnose(model, gen(), loss="sparse_categorical_crossentropy").ok
    # Data is read as Keras 3 reads it: it refuses a Python list of samples (a list is one input per element).
    [finding] = diagnose(model, x.tolist(), y, loss="sparse_categorical_crossentropy").findings
    assert finding.kind == "data_shape_mismatch" and finding.detail.cause == "list_input"  # type: ignore[union-attr]


@pytest.mark.parametrize("name,size", [
    ("MobileNetV3Small", 96), ("ResNet50", 64), ("DenseNet121", 64), ("EfficientNetB0", 64),
    ("Xception", 71), ("InceptionV3", 75), ("VGG16", 32), ("NASNetMobile", 224), ("ConvNeXtTiny", 32),
])
def test_keras_applications_come_back_clean(name: str, size: int) -> None:
    """A sample of keras.applications here (bench/false_alarms.py sweeps every architecture)."""
    build = getattr(keras.applications, name)
    kwargs = {"input_shape": (size, size, 3)} if name != "NASNetMobile" else {}
    model = build(weights=None, classes=10, **kwargs)
    x = RNG.random((10, *model.input_shape[1:])).astype("float32")
    diag = diagnose(model, x, classes(10, 10), loss="sparse_categorical_crossentropy")
    assert diag.ok, str(diag.findings)


class _ForgotHead(keras.Model):
    """A regression model whose ``call`` ends at the hidden layer: ``self.out`` is made and never applied."""

    def __init__(self) -> None:
        super().__init__()
        self.hidden = layers.Dense(16, activation="relu")
        self.out = layers.Dense(1)

    def call(self, x):  # type: ignore[no-untyped-def]
        return self.hidden(x)


def test_a_subclassed_models_head_that_call_never_applies_is_named_not_hidden() -> None:
    """16 values per sample against one target: the loss broadcasts. The fault is the head call() skips, so
    the finding names it, and no fix resizes the hidden layer to make the shapes agree."""
    from kerasfix import suggest_fixes
    from kerasfix.faults.labels import UnitsDetail

    rng = np.random.default_rng(0)
    x, y = rng.random((32, 6)).astype("float32"), rng.random((32, 1)).astype("float32")
    model = _ForgotHead()
    model.compile(optimizer="adam", loss="mse")
    d = diagnose(model, x, y)
    (f,) = d.findings
    assert isinstance(f.detail, UnitsDetail) and f.detail.cause == "head_not_called"
    assert f.severity is Severity.WARNING and "call() never applies it" in f.message
    assert not any(getattr(e, "name", None) == "units" for fix in suggest_fixes(model, x, y) for e in fix.edits)


@pytest.mark.parametrize("units, targets, silent", [(1, 24, True), (3, 2, False)])
def test_regression_outputs_are_judged_against_the_targets_per_sample(units: int, targets: int, silent: bool) -> None:
    from kerasfix import suggest_fixes

    rng = np.random.default_rng(0)
    x, y = rng.random((32, 8)).astype("float32"), rng.random((32, targets)).astype("float32")
    model = keras.Sequential([keras.Input((8,)), layers.Dense(16, activation="relu"), layers.Dense(units)])
    model.compile(optimizer="adam", loss="mse")
    (f,) = diagnose(model, x, y).findings
    assert f.kind.value == "units_mismatch" and f.severity is (Severity.WARNING if silent else Severity.ERROR)
    fix = suggest_fixes(model, x, y)[0]
    assert fix.verified and [(e.name, e.value) for e in fix.edits] == [("units", targets)]


def test_token_ids_past_the_embedding_are_found_in_the_whole_array_not_only_the_sample() -> None:
    """Ids 1..40 with 0 for padding, input_dim 40: only the last rows hold id 40, which the sample never
    sees. A Functional model (the Embedding fed by its Input); the fix is input_dim 41, verified."""
    from kerasfix import suggest_fixes
    from kerasfix.faults.data import EmbeddingRangeDetail

    rng = np.random.default_rng(0)
    x = rng.integers(0, 40, (300, 12))
    x[-5:, 3] = 40
    y = rng.integers(0, 2, 300)
    inputs = keras.Input((12,))
    h = layers.GlobalAveragePooling1D()(layers.Embedding(40, 8)(inputs))
    model = keras.Model(inputs, layers.Dense(1, activation="sigmoid")(h))
    model.compile(optimizer="adam", loss="binary_crossentropy")
    (f,) = diagnose(model, x, y).findings
    assert f.kind.value == "embedding_range" and isinstance(f.detail, EmbeddingRangeDetail)
    assert (f.detail.input_dim, f.detail.high) == (40, 40.0)
    fix = suggest_fixes(model, x, y)[0]
    assert fix.verified and [(e.name, e.value) for e in fix.edits] == [("input_dim", 41)]
    assert diagnose(model, x[:, :] % 40, y).ok  # ids within the table: nothing to say


def _two_input_model() -> keras.Model:
    seq = keras.Input((10, 3), name="seq")
    meta = keras.Input((4,), name="meta")
    h = layers.Concatenate()([layers.GlobalAveragePooling1D()(seq), meta])
    model = keras.Model([seq, meta], layers.Dense(1)(h))
    model.compile(optimizer="adam", loss="mse")
    return model


def test_inputs_given_in_another_order_are_the_datas_fault_not_the_declarations() -> None:
    from kerasfix import suggest_fixes
    from kerasfix.faults.data import DataShapeDetail

    rng = np.random.default_rng(0)
    seq, meta, y = rng.random((32, 10, 3)), rng.random((32, 4)), rng.random((32, 1))
    model = _two_input_model()
    found = diagnose(model, [meta, seq], y).findings
    assert [f.kind.value for f in found] == ["data_shape_mismatch"]  # no wrong_input_shape on either Input
    assert isinstance(found[0].detail, DataShapeDetail) and found[0].detail.order == (1, 0)
    fix = suggest_fixes(model, [meta, seq], y)[0]
    assert fix.verified and [(e.how, e.order) for e in fix.edits] == [("reorder", (1, 0))]
    assert diagnose(model, [seq, meta], y).ok


def test_inputs_of_the_same_shape_are_never_guessed_into_an_order() -> None:
    a, b = keras.Input((4,)), keras.Input((4,))
    model = keras.Model([a, b], layers.Dense(1)(layers.Concatenate()([a, b])))
    model.compile(optimizer="adam", loss="mse")
    rng = np.random.default_rng(0)
    assert diagnose(model, [rng.random((16, 4)), rng.random((16, 4))], rng.random((16, 1))).ok


def test_labels_keyed_by_other_names_than_the_outputs_are_renamed_only_when_each_has_one_match() -> None:
    from kerasfix import suggest_fixes
    from kerasfix.faults.data import DataShapeDetail

    inp = keras.Input((6,))
    h = layers.Dense(8, activation="relu")(inp)
    model = keras.Model(inp, [layers.Dense(1, name="price_output")(h),
                              layers.Dense(3, activation="softmax", name="body_output")(h)])
    model.compile(optimizer="adam", loss={"price_output": "mse", "body_output": "sparse_categorical_crossentropy"})
    rng = np.random.default_rng(0)
    x, price, body = rng.random((32, 6)), rng.random((32, 1)), rng.integers(0, 3, 32)
    (f,) = diagnose(model, x, {"price": price, "body_type": body}).findings
    assert isinstance(f.detail, DataShapeDetail) and f.detail.cause == "label_keys"
    assert f.detail.keys == (("price", "price_output"), ("body_type", "body_output"))
    fix = suggest_fixes(model, x, {"price": price, "body_type": body})[0]
    assert fix.verified and fix.edits[0].how == "rename_keys"
    # "a"/"b" say nothing of which output they are: found, not guessed
    (f,) = diagnose(model, x, {"a": price, "b": body}).findings
    assert f.detail.cause == "label_keys" and f.detail.keys == ()
    assert suggest_fixes(model, x, {"a": price, "b": body}) == []
    assert diagnose(model, x, {"price_output": price, "body_output": body}).ok


@pytest.mark.parametrize("where, column", [("first", 0), ("last", 6)])
def test_the_labels_left_among_the_features_are_found_and_dropped(where: str, column: int) -> None:
    """A feature column proportional to the labels (``data[:, 0:] / 255``): silent, found on the whole array;
    the fix drops it and declares one feature fewer, and the model is then clean."""
    from kerasfix import suggest_fixes
    from kerasfix.faults.data import LabelLeakDetail

    rng = np.random.default_rng(0)
    y = rng.integers(0, 4, 200)
    rest = rng.random((200, 6))
    x = np.column_stack([y / 255.0, rest]) if column == 0 else np.column_stack([rest, y / 255.0])
    model = keras.Sequential([keras.Input((7,)), layers.Dense(8, activation="relu"),
                              layers.Dense(4, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    (f,) = diagnose(model, x, y).findings
    assert isinstance(f.detail, LabelLeakDetail) and f.detail.column == column and f.severity is Severity.WARNING
    fix = suggest_fixes(model, x, y)[0]
    assert fix.verified and fix.edits[0].how == f"drop_{where}_column"
    noisy = x.copy()
    noisy[:, column] += rng.normal(0, 0.01, 200)  # a feature that merely correlates is not the labels
    assert not any(g.kind.value == "label_leak" for g in diagnose(model, noisy, y).findings)


def test_one_flag_per_time_step_turns_the_last_recurrent_layer_to_sequences() -> None:
    """Labels (N, 50), one 0/1 flag per step, and a Bidirectional GRU that returns its last state: the fix
    is return_sequences=True on the wrapped GRU (the Dense layers then tag each step), not 50 output units."""
    from kerasfix import suggest_fixes

    rng = np.random.default_rng(0)
    x, y = rng.random((64, 50, 2)).astype("float32"), (rng.random((64, 50)) < 0.1).astype("float32")
    model = keras.Sequential([keras.Input((50, 2)), layers.Bidirectional(layers.GRU(8)),
                              layers.Dense(4, activation="relu"), layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy")
    fix = suggest_fixes(model, x, y)[0]
    assert fix.verified and [(e.name, e.value) for e in fix.edits] == [("return_sequences", True)]
    assert fix.apply(model).output_shape == (None, 50, 1)


def test_labels_keyed_like_a_models_dict_of_outputs_are_not_renamed() -> None:
    """Outputs given as a dict: Keras matches the labels to its keys, not to the output layers' names."""
    inp = keras.Input((6,))
    h = layers.Dense(8)(inp)
    model = keras.Model(inp, {"price": layers.Dense(1, name="price_output")(h),
                              "body": layers.Dense(3, activation="softmax", name="body_output")(h)})
    model.compile(optimizer="adam", loss={"price": "mse", "body": "sparse_categorical_crossentropy"})
    rng = np.random.default_rng(0)
    y = {"price": rng.random((32, 1)), "body": rng.integers(0, 3, 32)}
    assert not any(f.kind.value == "data_shape_mismatch" for f in diagnose(model, rng.random((32, 6)), y).findings)
