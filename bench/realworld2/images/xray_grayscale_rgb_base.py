"""Pneumonia yes/no on chest x-rays -- frozen conv base + small head.

Base is a small conv stack for now (will swap in a keras.applications model later).
"""
import numpy as np
import keras
from keras import layers
from sklearn.model_selection import train_test_split

IMG_SIZE = 64
CONFIG = {"batch_size": 16, "epochs": 2, "lr": 1e-3, "dropout": 0.3}


def load_images(n=300, seed=42):
    # stand-in for reading the grayscale PNGs: (n, 64, 64, 1) in [0, 1]
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, size=n)
    x = rng.normal(0.5, 0.15, size=(n, IMG_SIZE, IMG_SIZE, 1))
    x[y == 1, 20:44, 20:44, :] += 0.25      # "opacity" in the lungs
    return np.clip(x, 0, 1).astype("float32"), y


def conv_base(input_shape=(IMG_SIZE, IMG_SIZE, 3)):
    inp = keras.Input(shape=input_shape)
    x = inp
    for f in (16, 32, 64):
        x = layers.Conv2D(f, 3, padding="same", activation="relu")(x)
        x = layers.MaxPooling2D()(x)
    return keras.Model(inp, x, name="conv_base")


def build_model():
    base_model = conv_base()
    base_model.trainable = False
    inputs = keras.Input(shape=(IMG_SIZE, IMG_SIZE, 3))
    x = base_model(inputs, training=False)
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dropout(CONFIG["dropout"])(x)
    outputs = layers.Dense(1, activation="sigmoid")(x)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=CONFIG["lr"]),
                  loss="binary_crossentropy", metrics=["accuracy", keras.metrics.AUC(name="auc")])
    return model


X, y = load_images()
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=0, stratify=y)
print("train:", X_train.shape, "test:", X_test.shape)

model = build_model()
model.fit(X_train, y_train, batch_size=CONFIG["batch_size"], epochs=CONFIG["epochs"],
          validation_split=0.1)
results = model.evaluate(X_test, y_test, verbose=0)
print(dict(zip(model.metrics_names, results)))
