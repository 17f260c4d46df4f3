"""Values written in the user's terms (issue 14): at their definition, or as an expression over the data.

Each test gives a script as a string, an edit that sets a value at a call, and
the script it must become; ``write_edits`` also says where the value went, and
whether that definition is read elsewhere (then the fix is for review).
"""

from __future__ import annotations

import shutil
import textwrap
from collections.abc import Callable
from pathlib import Path

import libcst as cst
import pytest
from libcst.metadata import MetadataWrapper, PositionProvider

from kerasfix.rewrite import apply_edits, write_edits
from kerasfix.rewrite.locate import SourceIndex
from kerasfix.rewrite.provenance import definition_of
from kerasfix.types import (
    Applicability,
    Edit,
    LayerRef,
    Origin,
    ReshapeData,
    SetCompileArgument,
    SetInputShape,
    SetLayerArgument,
)

PATH = "train.py"
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def origin(source: str, callee: str, n: int = 0) -> Origin:
    """Span of the ``n``-th call whose callee is written ``callee``."""
    wrapper = MetadataWrapper(cst.parse_module(source))
    spans = sorted(
        (where.start.line, where.start.column, where.end.line, where.end.column)
        for node, where in wrapper.resolve(PositionProvider).items()
        if isinstance(node, cst.Call) and wrapper.module.code_for_node(node.func) == callee
    )
    return Origin(PATH, *spans[n])


def dense(source: str, n: int = 0, callee: str = "Dense") -> LayerRef:
    return LayerRef(f"dense_{n}", callee.split(".")[-1], origin(source, callee, n))


def units(source: str, value: int, n: int = 0) -> list[Edit]:
    return [SetLayerArgument(dense(source, n), "units", value, position=0)]


def rewritten(source: str, edits: list[Edit]) -> tuple[str, tuple[str, ...], bool]:
    """The new source, the notes on where values went, whether a definition is shared; and it is idempotent."""
    written = write_edits(source, edits, path=PATH)
    assert apply_edits(written.source, edits, path=PATH) == written.source
    return written.source, written.notes, written.shared


def src(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


# ---------------------------------------------------------------------------
# Definitions


ARGPARSE = src("""
    import argparse
    parser = argparse.ArgumentParser()
    parser.add_argument("--num-classes", type=int, default=10)
    args = parser.parse_args()
    out = Dense(args.num_classes, activation="softmax")
""")


def test_argparse_default_is_changed_not_the_call() -> None:
    out, notes, shared = rewritten(ARGPARSE, units(ARGPARSE, 3))
    assert 'add_argument("--num-classes", type=int, default=3)' in out
    assert "Dense(args.num_classes," in out
    assert notes == ("written where the value is defined: the default of --num-classes at line 3 (now 3)",)
    assert not shared


def test_argparse_dest_and_other_reads() -> None:
    source = src("""
        import argparse
        p = argparse.ArgumentParser()
        p.add_argument("-n", "--classes", dest="n_out", default=10)
        opts = p.parse_args()
        out = Dense(opts.n_out)
        print(opts.n_out)
    """)
    out, notes, shared = rewritten(source, units(source, 4))
    assert 'dest="n_out", default=4)' in out and "Dense(opts.n_out)" in out
    assert shared and "also used at line 6" in notes[0]


@pytest.mark.parametrize("change", [
    'parser.add_argument("--num-classes", type=int, required=True)',  # no default: the value is the command line's
    'parser.add_argument("--num-classes", type=int, default=int("10"))',  # a computed default
])
def test_argparse_without_a_literal_default_writes_the_call(change: str) -> None:
    source = ARGPARSE.replace('parser.add_argument("--num-classes", type=int, default=10)', change)
    out, notes, _ = rewritten(source, units(source, 3))
    assert "Dense(3," in out and notes == ()


@pytest.mark.parametrize("shape", [
    # the parsed arguments handed to the function that builds the model
    "def build(opts):\n    return Dense(opts.num_classes)\n\nargs = parser.parse_args()\nm = build(args)\n",
    # parsed in a function of the script
    "def get_args():\n    return parser.parse_args()\n\nargs = get_args()\nm = Dense(args.num_classes)\n",
])
def test_argparse_through_functions(shape: str) -> None:
    source = ARGPARSE.split("args = ")[0] + shape
    out, notes, _ = rewritten(source, units(source, 3))
    assert "default=3)" in out and "Dense(3)" not in out and notes


def test_argparse_not_parsed_writes_the_call() -> None:
    source = ARGPARSE.replace("args = parser.parse_args()", "args = make_config()")
    out, _, _ = rewritten(source, units(source, 3))
    assert "Dense(3," in out


def test_argparse_set_defaults_writes_the_call() -> None:
    source = ARGPARSE.replace("args = ", "parser.set_defaults(num_classes=7)\nargs = ")
    out, _, _ = rewritten(source, units(source, 3))
    assert "Dense(3," in out and "default=10" in out


def test_dict_entry() -> None:
    source = src("""
        CONFIG = {"n_classes": 10, 'loss': 'mse'}
        model = Sequential([Dense(CONFIG["n_classes"])])
        model.compile(optimizer="adam", loss=CONFIG['loss'])
    """)
    edits: list[Edit] = [*units(source, 6), SetCompileArgument("loss", "binary_crossentropy", origin(source, "model.compile"))]
    out, notes, shared = rewritten(source, edits)
    assert out.splitlines()[0] == "CONFIG = {\"n_classes\": 6, 'loss': 'binary_crossentropy'}"  # the file's own quotes
    assert 'Dense(CONFIG["n_classes"])' in out and "loss=CONFIG['loss']" in out
    assert len(notes) == 2 and not shared


def test_dict_entry_read_with_get_is_shared() -> None:
    source = src("""
        CONFIG = {"n_classes": 10}
        out = Dense(CONFIG["n_classes"])
        k = CONFIG.get("n_classes")
    """)
    _, notes, shared = rewritten(source, units(source, 6))
    assert shared and "line 3" in notes[0]


@pytest.mark.parametrize("later", ['CONFIG["n_classes"] = 12', "CONFIG.update(n_classes=12)"])
def test_dict_changed_later_writes_the_call(later: str) -> None:
    source = src(f"""
        CONFIG = {{"n_classes": 10}}
        {later}
        out = Dense(CONFIG["n_classes"])
    """)
    out, notes, _ = rewritten(source, units(source, 6))
    assert "Dense(6)" in out and notes == ()


def test_nested_dict_entry_reached_through_a_parameter() -> None:
    source = src("""
        CONFIG = {"model": {"units": 10, "act": "relu"}, "epochs": 3}

        def build(cfg):
            return Sequential([Dense(cfg["model"]["units"])])

        model = build(CONFIG)
        print(CONFIG["model"].get("units"))
    """)
    out, notes, shared = rewritten(source, units(source, 4))
    assert out.startswith('CONFIG = {"model": {"units": 4, "act": "relu"}, "epochs": 3}')
    assert 'CONFIG["model"]["units"] at line 1 (now 4)' in notes[0] and shared  # the .get() on line 7


@pytest.mark.parametrize("later", ['CONFIG["model"] = {"units": 5}', 'del CONFIG["model"]["units"]',
                                   'CONFIG["model"].update(units=5)'])
def test_nested_dict_changed_later_writes_the_call(later: str) -> None:
    source = f'CONFIG = {{"model": {{"units": 10}}}}\n{later}\nout = Dense(CONFIG["model"]["units"])\n'
    out, notes, _ = rewritten(source, units(source, 4))
    assert "Dense(4)" in out and notes == ()


def test_settings_class_attribute() -> None:
    source = src("""
        class CFG:
            num_classes = 10
            img_size: int = 28

        out = Dense(CFG.num_classes)
    """)
    out, notes, _ = rewritten(source, units(source, 7))
    assert "    num_classes = 7\n" in out and "Dense(CFG.num_classes)" in out
    assert notes == ("written where the value is defined: CFG.num_classes at line 2 (now 7)",)


def test_settings_class_attribute_set_again_writes_the_call() -> None:
    source = "class CFG:\n    n = 10\nCFG.n = 12\nout = Dense(CFG.n)\n"
    out, _, _ = rewritten(source, units(source, 7))
    assert "Dense(7)" in out


def test_module_constant_read_in_a_function() -> None:
    source = src("""
        NUM_CLASSES = 10

        def build():
            return Sequential([Dense(NUM_CLASSES)])
    """)
    out, notes, shared = rewritten(source, units(source, 5))
    assert out.startswith("NUM_CLASSES = 5\n") and "Dense(NUM_CLASSES)" in out
    assert notes == ("written where the value is defined: NUM_CLASSES at line 1 (now 5)",) and not shared


def test_constant_used_twice_is_shared() -> None:
    source = src("""
        N: int = 10
        out = Dense(N)
        print(N)
    """)
    out, notes, shared = rewritten(source, units(source, 5))
    assert out.startswith("N: int = 5\n")
    assert shared and notes[0].endswith("it is also used at line 3, which this changes too")


@pytest.mark.parametrize("definition", ["N = 10\nN = 12", "N = M = 10", "for N in (10,):\n    pass", "from cfg import N"])
def test_not_one_plain_definition_writes_the_call(definition: str) -> None:
    source = definition + "\nout = Dense(N)\n"
    out, notes, _ = rewritten(source, units(source, 5))
    assert "Dense(5)" in out and notes == ()


def test_assignment_chain_reaches_the_config() -> None:
    source = src("""
        CONFIG = {"classes": 10}
        n_classes = CONFIG["classes"]
        out = Dense(n_classes)
    """)
    out, notes, _ = rewritten(source, units(source, 3))
    assert out.startswith('CONFIG = {"classes": 3}') and "Dense(n_classes)" in out
    assert 'CONFIG["classes"] at line 1' in notes[0]


def test_parameter_default() -> None:
    source = src("""
        def build_model(n_features, n_classes=10):
            return Sequential([Input(shape=(n_features,)), Dense(n_classes)])

        model = build_model(8)
        model.build((None, 8))
    """)
    out, notes, _ = rewritten(source, units(source, 3))
    assert "def build_model(n_features, n_classes=3):" in out
    assert notes == ("written where the value is defined: the default of n_classes in build_model() at line 1 (now 3)",)


def test_parameter_default_naming_a_constant() -> None:
    source = src("""
        NUM_CLASSES = 10
        def build(n_classes=NUM_CLASSES):
            return Dense(n_classes)
        m = build()
    """)
    out, _, _ = rewritten(source, units(source, 3))
    assert out.startswith("NUM_CLASSES = 3\n")


def test_parameter_passed_by_its_one_caller() -> None:
    source = src("""
        def build(n_classes=10):
            return Dense(n_classes)
        m = build(n_classes=12)
    """)
    out, notes, _ = rewritten(source, units(source, 3))
    assert "build(n_classes=3)" in out and "def build(n_classes=10)" in out
    assert "the n_classes= passed to build()" in notes[0]


def test_method_parameter_passed_positionally() -> None:
    source = src("""
        class Builder:
            def head(self, n_classes):
                return Dense(n_classes)
        m = Builder().head(12)
    """)
    out, _, _ = rewritten(source, units(source, 3))
    assert "Builder().head(3)" in out


def test_constructor_parameter_passed_by_the_class_call() -> None:
    source = src("""
        class Classifier(keras.Model):
            def __init__(self, num_classes=10):
                super().__init__()
                self.head = Dense(num_classes)
        model = Classifier(num_classes=12)
    """)
    out, notes, _ = rewritten(source, units(source, 3))
    assert "Classifier(num_classes=3)" in out and "num_classes=10" in out
    assert "the num_classes= passed to Classifier()" in notes[0]


def test_an_int_where_a_shape_is_wanted_keeps_its_name() -> None:
    source = "n_features = 8\nmodel = Sequential([Dense(4, input_shape=(n_features))])\n"
    out, notes, _ = rewritten(source, [SetInputShape(dense(source), (8,))])
    assert "input_shape=(n_features,)" in out and out.startswith("n_features = 8\n")
    assert notes == ("written as (n_features,), with the script's own names",)


def test_a_shape_short_of_the_new_axis_keeps_its_names() -> None:
    source = "N_READINGS = 20\nmodel = Sequential([LSTM(4, input_shape=(N_READINGS,))])\n"
    ref = LayerRef("lstm", "LSTM", origin(source, "LSTM"))
    out, _, _ = rewritten(source, [SetInputShape(ref, (20, 1))])
    assert "input_shape=(N_READINGS, 1)" in out


def test_a_name_that_is_not_the_shape_is_replaced_at_the_call() -> None:
    # The user's value is not the leading axis the fix needs: it cannot be kept.
    source = "N_READINGS = 30\nmodel = Sequential([LSTM(4, input_shape=(N_READINGS,))])\n"
    ref = LayerRef("lstm", "LSTM", origin(source, "LSTM"))
    out, _, _ = rewritten(source, [SetInputShape(ref, (20, 1))])
    assert "input_shape=(20, 1)" in out


@pytest.mark.parametrize("calls", ["build(n_classes=4)\nbuild(n_classes=5)", "build(*sizes)"])
def test_parameter_passed_from_several_places_writes_the_call(calls: str) -> None:
    source = f"def build(n_classes=10):\n    return Dense(n_classes)\n{calls}\n"
    out, notes, _ = rewritten(source, units(source, 3))
    assert "Dense(3)" in out and notes == ()


def test_two_edits_wanting_one_definition_different_values() -> None:
    """The second layer cannot share the constant's new value: its literal goes at its call."""
    source = src("""
        N = 10
        a = Dense(N)
        b = Dense(N)
    """)
    out, notes, _ = rewritten(source, [*units(source, 3, 0), *units(source, 4, 1)])
    assert out.startswith("N = 3\n") and "b = Dense(4)" in out and len(notes) == 1


def test_literal_mode_writes_every_value_at_its_call() -> None:
    out = apply_edits(ARGPARSE, units(ARGPARSE, 3), path=PATH, literal=True)
    assert "Dense(3," in out and "default=10" in out


def test_activation_and_loss_strings() -> None:
    source = src("""
        ACT = 'softmax'
        LOSS = "mse"
        model = Sequential([Dense(1, activation=ACT)])
        model.compile("adam", LOSS)
    """)
    edits: list[Edit] = [
        SetLayerArgument(dense(source), "activation", "sigmoid"),
        SetCompileArgument("loss", "binary_crossentropy", origin(source, "model.compile")),
    ]
    out, notes, _ = rewritten(source, edits)
    assert out.startswith("ACT = 'sigmoid'\nLOSS = \"binary_crossentropy\"\n") and len(notes) == 2


# ---------------------------------------------------------------------------
# Shapes


def test_whole_shape_of_the_data_keeps_the_array() -> None:
    source = "model = Sequential([Dense(8, input_shape=X_train.shape)])\n"
    edits: list[Edit] = [SetInputShape(dense(source), (5,))]
    out, notes, shared = rewritten(source, edits)
    assert out == "model = Sequential([Dense(8, input_shape=X_train.shape[1:])])\n"
    assert notes == ("written as X_train.shape[1:], the data's shape without its batch axis",) and not shared


def test_no_expression_over_the_data_without_a_run() -> None:
    source = "N = 10\nm = Sequential([Dense(8, input_shape=X.shape), Dense(N)])\n"
    edits: list[Edit] = [SetInputShape(dense(source), (5,)), *units(source, 3, 1)]
    written = write_edits(source, edits, path=PATH, data=False)
    assert written.source == "N = 3\nm = Sequential([Dense(8, input_shape=(5,)), Dense(N)])\n"


def test_input_shape_of_data_attribute() -> None:
    source = "inp = Input(shape=data.x.shape)\n"
    out, _, _ = rewritten(source, [SetInputShape(LayerRef("input", "InputLayer", origin(source, "Input")), (28, 28))])
    assert out == "inp = Input(shape=data.x.shape[1:])\n"


def test_tuple_element_defined_by_a_parameter() -> None:
    source = src("""
        def build(n_features=10, steps=4):
            return Sequential([Dense(8, input_shape=(steps, n_features))])
        m = build()
    """)
    out, notes, _ = rewritten(source, [SetInputShape(dense(source), (4, 8))])
    assert "def build(n_features=8, steps=4):" in out and "input_shape=(steps, n_features)" in out
    assert notes == ("written where the value is defined: the default of n_features in build() at line 1 (now 8)",)


def test_input_shape_parameter_default() -> None:
    source = src("""
        def build(input_shape=(10,)):
            inp = Input(shape=input_shape)
            return Model(inp, Dense(1)(inp))
        m = build()
    """)
    ref = LayerRef("input", "InputLayer", origin(source, "Input"))
    out, _, _ = rewritten(source, [SetInputShape(ref, (8,))])
    assert "def build(input_shape=(8,)):" in out and "Input(shape=input_shape)" in out


# A data edit that reshapes the array the declared shape is read from: the declaration follows the data.

_BUILD = src("""
    import numpy as np
    def build(input_shape):
        inp = Input(shape=input_shape)
        return Model(inp, Dense(1)(inp))
""")


def _reshape_and_declare(shape: tuple[int, ...] = (28, 28, 1), how: str = "add_channel"
                         ) -> Callable[[str], list[Edit]]:
    def edits(source: str) -> list[Edit]:
        ref = LayerRef("input", "InputLayer", origin(source, "Input"))
        return [SetInputShape(ref, shape), ReshapeData("x", how, origin(source, "model.fit"))]  # type: ignore[arg-type]

    return edits


def _followed(source: str, edits: Callable[[str], list[Edit]]) -> tuple[str, tuple[str, ...]]:
    """The new source and its notes; the edits made again on it (the data line moved the calls) change nothing."""
    written = write_edits(source, edits(source), path=PATH)
    assert apply_edits(written.source, edits(written.source), path=PATH) == written.source
    assert not written.shared
    return written.source, written.notes


@pytest.mark.parametrize("passed", ["build(X.shape[1:])", "build(input_shape=X.shape[1:])"])
def test_shape_from_reshaped_data_through_a_parameter_is_left(passed: str) -> None:
    source = _BUILD + f"X = load()\nmodel = {passed}\nmodel.fit(X, y)\n"
    out, notes = _followed(source, _reshape_and_declare())
    assert out == source.replace("X = load()\n", "X = load()\nX = np.expand_dims(X, -1)\n")
    assert notes == ("the input shape is left to X.shape[1:] at line 6, which gives it once the data is reshaped",)


def test_shape_from_channels_first_data_through_an_assignment_is_left() -> None:
    source = src("""
        import numpy as np
        X = load()
        shape = X.shape[1:]
        inp = Input(shape=shape)
        model = Model(inp, Dense(1)(inp))
        model.fit(X[:10], y[:10], validation_data=(X[10:], y[10:]))
    """)
    out, _ = _followed(source, _reshape_and_declare((20, 56, 1), "channels_last"))
    assert out == source.replace("X = load()\n", "X = load()\nX = np.moveaxis(X, 1, -1)\n")


def test_shape_from_reshaped_data_as_a_parameter_default_is_left() -> None:
    source = src("""
        import numpy as np
        X = load()
        def build(input_shape=X.shape[1:]):
            inp = Input(shape=input_shape)
            return Model(inp, Dense(1)(inp))
        model = build()
        model.fit(X, y)
    """)
    out, _ = _followed(source, _reshape_and_declare())
    assert out == source.replace("X = load()\n", "X = load()\nX = np.expand_dims(X, -1)\n")


@pytest.mark.parametrize("script", [
    # Another array than the one reshaped: its shape does not change.
    "X = load()\nZ = other()\nmodel = build(Z.shape[1:])\nmodel.fit(X, y)\n",
    # Read before the data is made again, where the reshape goes: the read sees the old shape.
    "X = load()\nmodel = build(X.shape[1:])\nX = X / 255.0\nmodel.fit(X, y)\n",
])
def test_shape_from_data_the_fix_does_not_reshape_is_written(script: str) -> None:
    out, _ = _followed(_BUILD + script, _reshape_and_declare())
    assert "Input(shape=(28, 28, 1))" in out and "X = np.expand_dims(X, -1)\n" in out


def test_shape_through_a_parameter_without_a_run_is_written() -> None:
    source = _BUILD + "X = load()\nmodel = build(X.shape[1:])\nmodel.fit(X, y)\n"
    written = write_edits(source, _reshape_and_declare()(source), path=PATH, data=False)
    assert "Input(shape=(28, 28, 1))" in written.source


def test_tuple_with_an_unknown_element_is_written_whole() -> None:
    source = "model = Sequential([Dense(8, input_shape=(x.shape[1], n))])\n"
    out, notes, _ = rewritten(source, [SetInputShape(dense(source), (4, 8))])
    assert "input_shape=(4, 8)" in out and notes == ()


def test_input_dim_from_a_constant() -> None:
    source = "N = 10\nmodel = Sequential([Dense(8, input_dim=N)])\n"
    out, _, _ = rewritten(source, [SetInputShape(dense(source), (8,))])
    assert out.startswith("N = 8\n") and "input_dim=N" in out


def test_definition_of_reads_nothing_it_cannot_be_sure_of() -> None:
    source = "import os\nout = Dense(int(os.environ['N']))\n"
    index = SourceIndex(cst.parse_module(source))
    call = next(n for n in _calls(index.module) if isinstance(n.func, cst.Name) and n.func.value == "Dense")
    assert definition_of(index, call.args[0].value) is None


def _calls(module: cst.Module) -> list[cst.Call]:
    found: list[cst.Call] = []

    class _V(cst.CSTVisitor):
        def visit_Call(self, node: cst.Call) -> None:
            found.append(node)

    module.visit(_V())
    return found


# ---------------------------------------------------------------------------
# Through the pipeline: the summary says where the value went, and a shared definition makes it review.


def test_shared_definition_makes_a_safe_fix_review(tmp_path: Path) -> None:
    from kerasfix.pipeline import Options, process

    case = FIXTURES / "wrong_input_shape" / "input_constant_shared.py"
    path = tmp_path / case.name
    shutil.copyfile(case, path)
    result = process(str(path), Options(diff=True))
    assert result.status == "would_fix", result.why_not
    fix = result.applied[0]
    assert fix.applicability == Applicability.REVIEW  # a new input shape alone is safe; the shared constant is not
    assert "N_FEATURES at line 7 (now 8); it is also used at line 13, which this changes too" in fix.summary


# ---------------------------------------------------------------------------
# A class count the script computes from its labels


def test_count_computed_one_short_is_computed_right() -> None:
    source = src("""
        y = load()
        num_classes = int(y.max())
        out = Dense(num_classes)
        print(num_classes)
    """)
    out, notes, shared = rewritten(source, units(source, 5))
    assert "num_classes = int(y.max()) + 1\n" in out and "Dense(num_classes)" in out
    assert notes[0].startswith("written as int(y.max()) + 1 where num_classes is computed at line 2")
    assert shared and "also used at line 4" in notes[0]


def test_count_of_encoded_labels() -> None:
    source = src("""
        encoder = LabelEncoder()
        labels = encoder.fit_transform(raw)
        out = Dense(len(set(raw)) - 1)
    """)
    assert "Dense(4)" in rewritten(source, units(source, 4))[0]  # ``raw`` is not assigned in the script
    source = source.replace("len(set(raw)) - 1", "len(set(labels)) - 1")
    out, _, _ = rewritten(source, units(source, 4))
    assert "Dense(len(encoder.classes_))" in out


def test_count_of_one_hot_labels() -> None:
    source = src("""
        y = to_categorical(ids)
        n = y.shape[0]
        out = Dense(n)
    """)
    out, _, _ = rewritten(source, units(source, 3))
    assert "n = y.shape[-1]\n" in out


@pytest.mark.parametrize("count", ["int(a.max() + b.max())", "n_seen", "len(NAMES)", "len(CLASSES) - 1"])
def test_count_not_from_one_array_writes_the_call(count: str) -> None:
    source = f"a = f()\nb = g()\nn_seen = h\nNAMES = ['cat', 'dog']\nCLASSES = names()\nout = Dense({count})\n"
    out, notes, _ = rewritten(source, units(source, 3))
    assert "Dense(3)" in out and notes == ()


@pytest.mark.parametrize("name", ["n_labels", "num_targets", "ylim"])
def test_count_of_what_is_not_labels_writes_the_call(name: str) -> None:
    source = f"{name} = f()\nn = int({name}.max())\nout = Dense(n)\n"
    assert "Dense(3)" in rewritten(source, units(source, 3))[0]


def test_count_of_labels_given_to_fit() -> None:
    source = "codes = f()\nn = int(codes.max())\nout = Dense(n)\nmodel.fit(x, codes)\n"
    assert "n = int(codes.max()) + 1\n" in rewritten(source, units(source, 3))[0]


def test_count_only_for_units() -> None:
    source = "y = f()\nout = Dense(4, activation=pick(y))\n"
    out, _, _ = rewritten(source, [SetLayerArgument(dense(source), "activation", "softmax")])
    assert 'activation="softmax"' in out


# ---------------------------------------------------------------------------
# Over every fixture pair: a fix never trades the script's name or expression for a number.


def _tokens(line: str) -> tuple[set[str], set[str]]:
    """The variables read and the numbers on one line of code (not attributes, methods or keyword names)."""
    import io
    import keyword
    import tokenize

    try:
        toks = [t for t in tokenize.generate_tokens(io.StringIO(line.strip() + "\n").readline)
                if t.type not in (tokenize.NEWLINE, tokenize.ENDMARKER)]
    except (tokenize.TokenError, IndentationError):
        return set(), set()
    names: set[str] = set()
    numbers: set[str] = set()
    for i, tok in enumerate(toks):
        before = toks[i - 1].string if i else ""
        after = toks[i + 1].string if i + 1 < len(toks) else ""
        if tok.type == tokenize.NAME and not keyword.iskeyword(tok.string) and before != "." and after != "=":
            names.add(tok.string)
        elif tok.type == tokenize.NUMBER:
            numbers.add(tok.string)
    return names, numbers


def _pairs() -> list[tuple[Path, Path]]:
    return [(p.with_name(p.name.replace(".fixed.py", ".py")), p) for p in sorted(FIXTURES.glob("*/*.fixed.py"))]


@pytest.mark.parametrize("pair", _pairs(), ids=lambda p: f"{p[0].parent.name}/{p[0].stem}")
def test_fixed_fixture_keeps_names_and_expressions(pair: tuple[Path, Path]) -> None:
    """Where a changed line loses a name of the script, no new number takes its place (``X.shape`` →
    ``(8,)``, ``NUM_CLASSES`` → ``5``): the intended form keeps the name and changes its definition."""
    import difflib

    before, after = (p.read_text(encoding="utf-8").splitlines() for p in pair)
    matcher = difflib.SequenceMatcher(a=before, b=after, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag != "replace":
            continue
        for old, new in zip(before[i1:i2], after[j1:j2], strict=False):
            old_names, old_numbers = _tokens(old)
            new_names, new_numbers = _tokens(new)
            lost, gained = old_names - new_names, new_numbers - old_numbers
            assert not (lost and gained), f"{old.strip()!r} -> {new.strip()!r}: {sorted(lost)} became {sorted(gained)}"


def test_definition_that_does_not_verify_falls_back_to_the_literal(tmp_path: Path) -> None:
    """Run with ``--num-classes 10`` the default is not what the call sees: the literal at the call is written."""
    from kerasfix.pipeline import Options, process

    case = FIXTURES / "units_mismatch" / "argparse_num_classes.py"
    path = tmp_path / case.name
    shutil.copyfile(case, path)
    result = process(str(path), Options(diff=True, argv=("--num-classes", "10")))
    assert result.status == "would_fix", result.why_not
    assert "+        layers.Dense(3, activation=\"softmax\")," in result.diff
    assert "default=10" not in result.diff and "written where" not in result.applied[0].summary
