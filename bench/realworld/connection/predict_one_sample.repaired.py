# REFERENCE ONLY: hand-repaired copy of predict_one_sample.py (validates its .intended.json; never compared as text by the judge)
# repair: keep the batch axis for one sample
"""Energy consumption of a building (kWh) from 7 sensor readings.
Trains, then predicts for a single new reading."""
import numpy as np
from tensorflow import keras

rng = np.random.default_rng(100)
X = rng.normal(size=(400, 7)).astype("float32")
y = (30 + X @ rng.normal(size=7) * 5 + rng.normal(0, 1, 400)).astype("float32")

model = keras.Sequential([
    keras.layers.Input(shape=(7,)),
    keras.layers.Dense(32, activation="relu"),
    keras.layers.Dense(1),
])
model.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse")
model.fit(X[:350], y[:350], epochs=5, batch_size=32, verbose=2)

new_reading = X[360]                 # one building, 7 readings
print("new reading:", new_reading.shape)
kwh = model.predict(new_reading[np.newaxis, :])
print("predicted consumption: %.1f kWh (actual %.1f)" % (kwh[0][0], y[360]))
