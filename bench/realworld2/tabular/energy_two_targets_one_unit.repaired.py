"""Energy efficiency: predict heating load and cooling load of a building from 6 design features."""
import argparse
import csv

import numpy as np
import tensorflow as tf

FEATURES = ["compactness", "surface", "wall", "roof", "height", "glazing"]
TARGETS = ["heating_load", "cooling_load"]


def write_csv(path, n=768, seed=3):
    rng = np.random.default_rng(seed)
    X = rng.uniform(0, 1, size=(n, len(FEATURES)))
    heat = 10 + 25 * X[:, 4] + 8 * X[:, 5] - 6 * X[:, 0] + rng.normal(0, 1.0, n)
    cool = 12 + 20 * X[:, 4] + 4 * X[:, 5] + 3 * X[:, 1] + rng.normal(0, 1.5, n)
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(FEATURES + TARGETS)
        for row, h, c in zip(X, heat, cool):
            w.writerow([f"{v:.4f}" for v in row] + [f"{h:.2f}", f"{c:.2f}"])


def load_data(path):
    with open(path) as fh:
        rows = list(csv.DictReader(fh))
    X = np.array([[float(r[k]) for k in FEATURES] for r in rows], dtype="float32")
    y = np.array([[float(r[k]) for k in TARGETS] for r in rows], dtype="float32")
    return X, y


def build_model(n_features, hidden=(64, 32)):
    inputs = tf.keras.Input(shape=(n_features,))
    x = inputs
    for h in hidden:
        x = tf.keras.layers.Dense(h, activation="relu")(x)
    outputs = tf.keras.layers.Dense(len(TARGETS))(x)
    return tf.keras.Model(inputs, outputs)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--csv", default="energy.csv")
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--batch-size", type=int, default=32)
    args = ap.parse_args()

    write_csv(args.csv)
    X, y = load_data(args.csv)
    n_train = int(0.8 * len(X))
    X_tr, y_tr, X_te, y_te = X[:n_train], y[:n_train], X[n_train:], y[n_train:]

    model = build_model(X.shape[1])
    model.compile(optimizer=tf.keras.optimizers.Adam(1e-2), loss="mse", metrics=["mae"])
    model.fit(X_tr, y_tr, epochs=args.epochs, batch_size=args.batch_size, validation_split=0.1, verbose=2)
    loss, mae = model.evaluate(X_te, y_te, verbose=0)
    print(f"test mse={loss:.2f} mae={mae:.2f}")
    pred = model.predict(X_te[:3], verbose=0)
    for p, t in zip(pred, y_te[:3]):
        print("pred", p, "true", t)


if __name__ == "__main__":
    main()
