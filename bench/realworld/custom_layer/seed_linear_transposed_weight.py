# Writing a custom Dense-like layer, following the "making new layers" guide.
# Regression on 8 synthetic features.
import numpy as np
import keras
from keras import layers, ops


class Linear(layers.Layer):
    """y = x.w + b"""

    def __init__(self, units=32, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        input_dim = input_shape[-1]
        self.w = self.add_weight(shape=(self.units, input_dim), initializer="random_normal", trainable=True)
        self.b = self.add_weight(shape=(self.units,), initializer="zeros", trainable=True)

    def call(self, inputs):
        return ops.matmul(inputs, self.w) + self.b


def load_data(n=400):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n, 8)).astype("float32")
    true_w = rng.normal(size=(8,))
    y = (X @ true_w + 0.1 * rng.normal(size=n)).astype("float32")
    return X, y


X, y = load_data()
model = keras.Sequential([
    keras.Input(shape=(8,)),
    Linear(32),
    layers.Activation("relu"),
    Linear(1),
])
model.compile(optimizer="adam", loss="mse")
model.fit(X, y, epochs=5, batch_size=32, verbose=2)
print("test predictions:", model.predict(X[:3], verbose=0).ravel(), "targets:", y[:3])
