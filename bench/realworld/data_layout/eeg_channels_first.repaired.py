# REFERENCE ONLY: hand-repaired copy of eeg_channels_first.py (validates its .intended.json; never compared as text by the judge)
# repair: move the channel axis of the data last
"""EEG epoch classification (motor imagery left / right / rest).

The recordings come as (epochs, 1, electrodes, samples) = (n, 1, 20, 56),
i.e. channels-first, like the MNE / PyTorch code we ported this from.
"""
import numpy as np
import keras
from keras import layers

N_ELECTRODES, N_SAMPLES, N_CLASSES = 20, 56, 3


def load_epochs(n=300, seed=14):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, N_CLASSES, n)
    t = np.linspace(0, 1, N_SAMPLES)
    X = rng.normal(0, 1, (n, 1, N_ELECTRODES, N_SAMPLES))
    for i, c in enumerate(y):
        X[i, 0, 5 * c:5 * c + 5, :] += np.sin(2 * np.pi * (8 + 4 * c) * t)
    return X.astype("float32"), y


def eegnet_like(input_shape, n_classes):
    model = keras.Sequential([
        keras.Input(shape=input_shape),
        layers.Conv2D(8, (3, 3), padding="valid", activation="elu"),
        layers.BatchNormalization(),
        layers.MaxPooling2D((2, 2)),
        layers.Conv2D(16, (3, 3), activation="elu"),
        layers.GlobalAveragePooling2D(),
        layers.Dropout(0.25),
        layers.Dense(n_classes, activation="softmax"),
    ])
    return model


X, y = load_epochs()
X = np.transpose(X, (0, 2, 3, 1))     # channels-last for Keras
print("data:", X.shape)
model = eegnet_like(X.shape[1:], N_CLASSES)
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(X[:240], y[:240], epochs=3, batch_size=16, validation_data=(X[240:], y[240:]), verbose=2)
print("test acc:", model.evaluate(X[240:], y[240:], verbose=0)[1])
