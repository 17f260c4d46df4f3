# REFERENCE ONLY: hand-repaired copy of house_prices_sigmoid.py (validates its .intended.json; never compared as text by the judge)
# repair: linear output for a price in the hundreds
# House price regression -- predicts sale price (in $1000s) from a few features.
# Based on the "Boston housing" style tutorials, but with our own generated data.
import argparse
import os
import tempfile

import numpy as np
import pandas as pd
from tensorflow import keras
from tensorflow.keras import layers


def make_csv(path, n=400, seed=7):
    rng = np.random.default_rng(seed)
    sqft = rng.uniform(500, 3500, n)
    rooms = rng.integers(1, 7, n)
    age = rng.uniform(0, 80, n)
    dist = rng.uniform(1, 30, n)
    price = 50 + 0.12 * sqft + 15 * rooms - 0.8 * age - 2.5 * dist + rng.normal(0, 20, n)
    df = pd.DataFrame({"sqft": sqft, "rooms": rooms, "age": age, "dist_km": dist, "price": price})
    df.to_csv(path, index=False)
    return path


def load_data(path):
    df = pd.read_csv(path)
    print(df.describe().loc[["mean", "std"]])
    y = df.pop("price").values
    X = df.values.astype("float32")
    # standardise features
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    split = int(0.8 * len(X))
    return (X[:split], y[:split]), (X[split:], y[split:])


def build_model(n_features, hidden=64):
    model = keras.Sequential()
    model.add(layers.Dense(hidden, activation="relu", input_shape=(n_features,)))
    model.add(layers.Dense(hidden // 2, activation="relu"))
    model.add(layers.Dense(1))
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="mse", metrics=["mae"])
    return model


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--csv", default=os.path.join(tempfile.gettempdir(), "houses_sigmoid.csv"))
    args = ap.parse_args()

    make_csv(args.csv)
    (x_train, y_train), (x_test, y_test) = load_data(args.csv)
    print("train:", x_train.shape, "price range:", y_train.min(), y_train.max())

    model = build_model(x_train.shape[1])
    model.summary()
    history = model.fit(x_train, y_train, epochs=args.epochs, batch_size=args.batch_size,
                        validation_split=0.1, verbose=2)
    test_mse, test_mae = model.evaluate(x_test, y_test, verbose=0)
    print(f"test MAE: {test_mae:.1f} (k$)")
    preds = model.predict(x_test[:5], verbose=0)
    for p, t in zip(preds.ravel(), y_test[:5]):
        print(f"predicted {p:8.1f}   actual {t:8.1f}")
