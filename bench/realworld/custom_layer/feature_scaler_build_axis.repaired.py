# REFERENCE ONLY: hand-repaired copy of feature_scaler_build_axis.py (validates its .intended.json; never compared as text by the judge)
# repair: one scale per feature: input_shape[-1]
# A learnable per-feature scaling layer (like a diagonal Dense) in front of an MLP.
import numpy as np
from tensorflow import keras
from tensorflow.keras import layers


class FeatureScale(layers.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)

    def build(self, input_shape):
        n = input_shape[-1]
        self.gamma = self.add_weight(name="gamma", shape=(n,), initializer="ones")
        self.beta = self.add_weight(name="beta", shape=(n,), initializer="zeros")

    def call(self, x):
        return x * self.gamma + self.beta

    def get_config(self):
        return super().get_config()


def make_dataset(n=500, d=16, seed=4):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d)) * rng.uniform(0.1, 10, size=d)     # features on very different scales
    y = (X[:, 0] / 5 + X[:, 1] - X[:, 2] / 3 > 0).astype("int32")
    return X.astype("float32"), y


X, y = make_dataset()
model = keras.Sequential(name="scaled_mlp")
model.add(keras.Input(shape=(X.shape[1],)))
model.add(FeatureScale())
model.add(layers.Dense(32, activation="relu"))
model.add(layers.Dense(1, activation="sigmoid"))
model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
model.fit(X[:400], y[:400], epochs=4, batch_size=32, validation_data=(X[400:], y[400:]), verbose=2)
loss, acc = model.evaluate(X[400:], y[400:], verbose=0)
print(f"val acc {acc:.3f}")
