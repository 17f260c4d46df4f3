# Turn a 96-value spectrum into a 12x8 "image" and run a small CNN on it (binary target)
import numpy as np
import keras
from keras import layers

N_BINS = 96
rng = np.random.default_rng(30)
spectra = rng.random((400, N_BINS)).astype("float32")
target = (spectra[:, 10:20].mean(1) > spectra[:, 60:70].mean(1)).astype("float32")

def build():
    model = keras.Sequential(name="spectrum_cnn")
    model.add(keras.Input(shape=(N_BINS,)))
    model.add(layers.Reshape((12, 10, 1)))
    model.add(layers.Conv2D(8, 3, padding="same", activation="relu"))
    model.add(layers.MaxPooling2D())
    model.add(layers.Flatten())
    model.add(layers.Dense(16, activation="relu"))
    model.add(layers.Dense(1, activation="sigmoid"))
    return model

model = build()
model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
model.fit(spectra[:320], target[:320], epochs=3, batch_size=32, verbose=2)
print(model.evaluate(spectra[320:], target[320:], verbose=0))
