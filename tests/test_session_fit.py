"""Silent faults caught where they happen: every ``fit`` in a session is checked before it trains.

A silent fault of each silent kind in the catalogue gives exactly one warning before the first epoch, and
training then runs: in a real IPython shell (in this process) and in a plain ``python`` process (a subprocess,
installing before Keras is imported). ``mode="raise"`` stops before training; a correct model gives nothing;
kerasfix failing is one line under ``verbose`` and never reaches the user's ``fit``.
"""

from __future__ import annotations

import builtins
import inspect
import os
import re
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import keras
import numpy as np
import pytest
from keras import layers

import kerasfix
import kerasfix.diagnosis
from kerasfix import session
from kerasfix.faults import CATALOGUE

ROOT = Path(__file__).resolve().parent.parent
PANEL = "kerasfix: model.fit(...)"

# -- the cases: one model per silent cause, as a user writes it ------------------------------------------

PRELUDE = """\
import sys
import numpy as np
import keras
from keras import layers

class Marker(keras.callbacks.Callback):
    def __init__(self, name):
        super().__init__()
        self.name = name

    def on_train_begin(self, logs=None):
        print(f"<<train {self.name}>>", file=sys.stderr, flush=True)

    def on_epoch_end(self, epoch, logs=None):
        print(f"<<trained {self.name} {epoch}>>", file=sys.stderr, flush=True)

rng = np.random.default_rng(0)
N = 64
x = rng.random((N, 6)).astype("float32")
ids5 = np.arange(N) % 5
binary = np.arange(N) % 2
prices = rng.uniform(50, 500, N).astype("float32")
multilabel = (rng.random((N, 5)) < 0.4).astype("float32")
multilabel[:, :2] = 1
tokens = rng.integers(0, 50, (N, 12))
"""


@dataclass(frozen=True)
class Case:
    name: str
    kind: str
    model: str  # source that defines and compiles ``model``
    x: str = "x"
    y: str = "ids5"

    def source(self, *, fits: int = 2) -> str:
        """The case as a cell or script section: the model, then ``fits`` fits (the first of two epochs)."""
        fit = f'model.fit({self.x}, {self.y}, epochs={{e}}, batch_size=N, verbose=0, callbacks=[Marker("{self.name}")])'
        calls = [fit.format(e=2)] + [fit.format(e=1)] * (fits - 1)
        return textwrap.dedent(self.model).strip() + "\n" + "\n".join(calls) + "\n"


def _seq(head: str, loss: str, *, inputs: str = "keras.Input(shape=(6,))", body: str = 'layers.Dense(8, activation="relu")',
         extra: str = "") -> str:
    return (f"model = keras.Sequential([\n    {inputs},\n    {body},\n    {head},\n])\n"
            f'model.compile(optimizer="adam", loss={loss}{extra})\n')


CASES: tuple[Case, ...] = (
    Case("units_more", "units_mismatch", _seq('layers.Dense(10, activation="softmax")', '"sparse_categorical_crossentropy"')),
    Case("softmax_one_unit", "activation_loss_mismatch",
         _seq('layers.Dense(1, activation="softmax")', '"binary_crossentropy"'), y="binary"),
    Case("softmax_with_logits", "activation_loss_mismatch",
         _seq('layers.Dense(5, activation="softmax")', "keras.losses.SparseCategoricalCrossentropy(from_logits=True)")),
    Case("logits_into_probabilities", "activation_loss_mismatch",
         _seq("layers.Dense(5)", '"sparse_categorical_crossentropy"')),
    Case("sigmoid_single_label", "activation_loss_mismatch",
         _seq('layers.Dense(5, activation="sigmoid")', '"sparse_categorical_crossentropy"')),
    Case("dense_on_sequence", "rank_silent",
         _seq('layers.Dense(1, activation="sigmoid")', '"mse"', inputs="keras.Input(shape=(12,))",
              body="layers.Embedding(50, 8)"), x="tokens", y="binary.reshape(-1, 1)"),
    Case("bce_multiclass_one_unit", "loss_label_mismatch",
         _seq('layers.Dense(1, activation="sigmoid")', '"binary_crossentropy"')),
    Case("bce_on_one_hot", "loss_label_mismatch",
         _seq('layers.Dense(5, activation="softmax")', '"binary_crossentropy"'), y="np.eye(5)[ids5]"),
    Case("mse_on_classes", "loss_label_mismatch",
         _seq('layers.Dense(5, activation="softmax")', '"mse"'), y="ids5.reshape(-1, 1)"),
    Case("sigmoid_on_prices", "output_range", _seq('layers.Dense(1, activation="sigmoid")', '"mse"'), y="prices"),
    Case("relu_under_bce", "output_range", _seq('layers.Dense(1, activation="relu")', '"binary_crossentropy"'),
         y="binary"),
    Case("softmax_multilabel", "output_range",
         _seq('layers.Dense(5, activation="softmax")', '"binary_crossentropy"'), y="multilabel"),
    Case("metric_on_ids", "metric_mismatch",
         _seq('layers.Dense(5, activation="softmax")', '"sparse_categorical_crossentropy"',
              extra=', metrics=["categorical_accuracy"]')),
    Case("label_in_features", "label_leak",
         _seq('layers.Dense(5, activation="softmax")', '"sparse_categorical_crossentropy"',
              inputs="keras.Input(shape=(7,))"), x="np.column_stack([x, ids5 / 4.0])"),
    Case("merge_broadcast", "shape_mismatch", """\
        inputs = keras.Input(shape=(6,))
        gate = layers.Dense(1)(inputs)
        features = layers.Dense(10)(inputs)
        merged = layers.Add()([gate, features])
        model = keras.Model(inputs, layers.Dense(1)(merged))
        model.compile(optimizer="adam", loss="mse")
        """, y="prices"),
)

CORRECT = Case("correct", "", _seq('layers.Dense(5, activation="softmax")', '"sparse_categorical_crossentropy"'))

#: Catalogue entries whose detectors only report what Keras fails on at the first step (left to Keras and
#: the exception path). Every other entry with a detector must have a case above. ``embedding_range`` fails
#: under TensorFlow on CPU, which these cases run on.
CRASH_ONLY = frozenset({"dtype_mismatch", "data_shape_mismatch", "wrong_input_shape", "missing_input_shape",
                        "rank_mismatch", "embedding_range"})


def _silent_entries() -> list[Any]:
    return [e for e in CATALOGUE if e.detectors and e.kind.value not in CRASH_ONLY]


def _one_per_kind() -> list[Case]:
    """One case of each silent kind, in catalogue order."""
    return [next(c for c in CASES if c.kind == e.kind.value) for e in _silent_entries()]


def test_every_silent_kind_of_the_catalogue_has_a_case() -> None:
    with_detectors = {e.kind.value for e in CATALOGUE if e.detectors}
    assert with_detectors >= CRASH_ONLY, "a crash-only kind left the catalogue: update CRASH_ONLY"
    assert {e.kind.value for e in _silent_entries()} == {c.kind for c in CASES}, (
        "a catalogue entry can report a silent fault but has no case here (or a case names no such entry)")
    for e in CATALOGUE:
        if e.kind.value in CRASH_ONLY:  # their own detectors never report a warning
            assert not any("WARNING" in inspect.getsource(d.detect) for d in e.detectors), e.kind


def _split(err: str, cases: list[Case]) -> dict[str, tuple[str, str]]:
    """For each case, in order: what stderr held before the case first trained, and its training (both fits)."""
    out, start = {}, 0
    for i, case in enumerate(cases):
        mark = err.index(f"<<train {case.name}>>", start)
        nxt = err.index(f"<<train {cases[i + 1].name}>>", mark) if i + 1 < len(cases) else len(err)
        end = err.index("\n", err.rindex(f"<<trained {case.name} ", mark, nxt)) + 1
        out[case.name] = (err[start:mark], err[mark:end])
        start = end
    return out


def _assert_one_warning_then_training(case: Case, before: str, training: str) -> None:
    assert before.count("kerasfix:") == 1, f"{case.name}: expected one warning before training:\n{before}"
    assert PANEL in before and f"\n  {case.kind}: " in before, f"{case.name}: {before}"
    # Both fits trained (the first its two epochs), and nothing was said again: once per model and fault.
    assert training.count(f"<<train {case.name}>>") == 2 and f"<<trained {case.name} 1>>" in training
    assert "kerasfix" not in training, training


# -- a real IPython shell -----------------------------------------------------------------------------


@pytest.fixture
def shell() -> Any:
    pytest.importorskip("IPython", reason="IPython is not installed (pip install '.[test]' has it); the plain-python test covers the hook")
    from IPython.core.interactiveshell import InteractiveShell

    sh = InteractiveShell.instance()
    try:
        yield sh
    finally:
        sh.run_line_magic("unload_ext", "kerasfix")
        session.uninstall()
        InteractiveShell.clear_instance()


def _cell(sh: Any, source: str) -> None:
    result = sh.run_cell(source, store_history=True)
    assert result.error_in_exec is None and result.error_before_exec is None, source


def test_ipython_warns_once_for_each_silent_fault_before_the_first_epoch_and_trains(
    shell: Any, capsys: pytest.CaptureFixture[str],
) -> None:
    shell.run_line_magic("load_ext", "kerasfix")
    _cell(shell, PRELUDE)
    capsys.readouterr()
    for entry in _silent_entries():
        for case in (c for c in CASES if c.kind == entry.kind.value):
            _cell(shell, case.source())
            before, training = _split(capsys.readouterr().err, [case])[case.name]
            _assert_one_warning_then_training(case, before, training)
            if "fix [" in before:  # the layers were made in a cell after the extension loaded: the fix is a diff
                assert re.search(r"--- a/In\[\d+\]\n\s+\+\+\+ b/In\[\d+\]", before), before
    _cell(shell, CORRECT.source())
    assert "kerasfix" not in capsys.readouterr().err


# -- a plain python process -----------------------------------------------------------------------------


def _run(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("KERASFIX")}
    full_env.update({"TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": "", **(env or {})})
    return subprocess.run([sys.executable, *args], cwd=cwd, env=full_env, capture_output=True, text=True, timeout=300)


def test_plain_python_warns_once_for_each_silent_kind_before_the_first_epoch_and_trains(tmp_path: Path) -> None:
    cases = _one_per_kind()
    # install() comes before Keras is imported: the hooks wait for the script's own import of Keras.
    script = "import sys\nimport kerasfix\nkerasfix.install()\nassert 'keras' not in sys.modules\n" + PRELUDE
    script += "".join(c.source() for c in cases) + CORRECT.source() + 'print("done")\n'
    path = tmp_path / "train.py"
    path.write_text(script, encoding="utf-8")
    proc = _run([str(path)], tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.strip().endswith("done")
    parts = _split(proc.stderr, [*cases, CORRECT])
    for case in cases:
        _assert_one_warning_then_training(case, *parts[case.name])
    assert "kerasfix" not in parts[CORRECT.name][0] + parts[CORRECT.name][1]
    # The layers were made in the script: the fix is a diff of the script.
    units = parts["units_more"][0]
    assert f"{PANEL} at train.py, line " in units and "--- a/train.py" in units
    assert '-    layers.Dense(10, activation="softmax"),\n    +    layers.Dense(5, activation="softmax"),' in units


def test_kerasfix_run_in_raise_mode_stops_before_training_with_the_script_exit_code(tmp_path: Path) -> None:
    case = next(c for c in CASES if c.name == "bce_multiclass_one_unit")
    path = tmp_path / "ci.py"
    path.write_text(PRELUDE + 'print("argv", sys.argv[1:])\n' + case.source(fits=1) + 'print("not reached")\n',
                    encoding="utf-8")
    proc = _run(["-m", "kerasfix", "run", str(path), "--epochs", "3", "--", "x"], tmp_path, env={"KERASFIX": "raise"})
    assert proc.returncode == 1, proc.stderr[-3000:]
    assert "argv ['--epochs', '3', '--', 'x']" in proc.stdout and "not reached" not in proc.stdout
    assert f"<<train {case.name}>>" not in proc.stderr  # stopped before training
    tail = proc.stderr[proc.stderr.index("Traceback"):]
    assert "kerasfix.session.SilentFaultError: kerasfix: model.fit(...)" in tail
    assert "loss_label_mismatch" in tail and "compile with loss=" in tail
    assert 'File "' + str(path) in tail and "runpy" not in tail  # the traceback starts at the script


# -- in this process ----------------------------------------------------------------------------------------

RNG = np.random.default_rng(1)
X = RNG.random((64, 6)).astype("float32")
IDS = np.arange(64) % 5


class Marker(keras.callbacks.Callback):
    def __init__(self) -> None:
        super().__init__()
        self.epochs = 0

    def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
        self.epochs += 1


def _model(units: int = 10, *, dropout: float = 0.0) -> keras.Model:
    model = keras.Sequential([keras.Input(shape=(6,)), layers.Dense(8, activation="relu"), layers.Dropout(dropout),
                              layers.Dense(units, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return model


@pytest.fixture(autouse=True)
def _clean(monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.delattr(builtins, "get_ipython", raising=False)
    monkeypatch.delenv("KERASFIX", raising=False)
    monkeypatch.delenv("KERASFIX_VERBOSE", raising=False)
    monkeypatch.setattr(sys, "excepthook", sys.__excepthook__)
    yield
    session.uninstall()


def test_raise_mode_stops_before_training_with_the_finding_and_the_fix() -> None:
    kerasfix.install(mode="raise")
    model, marker = _model(10), Marker()
    with pytest.raises(kerasfix.SilentFaultError) as info:
        model.fit(X, IDS, epochs=1, verbose=0, callbacks=[marker])
    assert marker.epochs == 0
    assert [str(f.kind) for f in info.value.findings] == ["units_mismatch"]
    # The session recorded where the layer was written (in this file): the fix names it so.
    line = next(i for i, text in enumerate(Path(__file__).read_text().splitlines(), 1) if "layers.Dense(units," in text)
    assert info.value.fix.summary == f"set units=5 on the Dense(units) at line {line}"
    assert "kerasfix stopped model.fit before training" in str(info.value)
    assert info.value.fix.apply(model).output_shape == (None, 5)
    with pytest.raises(kerasfix.SilentFaultError):  # every fit, not once: it is how CI stops
        model.fit(X, IDS, epochs=1, verbose=0)


def test_a_correct_model_gives_nothing_and_trains(capsys: pytest.CaptureFixture[str]) -> None:
    kerasfix.install()
    marker = Marker()
    _model(5).fit(X, IDS, epochs=2, verbose=0, callbacks=[marker])
    assert marker.epochs == 2 and capsys.readouterr().err == ""


def test_a_crash_fault_is_left_to_keras_and_explained_as_before(capsys: pytest.CaptureFixture[str]) -> None:
    kerasfix.install()
    model = keras.Sequential([keras.Input((8, 8, 1)), layers.Conv2D(2, 3), layers.Dense(3, activation="softmax")])
    model.compile(loss="sparse_categorical_crossentropy")
    with pytest.raises(ValueError) as info:
        model.fit(np.zeros((8, 8, 8, 1), "float32"), np.arange(8) % 3, verbose=0)
    assert capsys.readouterr().err == ""  # no panel: Keras raises at once, and the exception path explains it
    sys.excepthook(ValueError, info.value, info.value.__traceback__)
    assert "insert Flatten()" in capsys.readouterr().err


def test_our_failure_is_one_line_under_verbose_and_never_reaches_the_users_fit(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("kerasfix bug\nsecond line")

    monkeypatch.setattr(kerasfix.diagnosis, "examine", broken)
    kerasfix.install()
    marker = Marker()
    _model(10).fit(X, IDS, epochs=1, verbose=0, callbacks=[marker])
    assert marker.epochs == 1 and capsys.readouterr().err == ""
    kerasfix.install(verbose=True)
    _model(10).fit(X, IDS, epochs=1, verbose=0, callbacks=[marker])
    err = capsys.readouterr().err
    assert marker.epochs == 2 and err.count("\n") == 1
    assert err.startswith("kerasfix: internal error while checking model.fit, ignored (RuntimeError: kerasfix bug second line)")
    # A Keras error in the same fit carries nothing of ours.
    bad = keras.Sequential([keras.Input((8, 8, 1)), layers.Conv2D(2, 3), layers.Dense(3, activation="softmax")])
    bad.compile(loss="sparse_categorical_crossentropy")
    with pytest.raises(ValueError) as info:
        bad.fit(np.zeros((8, 8, 8, 1), "float32"), np.arange(8) % 3, verbose=0)
    assert info.value.__context__ is None and info.value.__cause__ is None
    assert "RuntimeError" not in "".join(__import__("traceback").format_exception(info.value))


def test_once_per_model_and_fault_and_repeated_fits_cost_nothing(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    calls: list[int] = []
    real = kerasfix.diagnosis.examine

    def counted(problem: Any) -> Any:
        calls.append(1)
        return real(problem)

    monkeypatch.setattr(kerasfix.diagnosis, "examine", counted)
    kerasfix.install()
    model = _model(10)
    model.fit(X, IDS, epochs=2, verbose=0)
    first = capsys.readouterr().err
    assert first.count(PANEL) == 1 and len(calls) >= 1
    examined = len(calls)
    for _ in range(3):
        model.fit(X, IDS, epochs=1, verbose=0)
    assert len(calls) == examined and capsys.readouterr().err == ""  # cached, and said once
    model.fit(X.copy(), IDS.copy(), epochs=1, verbose=0)  # the same data spec, other arrays: still cached
    assert len(calls) == examined
    model.fit(X, np.arange(64) % 4, epochs=1, verbose=0)  # other labels: checked again (4 classes now)
    assert len(calls) > examined
    assert capsys.readouterr().err.count(PANEL) == 1  # a new fault (other facts) is said once
    _model(10).fit(X, IDS, epochs=1, verbose=0)  # another model with the same fault: said again
    assert capsys.readouterr().err.count(PANEL) == 1


def test_a_model_over_the_budget_is_skipped_with_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    kerasfix.install(budget_ms=1)
    model, marker = _model(10), Marker()
    model.fit(X, IDS, epochs=1, verbose=0, callbacks=[marker])
    model.fit(X, IDS, epochs=1, verbose=0, callbacks=[marker])
    err = capsys.readouterr().err
    assert marker.epochs == 2 and err.count("\n") == 1
    assert err.startswith(f"kerasfix: not checking model.fit(...) of {model.name} before training: 4 layers")
    assert "(budget 0.001 s); kerasfix.explain(model, x, y) checks it on demand" in err
    estimate, n_layers, params = session.estimate_ms(model, IDS)
    assert n_layers == 4 and params == model.count_params() and estimate < session.DEFAULT_BUDGET_MS


def test_training_is_the_same_with_and_without_the_check() -> None:
    def train(check: bool) -> list[np.ndarray]:
        if check:
            kerasfix.install()
        else:
            session.uninstall()
        keras.utils.set_random_seed(7)
        model = _model(10, dropout=0.3)
        model.fit(X, IDS, epochs=2, batch_size=16, verbose=0)
        after = keras.Sequential([keras.Input((6,)), layers.Dense(3)])  # the next layers' initial weights too
        return [*model.get_weights(), *after.get_weights()]

    plain, checked = train(False), train(True)
    assert session.last_check is not None  # the check ran, found the fault and planned its fix
    assert all(np.array_equal(a, b) for a, b in zip(plain, checked, strict=True))


def test_the_panel_shown_and_the_check_explained_are_the_packages_last_check(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    from kerasfix.session import watch

    monkeypatch.setattr(session, "last_check", None)
    kerasfix.install()
    model = _model(10)
    model.fit(X, IDS, epochs=1, verbose=0)
    assert PANEL in capsys.readouterr().err
    from kerasfix.session import last_check  # as the panel tells the user to

    assert last_check is not None and last_check is session.last_check
    assert [str(f.kind) for f in last_check.findings] == ["units_mismatch"]
    assert last_check.fix.apply(model).output_shape == (None, 5)
    assert not hasattr(watch, "last_check")  # kept on the package, where the user reads it from
    check = kerasfix.explain(_model(10), X, IDS)
    assert session.last_check is check and check is not last_check


def test_validation_data_that_would_fail_after_the_first_epoch_is_said_before_training(
    capsys: pytest.CaptureFixture[str],
) -> None:
    kerasfix.install()
    model = _model(5)
    one_hot = np.eye(5)[IDS].astype("float32")
    with pytest.raises(ValueError):  # what Keras does, an epoch later
        model.fit(X, IDS, epochs=1, verbose=0, validation_data=(X, one_hot))
    err = capsys.readouterr().err
    assert "would fail on validation_data after its first epoch" in err
    assert "on validation_data: loss_label_mismatch (Keras fails on it)" in err


def test_explain_prints_the_same_panel_on_demand(capsys: pytest.CaptureFixture[str]) -> None:
    model = _model(10)
    check = kerasfix.explain(model, X, IDS)
    out = capsys.readouterr().out
    assert isinstance(check, kerasfix.FitCheck) and [str(f.kind) for f in check.findings] == ["units_mismatch"]
    assert out.startswith(f"kerasfix: {model.name} on this data:\n  units_mismatch: {model.layers[-1].name} has 10")
    assert f"fix [review, verified: one training step runs]: set units=5 on {model.layers[-1].name}" in out
    assert "model = kerasfix.session.last_check.fix.apply(model)" in out  # made before install: no origin, no diff
    assert check.fix.apply(model).output_shape == (None, 5)
    assert kerasfix.explain(_model(5), X, IDS).ok
    assert capsys.readouterr().out.endswith(": nothing wrong found on this data\n")


def test_install_keeps_keras_working_and_uninstall_restores_it(tmp_path: Path) -> None:
    from keras.src.trainers.trainer import Trainer

    before = (keras.layers.Layer.__dict__["__new__"], Trainer.__dict__["compile"], keras.Model.__dict__.get("fit"))
    with pytest.raises(ValueError, match="mode must be one of warn, raise, off"):
        kerasfix.install(mode="loud")
    kerasfix.install()
    assert keras.Model.fit.__name__ == "fit" and inspect.signature(keras.Model.fit) == inspect.signature(
        before[2] or keras.src.backend.tensorflow.trainer.TensorFlowTrainer.fit)
    model = _model(5)
    model.save(tmp_path / "m.keras")
    assert keras.models.load_model(tmp_path / "m.keras").compiled  # compile keeps Keras's marks: it is re-compiled
    session.uninstall()
    after = (keras.layers.Layer.__dict__["__new__"], Trainer.__dict__["compile"], keras.Model.__dict__.get("fit"))
    assert after == before


def test_the_environment_gives_the_mode(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("KERASFIX", "off")
    kerasfix.install()
    _model(10).fit(X, IDS, epochs=1, verbose=0)
    assert capsys.readouterr().err == ""
    monkeypatch.setenv("KERASFIX", "raise")
    kerasfix.install()
    with pytest.raises(kerasfix.SilentFaultError):
        _model(10).fit(X, IDS, epochs=1, verbose=0)
    monkeypatch.setenv("KERASFIX", "shout")
    kerasfix.install()
    assert "KERASFIX='shout' is not one of warn, raise, off: using warn" in capsys.readouterr().err


def test_run_gives_the_scripts_exit_code_and_arguments(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from kerasfix.cli import main

    script = tmp_path / "tool.py"
    script.write_text("import sys\nprint('argv', sys.argv[1:], __name__)\nsys.exit(int(sys.argv[1]))\n", encoding="utf-8")
    assert main(["run", str(script), "3", "--", "-v"]) == 3
    assert "argv ['3', '--', '-v'] __main__" in capsys.readouterr().out
    assert main(["run", str(script), "0"]) == 0
    failing = tmp_path / "failing.py"
    failing.write_text("def f():\n    raise KeyError('boom')\nf()\n", encoding="utf-8")
    assert main(["run", str(failing)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("Traceback (most recent call last):\n  File \"" + str(failing)) and "KeyError: 'boom'" in err
    assert main(["run", str(tmp_path / "missing.py")]) == 2
    assert session._state.checker is None and sys.excepthook is sys.__excepthook__  # run leaves nothing behind
