"""Wine quality (good / not good) from 11 physico-chemical measurements."""
import argparse

import numpy as np
from tensorflow import keras


def make_wines(n=400, seed=3):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 11)).astype("float32")
    quality = X[:, 10] * 0.8 + X[:, 1] * -0.5 + rng.normal(0, 0.5, n)
    return X, (quality > 0.2).astype("float32")


def build_model(X_train):
    inputs = keras.Input(shape=X_train.shape)
    x = keras.layers.Dense(32, activation="relu")(inputs)
    x = keras.layers.Dense(16, activation="relu")(x)
    outputs = keras.layers.Dense(1, activation="sigmoid")(x)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    return model


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", default=5, type=int)
    args = ap.parse_args()
    X, y = make_wines()
    X_train, X_test, y_train, y_test = X[:320], X[320:], y[:320], y[320:]
    model = build_model(X_train)
    model.fit(X_train, y_train, epochs=args.epochs, batch_size=32, verbose=2)
    print("test accuracy:", model.evaluate(X_test, y_test, verbose=0)[1])
