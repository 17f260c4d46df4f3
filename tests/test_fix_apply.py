"""``fix.apply(model)`` on the same model rebuilt in the session: other automatic layer names, same layers."""

from __future__ import annotations

import dataclasses

import keras
import numpy as np
import pytest

from kerasfix import suggest_fixes

layers = keras.layers

RNG = np.random.default_rng(0)
X = RNG.random((32, 12, 12, 1)).astype("float32")
Y = RNG.integers(0, 4, 32)


def sequential() -> keras.Model:
    """Two Dense layers: their automatic names alone cannot tell which is which in a rebuilt model."""
    model = keras.Sequential([
        keras.Input(shape=(12, 12, 1)),
        layers.Conv2D(4, 3, activation="relu"),
        layers.Dense(8, activation="relu"),
        layers.Dense(4, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return model


def functional() -> keras.Model:
    inputs = keras.Input(shape=(12, 12, 1))
    h = layers.Conv2D(4, 3, activation="relu")(inputs)
    h = layers.Dense(8, activation="relu")(h)
    model = keras.Model(inputs, layers.Dense(4, activation="softmax")(h))
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return model


@pytest.mark.parametrize("build", [sequential, functional])
def test_a_fix_applies_to_the_model_rebuilt_with_other_layer_names(build) -> None:
    planned = build()
    fixes = suggest_fixes(planned, X, Y)
    assert fixes, "a Flatten is missing"
    rebuilt = build()
    old = [layer.name for layer in planned.layers]
    new = [layer.name for layer in rebuilt.layers]
    assert old != new  # dense_2 and dense_3 now, where the fix knows dense and dense_1
    fixed = fixes[0].apply(rebuilt)

    def names(model: keras.Model) -> list[str]:
        return [f"{type(layer).__name__}:{layer.name}" for layer in model.layers
                if not isinstance(layer, keras.layers.InputLayer)]

    # The rebuilt model's layers, by their own names, with the Flatten before the first Dense.
    assert names(fixed) == [*names(rebuilt)[:1], "Flatten:flatten_kerasfix", *names(rebuilt)[1:]]
    fixed.fit(X, Y, epochs=1, verbose=0)  # it trains: the Flatten went where the fix said


def test_a_model_that_is_not_equivalent_is_one_sentence_not_a_key_error() -> None:
    planned = sequential()
    fix = suggest_fixes(planned, X, Y)[0]
    fix.apply(planned)  # the model it was planned for: names as they are
    other = keras.Sequential([keras.Input(shape=(12, 12, 1)), layers.Conv2D(4, 3), layers.Dense(4)])
    with pytest.raises(ValueError, match=r"^this model is not the one the fix was planned for: its layers are "
                                         r"Conv2D, Dense, the fix's were .*\(call suggest_fixes on this model\)$"):
        fix.apply(other)
    # A fix without the planned layers (read back from JSON): a missing name with two candidates is ambiguous.
    bare = dataclasses.replace(fix, layers=())
    with pytest.raises(ValueError, match=r"which this model does not have, and it has 2 \(.*\) of that class"):
        bare.apply(sequential())
