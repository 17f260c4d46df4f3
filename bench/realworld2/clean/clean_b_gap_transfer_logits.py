"""Leaf disease (6 classes) from grayscale leaf scans: frozen conv base + GAP head, logits output."""
import argparse

import numpy as np
import tensorflow as tf
import keras
from keras import layers

p = argparse.ArgumentParser()
p.add_argument("--size", type=int, default=40)
p.add_argument("--classes", type=int, default=6)
p.add_argument("--epochs", type=int, default=2)
args = p.parse_args()


def load_scans(n=360, seed=17):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, args.classes, n)
    x = rng.random((n, args.size, args.size), dtype=np.float32) * 0.3
    for k in range(args.classes):
        x[y == k, k * 5:k * 5 + 8, :] += 0.6           # a "lesion band" per disease
    return x[..., np.newaxis], y                         # add the channel axis -> (n, H, W, 1)


def make_base(shape):
    inp = keras.Input(shape=shape)
    x = layers.Conv2D(16, 3, activation="relu", padding="same")(inp)
    x = layers.MaxPooling2D()(x)
    x = layers.Conv2D(32, 3, activation="relu", padding="same")(x)
    return keras.Model(inp, x, name="base")


x, y = load_scans()
train = tf.data.Dataset.from_tensor_slices((x[:300], y[:300])).shuffle(300, seed=1).batch(32)
test = tf.data.Dataset.from_tensor_slices((x[300:], y[300:])).batch(32)

base = make_base(x.shape[1:])
base.trainable = False          # pretend it is pretrained

inputs = keras.Input(shape=x.shape[1:])
h = base(inputs, training=False)
h = layers.GlobalAveragePooling2D()(h)
h = layers.Dropout(0.2)(h)
logits = layers.Dense(args.classes)(h)
model = keras.Model(inputs, logits)
model.compile(optimizer="adam",
              loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
              metrics=["accuracy"])
model.fit(train, validation_data=test, epochs=args.epochs)

one = np.expand_dims(x[305], 0)
probs = tf.nn.softmax(model.predict(one, verbose=0)).numpy()
print("class", probs.argmax(), "p=%.2f" % probs.max(), "true", y[305])
