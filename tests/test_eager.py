"""A cut call runs eagerly only when that cannot change its verdict: Keras's own code only, under TensorFlow."""

from __future__ import annotations

import textwrap
from pathlib import Path

import keras
import numpy as np
import pytest

from kerasfix.capture.eager import eagerly_if_faithful, faithful_eagerly
from kerasfix.capture.runner import CaptureError, capture


def _mlp(**dense: object) -> keras.Model:
    return keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, **dense), keras.layers.Dense(2)])


def _compiled(model: keras.Model, **kwargs: object) -> tuple[keras.Model, dict[str, object]]:
    kwargs = {"optimizer": "adam", "loss": "mse", **kwargs}
    model.compile(**kwargs)
    return model, kwargs


class Doubles(keras.layers.Layer):
    def call(self, x):
        return x * 2


def user_loss(y_true, y_pred):
    return keras.ops.mean((y_true - y_pred) ** 2)


def user_activation(x):
    return keras.ops.relu(x)


def test_keras_only_models_run_eagerly() -> None:
    model, kwargs = _compiled(_mlp(activation="relu", kernel_regularizer="l2"), metrics=["mae"])
    assert faithful_eagerly(model, kwargs)
    model, kwargs = _compiled(_mlp(), loss=keras.losses.MeanSquaredError(), optimizer=keras.optimizers.SGD(0.1))
    assert faithful_eagerly(model, kwargs)


@pytest.mark.parametrize("build", [
    lambda: _compiled(keras.Sequential([keras.Input((4,)), Doubles(), keras.layers.Dense(2)])),
    lambda: _compiled(keras.Sequential([keras.Input((4,)), keras.layers.Lambda(lambda t: t + 1),
                                        keras.layers.Dense(2)])),
    lambda: _compiled(_mlp(activation=user_activation)),
    lambda: _compiled(_mlp(), loss=user_loss),
    lambda: _compiled(_mlp(), metrics=[user_loss]),
    lambda: _compiled(_mlp(), jit_compile=True),
], ids=["custom_layer", "lambda", "user_activation", "user_loss", "user_metric", "jit_compile"])
def test_the_users_own_code_keeps_the_graph(build) -> None:
    model, kwargs = build()
    assert not faithful_eagerly(model, kwargs)


def test_the_models_setting_is_restored() -> None:
    model, kwargs = _compiled(_mlp())
    seen = []
    with eagerly_if_faithful(model, kwargs):
        seen.append(model.run_eagerly)
        model.fit(np.zeros((4, 4)), np.zeros((4, 2)), verbose=0)
    assert seen == [True] and model.run_eagerly is False


def test_a_graph_only_failure_of_the_users_layer_is_still_seen(tmp_path: Path) -> None:
    # ``.numpy()`` works eagerly and fails in the traced step: the user's own run fails, so the capture must too.
    script = tmp_path / "train.py"
    script.write_text(textwrap.dedent("""
        import numpy as np
        import keras

        class Scale(keras.layers.Layer):
            def call(self, x, training=False):
                if training:  # only in the training step, which Keras traces into a graph
                    return x * float(x.numpy().std())
                return x

        model = keras.Sequential([keras.Input((4,)), Scale(), keras.layers.Dense(1)])
        model.compile(optimizer="adam", loss="mse")
        model.fit(np.ones((8, 4), "float32"), np.ones((8, 1), "float32"), verbose=0)
    """), encoding="utf-8")
    with pytest.raises(CaptureError, match="numpy"):
        capture(str(script))
    # The same layer run eagerly trains: the traced step is what fails.
    eager = script.read_text(encoding="utf-8").replace('loss="mse")', 'loss="mse", run_eagerly=True)')
    script.write_text(eager, encoding="utf-8")
    assert capture(str(script)).completed
