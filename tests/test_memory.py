"""Giving a large model's copies back before the training step (``kerasfix.memory``)."""

from __future__ import annotations

import gc
import weakref

import keras
import numpy as np

from kerasfix.memory import release_freed, weights_of


def test_weights_of_counts_a_built_model_and_is_zero_where_it_cannot_tell() -> None:
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
    assert weights_of(model) == 4 * 3 + 3
    assert weights_of(keras.Sequential([keras.layers.Dense(3)])) == 0  # not built
    assert weights_of(None) == 0


def test_a_dropped_model_is_gone_after_release_freed() -> None:
    """Keras models refer to themselves through their layers: dropping the last reference does not free one
    until the cyclic collector runs, which release_freed does."""
    gc.disable()  # the collector must not run on its own while the test looks
    try:
        model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
        model(np.zeros((2, 4), dtype="float32"))
        ref = weakref.ref(model)
        del model
        assert ref() is not None  # held by its own cycles
        release_freed()
        assert ref() is None
    finally:
        gc.enable()
