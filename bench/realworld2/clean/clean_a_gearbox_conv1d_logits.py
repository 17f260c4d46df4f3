"""Gearbox fault classification from vibration windows: Conv1D on tf.data, logits + from_logits loss."""
import argparse

import numpy as np
import tensorflow as tf
from tensorflow import keras

FAULTS = ["healthy", "chipped_tooth", "missing_tooth", "root_crack"]


def simulate(n, length, rng):
    t = np.arange(length) / 1000.0
    y = rng.integers(0, len(FAULTS), n)
    base = np.sin(2 * np.pi * 30 * t)
    X = np.empty((n, length), dtype="float32")
    for i, k in enumerate(y):
        sig = base + 0.3 * np.sin(2 * np.pi * (60 + 40 * k) * t)
        if k:
            sig[(np.arange(length) % (100 // k)) == 0] += 2.0
        X[i] = sig + rng.normal(0, 0.3, length)
    return X, y


def make_ds(X, y, batch, shuffle):
    ds = tf.data.Dataset.from_tensor_slices((X[..., np.newaxis], y))
    if shuffle:
        ds = ds.shuffle(len(X), seed=0)
    return ds.batch(batch).prefetch(tf.data.AUTOTUNE)


def build_model(length):
    inputs = keras.Input(shape=(length, 1))
    x = keras.layers.Conv1D(16, 9, strides=2, activation="relu")(inputs)
    x = keras.layers.MaxPooling1D(2)(x)
    x = keras.layers.Conv1D(32, 5, activation="relu")(x)
    x = keras.layers.GlobalMaxPooling1D()(x)
    logits = keras.layers.Dense(len(FAULTS))(x)          # no softmax: the loss works on logits
    return keras.Model(inputs, logits)


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--length", type=int, default=400)
    ap.add_argument("--epochs", type=int, default=3)
    args = ap.parse_args()

    rng = np.random.default_rng(4)
    X_tr, y_tr = simulate(600, args.length, rng)
    X_te, y_te = simulate(150, args.length, rng)
    model = build_model(args.length)
    model.compile(optimizer="adam",
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=[keras.metrics.SparseCategoricalAccuracy(name="acc")])
    model.fit(make_ds(X_tr, y_tr, 32, True), validation_data=make_ds(X_te, y_te, 64, False),
              epochs=args.epochs, verbose=2)

    logits = model.predict(make_ds(X_te[:5], y_te[:5], 64, False), verbose=0)
    probs = tf.nn.softmax(logits).numpy()
    for p, k in zip(probs, y_te[:5]):
        print(f"pred {FAULTS[p.argmax()]:<14} ({p.max():.2f})  true {FAULTS[k]}")
