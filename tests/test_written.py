"""Layers named as the user wrote them (issue 14): ``the Dense(5) at line 14``, not Keras's ``dense_1``.

Capture reads each layer's constructor call from the source it ran from; the
model's structure tells apart the layers one call made several times; every
message and fix summary names a layer through ``LayerRef.describe``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import keras
import pytest

from kerasfix.capture.hooks import Hooks
from kerasfix.structure import structure_of
from kerasfix.types import LayerRef, Origin, SetLayerArgument, Written
from kerasfix.written import cell_line, written_call


def call(text: str) -> Written | None:
    """``written_call`` on one line holding just ``text``."""
    return written_call([text], Origin("train.py", 1, 0, 1, len(text)))


@pytest.mark.parametrize(("text", "shown"), [
    ("layers.Dense(5)", "Dense(5)"),
    ("keras.layers.Dense(10, activation='softmax')", "Dense(10)"),
    ("Conv2D(32, (3, 3), activation=\"relu\", input_shape=(28, 28, 1))", "Conv2D(32, (3, 3))"),
    ("tf.keras.layers.LSTM(64, return_sequences=True)", "LSTM(64)"),
    ("layers.LSTM(units=64, return_sequences=True)", "LSTM(units=64)"),
    ("layers.Flatten()", "Flatten()"),
    ("Dense(args.num_classes)", "Dense(args.num_classes)"),
    ("Dense(**config)", "Dense(…)"),
    ("Dense(len(np.unique(y_train_labels_encoded)))", "Dense(…)"),
    ("keras.Input(shape=(8,))", "Input(shape=(8,))"),
])
def test_a_call_is_its_bare_class_and_leading_arguments_as_written(text: str, shown: str) -> None:
    written = call(text)
    assert written is not None and written.call == shown and not written.named


def test_a_call_over_several_lines_is_read_whole_and_a_name_given_is_marked() -> None:
    lines = ["model.add(layers.Dense(", "    3,", '    name="head",', "))"]
    written = written_call(lines, Origin("train.py", 1, 10, 4, 1))
    assert written == Written("Dense(3)", 1, named=True)


def test_what_is_not_a_call_is_not_described() -> None:
    assert call("make_layer") is None
    assert call("layers[0](5)") is None
    assert written_call(["Dense(5)"], Origin("train.py", 3, 0, 3, 8)) is None  # outside the source


def test_a_line_of_a_joined_notebook_is_a_line_of_its_code_cell() -> None:
    lines = ["import keras", "# %% kerasfix cell 1 ab12", "x = 1", "# %% kerasfix cell 3 ab12", "y = 2",
             "model = Dense(5)"]
    assert cell_line(lines, 1) == (None, 1)
    assert cell_line(lines, 3) == (1, 1)
    assert cell_line(lines, 6) == (2, 2)  # the second code cell (the notebook's third cell is markdown)


# -- describe ----------------------------------------------------------------------------------


HERE = Origin("train.py", 14, 4, 14, 19)


def test_describe_leaves_out_the_line_it_is_said_at() -> None:
    ref = LayerRef("dense_1", "Dense", HERE, Written("Dense(5)", 14))
    assert ref.describe(HERE) == "the Dense(5)"
    assert ref.describe(Origin("train.py", 20, 0, 20, 10)) == "the Dense(5) at line 14"
    assert ref.describe() == "the Dense(5) at line 14"


def test_describe_uses_a_name_the_user_gave_and_falls_back_to_keras_for_layers_out_of_sight() -> None:
    assert LayerRef("head", "Dense", HERE, Written("Dense(3)", 14, named=True)).describe() == "head"
    assert LayerRef("block5_conv3", "Conv2D").describe(HERE) == "block5_conv3"


def test_describe_tells_apart_the_layers_one_call_made() -> None:
    ref = LayerRef("dense_2", "Dense", HERE, Written("Dense(64)", 14, copy=2, copies=3))
    assert ref.describe(HERE) == "the 2nd Dense(64) made at line 14"
    assert str(ref.written) == "Dense(64) at line 14 (2 of 3)"
    loop = SetLayerArgument(ref, "return_sequences", True, except_last=True)
    assert loop.describe() == "set return_sequences=True on each Dense(64) made at line 14 but the last"


def test_a_notebook_layer_is_placed_in_its_cell() -> None:
    ref = LayerRef("dense", "Dense", Origin("nb.ipynb", 40, 4, 40, 12), Written("Dense(5)", 3, cell=2))
    assert ref.describe() == "the Dense(5) at cell 2, line 3"


def test_a_ref_compares_by_what_identifies_it_not_by_how_it_is_described() -> None:
    assert LayerRef("d", "Dense", HERE, Written("Dense(5)", 14)) == LayerRef("d", "Dense", HERE)


# -- models built by a script, as capture sees them --------------------------------------------


SCRIPT = '''\
import keras
from keras import layers


def block(units):
    return layers.Dense(units, activation="relu")


listed = keras.Sequential([
    keras.Input(shape=(8,)),
    layers.Dense(16),
    layers.Dense(3, name="head"),
])

added = keras.Sequential()
added.add(keras.Input(shape=(8,)))
added.add(layers.Dense(32))
for width in (64, 32):
    added.add(layers.Dense(width))
added.add(block(4))
added.add(block(2))

inputs = keras.Input(shape=(8,))
hidden = layers.Dense(
    12, activation="relu")(inputs)
functional = keras.Model(inputs, layers.Dense(1)(hidden))


class Net(keras.Model):
    def __init__(self):
        super().__init__()
        self.conv = layers.Conv2D(32, (3, 3))
        self.pool = layers.GlobalAveragePooling2D()
        self.out = layers.Dense(10)

    def call(self, x):
        return self.out(self.pool(self.conv(x)))


subclassed = Net()
'''


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The script run under the capture hooks: its models, with what capture recorded on their layers."""
    path: Path = tmp_path_factory.mktemp("written") / "train.py"
    path.write_text(SCRIPT, encoding="utf-8")
    namespace: dict[str, Any] = {"__name__": "__main__"}
    with Hooks(str(path), SCRIPT.splitlines()):
        exec(compile(SCRIPT, str(path), "exec"), namespace)
    return namespace


def described(model: Any) -> list[str]:
    return [e.ref.describe() for e in structure_of(model).layers]


def test_layers_of_a_sequential_list(built: dict[str, Any]) -> None:
    assert described(built["listed"]) == ["the Dense(16) at line 11", "head"]
    assert structure_of(built["listed"]).input_ref is not None


def test_layers_added_one_by_one_in_a_loop_and_from_a_helper(built: dict[str, Any]) -> None:
    assert described(built["added"]) == [
        "the Dense(32) at line 17",
        "the 1st Dense(width) made at line 19",
        "the 2nd Dense(width) made at line 19",
        "the 1st Dense(units) made at line 6",  # the helper's own line: where the layer is written
        "the 2nd Dense(units) made at line 6",
    ]


def test_layers_of_a_functional_model(built: dict[str, Any]) -> None:
    assert described(built["functional"]) == ["the Dense(12) at line 24", "the Dense(1) at line 26"]


def test_layers_of_a_subclassed_model_made_in_its_init(built: dict[str, Any]) -> None:
    assert described(built["subclassed"]) == [
        "the Conv2D(32, (3, 3)) at line 32",
        "the GlobalAveragePooling2D() at line 33",
        "the Dense(10) at line 34",
    ]


def test_layers_made_out_of_capture_keep_their_keras_names() -> None:
    keras.backend.clear_session()
    model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(2)])
    assert described(model) == ["dense"]


def test_the_layer_table_shows_how_layers_were_written_under_verbose(built: dict[str, Any]) -> None:
    from kerasfix.diagnosis import diagnose

    x = keras.random.normal((4, 8))
    table = diagnose(built["listed"], x).table(written=True)
    assert "written" in table.splitlines()[0]
    assert "Dense(16) at line 11" in table and "Dense(3) at line 12" in table
    assert "written" not in diagnose(built["listed"], x).table()



def test_cell_lines_agree_with_how_notebooks_are_joined() -> None:
    # ``cell_line`` reads the markers ``kerasfix.notebook`` writes: the two must keep agreeing.
    import nbformat

    from kerasfix.notebook import code_cell_number, notebook_to_script, origin_to_cell

    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("import numpy as np\nx = np.zeros(3)"),
        nbformat.v4.new_markdown_cell("# notes"),
        nbformat.v4.new_code_cell("y = x + 1\nz = y * 2\nprint(z)"),
    ])
    joined = notebook_to_script(nb)
    lines = joined.script.splitlines()
    checked = 0
    for number, where in enumerate(joined.lines, start=1):
        if where is None:
            continue
        cell_index, line_in_cell = origin_to_cell(joined, number)
        assert cell_line(lines, number) == (code_cell_number(nb, cell_index), line_in_cell)
        checked += 1
    assert checked == 5
