"""Univariate forecasting with two stacked LSTMs (return_sequences set correctly)."""
import numpy as np
from tensorflow import keras
from tensorflow.keras import layers

LOOKBACK = 20
t = np.arange(700)
series = (np.sin(2 * np.pi * t / 50) + 0.1 * np.random.default_rng(0).normal(size=700)).astype("float32")

X = np.stack([series[i:i + LOOKBACK] for i in range(len(series) - LOOKBACK)])[..., None]
y = series[LOOKBACK:]

model = keras.Sequential([
    layers.Input(shape=(LOOKBACK, 1)),
    layers.LSTM(32, return_sequences=True),
    layers.LSTM(16),
    layers.Dense(1),
])
model.compile(optimizer="adam", loss="mse")
model.fit(X[:560], y[:560], validation_data=(X[560:], y[560:]), epochs=2, batch_size=32, verbose=2)
print("next value:", float(model.predict(X[-1:], verbose=0)[0, 0]), "actual:", float(y[-1]))
