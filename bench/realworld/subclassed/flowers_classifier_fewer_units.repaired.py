# REFERENCE ONLY: hand-repaired copy of flowers_classifier_fewer_units.py (validates its .intended.json; never compared as text by the judge)
# repair: 5 output units for 5 species
"""Subclassed classifier for 5 flower species from petal/sepal measurements."""
import argparse

import numpy as np
import keras
from keras import layers

SPECIES = ["daisy", "dandelion", "rose", "sunflower", "tulip"]


class FlowerNet(keras.Model):
    def __init__(self, hidden=32, n_classes=len(SPECIES), dropout=0.1, **kwargs):
        super().__init__(**kwargs)
        self.hidden1 = layers.Dense(hidden, activation="relu")
        self.hidden2 = layers.Dense(hidden, activation="relu")
        self.drop = layers.Dropout(dropout)
        self.classifier = layers.Dense(n_classes, activation="softmax")

    def call(self, inputs, training=False):
        x = self.hidden1(inputs)
        x = self.drop(x, training=training)
        x = self.hidden2(x)
        return self.classifier(x)


def load_flowers(n_per_class=80, seed=0):
    rng = np.random.default_rng(seed)
    xs, ys = [], []
    for k in range(len(SPECIES)):
        center = rng.uniform(1, 7, size=4)
        xs.append(center + rng.normal(scale=0.4, size=(n_per_class, 4)))
        ys.append(np.full(n_per_class, k))
    X = np.concatenate(xs).astype("float32")
    y = np.concatenate(ys)
    idx = rng.permutation(len(X))
    return X[idx], y[idx]


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--hidden", type=int, default=32)
    parser.add_argument("--epochs", type=int, default=5)
    args = parser.parse_args()

    X, y = load_flowers()
    model = FlowerNet(hidden=args.hidden)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(X[:320], y[:320], epochs=args.epochs, batch_size=16, verbose=2)
    print("test:", model.evaluate(X[320:], y[320:], verbose=0))
    print("predicted:", [SPECIES[i] for i in model.predict(X[320:325], verbose=0).argmax(1)])
