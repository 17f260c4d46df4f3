"""Sentence classifier with a hand-written attention pooling layer.

tokens -> Embedding -> BiLSTM -> AttentionPool -> Dense softmax (4 intents)
"""
import numpy as np
import tensorflow as tf
from tensorflow.keras import layers

INTENTS = ["greet", "order", "cancel", "complain"]
VOCAB, MAXLEN = 120, 20


class AttentionPool(layers.Layer):
    """Weighted average over time, weights from a learned scoring vector."""

    def build(self, input_shape):
        self.score = self.add_weight(name="score", shape=(input_shape[-1], 1), initializer="glorot_uniform")
        super().build(input_shape)

    def call(self, h):
        logits = tf.matmul(h, self.score)              # (batch, time, 1)
        alpha = tf.nn.softmax(logits, axis=1)
        pooled = tf.reduce_sum(alpha * h, axis=1)      # (batch, features)


def make_intents(n=480, seed=2):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, len(INTENTS), n)
    X = rng.integers(1, VOCAB, (n, MAXLEN))
    X[np.arange(n), rng.integers(0, MAXLEN, n)] = 100 + 5 * y
    return X, y


def build_model():
    inp = tf.keras.Input(shape=(MAXLEN,))
    x = layers.Embedding(VOCAB, 32)(inp)
    x = layers.Bidirectional(layers.LSTM(16, return_sequences=True))(x)
    x = AttentionPool()(x)
    x = layers.Dense(32, activation="relu")(x)
    out = layers.Dense(len(INTENTS), activation="softmax")(x)
    return tf.keras.Model(inp, out)


if __name__ == "__main__":
    X, y = make_intents()
    model = build_model()
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(X[:400], y[:400], epochs=3, batch_size=32, verbose=2)
    print(model.evaluate(X[400:], y[400:], verbose=0))
