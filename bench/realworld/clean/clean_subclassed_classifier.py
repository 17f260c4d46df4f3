# Subclassed CNN in the TF tutorial style, done right (Flatten before the Dense head).
import numpy as np
import tensorflow as tf
from tensorflow.keras import Model
from tensorflow.keras.layers import Conv2D, Dense, Flatten, MaxPooling2D

rng = np.random.default_rng(0)
x = rng.random((400, 28, 28, 1)).astype("float32")
y = rng.integers(0, 10, 400)
for i, c in enumerate(y):
    x[i, 2 * c:2 * c + 4, 2 * c:2 * c + 4, 0] += 1.0

train_ds = tf.data.Dataset.from_tensor_slices((x[:320], y[:320])).shuffle(320, seed=1).batch(32)
test_ds = tf.data.Dataset.from_tensor_slices((x[320:], y[320:])).batch(32)


class MyModel(Model):
    def __init__(self, num_classes=10):
        super().__init__()
        self.conv1 = Conv2D(16, 3, activation="relu")
        self.pool = MaxPooling2D()
        self.flatten = Flatten()
        self.d1 = Dense(64, activation="relu")
        self.d2 = Dense(num_classes)

    def call(self, x):
        x = self.conv1(x)
        x = self.pool(x)
        x = self.flatten(x)
        x = self.d1(x)
        return self.d2(x)


model = MyModel()
model.compile(optimizer="adam",
              loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
              metrics=["accuracy"])
model.fit(train_ds, epochs=2, validation_data=test_ds, verbose=2)
loss, acc = model.evaluate(test_ds, verbose=0)
print("test accuracy:", acc)
