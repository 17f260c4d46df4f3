"""Support-ticket priority: ticket text (token ids) + account numbers -> high priority yes/no."""
import argparse

import numpy as np
import pandas as pd
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

VOCAB = 500
MAXLEN = 30
NUM_COLS = ["account_age_days", "open_tickets", "plan_tier", "mrr"]


def write_csv(path, n=600, seed=3):
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({
        "account_age_days": rng.integers(1, 2000, n),
        "open_tickets": rng.poisson(2, n),
        "plan_tier": rng.integers(0, 3, n),
        "mrr": rng.gamma(2.0, 150.0, n).round(2),
    })
    tokens = rng.integers(1, VOCAB, size=(n, MAXLEN))
    urgent = rng.random(n) < 0.3
    tokens[urgent, :3] = 7                     # "urgent urgent urgent"
    df["tokens"] = [" ".join(map(str, t)) for t in tokens]
    df["high_priority"] = (urgent | (df.plan_tier == 2)).astype(int)
    df.to_csv(path, index=False)


def load(path):
    df = pd.read_csv(path)
    X_text = np.array([list(map(int, s.split())) for s in df["tokens"]])
    X_num = StandardScaler().fit_transform(df[NUM_COLS])
    y = df["high_priority"].values
    return X_text, X_num, y


def build_model():
    text_in = keras.Input(shape=(MAXLEN,), name="text")
    num_in = keras.Input(shape=(len(NUM_COLS),), name="numeric")
    t = layers.Embedding(VOCAB, 16)(text_in)
    t = layers.GlobalAveragePooling1D()(t)
    n = layers.Dense(16, activation="relu")(num_in)
    x = layers.concatenate([t, n])
    x = layers.Dense(16, activation="relu")(x)
    out = layers.Dense(1, activation="sigmoid", name="priority")(x)
    model = keras.Model(inputs=[text_in, num_in], outputs=out)
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    return model


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="tickets.csv")
    ap.add_argument("--epochs", type=int, default=3)
    args = ap.parse_args()

    write_csv(args.data)
    X_text, X_num, y = load(args.data)
    (Xt_tr, Xt_te, Xn_tr, Xn_te, y_tr, y_te) = train_test_split(X_text, X_num, y, test_size=0.2, random_state=0)

    model = build_model()
    model.fit([Xt_tr, Xn_tr], y_tr, epochs=args.epochs, batch_size=32, validation_split=0.1)
    print(model.evaluate([Xt_te, Xn_te], y_te, verbose=0))
