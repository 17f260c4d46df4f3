# REFERENCE ONLY: hand-repaired copy of one_indexed_to_categorical.py (validates its .intended.json; never compared as text by the judge)
# repair: shift 1..5 stars to 0..4 before one-hot
# Star rating prediction (1 to 5 stars) from review statistics.
import numpy as np
import keras
from keras.utils import to_categorical

rng = np.random.default_rng(15)
n = 500
feats = rng.normal(size=(n, 6)).astype("float32")
stars = np.clip(np.round(3 + feats[:, 0] + 0.5 * feats[:, 1]), 1, 5).astype(int)    # 1..5
print("star counts:", {s: int((stars == s).sum()) for s in range(1, 6)})

labels = to_categorical(stars - 1, num_classes=5)
n_classes = 5

model = keras.Sequential([
    keras.layers.Input((6,)),
    keras.layers.Dense(32, activation="relu"),
    keras.layers.Dense(n_classes, activation="softmax"),
])
model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
model.fit(feats[:400], labels[:400], validation_split=0.1, epochs=5, batch_size=32, verbose=2)
pred_stars = model.predict(feats[400:410], verbose=0).argmax(1) + 1
print("predicted stars:", pred_stars, "true:", stars[400:410])
