# REFERENCE ONLY: hand-repaired copy of genre_softmax_mse_multilabel.py (validates its .intended.json; never compared as text by the judge)
# repair: sigmoid + binary cross-entropy for multi-label genres
"""Movie genre prediction from plot-embedding features.
A movie has several genres, so the target is a 0/1 vector."""
import os
import tempfile

import numpy as np
from tensorflow import keras

GENRES = ["action", "comedy", "drama", "horror", "romance", "scifi", "thriller", "family"]
rng = np.random.default_rng(11)

# ---- data -------------------------------------------------------------
n_movies, emb_dim = 480, 24
centroids = rng.normal(size=(len(GENRES), emb_dim))
genres = (rng.random((n_movies, len(GENRES))) < 0.3).astype("float32")
genres[genres.sum(1) == 0, 2] = 1.0          # every movie is at least a drama
features = genres @ centroids + rng.normal(scale=0.5, size=(n_movies, emb_dim))
features = features.astype("float32")

train_x, val_x = features[:400], features[400:]
train_y, val_y = genres[:400], genres[400:]

# ---- model ------------------------------------------------------------
model = keras.Sequential([
    keras.layers.Input(shape=(emb_dim,)),
    keras.layers.Dense(64, activation="relu"),
    keras.layers.BatchNormalization(),
    keras.layers.Dense(32, activation="relu"),
    keras.layers.Dense(len(GENRES), activation="sigmoid"),
])
model.compile(optimizer=keras.optimizers.RMSprop(learning_rate=0.002), loss="binary_crossentropy")

ckpt_path = os.path.join(tempfile.mkdtemp(), "genres.best.keras")
callbacks = [keras.callbacks.ModelCheckpoint(ckpt_path, monitor="val_loss", save_best_only=True)]
hist = model.fit(train_x, train_y, validation_data=(val_x, val_y), epochs=6, batch_size=16,
                 callbacks=callbacks, verbose=0)
print("final val loss", hist.history["val_loss"][-1])

scores = model.predict(val_x[:4], verbose=0)
for s, t in zip(scores, val_y[:4]):
    top = [GENRES[i] for i in np.argsort(-s)[:3]]
    print("top-3 predicted:", top, "| true:", [g for g, v in zip(GENRES, t) if v])
print("checkpoint saved:", os.path.exists(ckpt_path))
