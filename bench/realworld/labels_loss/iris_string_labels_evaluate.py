"""Iris-like species classification with the species names straight from the CSV."""
import csv
import os
import tempfile

import numpy as np
import tensorflow as tf

SPECIES = ["setosa", "versicolor", "virginica"]


def write_iris_like(path, n=300, seed=0):
    rng = np.random.default_rng(seed)
    centres = {"setosa": [5.0, 3.4, 1.5, 0.2], "versicolor": [5.9, 2.8, 4.3, 1.3], "virginica": [6.6, 3.0, 5.6, 2.0]}
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["sepal_length", "sepal_width", "petal_length", "petal_width", "species"])
        for _ in range(n):
            s = SPECIES[rng.integers(0, 3)]
            w.writerow([round(v, 2) for v in rng.normal(centres[s], 0.3)] + [s])


def read_csv(path):
    feats, labels = [], []
    with open(path) as f:
        r = csv.reader(f)
        next(r)
        for row in r:
            feats.append([float(v) for v in row[:4]])
            labels.append(row[4])
    return np.array(feats, dtype="float32"), np.array(labels)


path = os.path.join(tempfile.gettempdir(), "iris_like.csv")
write_iris_like(path)
X, y = read_csv(path)
idx = np.random.default_rng(1).permutation(len(X))
X, y = X[idx], y[idx]
X_train, y_train = X[:240], y[:240]
X_test, y_test = X[240:], y[240:]

model = tf.keras.Sequential([
    tf.keras.Input(shape=(4,)),
    tf.keras.layers.Dense(16, activation="relu"),
    tf.keras.layers.Dense(3, activation="softmax"),
])
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(X_train, y_train, epochs=10, batch_size=16, verbose=2)

test_loss, test_acc = model.evaluate(X_test, y_test, verbose=0)
print(f"test accuracy: {test_acc:.3f}")
