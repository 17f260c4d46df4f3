# Predict used car price from a CSV (pandas + keras), one-hot the categorical columns with get_dummies
import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split
from tensorflow import keras
from tensorflow.keras import layers


def make_csv(path="used_cars.csv", n=600):
    rng = np.random.default_rng(7)
    df = pd.DataFrame({
        "year": rng.integers(2005, 2023, n),
        "mileage": rng.uniform(5_000, 200_000, n).round(0),
        "engine_l": rng.choice([1.2, 1.6, 2.0, 3.0], n),
        "fuel": rng.choice(["petrol", "diesel", "hybrid"], n),
        "transmission": rng.choice(["manual", "automatic"], n),
    })
    df["price"] = (20000 - 80 * (2023 - df["year"]) * 10 - 0.04 * df["mileage"]
                   + 3000 * df["engine_l"] + 2500 * (df["fuel"] == "hybrid") + rng.normal(0, 800, n))
    df.to_csv(path, index=False)


make_csv()
df = pd.read_csv("used_cars.csv")
print(df.head())

num_cols = ["year", "mileage", "engine_l"]
df[num_cols] = (df[num_cols] - df[num_cols].mean()) / df[num_cols].std()
df = pd.get_dummies(df, columns=["fuel", "transmission"])
y = df.pop("price").values / 1000.0          # k$
X = df.values
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=42)
print(X_train.shape, y_train.shape)

model = keras.Sequential([
    keras.Input(shape=(X_train.shape[1],)),
    layers.Dense(64, activation="relu"),
    layers.Dense(32, activation="relu"),
    layers.Dense(1),
])
model.compile(optimizer="adam", loss="mse", metrics=["mae"])
history = model.fit(X_train, y_train, validation_split=0.1, epochs=3, batch_size=32, verbose=2)

print("test mae (k$):", model.evaluate(X_test, y_test, verbose=0)[1])
print(model.predict(X_test[:5], verbose=0).ravel(), y_test[:5])
