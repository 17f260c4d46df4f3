# REFERENCE ONLY: hand-repaired copy of xray_metadata_missing_flatten.py (validates its .intended.json; never compared as text by the judge)
# repair: Flatten in the image tower before its Dense
# Chest "x-ray" (synthetic) + patient metadata -> pneumonia yes/no
# image tower is a helper so we can swap architectures later
import argparse
import numpy as np
import tensorflow as tf
from tensorflow.keras import layers, Model, Input

def image_tower(inp, filters=(8, 16)):
    x = inp
    for f in filters:
        x = layers.Conv2D(f, 3, padding="same", activation="relu")(x)
        x = layers.BatchNormalization()(x)
        x = layers.MaxPool2D()(x)
    x = layers.Flatten()(x)
    x = layers.Dense(32, activation="relu")(x)
    return x

def meta_tower(inp):
    m = layers.Dense(16, activation="relu")(inp)
    return layers.Dense(16, activation="relu")(m)

def get_model(img_shape, n_meta):
    img = Input(img_shape, name="xray")
    meta = Input((n_meta,), name="meta")
    z = layers.concatenate([image_tower(img), meta_tower(meta)])
    z = layers.Dropout(0.3)(z)
    out = layers.Dense(1, activation="sigmoid", name="pneumonia")(z)
    return Model([img, meta], out)

def fake_patients(n, size, n_meta, rng):
    xr = rng.normal(0.5, 0.2, (n, size, size, 1)).astype("float32")
    meta = np.c_[rng.uniform(20, 90, n) / 90, rng.integers(0, 2, n), rng.normal(size=(n, n_meta - 2))].astype("float32")
    y = ((xr[:, 10:20, 10:20, 0].mean(axis=(1, 2)) > 0.5) ^ (meta[:, 1] > 0.5)).astype("float32")
    return xr, meta, y

if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", type=int, default=32)
    ap.add_argument("--epochs", type=int, default=3)
    args = ap.parse_args()
    rng = np.random.default_rng(4)
    xr, meta, y = fake_patients(256, args.size, 5, rng)
    model = get_model((args.size, args.size, 1), meta.shape[1])
    model.compile(optimizer=tf.keras.optimizers.Adam(1e-3), loss="binary_crossentropy",
                  metrics=["accuracy", tf.keras.metrics.AUC(name="auc")])
    model.fit([xr, meta], y, batch_size=32, epochs=args.epochs, validation_split=0.2, verbose=2)
    print("P(pneumonia):", model.predict([xr[:4], meta[:4]], verbose=0).ravel())
