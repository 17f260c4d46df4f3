# Deep LSTM for energy-load forecasting: N stacked LSTM layers built in a loop.
import argparse
import numpy as np
import tensorflow as tf


def windows(series, lookback):
    X, y = [], []
    for i in range(len(series) - lookback):
        X.append(series[i:i + lookback])
        y.append(series[i + lookback, 0])
    return np.array(X, dtype="float32"), np.array(y, dtype="float32")


def make_load_series(n=600, seed=10):
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    load = 50 + 10 * np.sin(2 * np.pi * t / 24) + 5 * np.sin(2 * np.pi * t / 168) + rng.normal(0, 1, n)
    temp = 15 + 8 * np.sin(2 * np.pi * (t - 5) / 24) + rng.normal(0, 1, n)
    s = np.stack([load, temp], axis=1)
    return (s - s.mean(0)) / s.std(0)


def build_model(lookback, n_feat, n_layers, units):
    model = tf.keras.Sequential()
    model.add(tf.keras.layers.Input(shape=(lookback, n_feat)))
    for i in range(n_layers):
        model.add(tf.keras.layers.LSTM(units))
    model.add(tf.keras.layers.Dense(1))
    return model


parser = argparse.ArgumentParser()
parser.add_argument("--lookback", type=int, default=24)
parser.add_argument("--layers", type=int, default=3)
parser.add_argument("--units", type=int, default=16)
args = parser.parse_args()

series = make_load_series()
X, y = windows(series, args.lookback)
model = build_model(args.lookback, X.shape[2], args.layers, args.units)
model.compile(optimizer="adam", loss="mse")
model.fit(X[:450], y[:450], epochs=2, batch_size=32, validation_data=(X[450:], y[450:]), verbose=2)
print("next-hour forecast:", model.predict(X[-1:], verbose=0)[0, 0], "true:", y[-1])
