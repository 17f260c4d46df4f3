# Insurance charges regression. Features are collected as separate arrays and
# stacked into a matrix.
import numpy as np
import tensorflow as tf

rng = np.random.default_rng(21)
n = 350
age = rng.uniform(18, 65, n)
bmi = rng.normal(28, 5, n)
children = rng.integers(0, 5, n)
smoker = rng.integers(0, 2, n)
region = rng.integers(0, 4, n)

charges = 2000 + 250 * age + 300 * (bmi - 25) + 500 * children + 20000 * smoker + rng.normal(0, 2000, n)

X = np.array([age, bmi, children, smoker, region], dtype="float32")
X = (X - X.mean(axis=1, keepdims=True)) / X.std(axis=1, keepdims=True)
y = (charges / 10000).astype("float32")

model = tf.keras.Sequential([
    tf.keras.layers.Dense(32, activation="relu"),
    tf.keras.layers.Dense(16, activation="relu"),
    tf.keras.layers.Dense(1),
])
model.compile(optimizer=tf.keras.optimizers.Adam(0.01), loss="mse", metrics=["mae"])
model.fit(X, y, epochs=10, batch_size=32, verbose=2)
print("MAE (10k$):", model.evaluate(X, y, verbose=0)[1])
