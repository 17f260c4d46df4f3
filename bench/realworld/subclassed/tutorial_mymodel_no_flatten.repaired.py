# REFERENCE ONLY: hand-repaired copy of tutorial_mymodel_no_flatten.py (validates its .intended.json; never compared as text by the judge)
# repair: Flatten between the conv and the Dense layers
# Adapted from the TensorFlow 2 quickstart for experts, but using compile/fit
# instead of the GradientTape loop. Synthetic 28x28 "digits".
import numpy as np
import tensorflow as tf

from tensorflow.keras.layers import Dense, Flatten, Conv2D
from tensorflow.keras import Model

rng = np.random.default_rng(1)
x_train = rng.random((600, 28, 28)).astype("float32")
y_train = rng.integers(0, 10, 600)
x_test = rng.random((100, 28, 28)).astype("float32")
y_test = rng.integers(0, 10, 100)
# the images start dark in the corner of their class so there is something to learn
for i, c in enumerate(y_train):
    x_train[i, c:c + 5, c:c + 5] += 1.0
for i, c in enumerate(y_test):
    x_test[i, c:c + 5, c:c + 5] += 1.0

# Add a channels dimension
x_train = x_train[..., tf.newaxis].astype("float32")
x_test = x_test[..., tf.newaxis].astype("float32")

train_ds = tf.data.Dataset.from_tensor_slices((x_train, y_train)).shuffle(10000).batch(32)
test_ds = tf.data.Dataset.from_tensor_slices((x_test, y_test)).batch(32)


class MyModel(Model):
    def __init__(self):
        super().__init__()
        self.conv1 = Conv2D(32, 3, activation='relu')
        self.flatten = Flatten()
        self.d1 = Dense(128, activation='relu')
        self.d2 = Dense(10)

    def call(self, x):
        x = self.conv1(x)
        x = self.flatten(x)
        x = self.d1(x)
        return self.d2(x)


# Create an instance of the model
model = MyModel()

loss_object = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True)
model.compile(optimizer='adam', loss=loss_object, metrics=['accuracy'])

EPOCHS = 2
model.fit(train_ds, epochs=EPOCHS, validation_data=test_ds)

test_loss, test_acc = model.evaluate(test_ds, verbose=2)
print('\nTest accuracy:', test_acc)
