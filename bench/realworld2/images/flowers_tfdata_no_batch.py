# flower classifier, 5 classes -- tf.data input pipeline
import argparse

import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

parser = argparse.ArgumentParser()
parser.add_argument("--img-size", type=int, default=48)
parser.add_argument("--batch-size", type=int, default=32)
parser.add_argument("--epochs", type=int, default=2)
args = parser.parse_args()

IMG = args.img_size
CLASS_NAMES = ["daisy", "dandelion", "roses", "sunflowers", "tulips"]
AUTOTUNE = tf.data.AUTOTUNE


def load_data(n=400, seed=7):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, len(CLASS_NAMES), size=n)
    images = rng.integers(0, 256, size=(n, IMG, IMG, 3)).astype("uint8")
    # make the classes a bit separable: tint the red channel by class
    images[..., 0] = np.clip(images[..., 0] // 2 + labels[:, None, None] * 25, 0, 255)
    return images, labels


def preprocess(image, label):
    image = tf.cast(image, tf.float32) / 255.0
    return image, label


def augment(image, label):
    image = tf.image.random_flip_left_right(image)
    return image, label


images, labels = load_data()
split = int(0.8 * len(images))

train_ds = tf.data.Dataset.from_tensor_slices((images[:split], labels[:split]))
train_ds = train_ds.shuffle(1000, seed=1).map(preprocess, num_parallel_calls=AUTOTUNE)
train_ds = train_ds.map(augment, num_parallel_calls=AUTOTUNE).prefetch(AUTOTUNE)

val_ds = tf.data.Dataset.from_tensor_slices((images[split:], labels[split:]))
val_ds = val_ds.map(preprocess).batch(args.batch_size).prefetch(AUTOTUNE)

model = keras.Sequential([
    keras.Input(shape=(IMG, IMG, 3)),
    layers.Conv2D(16, 3, padding="same", activation="relu"),
    layers.MaxPooling2D(),
    layers.Conv2D(32, 3, padding="same", activation="relu"),
    layers.MaxPooling2D(),
    layers.Flatten(),
    layers.Dense(64, activation="relu"),
    layers.Dense(len(CLASS_NAMES)),
])
model.compile(optimizer="adam",
              loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
              metrics=["accuracy"])
model.summary()

history = model.fit(train_ds, validation_data=val_ds, epochs=args.epochs)

loss, acc = model.evaluate(val_ds, verbose=0)
print(f"val accuracy: {acc:.3f}")
