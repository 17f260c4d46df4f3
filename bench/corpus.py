"""The benchmark corpus: correct Keras scripts, and fault injectors that break them.

Every correct script builds a small model on synthetic numpy data (<= 128 samples) and
calls ``fit(..., epochs=1, verbose=0)``. A fault injector rewrites a script's text
deterministically (plain line/regex edits on scripts written for it) and records what
kerasfix must report (the accepted finding kinds) and what the intended repair is: the
original script, compared by text and by the model/loss/data it trains (see
``bench/_fit_probe.py``).

    python bench/corpus.py                 # list scripts, faults and variants
    python bench/corpus.py --write DIR     # write correct/ and buggy/ scripts into DIR
    python bench/corpus.py --check         # run every script: correct ones must train,
                                           # buggy ones must crash or train something else
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import re
import subprocess
import sys
import tempfile
import zlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
PROBE = HERE / "_fit_probe.py"


@dataclass(frozen=True)
class Script:
    """A correct script and what the injectors need to know about it."""

    name: str
    text: str
    x: str  # the features variable passed to fit (first input, for multi-input models)
    y: str  # the labels variable passed to fit
    task: str  # "multiclass" | "binary" | "regression"
    classes: int = 0
    labels: str = "ids"  # "ids" (integer ids go to fit) | "one_hot" | "float"
    sequential: bool = True
    style: str = ""


# ---------------------------------------------------------------------------
# The correct scripts. Data lines come before the model, one statement a line.

SCRIPTS: list[Script] = [
    Script("mlp_list_keras", '''\
"""MLP, Sequential list, keras.Input, layers.X."""
import numpy as np
import keras
from keras import layers

rng = np.random.default_rng(101)
x = rng.random((96, 10)).astype("float32")
y = rng.permutation(np.arange(96) % 4)

model = keras.Sequential([
    keras.Input(shape=(10,)),
    layers.Dense(32, activation="relu"),
    layers.Dense(16, activation="relu"),
    layers.Dense(4, activation="softmax"),
])
model.summary()
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(x, y, epochs=1, batch_size=16, verbose=0)
''', "x", "y", "multiclass", 4, style="Sequential list, layers.X"),

    Script("mlp_add_tfkeras", '''\
"""Binary MLP built with .add and tf.keras.layers.X, input_shape on the first layer."""
import numpy as np
import tensorflow as tf

rng = np.random.default_rng(102)
features = rng.random((80, 8)).astype("float32")
target = rng.integers(0, 2, 80)

model = tf.keras.Sequential()
model.add(tf.keras.layers.Dense(16, activation="relu", input_shape=(8,)))
model.add(tf.keras.layers.Dense(8, activation="relu"))
model.add(tf.keras.layers.Dense(1, activation="sigmoid"))
print("parameters:", model.count_params())
model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
model.fit(features, target, epochs=1, verbose=0)
''', "features", "target", "binary", style=".add, tf.keras.layers.X"),

    Script("cnn_list_keraslayers", '''\
"""Small CNN, Sequential list, keras.layers.X."""
import numpy as np
import keras

rng = np.random.default_rng(103)
x_train = rng.random((64, 16, 16, 1)).astype("float32")
y_train = rng.permutation(np.arange(64) % 10)

model = keras.Sequential([
    keras.Input(shape=(16, 16, 1)),
    keras.layers.Conv2D(8, 3, activation="relu"),
    keras.layers.MaxPooling2D(),
    keras.layers.Conv2D(16, 3, activation="relu"),
    keras.layers.Flatten(),
    keras.layers.Dense(10, activation="softmax"),
])
print("parameters:", model.count_params())
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(x_train, y_train, epochs=1, batch_size=32, verbose=0)
''', "x_train", "y_train", "multiclass", 10, style="Sequential list, keras.layers.X"),

    Script("cnn_add_bare_onehot", '''\
"""CNN built with .add and bare imported names; one-hot labels with categorical_crossentropy."""
import numpy as np
from keras.layers import Conv2D, Dense, Dropout, Flatten, Input, MaxPooling2D
from keras.models import Sequential
from keras.utils import to_categorical

rng = np.random.default_rng(104)
images = rng.random((60, 12, 12, 3)).astype("float32")
ids = rng.permutation(np.arange(60) % 5)
labels = to_categorical(ids, 5)

model = Sequential()
model.add(Input(shape=(12, 12, 3)))
model.add(Conv2D(8, (3, 3), activation="relu"))
model.add(MaxPooling2D(pool_size=(2, 2)))
model.add(Flatten())
model.add(Dropout(0.25))
model.add(Dense(5, activation="softmax"))
model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
model.fit(images, labels, epochs=1, verbose=0)
''', "images", "labels", "multiclass", 5, labels="one_hot", style=".add, bare names, one-hot"),

    Script("cnn_functional", '''\
"""Functional CNN; the hidden tensor is called x, the data is not."""
import numpy as np
import keras
from keras import layers

rng = np.random.default_rng(105)
pictures = rng.random((72, 20, 20, 1)).astype("float32")
targets = rng.permutation(np.arange(72) % 3)

inputs = keras.Input(shape=(20, 20, 1))
x = layers.Conv2D(8, 3, activation="relu")(inputs)
x = layers.MaxPooling2D()(x)
x = layers.Flatten()(x)
outputs = layers.Dense(3, activation="softmax")(x)
model = keras.Model(inputs, outputs)
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
model.fit(pictures, targets, epochs=1, verbose=0)
''', "pictures", "targets", "multiclass", 3, sequential=False, style="Functional, layers.X"),

    Script("cnn_gap_tf", '''\
"""CNN with global average pooling, `from tensorflow import keras`, keras.layers.X."""
import numpy as np
import tensorflow as tf
from tensorflow import keras

rng = np.random.default_rng(106)
x = rng.random((48, 24, 24, 3)).astype("float32")
y = rng.permutation(np.arange(48) % 6)

model = keras.Sequential([
    keras.layers.Input(shape=(24, 24, 3)),
    keras.layers.Conv2D(8, 3, padding="same", activation="relu"),
    keras.layers.MaxPooling2D(2),
    keras.layers.Conv2D(16, 3, activation="relu"),
    keras.layers.GlobalAveragePooling2D(),
    keras.layers.Dense(6, activation="softmax"),
])
model.summary()
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
model.fit(x, y, epochs=1, verbose=0)
''', "x", "y", "multiclass", 6, style="tensorflow.keras, keras.layers.X"),

    Script("lstm_stacked_list", '''\
"""Stacked LSTMs, Sequential list, binary."""
import numpy as np
import keras
from keras import layers

rng = np.random.default_rng(107)
x = rng.random((64, 15, 4)).astype("float32")
y = rng.integers(0, 2, 64)

model = keras.Sequential([
    keras.Input(shape=(15, 4)),
    layers.LSTM(16, return_sequences=True),
    layers.LSTM(8),
    layers.Dense(1, activation="sigmoid"),
])
model.compile(optimizer="adam", loss="binary_crossentropy")
model.fit(x, y, epochs=1, verbose=0)
''', "x", "y", "binary", style="Sequential list, LSTM"),

    Script("lstm_add_bare", '''\
"""Stacked LSTMs with .add and bare names, input_shape on the first LSTM, 4 classes."""
import numpy as np
from keras.layers import LSTM, Dense
from keras.models import Sequential

rng = np.random.default_rng(108)
seqs = rng.random((64, 10, 3)).astype("float32")
cls = rng.permutation(np.arange(64) % 4)

model = Sequential()
model.add(LSTM(12, return_sequences=True, input_shape=(10, 3)))
model.add(LSTM(12))
model.add(Dense(4, activation="softmax"))
print(model.output_shape)
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
model.fit(seqs, cls, epochs=1, verbose=0)
''', "seqs", "cls", "multiclass", 4, style=".add, bare names, LSTM"),

    Script("lstm_univariate_tf", '''\
"""Univariate sequences into an LSTM, tf.keras.layers.X, 3 classes."""
import numpy as np
import tensorflow as tf

rng = np.random.default_rng(109)
series = rng.random((80, 20, 1)).astype("float32")
y = rng.permutation(np.arange(80) % 3)

model = tf.keras.Sequential([
    tf.keras.layers.Input(shape=(20, 1)),
    tf.keras.layers.LSTM(8),
    tf.keras.layers.Dense(3, activation="softmax"),
])
print("output:", model.output_shape)
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
model.fit(series, y, epochs=1, verbose=0)
''', "series", "y", "multiclass", 3, style="tf.keras.layers.X, LSTM"),

    Script("gru_functional", '''\
"""Functional stacked GRUs on univariate sequences, binary."""
import numpy as np
import keras
from keras import layers

rng = np.random.default_rng(110)
x = rng.random((64, 12, 1)).astype("float32")
y = rng.integers(0, 2, 64)

inp = keras.Input(shape=(12, 1))
h = layers.GRU(16, return_sequences=True)(inp)
h = layers.GRU(8)(h)
out = layers.Dense(1, activation="sigmoid")(h)
model = keras.Model(inputs=inp, outputs=out)
model.compile(optimizer="adam", loss="binary_crossentropy")
model.fit(x, y, epochs=1, verbose=0)
''', "x", "y", "binary", sequential=False, style="Functional, GRU"),

    Script("conv1d_tf", '''\
"""Conv1D classifier, tf.keras.layers.X, 4 classes."""
import numpy as np
import tensorflow as tf

rng = np.random.default_rng(111)
signals = rng.random((64, 32, 2)).astype("float32")
kinds = rng.permutation(np.arange(64) % 4)

model = tf.keras.Sequential([
    tf.keras.layers.Input(shape=(32, 2)),
    tf.keras.layers.Conv1D(8, 3, activation="relu"),
    tf.keras.layers.MaxPooling1D(2),
    tf.keras.layers.Flatten(),
    tf.keras.layers.Dense(4, activation="softmax"),
])
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
model.fit(signals, kinds, epochs=1, verbose=0)
''', "signals", "kinds", "multiclass", 4, style="tf.keras.layers.X, Conv1D"),

    Script("embedding_gap_list", '''\
"""Text classifier: Embedding + GlobalAveragePooling1D, Sequential list, binary."""
import numpy as np
import keras
from keras import layers

rng = np.random.default_rng(112)
tokens = rng.integers(0, 500, (96, 20))
sentiment = rng.integers(0, 2, 96)

model = keras.Sequential([
    keras.Input(shape=(20,), dtype="int32"),
    layers.Embedding(500, 16),
    layers.GlobalAveragePooling1D(),
    layers.Dense(8, activation="relu"),
    layers.Dense(1, activation="sigmoid"),
])
model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
model.fit(tokens, sentiment, epochs=1, verbose=0)
''', "tokens", "sentiment", "binary", style="Embedding, layers.X"),

    Script("embedding_lstm_add", '''\
"""Text classifier: Embedding + LSTM with .add, `from tensorflow.keras import layers`, 3 classes."""
import numpy as np
from tensorflow.keras import layers, models

rng = np.random.default_rng(113)
docs = rng.integers(1, 1000, (90, 25))
topic = rng.permutation(np.arange(90) % 3)

model = models.Sequential()
model.add(layers.Input(shape=(25,)))
model.add(layers.Embedding(1000, 16))
model.add(layers.LSTM(16))
model.add(layers.Dense(3, activation="softmax"))
print("params:", model.count_params())
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
model.fit(docs, topic, epochs=1, verbose=0)
''', "docs", "topic", "multiclass", 3, style=".add, tensorflow.keras layers, Embedding+LSTM"),

    Script("functional_concat_bare", '''\
"""Two-input Functional model with Concatenate, bare imported names, 5 classes."""
import numpy as np
from keras.layers import Concatenate, Dense, Input
from keras.models import Model

rng = np.random.default_rng(114)
xa = rng.random((100, 6)).astype("float32")
xb = rng.random((100, 4)).astype("float32")
y = rng.permutation(np.arange(100) % 5)

in_a = Input(shape=(6,))
in_b = Input(shape=(4,))
merged = Concatenate()([Dense(8, activation="relu")(in_a), Dense(8, activation="relu")(in_b)])
out = Dense(5, activation="softmax")(merged)
model = Model([in_a, in_b], out)
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
model.fit([xa, xb], y, epochs=1, verbose=0)
''', "xa", "y", "multiclass", 5, sequential=False, style="Functional multi-input, Concatenate, bare names"),

    Script("functional_add_image_meta", '''\
"""Two-input Functional model (image + metadata) merged with Add, binary."""
import numpy as np
import keras
from keras import layers

rng = np.random.default_rng(115)
img = rng.random((64, 16, 16, 1)).astype("float32")
meta = rng.random((64, 5)).astype("float32")
y = rng.integers(0, 2, 64)

image_in = keras.Input(shape=(16, 16, 1), name="image")
meta_in = keras.Input(shape=(5,), name="meta")
a = layers.Conv2D(4, 3, activation="relu")(image_in)
a = layers.Flatten()(a)
a = layers.Dense(8, activation="relu")(a)
b = layers.Dense(8, activation="relu")(meta_in)
merged = layers.Add()([a, b])
out = layers.Dense(1, activation="sigmoid")(merged)
model = keras.Model([image_in, meta_in], out)
model.compile(optimizer="adam", loss="binary_crossentropy")
model.fit([img, meta], y, epochs=1, verbose=0)
''', "img", "y", "binary", sequential=False, style="Functional multi-input, Add"),

    Script("reshape_conv1d", '''\
"""Flat features reshaped into a sequence for Conv1D, keras.layers.X, 3 classes."""
import numpy as np
import keras

rng = np.random.default_rng(116)
x = rng.random((96, 48)).astype("float32")
y = rng.permutation(np.arange(96) % 3)

model = keras.Sequential([
    keras.Input(shape=(48,)),
    keras.layers.Reshape((12, 4)),
    keras.layers.Conv1D(8, 3, activation="relu"),
    keras.layers.GlobalMaxPooling1D(),
    keras.layers.Dense(3, activation="softmax"),
])
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
model.fit(x, y, epochs=1, verbose=0)
''', "x", "y", "multiclass", 3, style="Reshape, Conv1D"),

    Script("mlp_functional_onehot", '''\
"""Functional MLP, bare names, keras.utils.to_categorical labels, 7 classes; prints its output shape."""
import numpy as np
import keras
from keras import Input, Model
from keras.layers import Dense, Dropout

rng = np.random.default_rng(117)
x_train = rng.random((112, 12)).astype("float32")
y_ids = rng.permutation(np.arange(112) % 7)
y_train = keras.utils.to_categorical(y_ids, 7)

inputs = Input(shape=(12,))
hidden = Dense(24, activation="relu")(inputs)
hidden = Dropout(0.1)(hidden)
outputs = Dense(7, activation="softmax")(hidden)
model = Model(inputs=inputs, outputs=outputs)
print("output shape:", model.output_shape)
model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
model.fit(x_train, y_train, epochs=1, verbose=0)
''', "x_train", "y_train", "multiclass", 7, labels="one_hot", sequential=False, style="Functional, bare names, one-hot"),

    Script("mlp_regression_tf", '''\
"""Regression MLP, `from tensorflow import keras`, input_shape on the first Dense, single quotes."""
import numpy as np
from tensorflow import keras

rng = np.random.default_rng(118)
X = rng.random((120, 5)).astype('float32')
prices = X @ np.arange(1, 6, dtype='float32') + 0.1

model = keras.Sequential([
    keras.layers.Dense(16, activation='relu', input_shape=(5,)),
    keras.layers.Dense(1),
])
model.summary()
print(model.output_shape)
model.compile(optimizer='adam', loss='mse')
model.fit(X, prices, epochs=1, verbose=0)
''', "X", "prices", "regression", labels="float", style="tensorflow.keras, input_shape, regression"),
]


# ---------------------------------------------------------------------------
# Fault injectors. Each returns the buggy text, or None when it does not apply.

Injector = Callable[[Script, str], "str | None"]


@dataclass(frozen=True)
class Fault:
    name: str
    kinds: frozenset[str]  # finding kinds that count as "found the injected fault"
    inject: Injector
    group: str  # "model" | "data" (two faults: one of each)
    loose: frozenset[str] = frozenset()  # fingerprint parts the intended repair may change


def _lines(text: str) -> list[str]:
    return text.splitlines(keepends=True)


def _model_start(lines: list[str]) -> int:
    for i, line in enumerate(lines):
        if re.search(r"\b(Sequential|Input)\(", line) and not line.lstrip().startswith(("from", "import", '"')):
            return i
    return len(lines)


def _insert_after_data(s: Script, text: str, var: str, stmt: str) -> str | None:
    """Insert ``stmt`` at the end of the data block (the last statement before the model), if it assigns ``var``."""
    lines = _lines(text)
    end = _model_start(lines)
    pat = re.compile(rf"^{re.escape(var)}\s*(\[[^\]]*\])?\s*=")
    if not any(pat.match(lines[i]) for i in range(end)):
        return None
    last = max(i for i in range(end) if lines[i].strip())
    lines.insert(last + 1, stmt + "\n")
    return "".join(lines)


def _only_line(lines: list[str], pattern: str) -> int | None:
    hits = [i for i, line in enumerate(lines) if re.search(pattern, line)]
    return hits[0] if len(hits) == 1 else None


def drop_flatten(s: Script, text: str) -> str | None:
    lines = _lines(text)
    i = _only_line(lines, r"\bFlatten\(\)")
    if i is None:
        return None
    del lines[i]
    return "".join(lines)


def flatten_before_conv(s: Script, text: str) -> str | None:
    if not s.sequential:
        return None
    lines = _lines(text)
    i = _only_line(lines, r"\bFlatten\(\)")
    convs = [j for j, line in enumerate(lines) if re.search(r"\bConv[123]D\(", line)]
    if i is None or not convs or "input_shape" in lines[convs[0]]:
        return None
    flat = lines.pop(i)
    lines.insert(convs[0], flat)
    return "".join(lines)


_SHAPE = re.compile(r"\b(input_shape|shape)=\(([^()]*)\)")


def _samples(text: str, var: str) -> int | None:
    line = re.search(rf"^{re.escape(var)} = .*$", text, re.M)
    m = re.search(r"\((\d+)(?:,\s*\d+)+\)", line.group(0)) if line else None
    return int(m.group(1)) if m else None


def input_batch_axis(s: Script, text: str) -> str | None:
    """``input_shape=x.shape``: the sample count declared as part of each sample."""
    m = _SHAPE.search(text)
    n = _samples(text, s.x)
    if m is None or n is None:
        return None
    dims = [d.strip() for d in m.group(2).split(",") if d.strip()]
    new = f"{m.group(1)}=({n}, {', '.join(dims)})"
    return text[: m.start()] + new + text[m.end():]


def input_wrong_dim(s: Script, text: str) -> str | None:
    """The declared last axis does not match the data (one more feature/channel)."""
    m = _SHAPE.search(text)
    if m is None:
        return None
    dims = [d.strip() for d in m.group(2).split(",") if d.strip()]
    if not dims[-1].isdigit():
        return None
    dims[-1] = str(int(dims[-1]) + (2 if dims[-1] == "1" else 1))
    inner = ", ".join(dims) + ("," if len(dims) == 1 else "")
    return text[: m.start()] + f"{m.group(1)}=({inner})" + text[m.end():]


def drop_input(s: Script, text: str) -> str | None:
    """No input declaration in a Sequential model that is inspected before fit."""
    if not s.sequential or not re.search(r"\.count_params\(\)|\.output_shape", text):
        return None
    lines = _lines(text)
    i = _only_line(lines, r"\bInput\(shape=")
    if i is not None and "input_shape" not in text:
        del lines[i]
        return "".join(lines)
    m = re.search(r",\s*input_shape=\([^()]*\)", text)
    if m is None:
        return None
    return text[: m.start()] + text[m.end():]


def _output_dense(text: str) -> re.Match[str] | None:
    hits = list(re.finditer(r"\bDense\((\d+)(, activation=[\"']\w+[\"'])?", text))
    return hits[-1] if hits else None


def _set_units(s: Script, text: str, units: int) -> str | None:
    m = _output_dense(text)
    if m is None or s.task != "multiclass" or units < 2:
        return None
    return text[: m.start(1)] + str(units) + text[m.end(1):]


def units_more(s: Script, text: str) -> str | None:
    return _set_units(s, text, s.classes + 2)


def units_fewer(s: Script, text: str) -> str | None:
    return _set_units(s, text, s.classes - 1)


def _swap_loss(text: str, old: str, new: str) -> str | None:
    pat = re.compile(rf"loss=([\"']){old}\1")
    if not pat.search(text):
        return None
    return pat.sub(lambda m: f"loss={m.group(1)}{new}{m.group(1)}", text, count=1)


def loss_cce_on_ids(s: Script, text: str) -> str | None:
    return _swap_loss(text, "sparse_categorical_crossentropy", "categorical_crossentropy")


def loss_sparse_on_onehot(s: Script, text: str) -> str | None:
    return _swap_loss(text, "categorical_crossentropy", "sparse_categorical_crossentropy")


def bce_on_multiclass(s: Script, text: str) -> str | None:
    if s.task != "multiclass":
        return None
    return _swap_loss(text, "sparse_categorical_crossentropy", "binary_crossentropy") or _swap_loss(
        text, "categorical_crossentropy", "binary_crossentropy")


def onehot_with_sparse(s: Script, text: str) -> str | None:
    """The labels are one-hot encoded but the loss stays sparse."""
    if s.labels != "ids" or s.task != "multiclass" or "sparse_categorical_crossentropy" not in text:
        return None
    return _insert_after_data(s, text, s.y, f"{s.y} = np.eye({s.classes})[{s.y}]")


def string_labels(s: Script, text: str) -> str | None:
    if s.labels != "ids":
        return None
    n = s.classes or 2
    names = ", ".join(f'"c{i:02d}"' for i in range(n))
    return _insert_after_data(s, text, s.y, f"{s.y} = np.array([{names}])[{s.y}]")


def softmax_one_unit(s: Script, text: str) -> str | None:
    m = re.search(r"\bDense\(1, activation=([\"'])sigmoid\1", text)
    if m is None:
        return None
    return text[: m.start()] + f"Dense(1, activation={m.group(1)}softmax{m.group(1)}" + text[m.end():]


def no_return_sequences(s: Script, text: str) -> str | None:
    m = re.search(r",\s*return_sequences=True", text)
    if m is None:
        return None
    return text[: m.start()] + text[m.end():]


def sequence_2d(s: Script, text: str) -> str | None:
    """Univariate sequences passed (and declared) without their channel axis."""
    data = re.search(rf"^{re.escape(s.x)} = rng\.random\(\((\d+), (\d+), 1\)\)", text, re.M)
    decl = re.search(r"shape=\((\d+), 1\)", text)
    if data is None or decl is None or not re.search(r"\b(LSTM|GRU|SimpleRNN)\(", text):
        return None
    text = text[: decl.start()] + f"shape=({decl.group(1)},)" + text[decl.end():]
    data = re.search(rf"^{re.escape(s.x)} = rng\.random\(\((\d+), (\d+), 1\)\)", text, re.M)
    assert data is not None
    return text[: data.start()] + f"{s.x} = rng.random(({data.group(1)}, {data.group(2)}))" + text[data.end():]


def object_features(s: Script, text: str) -> str | None:
    if "[" in _fit_args(text):
        return None
    if not re.search(rf"^{re.escape(s.x)} = rng\.random", text, re.M):
        return None
    return _insert_after_data(s, text, s.x, f"{s.x} = {s.x}.astype(object)")


def transposed_features(s: Script, text: str) -> str | None:
    """The features generated as (features, samples)."""
    m = re.search(rf"^{re.escape(s.x)} = rng\.random\(\((\d+), (\d+)\)\)", text, re.M)
    if m is None or "[" in _fit_args(text) or re.search(rf"^{re.escape(s.y)} = .*\b{re.escape(s.x)}\b", text, re.M):
        return None
    return text[: m.start()] + f"{s.x} = rng.random(({m.group(2)}, {m.group(1)}))" + text[m.end():]


def reshape_wrong_size(s: Script, text: str) -> str | None:
    m = re.search(r"Reshape\(\((\d+), (\d+)\)\)", text)
    if m is None:
        return None
    return text[: m.start()] + f"Reshape(({m.group(1)}, {int(m.group(2)) + 1}))" + text[m.end():]


def drop_global_pooling(s: Script, text: str) -> str | None:
    lines = _lines(text)
    i = _only_line(lines, r"\bGlobal(Average|Max)Pooling[12]D\(\)")
    if i is None:
        return None
    del lines[i]
    return "".join(lines)


def _fit_args(text: str) -> str:
    m = re.search(r"\.fit\((.*)\)", text)
    return m.group(1) if m else ""


RANK = frozenset({"rank_mismatch", "rank_silent"})
#: Loosenings of "the intended repair" (see repair_rate.compare):
#:   reducer  any of Flatten / GlobalAverage / GlobalMax pooling, at the same place, is the intended layer;
#:   reshape  a Reshape layer may stand in for reshaped data;   xvalues  the feature values may differ.
FAULTS: list[Fault] = [
    Fault("drop_flatten", RANK, drop_flatten, "model", loose=frozenset({"reducer"})),
    Fault("flatten_before_conv", frozenset({"layer_order"}), flatten_before_conv, "model"),
    Fault("drop_global_pooling", RANK, drop_global_pooling, "model", loose=frozenset({"reducer"})),
    Fault("input_batch_axis", frozenset({"wrong_input_shape"}), input_batch_axis, "model"),
    Fault("input_wrong_dim", frozenset({"wrong_input_shape"}), input_wrong_dim, "model"),
    Fault("drop_input", frozenset({"missing_input_shape"}), drop_input, "model"),
    Fault("units_more", frozenset({"units_mismatch"}), units_more, "model"),
    Fault("units_fewer", frozenset({"units_mismatch"}), units_fewer, "model"),
    Fault("softmax_one_unit", frozenset({"activation_loss_mismatch"}), softmax_one_unit, "model"),
    Fault("no_return_sequences", frozenset({"rank_mismatch"}), no_return_sequences, "model"),
    Fault("sequence_2d", frozenset({"rank_mismatch", "wrong_input_shape"}), sequence_2d, "model",
          loose=frozenset({"reshape"})),
    Fault("reshape_wrong_size", frozenset({"shape_mismatch"}), reshape_wrong_size, "model"),
    Fault("loss_cce_on_ids", frozenset({"loss_label_mismatch"}), loss_cce_on_ids, "data"),
    Fault("loss_sparse_on_onehot", frozenset({"loss_label_mismatch"}), loss_sparse_on_onehot, "data"),
    Fault("bce_on_multiclass", frozenset({"loss_label_mismatch"}), bce_on_multiclass, "data"),
    Fault("onehot_with_sparse", frozenset({"loss_label_mismatch"}), onehot_with_sparse, "data"),
    Fault("string_labels", frozenset({"dtype_mismatch"}), string_labels, "data"),
    Fault("object_features", frozenset({"dtype_mismatch"}), object_features, "data"),
    Fault("transposed_features", frozenset({"data_shape_mismatch"}), transposed_features, "data",
          loose=frozenset({"xvalues"})),
]
FAULTS_BY_NAME = {f.name: f for f in FAULTS}
# Pairs that edit the same thing (the input declaration) are not combined.
_CLASH = {frozenset({"transposed_features", "input_batch_axis"}), frozenset({"transposed_features", "input_wrong_dim"}),
          frozenset({"transposed_features", "drop_input"}), frozenset({"object_features", "sequence_2d"}),
          frozenset({"bce_on_multiclass", "units_more"}), frozenset({"bce_on_multiclass", "units_fewer"})}


# ---------------------------------------------------------------------------
# Variants.


@dataclass(frozen=True)
class Variant:
    """A buggy script: which correct script, which faults, and the text."""

    id: str
    script: Script
    faults: tuple[Fault, ...]
    text: str

    @property
    def kind(self) -> str:
        return " + ".join(f.name for f in self.faults)

    @property
    def loose(self) -> frozenset[str]:
        return frozenset().union(*(f.loose for f in self.faults))


def _valid(text: str | None, *others: str) -> bool:
    if text is None or text in others:
        return False
    try:
        ast.parse(text)
    except SyntaxError:
        return False
    return True


def _rank(*parts: str) -> int:
    return zlib.crc32("/".join(parts).encode())


def variants(per_kind: int = 6, pairs: int = 30) -> list[Variant]:
    """Single-fault variants (at most ``per_kind`` scripts per fault, spread by a fixed hash)
    and ``pairs`` two-fault variants (one model fault + one data fault on the same script)."""
    out: list[Variant] = []
    singles: dict[tuple[str, str], str] = {}
    for fault in FAULTS:
        found = []
        for s in SCRIPTS:
            text = fault.inject(s, s.text)
            if _valid(text, s.text):
                assert text is not None
                singles[(s.name, fault.name)] = text
                found.append((s, text))
        found.sort(key=lambda st: _rank(fault.name, st[0].name))
        for s, text in found[: per_kind or None]:
            out.append(Variant(f"{s.name}__{fault.name}", s, (fault,), text))
    doubles: list[Variant] = []
    for s in SCRIPTS:
        for a in FAULTS:
            for b in FAULTS:
                if a.group != "model" or b.group != "data" or frozenset({a.name, b.name}) in _CLASH:
                    continue
                ta, tb = singles.get((s.name, a.name)), singles.get((s.name, b.name))
                if ta is None or tb is None:
                    continue
                text = b.inject(s, ta)
                if _valid(text, s.text, ta, tb):
                    assert text is not None
                    doubles.append(Variant(f"{s.name}__{a.name}+{b.name}", s, (a, b), text))
    # Spread the pairs: round-robin over pair kinds, each kind's scripts in hash order.
    by_kind: dict[str, list[Variant]] = {}
    for v in sorted(doubles, key=lambda v: _rank(v.id)):
        by_kind.setdefault(v.kind, []).append(v)
    kinds = sorted(by_kind, key=lambda k: _rank(k))
    picked: list[Variant] = []
    while len(picked) < pairs and any(by_kind.values()):
        for k in kinds:
            if by_kind[k] and len(picked) < pairs:
                picked.append(by_kind[k].pop(0))
    return out + picked


# ---------------------------------------------------------------------------
# Running scripts (used by --check and by repair_rate.py).


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    env["TF_CPP_MIN_LOG_LEVEL"] = "3"
    env.setdefault("CUDA_VISIBLE_DEVICES", "")
    env["PYTHONWARNINGS"] = "ignore"
    return env


@dataclass
class Run:
    code: int
    fingerprint: dict | None
    error: str = ""
    extra: dict = field(default_factory=dict)


def run_probe(path: str, timeout: float = 300) -> Run:
    """Run ``path`` like ``python path`` under the fit probe; returns exit code and fingerprint."""
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as fh:
        out = fh.name
    try:
        proc = subprocess.run([sys.executable, str(PROBE), path, out], capture_output=True, text=True,
                              timeout=timeout, env=child_env(), stdin=subprocess.DEVNULL, cwd=os.path.dirname(path))
        fp, extra = None, {}
        if os.path.getsize(out):
            with open(out, encoding="utf-8") as f:
                data = json.load(f)
            fp, extra = (data, {}) if "model" in data else (None, data)
        err = ""
        if proc.returncode != 0:
            tail = [ln for ln in proc.stderr.strip().splitlines() if ln.strip()]
            err = tail[-1][:200] if tail else f"exit {proc.returncode}"
        return Run(proc.returncode, fp, err, extra)
    except subprocess.TimeoutExpired:
        return Run(-1, None, "timeout")
    finally:
        os.unlink(out)


def write_corpus(root: Path, vs: list[Variant]) -> None:
    (root / "correct").mkdir(parents=True, exist_ok=True)
    (root / "buggy").mkdir(parents=True, exist_ok=True)
    for s in SCRIPTS:
        (root / "correct" / f"{s.name}.py").write_text(s.text, encoding="utf-8")
    for v in vs:
        (root / "buggy" / f"{v.id}.py").write_text(v.text, encoding="utf-8")


def _check(vs: list[Variant], jobs: int) -> int:
    with tempfile.TemporaryDirectory(prefix="kfbench-") as tmp:
        root = Path(tmp)
        write_corpus(root, vs)
        paths = [str(root / "correct" / f"{s.name}.py") for s in SCRIPTS]
        paths += [str(root / "buggy" / f"{v.id}.py") for v in vs]
        with ThreadPoolExecutor(jobs) as pool:
            runs = dict(zip(paths, pool.map(run_probe, paths), strict=True))
    bad = 0
    orig = {}
    for s in SCRIPTS:
        r = runs[str(root / "correct" / f"{s.name}.py")]
        orig[s.name] = r.fingerprint
        ok = r.code == 0 and r.fingerprint is not None
        bad += not ok
        print(f"{'ok ' if ok else 'BAD'} correct  {s.name:28} {'trains' if ok else r.error}")
    for v in vs:
        r = runs[str(root / "buggy" / f"{v.id}.py")]
        line = r.extra.get("error_line")
        start = _model_start(_lines(v.text)) + 1
        if r.code != 0 and line is not None and line < start:
            what, ok = f"crashes at line {line}, in the data preparation before the model (line {start})", False
        elif r.code != 0:
            what, ok = f"crashes: {r.error[:90]}", True
        elif r.fingerprint is not None and r.fingerprint != orig[v.script.name]:
            what, ok = "trains silently on a different model/loss/data", True
        else:
            what, ok = "trains exactly like the correct script (fault has no effect)", False
        bad += not ok
        print(f"{'ok ' if ok else 'BAD'} buggy    {v.id:60} {what}")
    print(f"\n{len(SCRIPTS)} correct scripts, {len(vs)} buggy variants, {bad} problems")
    return 1 if bad else 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--write", metavar="DIR", help="write correct/ and buggy/ scripts into DIR")
    p.add_argument("--check", action="store_true", help="run every script (slow: one child process each)")
    p.add_argument("--per-kind", type=int, default=6, help="scripts per single fault (0: all; default 6)")
    p.add_argument("--pairs", type=int, default=30, help="two-fault variants (default 30)")
    p.add_argument("-j", "--jobs", type=int, default=2)
    args = p.parse_args(argv)
    vs = variants(args.per_kind, args.pairs)
    if args.write:
        write_corpus(Path(args.write), vs)
        print(f"wrote {len(SCRIPTS)} correct and {len(vs)} buggy scripts into {args.write}")
        return 0
    if args.check:
        return _check(vs, args.jobs)
    print(f"{len(SCRIPTS)} correct scripts:")
    for s in SCRIPTS:
        print(f"  {s.name:28} {s.task:10} {s.style}")
    counts: dict[str, int] = {}
    for v in vs:
        counts[v.kind] = counts.get(v.kind, 0) + 1
    print(f"{len(vs)} buggy variants:")
    for k, n in counts.items():
        print(f"  {n:3}  {k}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
