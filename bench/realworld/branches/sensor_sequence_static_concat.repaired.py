# REFERENCE ONLY: hand-repaired copy of sensor_sequence_static_concat.py (validates its .intended.json; never compared as text by the judge)
# repair: Flatten the sequence branch before the merge
"""Machine-failure prediction.

Each machine has a 64-step vibration trace (3 axes) plus 4 static attributes
(age, model type, load, temperature). Conv1D over the trace, Dense over the
static attributes, merged, sigmoid output.
"""
import os
import tempfile

import numpy as np
import keras
from keras import layers

STEPS, AXES, N_STATIC = 64, 3, 4
rng = np.random.default_rng(8)


def load():
    n = 360
    trace = rng.normal(size=(n, STEPS, AXES)).astype("float32")
    static = rng.normal(size=(n, N_STATIC)).astype("float32")
    spikes = np.abs(trace).max(axis=(1, 2))
    fail = ((spikes > np.median(spikes)).astype(int) + (static[:, 0] > 0.5)) > 0
    return trace, static, fail.astype("float32")


trace, static, fail = load()

seq_in = keras.Input(shape=(STEPS, AXES), name="vibration")
s = layers.Conv1D(16, 5, activation="relu")(seq_in)
s = layers.MaxPooling1D(2)(s)
s = layers.Conv1D(32, 5, activation="relu")(s)
s = layers.MaxPooling1D(2)(s)
s = layers.Flatten()(s)

static_in = keras.Input(shape=(N_STATIC,), name="static")
t = layers.Dense(8, activation="relu")(static_in)

both = layers.Concatenate(axis=-1)([s, t])
both = layers.Dense(32, activation="relu")(both)
prob = layers.Dense(1, activation="sigmoid")(both)
model = keras.Model([seq_in, static_in], prob)
model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])

tmp = tempfile.mkdtemp()
cbs = [
    keras.callbacks.EarlyStopping(monitor="val_loss", patience=3),
    keras.callbacks.ModelCheckpoint(os.path.join(tmp, "failure.keras"), save_best_only=True),
]
model.fit([trace, static], fail, validation_split=0.2, epochs=4, batch_size=32, callbacks=cbs, verbose=2)
print(model.evaluate([trace[:50], static[:50]], fail[:50], verbose=0))
