"""Imported by the warm worker after Keras: what Keras would otherwise import again in every forked run.

Under JAX or torch, Keras still imports TensorFlow whenever it is installed: on the first ``get_config``
(its serializer checks for ``tf.TensorShape``) and in ``keras.utils.set_random_seed`` (it seeds ``tf.data``).
Every run forked from a worker without it would pay that import (seconds; more than the rest of a small
script's run, twice for ``apply``). Imported here, once per session, every run shares it. Under the
TensorFlow backend, ``import keras`` has imported it already; without TensorFlow installed, nothing happens.
"""

from __future__ import annotations

import importlib.util

import keras

if keras.backend.backend() != "tensorflow" and importlib.util.find_spec("tensorflow") is not None:
    import tensorflow  # noqa: F401
