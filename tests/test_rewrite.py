"""Tests for kerasfix.rewrite: edits rendered into source, formatting kept, idempotent.

Edits are built from the source they apply to (``lambda s: [...]``), locating
calls by their callee text, so the idempotence check can re-locate the same
layers in the rewritten output, as a re-diagnosis would.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Sequence

import libcst as cst
import pytest
from libcst.metadata import MetadataWrapper, PositionProvider

from kerasfix.rewrite import RewriteError, apply_edits
from kerasfix.types import (
    CastData,
    Edit,
    EncodeLabels,
    InsertLayer,
    LayerRef,
    LayerSpec,
    MoveLayer,
    Origin,
    RemoveLayerArgument,
    ReplaceLayerClass,
    ReshapeData,
    SetCompileArgument,
    SetInputShape,
    SetLayerArgument,
)

PATH = "train.py"
EditsFor = Callable[[str], Sequence[Edit]]


# ---------------------------------------------------------------------------
# Helpers


def origin(source: str, callee: str, n: int = 0, path: str = PATH) -> Origin:
    """Span of the ``n``-th call (in source order) whose callee is written ``callee``."""
    wrapper = MetadataWrapper(cst.parse_module(source))
    spans = sorted(
        (where.start.line, where.start.column, where.end.line, where.end.column)
        for node, where in wrapper.resolve(PositionProvider).items()
        if isinstance(node, cst.Call) and wrapper.module.code_for_node(node.func) == callee
    )
    if n >= len(spans):
        raise AssertionError(f"no call number {n} to {callee!r} in source")
    return Origin(path, *spans[n])


def layer(source: str, callee: str, n: int = 0, class_name: str | None = None) -> LayerRef:
    """A LayerRef for the ``n``-th ``callee(...)`` call; class name from the callee by default."""
    cls = class_name or callee.split(".")[-1]
    return LayerRef(f"{cls.lower()}_{n}", cls, origin(source, callee, n))


def assert_rewrite(before: str, after: str, edits: EditsFor) -> None:
    """``edits`` turn ``before`` into ``after``; re-made on ``after``, they change nothing."""
    before, after = textwrap.dedent(before), textwrap.dedent(after)
    out = apply_edits(before, edits(before), path=PATH)
    assert out == after
    assert apply_edits(out, edits(out), path=PATH) == out


def crlf(text: str) -> str:
    return textwrap.dedent(text).replace("\n", "\r\n")


FLATTEN = LayerSpec("Flatten")


def insert_flatten(callee: str = "layers.Dense", n: int = 0) -> EditsFor:
    return lambda s: [InsertLayer(layer(s, callee, n), FLATTEN)]


# ---------------------------------------------------------------------------
# InsertLayer: Sequential lists


def test_insert_in_one_per_line_list_keeps_comments_and_trailing_comma() -> None:
    assert_rewrite(
        """\
        from keras import layers
        import keras

        model = keras.Sequential([  # the model
            layers.Conv2D(32, 3, activation="relu"),  # features
            layers.MaxPooling2D(),
            # classifier
            layers.Dense(10, activation="softmax"),  # 10 classes
        ])
        """,
        """\
        from keras import layers
        import keras

        model = keras.Sequential([  # the model
            layers.Conv2D(32, 3, activation="relu"),  # features
            layers.MaxPooling2D(),
            layers.Flatten(),
            # classifier
            layers.Dense(10, activation="softmax"),  # 10 classes
        ])
        """,
        insert_flatten(),
    )


def test_insert_before_first_element() -> None:
    assert_rewrite(
        """\
        from keras import layers
        model = keras.Sequential(
            [
                # only layer
                layers.Dense(1)
            ]
        )
        """,
        """\
        from keras import layers
        model = keras.Sequential(
            [
                layers.Flatten(),
                # only layer
                layers.Dense(1)
            ]
        )
        """,
        insert_flatten(),
    )


def test_insert_in_one_line_list() -> None:
    assert_rewrite(
        """\
        from keras import layers
        model = keras.Sequential([layers.Conv2D(8, 3), layers.Dense(2)])
        """,
        """\
        from keras import layers
        model = keras.Sequential([layers.Conv2D(8, 3), layers.Flatten(), layers.Dense(2)])
        """,
        insert_flatten(),
    )


def test_insert_in_one_line_list_at_front_and_tuple() -> None:
    assert_rewrite(
        """\
        from keras import layers
        model = keras.Sequential((layers.Dense(2),))
        """,
        """\
        from keras import layers
        model = keras.Sequential((layers.Flatten(), layers.Dense(2),))
        """,
        insert_flatten(),
    )


def test_insert_in_hanging_list() -> None:
    assert_rewrite(
        """\
        from keras import layers
        model = keras.Sequential([layers.Conv2D(8, 3),
                                  layers.Dense(2)])
        """,
        """\
        from keras import layers
        model = keras.Sequential([layers.Conv2D(8, 3),
                                  layers.Flatten(),
                                  layers.Dense(2)])
        """,
        insert_flatten(),
    )


def test_insert_layer_with_arguments() -> None:
    spec = LayerSpec("Reshape", (("target_shape", (4, 4)),))
    assert_rewrite(
        """\
        from keras import layers
        model = keras.Sequential([layers.Dense(16), layers.Conv1D(2, 3)])
        """,
        """\
        from keras import layers
        model = keras.Sequential([layers.Dense(16), layers.Reshape(target_shape=(4, 4)), layers.Conv1D(2, 3)])
        """,
        lambda s: [InsertLayer(layer(s, "layers.Conv1D"), spec)],
    )


def test_insert_is_a_no_op_when_the_layer_is_already_there() -> None:
    source = textwrap.dedent(
        """\
        from keras import layers
        model = keras.Sequential([layers.Conv2D(8, 3), layers.Flatten(), layers.Dense(2)])
        """
    )
    assert apply_edits(source, insert_flatten()(source)) == source


def test_two_equal_inserts_insert_once() -> None:
    source = "from keras import layers\nm = keras.Sequential([layers.Conv2D(8, 3), layers.Dense(2)])\n"
    edits = list(insert_flatten()(source)) * 2
    assert apply_edits(source, edits).count("Flatten") == 1


# ---------------------------------------------------------------------------
# InsertLayer: naming in the file's style


@pytest.mark.parametrize(
    ("imports", "callee", "flatten"),
    [
        ("import tensorflow as tf\n", "tf.keras.layers.Dense", "tf.keras.layers.Flatten"),
        ("import keras\n", "keras.layers.Dense", "keras.layers.Flatten"),
        ("from keras import layers as L\n", "L.Dense", "L.Flatten"),
        ("from tensorflow.keras import layers\n", "layers.Dense", "layers.Flatten"),
    ],
)
def test_new_layer_is_named_like_its_neighbour(imports: str, callee: str, flatten: str) -> None:
    assert_rewrite(
        f"{imports}model = Sequential([{callee}(2)])\n",
        f"{imports}model = Sequential([{flatten}(), {callee}(2)])\n",
        insert_flatten(callee),
    )


def test_bare_name_adds_to_the_existing_import() -> None:
    assert_rewrite(
        """\
        from keras.layers import Conv2D, Dense
        from keras.models import Sequential

        model = Sequential([Conv2D(8, 3), Dense(2)])
        """,
        """\
        from keras.layers import Conv2D, Dense, Flatten
        from keras.models import Sequential

        model = Sequential([Conv2D(8, 3), Flatten(), Dense(2)])
        """,
        insert_flatten("Dense"),
    )


def test_bare_name_from_tensorflow_keras_imports_from_there() -> None:
    assert_rewrite(
        """\
        from tensorflow.keras.layers import Dense
        model = Sequential([Dense(2)])
        """,
        """\
        from tensorflow.keras.layers import Dense, Flatten
        model = Sequential([Flatten(), Dense(2)])
        """,
        insert_flatten("Dense"),
    )


def test_bare_name_already_imported_adds_nothing() -> None:
    assert_rewrite(
        """\
        from keras.layers import Dense, Flatten as F
        model = Sequential([Dense(2)])
        """,
        """\
        from keras.layers import Dense, Flatten as F
        model = Sequential([F(), Dense(2)])
        """,
        insert_flatten("Dense"),
    )


def test_unknown_bare_class_falls_back_to_the_file_keras_import() -> None:
    assert_rewrite(
        """\
        import keras
        model = keras.Sequential([MyBlock(2)])
        """,
        """\
        import keras
        model = keras.Sequential([keras.layers.Flatten(), MyBlock(2)])
        """,
        lambda s: [InsertLayer(layer(s, "MyBlock"), FLATTEN)],
    )


# ---------------------------------------------------------------------------
# InsertLayer: .add style and functional style


def test_insert_add_statement() -> None:
    assert_rewrite(
        """\
        from keras import layers
        model = keras.Sequential()
        model.add(layers.Conv2D(8, 3))

        # head
        model.add(layers.Dense(2))
        """,
        """\
        from keras import layers
        model = keras.Sequential()
        model.add(layers.Conv2D(8, 3))
        model.add(layers.Flatten())

        # head
        model.add(layers.Dense(2))
        """,
        insert_flatten(),
    )


def test_insert_add_statement_in_a_tab_indented_function() -> None:
    assert_rewrite(
        "from keras import layers\n"
        "def build():\n"
        "\tm = keras.Sequential()\n"
        "\tm.add(layers.Conv2D(8, 3))\n"
        "\tm.add(layers.Dense(2))\n"
        "\treturn m\n",
        "from keras import layers\n"
        "def build():\n"
        "\tm = keras.Sequential()\n"
        "\tm.add(layers.Conv2D(8, 3))\n"
        "\tm.add(layers.Flatten())\n"
        "\tm.add(layers.Dense(2))\n"
        "\treturn m\n",
        insert_flatten(),
    )


def test_insert_functional_wraps_the_input() -> None:
    assert_rewrite(
        """\
        from keras import layers
        inputs = keras.Input(shape=(8, 8, 3))
        h = layers.Conv2D(4, 3)(inputs)
        out = layers.Dense(2)(h)  # logits
        """,
        """\
        from keras import layers
        inputs = keras.Input(shape=(8, 8, 3))
        h = layers.Conv2D(4, 3)(inputs)
        out = layers.Dense(2)(layers.Flatten()(h))  # logits
        """,
        insert_flatten(),
    )


def test_insert_functional_keyword_input() -> None:
    assert_rewrite(
        "from keras import layers\nout = layers.Dense(2)(inputs=h)\n",
        "from keras import layers\nout = layers.Dense(2)(inputs=layers.Flatten()(h))\n",
        insert_flatten(),
    )


# ---------------------------------------------------------------------------
# CRLF and multiple edits


def test_crlf_file_stays_crlf() -> None:
    before = crlf(
        """\
        from keras.layers import Conv2D, Dense
        model = Sequential([
            Conv2D(8, 3),
            Dense(2),
        ])
        model2 = Sequential()
        model2.add(Conv2D(8, 3))
        model2.add(Dense(2))
        """
    )
    after = crlf(
        """\
        from keras.layers import Conv2D, Dense, Flatten
        model = Sequential([
            Conv2D(8, 3),
            Flatten(),
            Dense(2),
        ])
        model2 = Sequential()
        model2.add(Conv2D(8, 3))
        model2.add(Flatten())
        model2.add(Dense(2))
        """
    )

    def edits(s: str) -> list[Edit]:
        return [InsertLayer(layer(s, "Dense", 0), FLATTEN), InsertLayer(layer(s, "Dense", 1), FLATTEN)]

    assert_rewrite(before, after, edits)
    assert "\n" not in apply_edits(before, edits(before)).replace("\r\n", "")


def test_positions_refer_to_the_original_source() -> None:
    assert_rewrite(
        """\
        from keras import layers
        model = keras.Sequential([
            layers.Conv2D(8, 3),
            layers.Dense(2),
            layers.Dense(3),
        ])
        model.compile(loss="mse")
        x = load()
        model.fit(x, y)
        """,
        """\
        from keras import layers
        model = keras.Sequential([
            layers.Conv2D(8, 3),
            layers.Flatten(),
            layers.Dense(2),
            layers.Dense(10),
        ])
        model.compile(loss="sparse_categorical_crossentropy")
        x = load()
        x = x.astype("float32")
        model.fit(x, y)
        """,
        lambda s: [
            InsertLayer(layer(s, "layers.Dense", 0), FLATTEN),
            SetLayerArgument(layer(s, "layers.Dense", 1), "units", 10, 0),
            SetCompileArgument("loss", "sparse_categorical_crossentropy", origin(s, "model.compile")),
            CastData("x", "float32", origin(s, "model.fit")),
        ],
    )


# ---------------------------------------------------------------------------
# MoveLayer


def test_move_in_list_with_comments() -> None:
    assert_rewrite(
        """\
        model = Sequential([
            Dense(10),  # dense
            # the convolution
            Conv2D(3, 3),  # conv
            Flatten(),
        ])
        """,
        """\
        model = Sequential([
            # the convolution
            Conv2D(3, 3),  # conv
            Dense(10),  # dense
            Flatten(),
        ])
        """,
        lambda s: [MoveLayer(layer(s, "Conv2D"), layer(s, "Dense"))],
    )


def test_move_to_end_of_one_line_list() -> None:
    assert_rewrite(
        "m = Sequential([Dense(10), Conv2D(3, 3), Flatten()])\n",
        "m = Sequential([Conv2D(3, 3), Flatten(), Dense(10)])\n",
        lambda s: [MoveLayer(layer(s, "Dense"), None)],
    )


def test_move_last_element_with_trailing_comma() -> None:
    assert_rewrite(
        """\
        m = Sequential([
            Dense(10),
            Conv2D(3, 3),  # conv
        ])
        """,
        """\
        m = Sequential([
            Conv2D(3, 3),  # conv
            Dense(10),
        ])
        """,
        lambda s: [MoveLayer(layer(s, "Conv2D"), layer(s, "Dense"))],
    )


def test_move_add_statements() -> None:
    assert_rewrite(
        """\
        model.add(Dense(10))
        model.add(Conv2D(3, 3))
        model.add(Flatten())
        model.fit(x, y)
        """,
        """\
        model.add(Conv2D(3, 3))
        model.add(Flatten())
        model.add(Dense(10))
        model.fit(x, y)
        """,
        lambda s: [MoveLayer(layer(s, "Dense"), None)],
    )


def test_move_add_statement_before_another() -> None:
    assert_rewrite(
        """\
        model.add(Dense(10))
        model.add(Conv2D(3, 3))
        """,
        """\
        model.add(Conv2D(3, 3))
        model.add(Dense(10))
        """,
        lambda s: [MoveLayer(layer(s, "Conv2D"), layer(s, "Dense"))],
    )


# ---------------------------------------------------------------------------
# SetLayerArgument / RemoveLayerArgument


@pytest.mark.parametrize(
    ("before", "after", "name", "value", "position"),
    [
        ("Dense(64)", "Dense(10)", "units", 10, 0),
        ("Dense(units=64)", "Dense(units=10)", "units", 10, 0),
        ("Dense(64, activation='relu')", 'Dense(64, activation="softmax")', "activation", "softmax", None),
        ("Dense(64)", 'Dense(64, activation="softmax")', "activation", "softmax", None),
        ("Dense(units = 64)", 'Dense(units = 64, activation = "softmax")', "activation", "softmax", None),
        ("Dense()", "Dense(units=3)", "units", 3, 0),
        ("Conv2D(8, 3)", 'Conv2D(8, 3, padding="same")', "padding", "same", None),
        ("Reshape((4,))", "Reshape((2, 2))", "target_shape", (2, 2), 0),
        ("Dense(64, use_bias=1)", "Dense(64, use_bias=True)", "use_bias", True, None),
    ],
)
def test_set_layer_argument(before: str, after: str, name: str, value: object, position: int | None) -> None:
    callee = before.split("(")[0]
    assert_rewrite(
        f"m = Sequential([{before}])\n",
        f"m = Sequential([{after}])\n",
        lambda s: [SetLayerArgument(layer(s, callee), name, value, position)],  # type: ignore[arg-type]
    )


def test_set_layer_argument_multiline_with_trailing_comma() -> None:
    assert_rewrite(
        """\
        layers.Dense(
            64,
            activation="relu",  # hidden
        )
        """,
        """\
        layers.Dense(
            64,
            activation="relu",  # hidden
            name="head",
        )
        """,
        lambda s: [SetLayerArgument(layer(s, "layers.Dense"), "name", "head")],
    )


def test_set_layer_argument_multiline_without_trailing_comma() -> None:
    assert_rewrite(
        """\
        layers.Dense(64,
                     activation="relu")
        """,
        """\
        layers.Dense(64,
                     activation="relu",
                     name="head")
        """,
        lambda s: [SetLayerArgument(layer(s, "layers.Dense"), "name", "head")],
    )


@pytest.mark.parametrize(
    ("before", "after", "name", "position"),
    [
        ("Dense(64, input_shape=(28, 28))", "Dense(64)", "input_shape", None),
        ("Dense(input_shape=(28, 28), units=64)", "Dense(units=64)", "input_shape", None),
        ("Dense(64, input_shape=(28, 28), activation='relu')", "Dense(64, activation='relu')", "input_shape", None),
        ("Dense(64, 'relu')", "Dense(64)", "activation", 1),
        ("Dense(64)", "Dense(64)", "input_shape", None),
    ],
)
def test_remove_layer_argument(before: str, after: str, name: str, position: int | None) -> None:
    assert_rewrite(
        f"m = Sequential([{before}])\n",
        f"m = Sequential([{after}])\n",
        lambda s: [RemoveLayerArgument(layer(s, "Dense"), name, position)],
    )


def test_remove_layer_argument_multiline() -> None:
    assert_rewrite(
        """\
        layers.Dense(
            64,
            input_shape=(28, 28),  # from the data
            activation="relu",
        )
        layers.Dense(
            64,
            input_shape=(28, 28),
        )
        """,
        """\
        layers.Dense(
            64,
            activation="relu",
        )
        layers.Dense(
            64,
        )
        """,
        lambda s: [
            RemoveLayerArgument(layer(s, "layers.Dense", 0), "input_shape"),
            RemoveLayerArgument(layer(s, "layers.Dense", 1), "input_shape"),
        ],
    )


def test_remove_positional_argument_in_the_middle_raises() -> None:
    source = "m = Sequential([Conv2D(8, 3, 2)])\n"
    with pytest.raises(RewriteError, match="shifting"):
        apply_edits(source, [RemoveLayerArgument(layer(source, "Conv2D"), "kernel_size", 1)])


def test_append_argument_after_double_star_raises() -> None:
    source = "m = Sequential([Dense(8, **kw)])\n"
    with pytest.raises(RewriteError, match="kwargs"):
        apply_edits(source, [SetLayerArgument(layer(source, "Dense"), "activation", "relu")])


# ---------------------------------------------------------------------------
# SetInputShape


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("inputs = keras.Input((4,))", "inputs = keras.Input((28, 28))"),
        ("inputs = keras.Input(shape=(4,), name='x')", "inputs = keras.Input(shape=(28, 28), name='x')"),
        ("inputs = keras.Input(batch_shape=(None, 4))", "inputs = keras.Input(shape=(28, 28))"),
        ("inputs = keras.Input(name='x')", "inputs = keras.Input(name='x', shape=(28, 28))"),
        (
            "inputs = keras.layers.InputLayer(input_shape=(4,))",
            "inputs = keras.layers.InputLayer(input_shape=(28, 28))",
        ),
    ],
)
def test_set_input_shape_on_input(before: str, after: str) -> None:
    callee = before.split(" = ")[1].split("(")[0]
    assert_rewrite(
        before + "\n",
        after + "\n",
        lambda s: [SetInputShape(layer(s, callee, class_name="InputLayer"), (28, 28))],
    )


@pytest.mark.parametrize(
    ("before", "after", "shape"),
    [
        ("Dense(8, input_shape=(4,))", "Dense(8, input_shape=(28, 28))", (28, 28)),
        ("Dense(8, input_dim=4)", "Dense(8, input_dim=7)", (7,)),
        ("Dense(8, input_dim=4)", "Dense(8, input_shape=(28, 28))", (28, 28)),
        ("Dense(8, batch_input_shape=(None, 4))", "Dense(8, input_shape=(28, 28))", (28, 28)),
    ],
)
def test_set_input_shape_on_declaring_layer(before: str, after: str, shape: tuple[int, ...]) -> None:
    assert_rewrite(
        f"m = Sequential([{before}, Dense(1)])\n",
        f"m = Sequential([{after}, Dense(1)])\n",
        lambda s: [SetInputShape(layer(s, "Dense"), shape)],
    )


def test_set_input_shape_inserts_input_in_list() -> None:
    assert_rewrite(
        """\
        from keras import layers
        model = keras.Sequential([
            layers.Dense(8),
        ])
        """,
        """\
        from keras import layers
        model = keras.Sequential([
            layers.Input(shape=(28, 28)),
            layers.Dense(8),
        ])
        """,
        lambda s: [SetInputShape(layer(s, "layers.Dense"), (28, 28))],
    )


def test_set_input_shape_inserts_input_add_style_with_bare_import() -> None:
    assert_rewrite(
        """\
        from tensorflow.keras.layers import Dense
        model = Sequential()
        model.add(Dense(8))
        """,
        """\
        from tensorflow.keras.layers import Dense, Input
        model = Sequential()
        model.add(Input(shape=(4,)))
        model.add(Dense(8))
        """,
        lambda s: [SetInputShape(layer(s, "Dense"), (4,))],
    )


def test_set_input_shape_fixes_the_input_already_in_front() -> None:
    assert_rewrite(
        "m = Sequential([layers.Input(shape=(3,)), layers.Dense(8)])\n",
        "m = Sequential([layers.Input(shape=(4,)), layers.Dense(8)])\n",
        lambda s: [SetInputShape(layer(s, "layers.Dense"), (4,))],
    )


def test_set_input_shape_functional_without_declaration_raises() -> None:
    source = "h = layers.Dense(8)(x)\n"
    with pytest.raises(RewriteError, match="functional"):
        apply_edits(source, [SetInputShape(layer(source, "layers.Dense"), (4,))])


# ---------------------------------------------------------------------------
# SetCompileArgument


@pytest.mark.parametrize(
    ("before", "after", "name", "value"),
    [
        (
            'model.compile(optimizer="adam", loss="mse")',
            'model.compile(optimizer="adam", loss="binary_crossentropy")',
            "loss",
            "binary_crossentropy",
        ),
        ('model.compile("adam", "mse")', 'model.compile("adam", "binary_crossentropy")', "loss", "binary_crossentropy"),
        ('model.compile("adam")', 'model.compile("adam", loss="binary_crossentropy")', "loss", "binary_crossentropy"),
        ("model.compile('sgd', 'mse')", "model.compile(\"adam\", 'mse')", "optimizer", "adam"),
        (
            'model.compile("adam", "mse")',
            'model.compile("adam", "mse", metrics=("accuracy",))',
            "metrics",
            ("accuracy",),
        ),
    ],
)
def test_set_compile_argument(before: str, after: str, name: str, value: object) -> None:
    assert_rewrite(
        f"{before}\n",
        f"{after}\n",
        lambda s: [SetCompileArgument(name, value, origin(s, "model.compile"))],  # type: ignore[arg-type]
    )


def test_set_compile_argument_multiline() -> None:
    assert_rewrite(
        """\
        model.compile(
            optimizer="adam",
            loss="categorical_crossentropy",  # wrong for int labels
            metrics=["accuracy"],
        )
        """,
        """\
        model.compile(
            optimizer="adam",
            loss="sparse_categorical_crossentropy",  # wrong for int labels
            metrics=["accuracy"],
        )
        """,
        lambda s: [SetCompileArgument("loss", "sparse_categorical_crossentropy", origin(s, "model.compile"))],
    )


# ---------------------------------------------------------------------------
# Data edits


def test_cast_after_assignment() -> None:
    assert_rewrite(
        """\
        x = df.values  # features
        y = labels

        model.fit(x, y, epochs=3)
        """,
        """\
        x = df.values  # features
        x = x.astype("float32")
        y = labels

        model.fit(x, y, epochs=3)
        """,
        lambda s: [CastData("x", "float32", origin(s, "model.fit"))],
    )


def test_one_hot_after_tuple_target_assignment() -> None:
    assert_rewrite(
        """\
        import keras
        (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
        model.fit(x_train, y_train)
        """,
        """\
        import keras
        (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
        y_train = keras.utils.to_categorical(y_train)
        model.fit(x_train, y_train)
        """,
        lambda s: [EncodeLabels("one_hot", origin(s, "model.fit"))],
    )


def test_data_edit_goes_after_the_last_assignment_in_the_same_function() -> None:
    assert_rewrite(
        """\
        import numpy
        x = 1
        def train(model):
            x = load()
            x = x / 255
            print(x.shape)
            model.fit(x=x, y=labels)
        """,
        """\
        import numpy
        x = 1
        def train(model):
            x = load()
            x = x / 255
            x = numpy.expand_dims(x, -1)
            print(x.shape)
            model.fit(x=x, y=labels)
        """,
        lambda s: [ReshapeData("x", "add_channel", origin(s, "model.fit"))],
    )


def test_several_data_edits_on_one_name_keep_their_order() -> None:
    assert_rewrite(
        """\
        import numpy as np
        x, y = load()
        model.fit(x, y)
        """,
        """\
        import numpy as np
        x, y = load()
        x = x.astype("float32")
        x = np.expand_dims(x, -1)
        y = y.argmax(axis=-1)
        model.fit(x, y)
        """,
        lambda s: [
            CastData("x", "float32", origin(s, "model.fit")),
            ReshapeData("x", "add_channel", origin(s, "model.fit")),
            EncodeLabels("argmax", origin(s, "model.fit")),
        ],
    )


def test_channel_axis_reaches_each_array_once_train_test_and_validation() -> None:
    assert_rewrite(
        """\
        import numpy as np
        x_train, x_test = load()
        x_val = load_val()
        model.fit(x_train, y, validation_data=(x_val, y_val))
        model.evaluate(x_test, y)
        model.predict(x_train)
        model.predict(x_val[:3])
        """,
        """\
        import numpy as np
        x_train, x_test = load()
        x_train = np.expand_dims(x_train, -1)
        x_test = np.expand_dims(x_test, -1)
        x_val = load_val()
        x_val = np.expand_dims(x_val, -1)
        model.fit(x_train, y, validation_data=(x_val, y_val))
        model.evaluate(x_test, y)
        model.predict(x_train)
        model.predict(x_val[:3])
        """,
        lambda s: [ReshapeData("x", "add_channel", origin(s, "model.fit"),
                               also=(origin(s, "model.evaluate"), origin(s, "model.predict"),
                                     origin(s, "model.predict", 1)))],
    )


def test_an_array_made_from_one_already_reshaped_is_not_reshaped_again() -> None:
    """``x_val`` and ``x_test`` cut from ``x`` after its axis was moved have it moved already (twice would scramble
    them); ``x_new``, cut from ``x`` before the statement after which it is moved, still gets its own."""
    assert_rewrite(
        """\
        import numpy as np
        x, y = load()
        x_new = x[::2]
        x, y = x[1:], y[1:]
        x_val, y_val = x[:16], y[:16]
        x_test = np.concatenate([x[-8:], x[:2]])
        model.fit(x, y, validation_data=(x_val, y_val))
        model.evaluate(x_test, y[-10:])
        model.predict(x_new)
        """,
        """\
        import numpy as np
        x, y = load()
        x_new = x[::2]
        x_new = np.moveaxis(x_new, 1, -1)
        x, y = x[1:], y[1:]
        x = np.moveaxis(x, 1, -1)
        x_val, y_val = x[:16], y[:16]
        x_test = np.concatenate([x[-8:], x[:2]])
        model.fit(x, y, validation_data=(x_val, y_val))
        model.evaluate(x_test, y[-10:])
        model.predict(x_new)
        """,
        lambda s: [ReshapeData("x", "channels_last", origin(s, "model.fit"),
                               also=(origin(s, "model.evaluate"), origin(s, "model.predict")))],
    )


def test_an_array_cut_after_its_source_was_assigned_again_is_reshaped() -> None:
    """``x`` is assigned anew after the array that was reshaped: a cut of the new ``x`` has not been changed."""
    assert_rewrite(
        """\
        import numpy as np
        x, y = load()
        model.fit(x, y)
        x = load_more()
        x_test = x[:8]
        model.evaluate(x_test, y[:8])
        """,
        """\
        import numpy as np
        x, y = load()
        x = np.moveaxis(x, 1, -1)
        model.fit(x, y)
        x = load_more()
        x_test = x[:8]
        x_test = np.moveaxis(x_test, 1, -1)
        model.evaluate(x_test, y[:8])
        """,
        lambda s: [ReshapeData("x", "channels_last", origin(s, "model.fit"), also=(origin(s, "model.evaluate"),))],
    )


def test_channel_axis_at_the_call_for_data_not_made_in_the_block() -> None:
    assert_rewrite(
        """\
        def train(model, x, x_val):
            model.fit(x[:10], y, validation_data=[x_val, y_val])
            model.fit(x, y, validation_data=val_pairs)
        """,
        """\
        import numpy as np

        def train(model, x, x_val):
            model.fit(np.expand_dims(x, -1)[:10], y, validation_data=[np.expand_dims(x_val, -1), y_val])
            model.fit(np.expand_dims(x, -1), y, validation_data=val_pairs)
        """,
        lambda s: [ReshapeData("x", "add_channel", origin(s, "model.fit"), also=(origin(s, "model.fit", 1),))],
    )


def test_wrap_when_argument_is_not_a_name() -> None:
    assert_rewrite(
        """\
        model.fit(df.values, df["label"] + 0)
        """,
        """\
        model.fit(df.values.astype("float32"), (df["label"] + 0).reshape(-1, 1))
        """,
        lambda s: [
            CastData("x", "float32", origin(s, "model.fit")),
            ReshapeData("y", "column", origin(s, "model.fit")),
        ],
    )


def test_wrap_when_name_is_not_assigned_in_the_block() -> None:
    assert_rewrite(
        """\
        def train(model, x, y):
            model.predict(x)
        """,
        """\
        import numpy as np

        def train(model, x, y):
            model.predict(np.expand_dims(x.T, 0))
        """,
        lambda s: [
            ReshapeData("x", "transpose", origin(s, "model.predict")),
            ReshapeData("x", "add_batch", origin(s, "model.predict")),
        ],
    )


def test_wrap_when_a_loop_rebinds_the_name_after_the_assignment() -> None:
    assert_rewrite(
        """\
        x = load()
        for x in batches:
            pass
        model.fit(x, y)
        """,
        """\
        x = load()
        for x in batches:
            pass
        model.fit(x.astype("float32"), y)
        """,
        lambda s: [CastData("x", "float32", origin(s, "model.fit"))],
    )


def test_data_edit_in_a_nested_block_uses_that_block() -> None:
    assert_rewrite(
        """\
        x = load()
        with strategy.scope():
            y = labels()  # ints
            model.fit(x, y)
        """,
        """\
        x = load()
        with strategy.scope():
            y = labels()  # ints
            y = y.reshape(-1, 1)
            model.fit(x.astype("float32"), y)
        """,
        lambda s: [
            CastData("x", "float32", origin(s, "model.fit")),
            ReshapeData("y", "column", origin(s, "model.fit")),
        ],
    )


def test_label_encoder_import_added() -> None:
    assert_rewrite(
        """\
        import pandas as pd
        y = pd.read_csv("y.csv")["label"]
        model.fit(x, y)
        """,
        """\
        import pandas as pd
        from sklearn.preprocessing import LabelEncoder

        y = pd.read_csv("y.csv")["label"]
        y = LabelEncoder().fit_transform(y)
        model.fit(x, y)
        """,
        lambda s: [EncodeLabels("label_encoder", origin(s, "model.fit"))],
    )


@pytest.mark.parametrize(
    ("imports", "expected_imports", "callee"),
    [
        ("import tensorflow as tf\n", "import tensorflow as tf\n", "tf.keras.utils.to_categorical"),
        ("from tensorflow import keras\n", "from tensorflow import keras\n", "keras.utils.to_categorical"),
        ("import os\n", "import os\nfrom keras.utils import to_categorical\n\n", "to_categorical"),
    ],
)
def test_to_categorical_naming(imports: str, expected_imports: str, callee: str) -> None:
    assert_rewrite(
        f"{imports}model.fit(x, labels)\n",
        f"{expected_imports}model.fit(x, {callee}(labels))\n",
        lambda s: [EncodeLabels("one_hot", origin(s, "model.fit"))],
    )


def test_data_edit_missing_argument_raises() -> None:
    source = "model.fit(dataset)\n"
    with pytest.raises(RewriteError, match="does not pass y"):
        apply_edits(source, [EncodeLabels("argmax", origin(source, "model.fit"))])


# ---------------------------------------------------------------------------
# Locating, and what cannot be done


def test_fallback_to_the_call_starting_at_the_origin() -> None:
    source = "m = Sequential([Dense(64)(x)])\n"
    exact = origin(source, "Dense")
    off = Origin(PATH, exact.line, exact.column, exact.end_line, exact.end_column + 5)
    out = apply_edits(source, [SetLayerArgument(LayerRef("d", "Dense", off), "units", 2, 0)])
    assert out == "m = Sequential([Dense(2)(x)])\n"


@pytest.mark.parametrize("units", [64, 128])
def test_stale_origin_does_not_edit_a_neighbour(units: int) -> None:
    source = f"from keras.layers import Dense, Flatten\nm = Sequential([Dense({units})])\n"
    edits = [InsertLayer(layer(source, "Dense"), FLATTEN)]
    out = apply_edits(source, edits)
    assert out == f"from keras.layers import Dense, Flatten\nm = Sequential([Flatten(), Dense({units})])\n"
    # The old position now points at the Flatten: exactly (a no-op), or only by
    # its start (refused, rather than inserting again).
    if len(f"Dense({units})") == len("Flatten()"):
        assert apply_edits(out, edits) == out
    else:
        with pytest.raises(RewriteError, match="may have changed"):
            apply_edits(out, edits)


def test_same_edits_on_unshifted_output_are_a_no_op() -> None:
    source = "m = Sequential([Dense(64)])\nmodel.compile('adam', 'mse')\n"
    edits: list[Edit] = [
        SetLayerArgument(layer(source, "Dense"), "units", 10, 0),
        SetCompileArgument("loss", "mae", origin(source, "model.compile")),
    ]
    out = apply_edits(source, edits)
    assert out == "m = Sequential([Dense(10)])\nmodel.compile('adam', \"mae\")\n"
    assert apply_edits(out, edits) == out


def test_origin_none_raises() -> None:
    with pytest.raises(RewriteError, match="no recorded position"):
        apply_edits("Dense(1)\n", [InsertLayer(LayerRef("dense", "Dense"), FLATTEN)])


def test_no_call_at_origin_raises() -> None:
    ref = LayerRef("dense", "Dense", Origin(PATH, 9, 0, 9, 8))
    with pytest.raises(RewriteError, match="Could not find layer 'dense'"):
        apply_edits("Dense(1)\n", [InsertLayer(ref, FLATTEN)])


def test_origin_in_another_file_raises() -> None:
    source = "m = Sequential([Dense(1)])\n"
    ref = LayerRef("dense", "Dense", origin(source, "Dense", path="other.py"))
    with pytest.raises(RewriteError, match="other.py"):
        apply_edits(source, [InsertLayer(ref, FLATTEN)], path=PATH)


def test_unsupported_context_raises_and_changes_nothing() -> None:
    source = "m = Sequential([Conv2D(1, 3), Dense(1)])\nd = Dense(2)\n"
    edits = [InsertLayer(layer(source, "Dense", 0), FLATTEN), InsertLayer(layer(source, "Dense", 1), FLATTEN)]
    with pytest.raises(RewriteError, match="not written directly in a Sequential list"):
        apply_edits(source, edits)


def test_add_inside_a_loop_raises_unless_it_is_the_first_thing_the_loop_adds() -> None:
    source = "for units in (8, 2):\n    model.add(Dropout(0.1))\n    model.add(Dense(units))\n"
    with pytest.raises(RewriteError, match="inside a loop"):
        apply_edits(source, [InsertLayer(layer(source, "Dense"), FLATTEN)])
    # The first layer the loop adds: what goes before it goes before the loop (once, not per iteration).
    source = "for units in (8, 2):\n    model.add(Dense(units))\n"
    after = apply_edits(source, [InsertLayer(layer(source, "Dense"), FLATTEN)])
    assert after.endswith("model.add(Flatten())\nfor units in (8, 2):\n    model.add(Dense(units))\n"), after


def test_add_sharing_its_line_raises() -> None:
    source = "model.add(Conv2D(8, 3)); model.add(Dense(2))\n"
    with pytest.raises(RewriteError, match="of its own"):
        apply_edits(source, [InsertLayer(layer(source, "Dense"), FLATTEN)])


def test_move_across_lists_raises() -> None:
    source = "a = Sequential([Dense(1)])\nb = Sequential([Conv2D(1, 3)])\n"
    with pytest.raises(RewriteError, match="Cannot move"):
        apply_edits(source, [MoveLayer(layer(source, "Dense"), layer(source, "Conv2D"))])


def test_unparsable_source_raises() -> None:
    with pytest.raises(RewriteError, match="could not be parsed"):
        apply_edits("def (:\n", [InsertLayer(LayerRef("d", "Dense", Origin(PATH, 1, 0, 1, 1)), FLATTEN)])


def test_no_edits_returns_source_unchanged() -> None:
    source = "x = 1  # keep\r\n"
    assert apply_edits(source, []) is source


# ---------------------------------------------------------------------------
# Replaced layer classes: imports left unread go


def test_replaced_class_import_removed_when_unread_and_kept_when_still_used() -> None:
    before = textwrap.dedent("""\
        import keras
        # the layers
        from keras.layers import Conv1D, Dense
        from keras.layers import MaxPooling1D as Pool1D
        from keras.layers import (
            Flatten,  # flat
            GlobalAveragePooling1D,  # pooled
        )
        image = keras.Sequential([Conv1D(8, 3), Pool1D(2), GlobalAveragePooling1D(), Dense(2)])
        text = keras.Sequential([Conv1D(8, 3), Flatten(), keras.layers.Conv1D(4, 3)])
        """)
    edits = [
        ReplaceLayerClass(layer(before, "Conv1D", 0), "Conv2D"),
        ReplaceLayerClass(layer(before, "Pool1D", 0, "MaxPooling1D"), "MaxPooling2D"),
        ReplaceLayerClass(layer(before, "GlobalAveragePooling1D", 0), "GlobalAveragePooling2D"),
        ReplaceLayerClass(layer(before, "keras.layers.Conv1D", 0), "Conv2D"),
    ]
    assert apply_edits(before, edits, path=PATH) == textwrap.dedent("""\
        import keras
        # the layers
        from keras.layers import Conv1D, Conv2D, Dense, GlobalAveragePooling2D, MaxPooling2D
        from keras.layers import (
            Flatten,  # flat
        )
        image = keras.Sequential([Conv2D(8, 3), MaxPooling2D(2), GlobalAveragePooling2D(), Dense(2)])
        text = keras.Sequential([Conv1D(8, 3), Flatten(), keras.layers.Conv2D(4, 3)])
        """)


def test_replaced_class_import_in_a_block() -> None:
    before = textwrap.dedent("""\
        import keras
        def build():
            # local import
            from keras.layers import Conv1D
            return keras.Sequential([Conv1D(8, 3)])
        try:
            from keras.layers import Conv1D
        except ImportError:
            pass
        model = Conv1D(8, 3)
        """)
    edits = [ReplaceLayerClass(layer(before, "Conv1D", n), "Conv2D") for n in (0, 1)]
    assert apply_edits(before, edits, path=PATH) == textwrap.dedent("""\
        import keras
        from keras.layers import Conv2D

        def build():
            # local import
            return keras.Sequential([Conv2D(8, 3)])
        try:
            from keras.layers import Conv1D
        except ImportError:
            pass
        model = Conv2D(8, 3)
        """)


@pytest.mark.parametrize("before, after", [
    ("layers.Embedding(input_dim=vocab_size, output_dim=32)", "layers.Embedding(input_dim=vocab_size + 1, output_dim=32)"),
    ("layers.Embedding(len(tok.word_index), 16)", "layers.Embedding(len(tok.word_index) + 1, 16)"),
    ("layers.Embedding(n if n else m, 16)", "layers.Embedding((n if n else m) + 1, 16)"),
    ("layers.Embedding(35, 16)", "layers.Embedding(36, 16)"),
])
def test_a_count_one_short_is_written_as_the_scripts_expression_plus_one(before: str, after: str) -> None:
    """``input_dim`` one row short of the ids: the script's own expression gains ``+ 1`` (a bare number over
    ``vocab_size`` would leave the vocabulary, and the next change to it, unheard); a number stays a number."""
    assert_rewrite(
        f"model = keras.Sequential([{before}])\n", f"model = keras.Sequential([{after}])\n",
        lambda s: [SetLayerArgument(layer(s, "layers.Embedding"), "input_dim", 36, 0, offset=1)],
    )


@pytest.mark.parametrize("before, after", [
    ("model.fit([meta, images], y)\n", "model.fit([images, meta], y)\n"),
    ("model.evaluate(x=(meta_te, images_te), y=y_te)\n", "model.evaluate(x=(images_te, meta_te), y=y_te)\n"),
    ("model.fit(\n    [\n        meta,  # numbers\n        images,\n    ],\n    y,\n)\n",
     "model.fit(\n    [\n        images,\n        meta,  # numbers\n    ],\n    y,\n)\n"),
    ("model.fit(\n    [\n        meta,  # numbers\n        images,  # pics\n    ],\n    y,\n)\n",
     "model.fit(\n    [\n        images,  # pics\n        meta,  # numbers\n    ],\n    y,\n)\n"),
    ("model.fit([\n    meta,  # numbers\n    images  # pics\n], y)\n", "model.fit([\n    images,  # pics\n    meta  # numbers\n], y)\n"),
])
def test_inputs_given_out_of_order_are_reordered_in_the_call(before: str, after: str) -> None:
    """Each input keeps its own text (comments included); the commas stay where the list had them."""
    def edits(s: str) -> list[Edit]:
        method = "model.fit" if "model.fit" in s else "model.evaluate"
        return [ReshapeData("x", "reorder", origin(s, method), order=(1, 0))]

    out = apply_edits(before, edits(before), path=PATH)
    assert out == after
    assert apply_edits(out, [ReshapeData("x", "reorder", origin(out, "model.fit" if "fit" in out else "model.evaluate"),
                                         order=(0, 1))], path=PATH) == out


@pytest.mark.parametrize("before, after", [
    ("ds = tf.data.Dataset.from_tensor_slices((x, y)).map(f).prefetch(2)\nmodel.fit(ds, epochs=2)\n",
     "ds = tf.data.Dataset.from_tensor_slices((x, y)).map(f).batch(32).prefetch(2)\nmodel.fit(ds, epochs=2)\n"),
    ("val = v.batch(BATCH)\nds = tf.data.Dataset.from_tensor_slices((x, y))\nmodel.fit(ds, validation_data=val)\n",
     "val = v.batch(BATCH)\nds = tf.data.Dataset.from_tensor_slices((x, y)).batch(BATCH)\nmodel.fit(ds, validation_data=val)\n"),
    ("model.fit(ds.shuffle(100), batch_size=64)\n", "model.fit(ds.shuffle(100).batch(64), batch_size=64)\n"),
])
def test_a_pipeline_never_batched_is_batched_where_it_is_made(before: str, after: str) -> None:
    """Before a final ``prefetch``; the size as the script batches elsewhere, else the call's batch_size."""
    assert_rewrite(before, after, lambda s: [ReshapeData("x", "batch_dataset", origin(s, "model.fit"))])
