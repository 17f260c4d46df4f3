"""News topic classifier (8 topics) on TF-IDF-like features.

v2: switched from one-hot labels + categorical_crossentropy to integer labels
+ sparse_categorical_crossentropy to save memory.
"""
import argparse

import numpy as np
from tensorflow import keras
from tensorflow.keras import layers

TOPICS = 8


def tfidf_like(n, dim, rng):
    topic = rng.integers(0, TOPICS, n)
    X = rng.exponential(0.1, (n, dim))
    for i, t in enumerate(topic):
        X[i, t * 10:(t + 1) * 10] += rng.exponential(0.5, 10)
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    return X.astype("float32"), topic


def model_fn(dim, hidden):
    m = keras.Sequential([layers.Input(shape=(dim,)),
                          layers.Dense(hidden, activation="relu"),
                          layers.Dropout(0.2),
                          layers.Dense(TOPICS, activation="softmax")])
    m.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["categorical_accuracy"])
    return m


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--dim", type=int, default=100)
    ap.add_argument("--hidden", type=int, default=64)
    ap.add_argument("--epochs", type=int, default=5)
    args = ap.parse_args()

    rng = np.random.default_rng(0)
    X, y = tfidf_like(560, args.dim, rng)
    model = model_fn(args.dim, args.hidden)
    hist = model.fit(X[:480], y[:480], validation_data=(X[480:], y[480:]), epochs=args.epochs, batch_size=32, verbose=2)
    print("last epoch:", {k: round(v[-1], 3) for k, v in hist.history.items()})
    print("predicted topics:", model.predict(X[480:486], verbose=0).argmax(-1), "true:", y[480:486])
