"""Predict tomorrow's max temperature (deg C) from today's weather readings."""
import argparse

import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers


def make_weather(n_days=365 * 2, seed=1):
    rng = np.random.default_rng(seed)
    day = np.arange(n_days)
    season = 12 * np.sin(2 * np.pi * day / 365.0)
    t_max = 18 + season + rng.normal(0, 2, n_days)
    humidity = np.clip(60 - 0.8 * season + rng.normal(0, 8, n_days), 5, 100)
    pressure = 1013 + rng.normal(0, 6, n_days)
    wind = np.abs(rng.normal(10, 4, n_days))
    X = np.stack([t_max, humidity, pressure, wind], axis=1)[:-1]
    y = t_max[1:]
    return X.astype("float32"), y.astype("float32")


def make_datasets(X, y, batch_size):
    n_val = len(X) // 5
    norm = layers.Normalization()
    norm.adapt(X[:-n_val])
    train = tf.data.Dataset.from_tensor_slices((X[:-n_val], y[:-n_val])).shuffle(512, seed=0).batch(batch_size)
    val = tf.data.Dataset.from_tensor_slices((X[-n_val:], y[-n_val:])).batch(batch_size)
    return norm, train, val


def build(norm):
    inputs = keras.Input(shape=(4,), name="readings")
    x = norm(inputs)
    x = layers.Dense(32, activation="relu")(x)
    x = layers.Dense(16, activation="relu")(x)
    outputs = layers.Dense(1, activation="softmax", name="t_max_tomorrow")(x)
    return keras.Model(inputs=inputs, outputs=outputs, name="weather_regressor")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--batch", type=int, default=32)
    opts = parser.parse_args()

    X, y = make_weather()
    norm, train_ds, val_ds = make_datasets(X, y, opts.batch)
    model = build(norm)
    model.compile(optimizer="adam", loss="mean_squared_error", metrics=["mae"])
    model.fit(train_ds, validation_data=val_ds, epochs=opts.epochs, verbose=2)

    print(model.evaluate(val_ds, return_dict=True, verbose=0))
    sample = X[-3:]
    print("forecast:", model.predict(sample, verbose=0).ravel(), "actual:", y[-3:])
