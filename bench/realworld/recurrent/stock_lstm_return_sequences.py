"""Predict the next closing price from the previous 30 days (open, high, low, close, volume)."""
import os
import tempfile

import numpy as np
import pandas as pd
from tensorflow import keras
from tensorflow.keras import layers

LOOKBACK = 30


def simulate_prices(path, days=500, seed=12):
    rng = np.random.default_rng(seed)
    close = 100 * np.exp(np.cumsum(rng.normal(0.0005, 0.015, days)))
    open_ = close * (1 + rng.normal(0, 0.005, days))
    high = np.maximum(open_, close) * (1 + np.abs(rng.normal(0, 0.01, days)))
    low = np.minimum(open_, close) * (1 - np.abs(rng.normal(0, 0.01, days)))
    vol = rng.integers(1_000_000, 5_000_000, days)
    pd.DataFrame({"open": open_, "high": high, "low": low, "close": close, "volume": vol}).to_csv(path, index_label="day")


def make_windows(df, lookback=LOOKBACK):
    values = df[["open", "high", "low", "close", "volume"]].values.astype("float32")
    mean, std = values.mean(0), values.std(0)
    values = (values - mean) / std
    X = np.array([values[i:i + lookback] for i in range(len(values) - lookback)])
    y = values[lookback:, 3]            # next day's (normalised) close
    return X, y


path = os.path.join(tempfile.gettempdir(), "prices.csv")
simulate_prices(path)
df = pd.read_csv(path, index_col="day")
X, y = make_windows(df)
print(X.shape, y.shape)

split = int(len(X) * 0.8)
model = keras.Sequential([
    layers.Input(shape=(LOOKBACK, 5)),
    layers.LSTM(64, return_sequences=True),
    layers.Dropout(0.2),
    layers.LSTM(32, return_sequences=True),
    layers.Dense(1),
])
model.compile(optimizer="adam", loss="mean_squared_error")
model.fit(X[:split], y[:split], epochs=3, batch_size=32, validation_data=(X[split:], y[split:]), verbose=2)

pred = model.predict(X[split:split + 5], verbose=0)
print("prediction shape:", pred.shape)
print("next close (normalised):", np.ravel(pred)[:5], "actual:", y[split:split + 5])
