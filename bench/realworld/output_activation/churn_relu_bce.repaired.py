# REFERENCE ONLY: hand-repaired copy of churn_relu_bce.py (validates its .intended.json; never compared as text by the judge)
# repair: sigmoid output under binary cross-entropy
"""Customer churn prediction (binary classification).

usage: python churn_relu_bce.py [--epochs N]
"""
import argparse
import csv
import os
import tempfile

import numpy as np
import tensorflow as tf

CONFIG = {
    "hidden_units": [32, 16],
    "dropout": 0.2,
    "lr": 0.001,
    "batch_size": 32,
}


def write_fake_customers(path, n=500):
    rng = np.random.RandomState(3)
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["tenure", "monthly_charges", "support_calls", "contract_len", "churned"])
        for _ in range(n):
            tenure = rng.randint(1, 72)
            charges = rng.uniform(20, 120)
            calls = rng.poisson(2)
            contract = rng.choice([1, 12, 24])
            logit = -0.04 * tenure + 0.02 * charges + 0.5 * calls - 0.05 * contract - 1.0
            churned = int(rng.rand() < 1 / (1 + np.exp(-logit)))
            w.writerow([tenure, round(charges, 2), calls, contract, churned])


def load_customers(path):
    rows = []
    with open(path) as f:
        reader = csv.DictReader(f)
        for r in reader:
            rows.append([float(r["tenure"]), float(r["monthly_charges"]), float(r["support_calls"]),
                         float(r["contract_len"]), int(r["churned"])])
    data = np.array(rows, dtype="float32")
    X, y = data[:, :-1], data[:, -1]
    mu, sd = X.mean(0), X.std(0)
    return (X - mu) / sd, y


def build_model(input_dim, cfg):
    model = tf.keras.Sequential()
    model.add(tf.keras.Input(shape=(input_dim,)))
    for units in cfg["hidden_units"]:
        model.add(tf.keras.layers.Dense(units, activation="relu"))
        model.add(tf.keras.layers.Dropout(cfg["dropout"]))
    model.add(tf.keras.layers.Dense(1, activation="sigmoid"))
    model.compile(loss="binary_crossentropy",
                  optimizer=tf.keras.optimizers.Adam(learning_rate=cfg["lr"]),
                  metrics=["accuracy"])
    return model


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=4)
    args = parser.parse_args()

    path = os.path.join(tempfile.gettempdir(), "churn_customers.csv")
    write_fake_customers(path)
    X, y = load_customers(path)
    print("churn rate: %.2f" % y.mean())

    n_train = 400
    model = build_model(X.shape[1], CONFIG)
    early = tf.keras.callbacks.EarlyStopping(monitor="val_loss", patience=2, restore_best_weights=True)
    model.fit(X[:n_train], y[:n_train], validation_data=(X[n_train:], y[n_train:]),
              epochs=args.epochs, batch_size=CONFIG["batch_size"], callbacks=[early], verbose=2)

    loss, acc = model.evaluate(X[n_train:], y[n_train:], verbose=0)
    print("holdout accuracy:", round(acc, 3))
    probs = model.predict(X[n_train:n_train + 8], verbose=0).ravel()
    print("churn probabilities:", np.round(probs, 2))


if __name__ == "__main__":
    main()
