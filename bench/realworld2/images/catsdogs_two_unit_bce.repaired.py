import argparse
import csv

import numpy as np
import tensorflow as tf
from sklearn.preprocessing import LabelEncoder


def make_dataset(folder_csv, n=240, size=40, seed=0):
    """Write a labels.csv like the one that comes with the photos (id,label)."""
    rng = np.random.default_rng(seed)
    kinds = rng.choice(["cat", "dog"], size=n)
    with open(folder_csv, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "label"])
        for i, k in enumerate(kinds):
            w.writerow([f"img_{i:04d}.jpg", k])
    imgs = rng.random((n, size, size, 3), dtype=np.float32)
    imgs[kinds == "dog", :, :, 2] *= 0.5
    return imgs


def read_labels(folder_csv):
    with open(folder_csv) as f:
        rows = list(csv.DictReader(f))
    return [r["label"] for r in rows]


def build_model(size):
    model = tf.keras.Sequential([
        tf.keras.layers.Input(shape=(size, size, 3)),
        tf.keras.layers.Conv2D(32, (3, 3), activation="relu"),
        tf.keras.layers.MaxPooling2D(2, 2),
        tf.keras.layers.Conv2D(64, (3, 3), activation="relu"),
        tf.keras.layers.MaxPooling2D(2, 2),
        tf.keras.layers.Flatten(),
        tf.keras.layers.Dense(128, activation="relu"),
        tf.keras.layers.Dense(1, activation="sigmoid"),
    ])
    model.compile(loss="binary_crossentropy",
                  optimizer=tf.keras.optimizers.RMSprop(learning_rate=1e-4),
                  metrics=["accuracy"])
    return model


if __name__ == "__main__":
    p = argparse.ArgumentParser(description="cats vs dogs")
    p.add_argument("--csv", default="labels.csv")
    p.add_argument("--size", type=int, default=40)
    p.add_argument("--epochs", type=int, default=2)
    a = p.parse_args()

    images = make_dataset(a.csv, size=a.size)
    le = LabelEncoder()
    labels = le.fit_transform(read_labels(a.csv))
    print(le.classes_, np.bincount(labels))

    model = build_model(a.size)
    model.fit(images, labels, epochs=a.epochs, batch_size=20, validation_split=0.2)
    probs = model.predict(images[:4])
    print(probs)
