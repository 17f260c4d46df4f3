"""Pump failure prediction: a vibration window (64 steps x 3 axes) + static pump metadata."""
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

cfg = dict(window=64, axes=3, n_meta=4, n_train=512, n_test=128, epochs=2, batch_size=32, seed=1)
rng = np.random.default_rng(cfg["seed"])


def simulate(n):
    age = rng.uniform(0, 10, n)
    meta = np.column_stack([age, rng.integers(0, 3, n), rng.uniform(20, 80, n) / 100, rng.random(n)])
    fail = (age / 10 + 0.3 * rng.standard_normal(n) > 0.7).astype("float32")
    t = np.arange(cfg["window"])
    vib = np.sin(0.3 * t)[None, :, None] * (1 + fail[:, None, None]) + rng.normal(0, 0.3, (n, cfg["window"], cfg["axes"]))
    return vib.astype("float32"), meta.astype("float32"), fail


def build_model():
    seq_in = keras.Input(shape=(cfg["window"], cfg["axes"]), name="vibration")
    meta_in = keras.Input(shape=(cfg["n_meta"],), name="meta")
    x = layers.Conv1D(16, 5, activation="relu")(seq_in)
    x = layers.MaxPooling1D(2)(x)
    x = layers.Conv1D(32, 5, activation="relu")(x)
    x = layers.GlobalMaxPooling1D()(x)
    m = layers.Dense(8, activation="relu")(meta_in)
    h = layers.concatenate([x, m])
    h = layers.Dense(16, activation="relu")(h)
    out = layers.Dense(1, activation="sigmoid", name="fail")(h)
    return keras.Model(inputs=[seq_in, meta_in], outputs=out)


vib_tr, meta_tr, y_tr = simulate(cfg["n_train"])
vib_te, meta_te, y_te = simulate(cfg["n_test"])

model = build_model()
model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy", keras.metrics.AUC(name="auc")])
model.fit([vib_tr, meta_tr], y_tr, epochs=cfg["epochs"], batch_size=cfg["batch_size"], verbose=2)

# evaluate on the held-out pumps
results = model.evaluate([vib_te, meta_te], y_te, verbose=0)
print(dict(zip(model.metrics_names, results)))
