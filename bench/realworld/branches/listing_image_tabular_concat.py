"""Rental listing price from a photo thumbnail + tabular features (rooms, area, floor...).

Two inputs, merged with Concatenate, one regression output.
"""
import numpy as np
from tensorflow import keras
from tensorflow.keras import layers

IMG_SIZE = 24
N_TAB = 6
N = 300


def load_data(seed=17):
    rng = np.random.default_rng(seed)
    photos = rng.random((N, IMG_SIZE, IMG_SIZE, 3), dtype=np.float32)
    tab = rng.normal(size=(N, N_TAB)).astype("float32")
    brightness = photos.mean(axis=(1, 2, 3))
    rent = 800 + 300 * tab[:, 0] + 150 * tab[:, 1] + 900 * (brightness - 0.5) + rng.normal(0, 50, N)
    return photos, tab, (rent / 1000.0).astype("float32")


def build_model():
    img_in = keras.Input(shape=(IMG_SIZE, IMG_SIZE, 3), name="photo")
    x = layers.Conv2D(16, (3, 3), activation="relu")(img_in)
    x = layers.MaxPooling2D((2, 2))(x)
    x = layers.Conv2D(32, (3, 3), activation="relu")(x)
    x = layers.MaxPooling2D((2, 2))(x)

    tab_in = keras.Input(shape=(N_TAB,), name="tabular")
    t = layers.Dense(16, activation="relu")(tab_in)

    merged = layers.Concatenate()([x, t])
    h = layers.Dense(32, activation="relu")(merged)
    out = layers.Dense(1, name="rent")(h)
    model = keras.Model(inputs=[img_in, tab_in], outputs=out)
    model.compile(optimizer="adam", loss="mse", metrics=["mae"])
    return model


photos, tab, rent = load_data()
model = build_model()
model.summary()
model.fit({"photo": photos[:250], "tabular": tab[:250]}, rent[:250], epochs=3, batch_size=25, verbose=2)
mse, mae = model.evaluate({"photo": photos[250:], "tabular": tab[250:]}, rent[250:], verbose=0)
print("MAE (k$/month):", mae)
