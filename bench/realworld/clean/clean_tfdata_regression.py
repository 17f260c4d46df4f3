# Bike-sharing demand regression with a tf.data pipeline, linear output, callbacks.
import os
import tempfile

import numpy as np
import tensorflow as tf
from tensorflow import keras

rng = np.random.default_rng(5)
hour = rng.integers(0, 24, 800)
temp = rng.normal(18, 7, 800)
rain = rng.random(800) < 0.2
demand = 200 + 120 * np.sin(np.pi * hour / 24) + 6 * temp - 80 * rain + rng.normal(0, 15, 800)
X = np.stack([np.sin(2 * np.pi * hour / 24), np.cos(2 * np.pi * hour / 24), (temp - 18) / 7, rain], 1).astype("float32")
y = (demand / 100).astype("float32")

def dataset(lo, hi, shuffle):
    ds = tf.data.Dataset.from_tensor_slices((X[lo:hi], y[lo:hi]))
    if shuffle:
        ds = ds.shuffle(hi - lo, seed=0)
    return ds.batch(32).prefetch(tf.data.AUTOTUNE)

train_ds, val_ds = dataset(0, 640, True), dataset(640, 800, False)

model = keras.Sequential([
    keras.Input(shape=(4,)),
    keras.layers.Dense(32, activation="relu"),
    keras.layers.Dense(32, activation="relu"),
    keras.layers.Dense(1),
])
model.compile(optimizer=keras.optimizers.Adam(0.005), loss="mse", metrics=["mae"])
ckpt = os.path.join(tempfile.mkdtemp(), "bikes.keras")
model.fit(train_ds, validation_data=val_ds, epochs=5, verbose=2,
          callbacks=[keras.callbacks.EarlyStopping(patience=2, restore_best_weights=True),
                     keras.callbacks.ModelCheckpoint(ckpt, save_best_only=True)])
print("val:", model.evaluate(val_ds, return_dict=True, verbose=0))
best = keras.models.load_model(ckpt)
print("reloaded prediction:", best.predict(X[:2], verbose=0).ravel() * 100)
