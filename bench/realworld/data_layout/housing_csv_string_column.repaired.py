# REFERENCE ONLY: hand-repaired copy of housing_csv_string_column.py (validates its .intended.json; never compared as text by the judge)
# repair: one-hot encode the city column
"""Apartment price regression from a CSV (pandas).

Columns: area, rooms, floor, year_built, city, price
"""
import os
import tempfile

import numpy as np
import pandas as pd
from tensorflow import keras
from tensorflow.keras import layers

CITIES = ["Berlin", "Hamburg", "Munich", "Cologne"]


def generate_csv(path, n=400, seed=5):
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({
        "area": rng.uniform(25, 160, n).round(1),
        "rooms": rng.integers(1, 6, n),
        "floor": rng.integers(0, 12, n),
        "year_built": rng.integers(1900, 2023, n),
        "city": rng.choice(CITIES, n),
    })
    city_premium = df["city"].map({"Berlin": 1.0, "Hamburg": 1.1, "Munich": 1.6, "Cologne": 0.9})
    df["price"] = (df["area"] * 4.5 * city_premium + df["rooms"] * 10 + rng.normal(0, 30, n)).round(0)
    df.to_csv(path, index=False)


csv_path = os.path.join(tempfile.mkdtemp(), "apartments.csv")
generate_csv(csv_path)
df = pd.read_csv(csv_path)
df = pd.get_dummies(df, columns=["city"], dtype="float32")
print(df.head())

X = df.drop(columns=["price"]).values.astype("float32")
y = df["price"].values / 100.0

n_train = int(0.8 * len(df))
X_train, X_test = X[:n_train], X[n_train:]
y_train, y_test = y[:n_train], y[n_train:]

model = keras.Sequential([
    layers.Input(shape=(X.shape[1],)),
    layers.Dense(64, activation="relu"),
    layers.Dense(64, activation="relu"),
    layers.Dense(1),
])
model.compile(optimizer="adam", loss="mse", metrics=["mae"])
model.fit(X_train, y_train, epochs=5, batch_size=32, validation_split=0.1, verbose=2)
print("test mae:", model.evaluate(X_test, y_test, verbose=0)[1])
