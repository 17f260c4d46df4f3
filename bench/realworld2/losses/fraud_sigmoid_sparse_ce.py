"""Credit card fraud detector (tf.data + subclassed model)."""
import numpy as np
import tensorflow as tf
from tensorflow import keras

SEED = 17
BATCH = 128
np.random.seed(SEED)

# 28 PCA-like components + amount, ~30% fraud (oversampled)
n = 2000
X = np.random.randn(n, 29).astype("float32")
w = np.random.randn(29)
y = ((X @ w + np.random.randn(n) * 2) > 3.0).astype("int64")
print("fraud rate:", y.mean())

idx = np.random.permutation(n)
train_idx, val_idx = idx[:1600], idx[1600:]
train_ds = tf.data.Dataset.from_tensor_slices((X[train_idx], y[train_idx])).shuffle(1600, seed=SEED).batch(BATCH)
val_ds = tf.data.Dataset.from_tensor_slices((X[val_idx], y[val_idx])).batch(BATCH)


class FraudNet(keras.Model):
    def __init__(self, hidden=64, **kwargs):
        super().__init__(**kwargs)
        self.d1 = keras.layers.Dense(hidden, activation="relu")
        self.drop = keras.layers.Dropout(0.2)
        self.d2 = keras.layers.Dense(hidden // 2, activation="relu")
        self.out = keras.layers.Dense(1, activation="sigmoid")

    def call(self, x, training=False):
        x = self.d1(x)
        x = self.drop(x, training=training)
        return self.out(self.d2(x))


model = FraudNet()
model.compile(optimizer=keras.optimizers.Adam(1e-3),
              loss=keras.losses.SparseCategoricalCrossentropy(),
              metrics=["accuracy"])
model.fit(train_ds, validation_data=val_ds, epochs=2, verbose=2)

probs = model.predict(val_ds, verbose=0).ravel()
print("predicted frauds:", int((probs > 0.5).sum()), "actual:", int(y[val_idx].sum()))
