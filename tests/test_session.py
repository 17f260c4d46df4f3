"""In the session: a Keras error reaching the top level is explained after its own traceback.

The exceptions are real (real TensorFlow, tiny data); the hooks are called
directly, as Python and IPython would call them.
"""

from __future__ import annotations

import builtins
import sys
import types
from typing import Any

import keras
import numpy as np
import pytest
from keras import layers

import kerasfix.diagnosis
from kerasfix import session
from kerasfix.session import handlers
from kerasfix.session.locate import _entries, _from_call_site

RNG = np.random.default_rng(0)


def _fit_error() -> tuple[ValueError, keras.Model, np.ndarray, np.ndarray]:
    """A CNN whose Dense head sits on the feature maps (no Flatten), failing in fit."""
    x = RNG.random((8, 8, 8, 1)).astype("float32")
    y = RNG.integers(0, 3, 8)
    model = keras.Sequential([
        keras.Input(shape=(8, 8, 1)),
        layers.Conv2D(2, 3),
        layers.MaxPooling2D(),
        layers.Dense(3, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    try:
        model.fit(x, y, epochs=1, verbose=0)
    except ValueError as exc:
        return exc, model, x, y
    raise AssertionError("the broken model trained")


def _sequential_error() -> tuple[ValueError, np.ndarray]:
    """``Sequential([...])`` itself fails: the Reshape does not match its input."""
    x = RNG.random((8, 12)).astype("float32")
    y = RNG.integers(0, 3, 8)
    try:
        model = keras.Sequential([keras.Input(shape=(12,)), layers.Reshape((5, 5)), layers.Dense(3)])
        model.fit(x, y, epochs=1, verbose=0)  # never reached; kerasfix reads its data from here
    except ValueError as exc:
        return exc, x
    raise AssertionError("the broken model was built")


def _plain_error(kind: type[Exception] = ValueError) -> Exception:
    try:
        if kind is ValueError:
            int("not a number")
        raise kind("plain")
    except kind as exc:
        return exc


@pytest.fixture(scope="module")
def fit_error() -> tuple[ValueError, keras.Model, np.ndarray, np.ndarray]:
    return _fit_error()


@pytest.fixture(autouse=True)
def _clean_hooks(monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.delattr(builtins, "get_ipython", raising=False)
    monkeypatch.delenv("KERASFIX", raising=False)
    yield
    session.uninstall()


def _call_hook(exc: BaseException) -> None:
    sys.excepthook(type(exc), exc, exc.__traceback__)


# -- sys.excepthook ------------------------------------------------------------


def test_excepthook_prints_the_traceback_then_the_failing_connection_and_the_fix(
    fit_error: tuple[ValueError, keras.Model, np.ndarray, np.ndarray],
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    exc, model, x, y = fit_error
    from keras.src.backend.common import global_state

    names_before = dict(global_state.get_global_attribute("object_name_uids"))
    monkeypatch.setattr(sys, "excepthook", sys.__excepthook__)
    session.install()
    assert sys.excepthook is not sys.__excepthook__
    _call_hook(exc)
    err = capsys.readouterr().err
    # Diagnosing built layers, but the session's next automatic layer names are unchanged.
    assert dict(global_state.get_global_attribute("object_name_uids")) == names_before
    conv, pool, dense = (layer.name for layer in model.layers)
    # The original traceback, untouched, comes first.
    assert err.index("Traceback (most recent call last)") < err.index("kerasfix:")
    assert "ValueError: Argument `output` must have rank" in err
    assert "model.fit(x, y, epochs=1, verbose=0)" in err
    # Then the failing connection, the layer table, the finding and the fix.
    assert f"failing connection: {pool} → {dense}" in err
    assert all(name in err for name in (conv, pool, dense))
    assert "rank_mismatch" in err
    assert f"suggested fix [safe, verified: one training step runs]: insert Flatten() between {pool}" in err
    assert "kerasfix apply --diff" not in err  # the "script" here is a test module's function, not a file to fix
    # The fix printed is the one kept for the session, and it repairs the model.
    assert session.last is not None and session.last.found.model is model
    fixed = session.last.fix.apply(model)
    assert fixed.output_shape == (None, 3)
    session.uninstall()
    assert sys.excepthook is sys.__excepthook__


def test_the_explanation_printed_is_the_packages_last(
    fit_error: tuple[ValueError, keras.Model, np.ndarray, np.ndarray],
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    exc = fit_error[0]
    monkeypatch.setattr(session, "last", None)
    monkeypatch.setattr(sys, "excepthook", sys.__excepthook__)
    session.install()
    _call_hook(exc)
    capsys.readouterr()
    from kerasfix.session import last  # as the explanation tells the user to

    assert last is not None and last is session.last and last.exception is exc
    assert not hasattr(handlers, "last")  # kept on the package, where the user imports it from


def test_tensorflow_runtime_errors_are_explained_too() -> None:
    import tensorflow as tf

    x = RNG.random((8, 4)).astype("float32")
    y = np.arange(8) % 6  # six classes
    model = keras.Sequential([keras.Input(shape=(4,)), layers.Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    with pytest.raises(tf.errors.InvalidArgumentError) as info:
        model.fit(x, y, epochs=1, verbose=0)
    expl = session.explain(info.value)
    assert expl is not None
    assert "units_mismatch" in str(expl) and f"set units=6 on {model.layers[-1].name}" in str(expl)


def test_a_script_is_pointed_to_kerasfix_apply_and_a_session_to_the_fix_object(
    fit_error: tuple[ValueError, keras.Model, np.ndarray, np.ndarray],
) -> None:
    from dataclasses import replace

    expl = session.explain(fit_error[0])
    assert expl is not None and not expl.interactive
    script = replace(expl, found=replace(expl.found, where=session.Where(__file__, 7, "model.fit(x, y)", main=True)))
    assert f"to write it into the script: kerasfix apply --diff {__file__}" in str(script)
    assert "try it here" not in str(script)
    here = replace(expl, interactive=True)
    assert "from kerasfix.session import last" in str(here) and "kerasfix apply" not in str(here)


def test_install_is_idempotent_and_uninstall_restores_the_previous_hook(monkeypatch: pytest.MonkeyPatch) -> None:
    def previous(*_args: object) -> None:
        return None

    monkeypatch.setattr(sys, "excepthook", previous)
    session.install()
    ours = sys.excepthook
    session.install()
    assert sys.excepthook is ours
    session.uninstall()
    assert sys.excepthook is previous


@pytest.mark.parametrize("kind", [ZeroDivisionError, ValueError, TypeError])
def test_other_exceptions_go_to_the_previous_hook_untouched(
    kind: type[Exception], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    calls: list[tuple[object, ...]] = []
    monkeypatch.setattr(sys, "excepthook", lambda *args: calls.append(args))
    session.install()
    exc = _plain_error(kind)
    _call_hook(exc)
    assert calls == [(kind, exc, exc.__traceback__)]
    assert capsys.readouterr() == ("", "")


def test_kerasfix_failing_never_hides_the_users_error(
    fit_error: tuple[ValueError, keras.Model, np.ndarray, np.ndarray],
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("kerasfix bug")

    monkeypatch.setattr(kerasfix.diagnosis, "diagnose", broken)
    monkeypatch.setattr(sys, "excepthook", sys.__excepthook__)
    session.install()
    exc = fit_error[0]
    _call_hook(exc)
    err = capsys.readouterr().err
    assert "ValueError: Argument `output` must have rank" in err
    assert "kerasfix" not in err and "RuntimeError" not in err


# -- finding the model and the data --------------------------------------------


def test_model_and_data_are_found_through_keras_traceback_filtering(
    fit_error: tuple[ValueError, keras.Model, np.ndarray, np.ndarray],
) -> None:
    exc, model, x, y = fit_error
    found = session.find_model_and_data(exc.__traceback__)
    assert found is not None
    assert (found.model, found.x, found.y, found.call) == (model, x, y, "fit")
    assert found.where is not None and found.where.code == "model.fit(x, y, epochs=1, verbose=0)"


def test_model_and_data_are_found_in_the_fit_frame_itself(
    fit_error: tuple[ValueError, keras.Model, np.ndarray, np.ndarray],
) -> None:
    # With traceback filtering off, the traceback keeps Keras's own `fit` frame.
    was = keras.config.is_traceback_filtering_enabled()
    keras.config.disable_traceback_filtering()
    try:
        exc, model, x, y = _fit_error()
    finally:
        if was:
            keras.config.enable_traceback_filtering()
    fit = next(e for e in _entries(exc.__traceback__) if e.tb_frame.f_code.co_name == "fit")
    found = session.find_model_and_data(fit)
    assert found is not None and found.model is model and found.x is x and found.y is y and found.call == "fit"


def test_model_and_data_are_found_at_the_call_site_as_a_last_resort(
    fit_error: tuple[ValueError, keras.Model, np.ndarray, np.ndarray],
) -> None:
    exc, model, x, y = fit_error
    user = exc.__traceback__
    assert user is not None and user.tb_frame.f_code.co_name == "_fit_error"
    found = _from_call_site(user, (keras.Model,))
    assert found is not None and found.model is model and found.x is x and found.y is y


def test_a_failing_sequential_is_explained_with_the_data_of_the_fit_that_follows(
    capsys: pytest.CaptureFixture[str],
) -> None:
    exc, x = _sequential_error()
    expl = session.explain(exc)
    assert expl is not None
    assert expl.found.call == "Sequential" and expl.found.x is x and not expl.found.synthetic
    text = str(expl)
    assert "keras.Sequential([...])" in text and "its layers do not connect" in text
    assert "shape_mismatch" in text and "reshape" in text.lower()


def test_a_failing_sequential_without_data_is_traced_with_zeros_of_the_declared_shape() -> None:
    try:
        keras.Sequential([keras.Input(shape=(12,)), layers.Reshape((5, 5))])
    except ValueError as exc:
        error = exc
    found = session.find_model_and_data(error.__traceback__)
    assert found is not None and found.synthetic
    assert found.x.shape == (session.SYNTHETIC_ROWS, 12)
    expl = session.explain(error)
    assert expl is not None and "zeros of the declared input shape" in str(expl)


def test_a_failing_model_add_is_explained() -> None:
    model = keras.Sequential([keras.Input(shape=(12,))])
    try:
        model.add(layers.Reshape((5, 5)))
    except ValueError as exc:
        error = exc
    expl = session.explain(error)
    assert expl is not None and expl.found.model is model and expl.found.call == "add"
    assert "model.add(...)" in str(expl) and "shape_mismatch" in str(expl)


# -- IPython ---------------------------------------------------------------------


class FakeEvents:
    def __init__(self) -> None:
        self.callbacks: dict[str, list[Any]] = {}

    def register(self, event: str, fn: Any) -> None:
        self.callbacks.setdefault(event, []).append(fn)

    def unregister(self, event: str, fn: Any) -> None:
        self.callbacks[event].remove(fn)


class FakeShell:
    """What kerasfix uses of IPython's InteractiveShell, recording the calls."""

    def __init__(self) -> None:
        self.custom_exceptions: tuple[type[BaseException], ...] = ()
        self.CustomTB: Any = "ipython's default"
        self.registered: list[tuple[tuple[type[BaseException], ...], Any]] = []
        self.shown: list[tuple[Any, ...]] = []
        self.events = FakeEvents()

    def set_custom_exc(self, exc_tuple: tuple[type[BaseException], ...], handler: Any) -> None:
        # Like IPython: the handler becomes a method of the shell.
        self.registered.append((exc_tuple, handler))
        self.custom_exceptions = exc_tuple
        self.CustomTB = types.MethodType(handler, self)

    def showtraceback(self, exc_tuple: Any = None, filename: Any = None, tb_offset: Any = None, **_kwargs: Any) -> None:
        self.shown.append(exc_tuple)

    def run_failing_cell(self, exc: BaseException) -> None:
        """What IPython's run_code does with an exception listed in custom_exceptions."""
        assert isinstance(exc, self.custom_exceptions)
        self.CustomTB(type(exc), exc, exc.__traceback__)


def test_install_under_ipython_registers_a_handler_that_shows_the_traceback_then_explains(
    fit_error: tuple[ValueError, keras.Model, np.ndarray, np.ndarray],
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    import tensorflow as tf

    shell = FakeShell()
    monkeypatch.setattr(builtins, "get_ipython", lambda: shell, raising=False)
    session.install()
    assert len(shell.registered) == 1
    kinds = shell.registered[0][0]
    assert {ValueError, TypeError, tf.errors.OpError} <= set(kinds)
    exc, model = fit_error[0], fit_error[1]
    shell.run_failing_cell(exc)
    assert shell.shown == [(ValueError, exc, exc.__traceback__)]
    err = capsys.readouterr().err
    assert "insert Flatten()" in err and model.layers[2].name in err
    assert "model = last.fix.apply(model)" in err  # the session goes on: say how to use the fix here
    plain = _plain_error(TypeError)
    shell.run_failing_cell(plain)
    assert shell.shown[-1] == (TypeError, plain, plain.__traceback__)
    assert capsys.readouterr().err == ""
    session.uninstall()
    assert shell.custom_exceptions == () and shell.CustomTB == "ipython's default"
    assert shell.events.callbacks["post_run_cell"] == []


def test_ipython_handler_survives_kerasfix_failing(
    fit_error: tuple[ValueError, keras.Model, np.ndarray, np.ndarray], monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(handlers, "explain", lambda exc: 1 / 0)  # where the handler looks it up
    shell = FakeShell()
    session.load_ipython_extension(shell)
    exc = fit_error[0]
    shell.run_failing_cell(exc)  # must not raise: IPython would unregister a handler that does
    assert shell.shown == [(ValueError, exc, exc.__traceback__)]


def test_extension_adds_tensorflow_errors_once_tensorflow_is_imported(monkeypatch: pytest.MonkeyPatch) -> None:
    import tensorflow as tf

    shell = FakeShell()
    monkeypatch.setattr(handlers, "_exception_types", lambda: (ValueError, TypeError))
    session.load_ipython_extension(shell)
    session.load_ipython_extension(shell)  # loading twice registers once
    assert [r[0] for r in shell.registered] == [(ValueError, TypeError)]
    monkeypatch.undo()  # "TensorFlow is imported now"
    for callback in shell.events.callbacks["post_run_cell"]:
        callback(None)
    assert tf.errors.OpError in shell.custom_exceptions
    session.unload_ipython_extension(shell)
    assert shell.custom_exceptions == () and shell.CustomTB == "ipython's default"


def test_the_extension_checks_fit_until_it_is_unloaded(monkeypatch: pytest.MonkeyPatch) -> None:
    from keras.src.trainers.trainer import Trainer

    def patched() -> tuple[Any, ...]:
        return keras.Model.__dict__.get("fit"), Trainer.__dict__["compile"], keras.layers.Layer.__dict__["__new__"]

    before = patched()
    shell = FakeShell()
    monkeypatch.setenv("KERASFIX", "raise")  # a CI notebook: the mode comes from the environment
    session.load_ipython_extension(shell)
    assert session._state.checker is not None and session._state.checker.mode == "raise"
    assert all(now is not was for now, was in zip(patched(), before, strict=True))
    session.unload_ipython_extension(shell)
    assert patched() == before and session._state.checker is None


def test_real_ipython_shell(capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("IPython", reason="IPython is not installed; the FakeShell tests cover the handler")
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    try:
        shell.run_line_magic("load_ext", "kerasfix.session")
        shell.run_cell(
            "import numpy as np, keras\n"
            "from keras import layers\n"
            "x = np.zeros((8, 8, 8, 1), 'float32'); y = np.arange(8) % 3\n"
            "model = keras.Sequential([keras.Input((8, 8, 1)), layers.Conv2D(2, 3), layers.Dense(3, activation='softmax')])\n"
            "model.compile(loss='sparse_categorical_crossentropy')\n"
            "model.fit(x, y, verbose=0)\n"
        )
        out = capsys.readouterr()
        assert "ValueError" in out.out + out.err
        assert "insert Flatten()" in out.err or "insert GlobalAveragePooling2D()" in out.err
        assert isinstance(sys.last_value, ValueError)
        shell.run_line_magic("unload_ext", "kerasfix.session")
        assert shell.custom_exceptions == ()
    finally:
        InteractiveShell.clear_instance()
