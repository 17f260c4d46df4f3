"""Classify a 20-reading pressure trace as normal / leak.

Each row of the CSV is one trace of 20 consecutive readings.
"""
import csv
import os
import tempfile

import numpy as np
import tensorflow as tf

N_READINGS = 20


def write_traces(path, n=400, seed=31):
    rng = np.random.default_rng(seed)
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow([f"r{i}" for i in range(N_READINGS)] + ["leak"])
        for _ in range(n):
            leak = rng.random() < 0.4
            base = rng.normal(5.0, 0.2)
            slope = -0.08 if leak else 0.0
            trace = base + slope * np.arange(N_READINGS) + rng.normal(0, 0.1, N_READINGS)
            w.writerow([f"{v:.4f}" for v in trace] + [int(leak)])


def read_traces(path):
    data = np.loadtxt(path, delimiter=",", skiprows=1, dtype="float32")
    return data[:, :N_READINGS], data[:, N_READINGS]


path = os.path.join(tempfile.gettempdir(), "pressure_traces.csv")
write_traces(path)
X, y = read_traces(path)
X = (X - X.mean()) / X.std()
print("X:", X.shape, "leaks:", int(y.sum()))

model = tf.keras.models.Sequential()
model.add(tf.keras.layers.LSTM(32, input_shape=(N_READINGS,)))
model.add(tf.keras.layers.Dense(16, activation="relu"))
model.add(tf.keras.layers.Dense(1, activation="sigmoid"))
model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
model.fit(X[:320], y[:320], epochs=4, batch_size=32, validation_data=(X[320:], y[320:]), verbose=2)
print("leak probability of first test traces:", model.predict(X[320:325], verbose=0).ravel())
