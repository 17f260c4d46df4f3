# REFERENCE ONLY: hand-repaired copy of embedding_dense_rank3_rating.py (validates its .intended.json; never compared as text by the judge)
# repair: pool the token embeddings to one vector per review
"""Predict a review's star rating (1.0-5.0, regression) from its first 25 tokens."""
import numpy as np
import keras
from keras import layers

VOCAB = 400
SEQ = 25


def load_reviews(n=520, seed=8):
    rng = np.random.default_rng(seed)
    rating = rng.uniform(1, 5, n)
    tokens = rng.integers(1, VOCAB, (n, SEQ))
    # reviews with higher ratings use more tokens from the top of the vocabulary
    n_good = np.round((rating - 1) * 3).astype(int)
    for i in range(n):
        tokens[i, :n_good[i]] = rng.integers(350, VOCAB, n_good[i])
    return tokens, rating.astype("float32")


tokens, rating = load_reviews()
train_x, test_x = tokens[:440], tokens[440:]
train_y, test_y = rating[:440], rating[440:]

model = keras.Sequential([
    keras.Input(shape=(SEQ,), dtype="int32"),
    layers.Embedding(VOCAB, 16),
    layers.GlobalAveragePooling1D(),
    layers.Dense(32, activation="relu"),
    layers.Dense(1),
])
model.compile(optimizer="adam", loss="mse", metrics=["mae"])
model.fit(train_x, train_y, epochs=5, batch_size=32, validation_split=0.1, verbose=2)
print("test:", model.evaluate(test_x, test_y, verbose=0))
print("predicted ratings:", np.ravel(model.predict(test_x[:4], verbose=0))[:4], "true:", test_y[:4])
