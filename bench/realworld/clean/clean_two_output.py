"""Two heads: a house's price (linear) and its energy class A-D (softmax), labels as a dict."""
import numpy as np
import tensorflow as tf
from tensorflow.keras import layers

rng = np.random.default_rng(21)
N = 420
X = rng.normal(size=(N, 8)).astype("float32")
price = (3 + X[:, 0] + 0.5 * X[:, 1] + rng.normal(0, 0.2, N)).astype("float32")
energy = np.digitize(X[:, 2], [-0.7, 0.0, 0.7])          # 0..3

inp = tf.keras.Input(shape=(8,))
h = layers.Dense(32, activation="relu")(inp)
price_out = layers.Dense(1, name="price")(h)
energy_out = layers.Dense(4, activation="softmax", name="energy")(h)
model = tf.keras.Model(inp, [price_out, energy_out])
model.compile(optimizer="adam",
              loss={"price": "mse", "energy": "sparse_categorical_crossentropy"},
              metrics={"price": ["mae"], "energy": ["accuracy"]})
model.fit(X[:360], {"price": price[:360], "energy": energy[:360]}, epochs=4, batch_size=32,
          validation_data=(X[360:], {"price": price[360:], "energy": energy[360:]}), verbose=2)
p, e = model.predict(X[360:363], verbose=0)
print(p.ravel(), e.argmax(-1))
