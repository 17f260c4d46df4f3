# Predict the customer segment (0, 1, 2 or 3) from purchase behaviour.
import numpy as np
from tensorflow import keras
from tensorflow.keras import layers

np.random.seed(1)
n, d = 500, 8
X = np.random.rand(n, d).astype("float32")
segment = (X[:, 0] * 2 + X[:, 1] * 2).astype(int)     # 0..3
segment = np.clip(segment, 0, 3)
print("segments:", np.bincount(segment))

def build_classifier():
    model = keras.Sequential()
    model.add(layers.Dense(16, activation="relu", input_dim=d))
    model.add(layers.Dense(8, activation="relu"))
    model.add(layers.Dense(1, activation="sigmoid"))
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    return model

clf = build_classifier()
clf.fit(X[:400], segment[:400], epochs=5, batch_size=20, verbose=2)
loss, acc = clf.evaluate(X[400:], segment[400:], verbose=0)
print("accuracy:", acc)
print("predictions:", clf.predict(X[400:405], verbose=0).ravel())
