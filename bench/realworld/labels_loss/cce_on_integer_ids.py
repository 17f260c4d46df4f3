"""Land-cover classification from 7 spectral bands (5 classes, integer labels)."""
import numpy as np
import keras
from keras import layers

CLASSES = ["water", "forest", "crop", "urban", "bare"]
rng = np.random.default_rng(2)

def load_pixels(n=600):
    means = rng.uniform(0, 1, (len(CLASSES), 7))
    y = rng.integers(0, len(CLASSES), n)
    X = means[y] + rng.normal(0, 0.15, (n, 7))
    return X.astype("float32"), y

X, y = load_pixels()
X_train, X_val, y_train, y_val = X[:500], X[500:], y[:500], y[500:]

model = keras.Sequential(
    [
        keras.Input(shape=(7,)),
        layers.Dense(32, activation="relu"),
        layers.Dense(32, activation="relu"),
        layers.Dense(len(CLASSES), activation="softmax"),
    ]
)
model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
model.fit(X_train, y_train, validation_data=(X_val, y_val), epochs=5, batch_size=32, verbose=2)
pred = model.predict(X_val[:6], verbose=0).argmax(axis=1)
print([CLASSES[p] for p in pred])
