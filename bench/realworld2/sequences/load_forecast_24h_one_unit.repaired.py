# Day-ahead electricity load forecast: use the last 48 hourly readings to predict the next 24 hours.
import numpy as np
import pandas as pd
import tensorflow as tf
from sklearn.preprocessing import MinMaxScaler

N_IN, N_OUT = 48, 24
EPOCHS = 3

# --- synthetic hourly load, saved like the utility's export ---
rng = np.random.default_rng(123)
idx = pd.date_range("2023-01-01", periods=24 * 120, freq="h")
hour = idx.hour.values
load = 500 + 120 * np.sin(2 * np.pi * (hour - 6) / 24) + 40 * (idx.dayofweek.values < 5) + rng.normal(0, 15, len(idx))
pd.DataFrame({"timestamp": idx, "load_mw": load.round(1)}).to_csv("hourly_load.csv", index=False)

df = pd.read_csv("hourly_load.csv", parse_dates=["timestamp"], index_col="timestamp")
scaler = MinMaxScaler()
series = scaler.fit_transform(df[["load_mw"]]).ravel()


def make_windows(values, n_in, n_out):
    X, y = [], []
    for i in range(len(values) - n_in - n_out + 1):
        X.append(values[i:i + n_in])
        y.append(values[i + n_in:i + n_in + n_out])
    return np.array(X)[..., None], np.array(y)


X, y = make_windows(series, N_IN, N_OUT)
n_train = int(len(X) * 0.8)
X_train, y_train, X_test, y_test = X[:n_train], y[:n_train], X[n_train:], y[n_train:]
print("X_train", X_train.shape, "y_train", y_train.shape)

model = tf.keras.models.Sequential([
    tf.keras.layers.Input(shape=(N_IN, 1)),
    tf.keras.layers.GRU(64),
    tf.keras.layers.Dense(32, activation="relu"),
    tf.keras.layers.Dense(N_OUT),
])
model.compile(optimizer="adam", loss="mse", metrics=["mae"])
model.fit(X_train, y_train, epochs=EPOCHS, batch_size=64, validation_split=0.1, verbose=2,
          callbacks=[tf.keras.callbacks.ReduceLROnPlateau(patience=1)])

pred = model.predict(X_test[-1:], verbose=0)
forecast = scaler.inverse_transform(pred.reshape(-1, 1)).ravel()
actual = scaler.inverse_transform(y_test[-1:].reshape(-1, 1)).ravel()
print("forecast:", forecast.round(0))
print("actual:  ", actual.round(0))
