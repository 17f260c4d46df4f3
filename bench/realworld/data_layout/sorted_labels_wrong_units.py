# Fault classification for a gearbox: 4 fault types, recordings were exported
# one fault type after the other, so the arrays are sorted by class.
import numpy as np
from tensorflow import keras
from tensorflow.keras import layers

FAULTS = ["healthy", "chipped_tooth", "missing_tooth", "worn_bearing"]
PER_CLASS = 120
N_FEATURES = 9


def load_recordings(seed=77):
    rng = np.random.default_rng(seed)
    blocks_x, blocks_y = [], []
    for k, _ in enumerate(FAULTS):          # exported one fault after the other
        centre = rng.normal(0, 2, N_FEATURES)
        blocks_x.append(centre + rng.normal(0, 1, (PER_CLASS, N_FEATURES)))
        blocks_y.append(np.full(PER_CLASS, k))
    return np.vstack(blocks_x).astype("float32"), np.concatenate(blocks_y)


X, y = load_recordings()
print("first labels:", y[:10], "...")

model = keras.Sequential()
model.add(layers.Input(shape=(N_FEATURES,)))
model.add(layers.Dense(32, activation="relu"))
model.add(layers.Dense(32, activation="relu"))
model.add(layers.Dense(3, activation="softmax"))
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])

model.fit(X, y, epochs=4, batch_size=32, validation_split=0.2, verbose=2)
probs = model.predict(X[::PER_CLASS], verbose=0)
print("predicted fault per class block:", [FAULTS[i] for i in probs.argmax(1)])
