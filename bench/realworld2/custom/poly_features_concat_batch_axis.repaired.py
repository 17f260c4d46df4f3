"""Concrete strength regression with a home-made polynomial feature layer.

Instead of sklearn PolynomialFeatures I wanted the expansion inside the model so
the saved model takes raw features.
"""
import argparse

import keras
import numpy as np
import pandas as pd
from keras import layers, ops
from sklearn.model_selection import train_test_split


class PolyFeatures(layers.Layer):
    """x -> [x, x^2] (degree-2 terms without the cross products)."""

    def call(self, inputs):
        return ops.concatenate([inputs, ops.square(inputs)], axis=-1)

    def get_config(self):
        return super().get_config()


def make_data(path, n=1030, seed=9):
    rng = np.random.default_rng(seed)
    cols = ["cement", "slag", "ash", "water", "superplastic", "coarse", "fine", "age"]
    X = rng.random((n, len(cols)))
    y = 20 + 40 * X[:, 0] - 25 * X[:, 3] ** 2 + 15 * np.log1p(X[:, 7] * 10) + rng.normal(0, 2, n)
    df = pd.DataFrame(X, columns=cols)
    df["strength"] = y
    df.to_csv(path, index=False)


def build(n_features, hidden):
    model = keras.Sequential([
        keras.Input(shape=(n_features,)),
        PolyFeatures(),
        layers.Dense(hidden, activation="relu"),
        layers.Dense(hidden, activation="relu"),
        layers.Dense(1),
    ])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01), loss="mse", metrics=["mae"])
    return model


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--csv", default="concrete.csv")
    parser.add_argument("--hidden", type=int, default=32)
    parser.add_argument("--epochs", type=int, default=3)
    args = parser.parse_args()

    make_data(args.csv)
    df = pd.read_csv(args.csv)
    X = df.drop(columns="strength").values.astype("float32")
    y = df["strength"].values.astype("float32")
    X_train, X_val, y_train, y_val = train_test_split(X, y, test_size=0.2, random_state=1)

    model = build(X.shape[1], args.hidden)
    model.fit(X_train, y_train, validation_data=(X_val, y_val), epochs=args.epochs, batch_size=32, verbose=2)
    print("val MAE: %.2f MPa" % model.evaluate(X_val, y_val, verbose=0)[1])
    model.save("concrete.keras")


if __name__ == "__main__":
    main()
