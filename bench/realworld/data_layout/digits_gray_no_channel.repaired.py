# REFERENCE ONLY: hand-repaired copy of digits_gray_no_channel.py (validates its .intended.json; never compared as text by the judge)
# repair: add the channel axis to the images
# Handwritten-digit style CNN on grayscale 28x28 images stored as (n, 28, 28)
import numpy as np
import tensorflow as tf
from tensorflow.keras import layers

def load_digits(n=500):
    rng = np.random.default_rng(99)
    labels = rng.integers(0, 10, n)
    imgs = rng.random((n, 28, 28)) * 0.2
    for i, d in enumerate(labels):
        imgs[i, 2 + 2 * d:6 + 2 * d, 4:24] = 1.0
    return (imgs * 255).astype("uint8"), labels

images, labels = load_digits()
images = images / 255.0
images = images[..., np.newaxis]
x_train, x_val = images[:420], images[420:]
y_train, y_val = labels[:420], labels[420:]
print("x_train shape:", x_train.shape)

model = tf.keras.Sequential([
    layers.Conv2D(32, kernel_size=(3, 3), activation="relu"),
    layers.MaxPooling2D(pool_size=(2, 2)),
    layers.Conv2D(64, kernel_size=(3, 3), activation="relu"),
    layers.MaxPooling2D(pool_size=(2, 2)),
    layers.Flatten(),
    layers.Dropout(0.5),
    layers.Dense(10, activation="softmax"),
])
model.compile(loss="sparse_categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
model.fit(x_train, y_train, batch_size=64, epochs=3, validation_data=(x_val, y_val))
print(model.evaluate(x_val, y_val, verbose=0))
