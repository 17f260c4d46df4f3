"""Product return prediction from a product photo + order features (two inputs, one sigmoid output)."""
import argparse

import numpy as np
import keras
from keras import layers


def make_orders(n, img, seed=3):
    rng = np.random.default_rng(seed)
    photos = rng.random((n, img, img, 3)).astype("float32")
    order = rng.normal(size=(n, 5)).astype("float32")
    returned = ((photos[..., 0].mean(axis=(1, 2)) > 0.5) & (order[:, 0] > 0)).astype("float32")
    return photos, order, returned


def build(img, n_order):
    photo = keras.Input(shape=(img, img, 3), name="photo")
    x = layers.Conv2D(8, 3, activation="relu")(photo)
    x = layers.MaxPooling2D()(x)
    x = layers.Conv2D(16, 3, activation="relu")(x)
    x = layers.GlobalAveragePooling2D()(x)

    order = keras.Input(shape=(n_order,), name="order")
    o = layers.Dense(16, activation="relu")(order)

    z = layers.concatenate([x, o])
    z = layers.Dense(16, activation="relu")(z)
    out = layers.Dense(1, activation="sigmoid", name="returned")(z)
    return keras.Model([photo, order], out)


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--img", type=int, default=24)
    ap.add_argument("--epochs", type=int, default=3)
    args = ap.parse_args()
    photos, order, returned = make_orders(300, args.img)
    model = build(args.img, order.shape[1])
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    model.fit({"photo": photos[:240], "order": order[:240]}, returned[:240],
              validation_data=({"photo": photos[240:], "order": order[240:]}, returned[240:]),
              epochs=args.epochs, batch_size=32, verbose=2)
    print(model.predict({"photo": photos[:3], "order": order[:3]}, verbose=0).ravel())
