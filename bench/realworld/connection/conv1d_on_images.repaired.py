# REFERENCE ONLY: hand-repaired copy of conv1d_on_images.py (validates its .intended.json; never compared as text by the judge)
# repair: 2-D convolutions for images
# Classify 32x32 colour thumbnails of 3 kinds of fabric defects
import numpy as np
import tensorflow as tf
from tensorflow.keras import layers

def thumbnails(n=300, seed=1):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    x = rng.random((n, 32, 32, 3), dtype=np.float32) * 0.4
    for i, k in enumerate(y):
        if k == 1:
            x[i, 14:18, :, :] += 0.6      # horizontal streak
        elif k == 2:
            x[i, :, 14:18, :] += 0.6      # vertical streak
    return x, y

x, y = thumbnails()
model = tf.keras.Sequential([
    tf.keras.Input(shape=(32, 32, 3)),
    layers.Conv2D(16, 3, activation="relu"),
    layers.MaxPooling2D(2),
    layers.Conv2D(32, 3, activation="relu"),
    layers.Flatten(),
    layers.Dense(3, activation="softmax"),
])
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(x[:250], y[:250], epochs=3, batch_size=25, validation_data=(x[250:], y[250:]), verbose=2)
print(model.evaluate(x[250:], y[250:], verbose=0))
