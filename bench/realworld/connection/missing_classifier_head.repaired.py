# REFERENCE ONLY: hand-repaired copy of missing_classifier_head.py (validates its .intended.json; never compared as text by the judge)
# repair: add the softmax classifier after the feature extractor
"""Texture classifier, 8 texture classes, 24x24 grayscale patches.

Feature extractor first; the classifier comes "after" (sparse labels).
"""
import numpy as np
from tensorflow import keras
from tensorflow.keras import layers

N_CLASSES = 8


def feature_extractor():
    return [
        layers.Conv2D(16, 3, activation="relu", padding="same"),
        layers.MaxPooling2D(),
        layers.Conv2D(32, 3, activation="relu", padding="same"),
        layers.MaxPooling2D(),
        layers.Flatten(),
    ]


def load_patches(n=400, seed=23):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, N_CLASSES, n)
    xx, yy = np.meshgrid(np.arange(24), np.arange(24))
    x = np.stack([np.sin(xx * (k + 1) / 4.0 + yy * (k % 3)) for k in y])[..., None]
    x = x + rng.normal(0, 0.3, x.shape)
    return x.astype("float32"), y


x, y = load_patches()
model = keras.Sequential([keras.Input(shape=(24, 24, 1))] + feature_extractor()
                         + [layers.Dense(N_CLASSES, activation="softmax")])
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.summary()
model.fit(x[:320], y[:320], epochs=3, batch_size=32, validation_data=(x[320:], y[320:]), verbose=2)
print("predicted classes:", model.predict(x[320:328], verbose=0).argmax(-1), "true:", y[320:328])
