# REFERENCE ONLY: hand-repaired copy of residual_mlp_more_units.py (validates its .intended.json; never compared as text by the judge)
# repair: 3 output units for 3 classes
"""Residual MLP (subclassed, with a custom block) for a 3-class tabular problem."""
import numpy as np
import tensorflow as tf

tf.keras.utils.set_random_seed(7)
NUM_FEATURES = 12


class ResidualBlock(tf.keras.layers.Layer):
    def __init__(self, units, **kw):
        super().__init__(**kw)
        self.dense_a = tf.keras.layers.Dense(units, activation="relu")
        self.dense_b = tf.keras.layers.Dense(units)
        self.norm = tf.keras.layers.LayerNormalization()

    def call(self, x):
        return self.norm(x + self.dense_b(self.dense_a(x)))


class ResMLP(tf.keras.Model):
    def __init__(self, width=32, depth=2, num_classes=3):
        super().__init__()
        self.stem = tf.keras.layers.Dense(width, activation="relu")
        self.blocks = [ResidualBlock(width) for _ in range(depth)]
        self.head = tf.keras.layers.Dense(num_classes, activation="softmax")

    def call(self, x):
        x = self.stem(x)
        for block in self.blocks:
            x = block(x)
        return self.head(x)


def get_data():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(540, NUM_FEATURES)).astype("float32")
    score = X[:, :3].sum(1) + 0.5 * X[:, 3]
    y = np.digitize(score, np.quantile(score, [1 / 3, 2 / 3]))     # classes 0, 1, 2
    return X, y


X, y = get_data()
print("class counts:", np.bincount(y))
model = ResMLP(width=32, depth=2)
model.compile(optimizer=tf.keras.optimizers.Adam(2e-3),
              loss=tf.keras.losses.SparseCategoricalCrossentropy(),
              metrics=[tf.keras.metrics.SparseCategoricalAccuracy(name="acc")])
cb = [tf.keras.callbacks.EarlyStopping(monitor="val_acc", mode="max", patience=3)]
model.fit(X[:450], y[:450], validation_split=0.2, epochs=6, batch_size=32, callbacks=cb, verbose=2)
print("held-out:", model.evaluate(X[450:], y[450:], return_dict=True, verbose=0))
print(model.predict(X[450:453], verbose=0).round(3))
