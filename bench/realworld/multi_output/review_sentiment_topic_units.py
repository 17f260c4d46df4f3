"""Product reviews: predict sentiment (neg/neutral/pos) and the product topic (5 topics).

Integer labels for both heads, sparse categorical cross-entropy.
"""
import argparse

import numpy as np
import keras
from keras import layers

TOPICS = ["electronics", "books", "kitchen", "toys", "garden"]
SENTIMENTS = ["negative", "neutral", "positive"]


def fake_reviews(n, seq_len, vocab, seed=9):
    rng = np.random.default_rng(seed)
    topic = rng.integers(0, len(TOPICS), n)
    senti = rng.integers(0, len(SENTIMENTS), n)
    tokens = rng.integers(10, vocab, (n, seq_len))
    # topic words live in [10 + 20*t, 30 + 20*t), sentiment words are 1..9
    for i in range(n):
        tokens[i, :5] = rng.integers(10 + 20 * topic[i], 30 + 20 * topic[i], 5)
        tokens[i, 5:8] = 1 + 3 * senti[i] + rng.integers(0, 3, 3)
    rng.permuted(tokens, axis=1, out=tokens)
    return tokens, senti, topic


def build(vocab, seq_len, emb=32):
    tokens = keras.Input(shape=(seq_len,), dtype="int32", name="tokens")
    x = layers.Embedding(vocab, emb)(tokens)
    x = layers.GlobalAveragePooling1D()(x)
    x = layers.Dense(64, activation="relu")(x)
    sentiment = layers.Dense(len(SENTIMENTS), activation="softmax", name="sentiment")(x)
    topic = layers.Dense(4, activation="softmax", name="topic")(x)
    return keras.Model(tokens, {"sentiment": sentiment, "topic": topic})


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--vocab", type=int, default=150)
    p.add_argument("--seq-len", type=int, default=40)
    p.add_argument("--epochs", type=int, default=4)
    a = p.parse_args()

    X, y_sent, y_topic = fake_reviews(600, a.seq_len, a.vocab)
    model = build(a.vocab, a.seq_len)
    model.compile(optimizer="adam",
                  loss={"sentiment": "sparse_categorical_crossentropy", "topic": "sparse_categorical_crossentropy"},
                  metrics={"sentiment": "accuracy", "topic": "accuracy"})
    model.fit(X[:500], {"sentiment": y_sent[:500], "topic": y_topic[:500]},
              batch_size=32, epochs=a.epochs, verbose=2)
    res = model.evaluate(X[500:], {"sentiment": y_sent[500:], "topic": y_topic[500:]}, return_dict=True, verbose=0)
    print({k: round(float(v), 3) for k, v in res.items()})
    pred = model.predict(X[500:503], verbose=0)
    print("topics:", [TOPICS[i] for i in pred["topic"].argmax(-1)])
