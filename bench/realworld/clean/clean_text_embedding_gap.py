"""Toxic-comment detection: Embedding -> GlobalAveragePooling1D -> Dense sigmoid."""
import argparse

import numpy as np
import tensorflow as tf


def comments(n, vocab, maxlen, seed=4):
    rng = np.random.default_rng(seed)
    toxic = rng.integers(0, 2, n)
    ids = rng.integers(1, vocab - 20, (n, maxlen))
    for i in np.where(toxic == 1)[0]:
        ids[i, rng.integers(0, maxlen, 4)] = rng.integers(vocab - 20, vocab, 4)
    return ids, toxic.astype("float32")


def build(vocab, maxlen):
    return tf.keras.Sequential([
        tf.keras.layers.Input(shape=(maxlen,)),
        tf.keras.layers.Embedding(vocab, 16),
        tf.keras.layers.GlobalAveragePooling1D(),
        tf.keras.layers.Dense(16, activation="relu"),
        tf.keras.layers.Dense(1, activation="sigmoid"),
    ])


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--vocab", type=int, default=300)
    p.add_argument("--maxlen", type=int, default=30)
    a = p.parse_args()
    X, y = comments(500, a.vocab, a.maxlen)
    model = build(a.vocab, a.maxlen)
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    model.fit(X[:400], y[:400], validation_data=(X[400:], y[400:]), epochs=4, batch_size=32, verbose=2)
    print("toxicity:", model.predict(X[400:405], verbose=0).ravel().round(2))
