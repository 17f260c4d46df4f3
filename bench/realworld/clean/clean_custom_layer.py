# Custom dense layer done right: weight (input_dim, units), get_config for saving.
import os
import tempfile

import numpy as np
import keras
from keras import layers, ops


@keras.saving.register_keras_serializable(package="demo")
class MyDense(layers.Layer):
    def __init__(self, units, activation=None, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.activation = keras.activations.get(activation)

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units), initializer="glorot_uniform", name="kernel")
        self.bias = self.add_weight(shape=(self.units,), initializer="zeros", name="bias")

    def call(self, x):
        return self.activation(ops.matmul(x, self.kernel) + self.bias)

    def get_config(self):
        cfg = super().get_config()
        cfg.update(units=self.units, activation=keras.activations.serialize(self.activation))
        return cfg


rng = np.random.default_rng(2)
X = rng.normal(size=(400, 10)).astype("float32")
y = (X[:, 0] * X[:, 1] > 0).astype("float32")

model = keras.Sequential([keras.Input((10,)), MyDense(32, activation="relu"), MyDense(1, activation="sigmoid")])
model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
model.fit(X[:320], y[:320], epochs=4, batch_size=32, verbose=2)
path = os.path.join(tempfile.mkdtemp(), "mydense.keras")
model.save(path)
again = keras.models.load_model(path)
print("same predictions after reload:", np.allclose(model.predict(X[:4], verbose=0), again.predict(X[:4], verbose=0)))
