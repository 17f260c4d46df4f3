# Human activity recognition from accelerometer windows (x, y, z), 4 activities.
# Conv1D features + my own attention pooling over time.
import numpy as np
import tensorflow as tf
import keras
from keras import layers, ops

WINDOW = 64
ACTIVITIES = ["walking", "running", "sitting", "stairs"]
params = {"filters": 32, "kernel": 5, "epochs": 3, "batch": 32}


class AttentionPool(layers.Layer):
    """Softmax attention over the time steps, returns one vector per window."""

    def build(self, input_shape):
        self.w = self.add_weight(name="att_w", shape=(input_shape[-1], 1), initializer="glorot_uniform")
        super().build(input_shape)

    def call(self, x):
        scores = ops.matmul(x, self.w)                 # (batch, time, 1)
        alpha = ops.softmax(scores, axis=1)            # weights over time
        return ops.sum(x * alpha, axis=-1)


def load_windows(n=800, seed=1):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, len(ACTIVITIES), n)
    t = np.linspace(0, 4 * np.pi, WINDOW)
    freq = np.array([1.0, 2.5, 0.0, 1.5])[y]
    amp = np.array([1.0, 2.0, 0.05, 1.2])[y]
    X = amp[:, None, None] * np.sin(freq[:, None, None] * t[None, :, None] + rng.random((n, 1, 3)) * 6)
    X[y == 3, :, 2] += 0.8                             # stairs: vertical drift
    X += rng.normal(0, 0.2, X.shape)
    return X.astype("float32"), y


X, y = load_windows()
train_ds = tf.data.Dataset.from_tensor_slices((X[:640], y[:640])).shuffle(640, seed=0).batch(params["batch"])
val_ds = tf.data.Dataset.from_tensor_slices((X[640:], y[640:])).batch(params["batch"])

model = keras.Sequential([
    keras.Input(shape=(WINDOW, 3)),
    layers.Conv1D(params["filters"], params["kernel"], padding="same", activation="relu"),
    layers.Conv1D(params["filters"], params["kernel"], padding="same", activation="relu"),
    AttentionPool(),
    layers.Dense(32, activation="relu"),
    layers.Dense(len(ACTIVITIES), activation="softmax"),
])
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(train_ds, validation_data=val_ds, epochs=params["epochs"],
          callbacks=[keras.callbacks.EarlyStopping(patience=2)])
print(model.evaluate(val_ds, verbose=0))
