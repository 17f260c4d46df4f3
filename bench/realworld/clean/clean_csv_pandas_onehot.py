# Penguin-like species classification from a CSV with a categorical column
# (island), one-hot encoded with pandas; species one-hot with to_categorical.
import os
import tempfile

import numpy as np
import pandas as pd
from tensorflow import keras

SPECIES = ["Adelie", "Chinstrap", "Gentoo"]
rng = np.random.default_rng(9)
n = 330
species = rng.integers(0, 3, n)
df = pd.DataFrame({
    "bill_length": rng.normal([39, 49, 47], 2.5, (n, 3))[np.arange(n), species],
    "flipper": rng.normal([190, 196, 217], 6, (n, 3))[np.arange(n), species],
    "mass": rng.normal([3700, 3730, 5080], 400, (n, 3))[np.arange(n), species],
    "island": rng.choice(["Biscoe", "Dream", "Torgersen"], n),
    "species": [SPECIES[s] for s in species],
})
path = os.path.join(tempfile.mkdtemp(), "penguins.csv")
df.to_csv(path, index=False)

data = pd.read_csv(path)
data = pd.get_dummies(data, columns=["island"], dtype="float32")
y = keras.utils.to_categorical(data.pop("species").map({s: i for i, s in enumerate(SPECIES)}).values, 3)
X = data.values.astype("float32")
X = (X - X.mean(0)) / (X.std(0) + 1e-6)

model = keras.Sequential([
    keras.layers.Input(shape=(X.shape[1],)),
    keras.layers.Dense(16, activation="relu"),
    keras.layers.Dense(3, activation="softmax"),
])
model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
model.fit(X[:270], y[:270], epochs=5, batch_size=16, validation_data=(X[270:], y[270:]), verbose=2)
print("test accuracy:", model.evaluate(X[270:], y[270:], verbose=0)[1])
