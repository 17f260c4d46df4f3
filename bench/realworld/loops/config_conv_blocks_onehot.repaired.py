# REFERENCE ONLY: hand-repaired copy of config_conv_blocks_onehot.py (validates its .intended.json; never compared as text by the judge)
# repair: Flatten after the conv stack
"""Config-driven CNN for 28x28 grayscale sketches, 6 classes (one-hot labels).

Everything architectural lives in CFG so the script can be swept.
"""
import argparse
import json

import numpy as np
import keras
from keras import layers

CFG = {
    "input_shape": [28, 28, 1],
    "conv_filters": [16, 32, 32],
    "kernel": 3,
    "dense_units": [64],
    "dropout": 0.25,
    "num_classes": 6,
}


def conv_stack(model, cfg):
    for i, f in enumerate(cfg["conv_filters"]):
        model.add(layers.Conv2D(f, cfg["kernel"], activation="relu", name=f"conv{i}"))
        model.add(layers.MaxPooling2D(2, name=f"pool{i}"))


def build(cfg):
    model = keras.Sequential(name="sketch_cnn")
    model.add(keras.Input(shape=tuple(cfg["input_shape"])))
    conv_stack(model, cfg)
    model.add(layers.Flatten())
    for u in cfg["dense_units"]:
        model.add(layers.Dense(u, activation="relu"))
        model.add(layers.Dropout(cfg["dropout"]))
    model.add(layers.Dense(cfg["num_classes"], activation="softmax"))
    return model


def load_sketches(cfg, n=360, seed=0):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, cfg["num_classes"], n)
    imgs = rng.normal(0, 0.3, (n, *cfg["input_shape"])).astype("float32")
    for i, k in enumerate(labels):
        imgs[i, 4 * k:4 * k + 4, :, 0] += 1.0      # a horizontal stroke whose height encodes the class
    return imgs, keras.utils.to_categorical(labels, cfg["num_classes"])


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--lr", type=float, default=1e-3)
    args = ap.parse_args()
    print(json.dumps(CFG))

    X, Y = load_sketches(CFG)
    model = build(CFG)
    model.compile(optimizer=keras.optimizers.Adam(args.lr), loss="categorical_crossentropy", metrics=["accuracy"])
    model.fit(X[:300], Y[:300], validation_data=(X[300:], Y[300:]), epochs=args.epochs, batch_size=32, verbose=2)
    pred = model.predict(X[300:306], verbose=0).argmax(-1)
    print("pred:", pred, "true:", Y[300:306].argmax(-1))
