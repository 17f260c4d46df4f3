# Predict a machine's utilisation fraction. Targets are min-max scaled to [0, 1]
# on purpose, so a sigmoid output is the right choice; we invert the scaling afterwards.
import numpy as np
import keras

rng = np.random.default_rng(44)
X = rng.normal(size=(500, 6)).astype("float32")
minutes_busy = np.clip(600 + 200 * np.tanh(X[:, 0] + X[:, 1]) + rng.normal(0, 30, 500), 0, 1440)

y_min, y_max = minutes_busy.min(), minutes_busy.max()
y_scaled = ((minutes_busy - y_min) / (y_max - y_min)).astype("float32")

inp = keras.Input(shape=(6,))
h = keras.layers.Dense(32, activation="relu")(inp)
h = keras.layers.Dense(16, activation="relu")(h)
out = keras.layers.Dense(1, activation="sigmoid")(h)
model = keras.Model(inp, out)
model.compile(optimizer="adam", loss="mse", metrics=["mae"])
model.fit(X[:400], y_scaled[:400], epochs=5, batch_size=32, validation_split=0.1, verbose=2)

pred = model.predict(X[400:405], verbose=0).ravel() * (y_max - y_min) + y_min
print("predicted busy minutes:", pred.round(), "actual:", minutes_busy[400:405].round())
