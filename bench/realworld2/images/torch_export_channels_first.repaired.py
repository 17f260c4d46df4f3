# Re-doing my PyTorch CIFAR-style exercise in Keras.
# The tensors were dumped from the torch DataLoader with np.save, so they come back (N, C, H, W).
import numpy as np
import keras
from keras import layers

CFG = dict(n_train=320, n_val=80, num_classes=4, batch_size=32, epochs=3, seed=123)


def dump_torch_like_batches(path="cifar_subset.npz"):
    rng = np.random.default_rng(CFG["seed"])
    n = CFG["n_train"] + CFG["n_val"]
    y = rng.integers(0, CFG["num_classes"], size=n)
    x = rng.normal(0.0, 1.0, size=(n, 3, 32, 32)).astype("float32")   # torch layout: N, C, H, W
    for c in range(CFG["num_classes"]):
        # each class = a bright square in its own quadrant of the red channel
        r, q = divmod(c, 2)
        x[y == c, 0, r * 16:(r + 1) * 16, q * 16:(q + 1) * 16] += 1.0
    np.savez(path, x=x, y=y)
    return path


def load_data(path):
    d = np.load(path)
    x, y = d["x"], d["y"]
    x = np.transpose(x, (0, 2, 3, 1))   # N, C, H, W -> N, H, W, C for Keras
    k = CFG["n_train"]
    return (x[:k], y[:k]), (x[k:], y[k:])


def build_model(input_shape, num_classes):
    inputs = keras.Input(shape=input_shape)
    x = layers.Conv2D(32, 3, padding="same", activation="relu")(inputs)
    x = layers.MaxPooling2D(2)(x)
    x = layers.Conv2D(64, 3, padding="same", activation="relu")(x)
    x = layers.Flatten()(x)
    outputs = layers.Dense(num_classes, activation="softmax")(x)
    return keras.Model(inputs, outputs, name="small_cnn")


def main():
    (x_train, y_train), (x_val, y_val) = load_data(dump_torch_like_batches())
    print("x_train", x_train.shape, "y_train", y_train.shape)
    model = build_model(x_train.shape[1:], CFG["num_classes"])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x_train, y_train, validation_data=(x_val, y_val),
              batch_size=CFG["batch_size"], epochs=CFG["epochs"], verbose=2)
    loss, acc = model.evaluate(x_val, y_val, verbose=0)
    print(f"val acc {acc:.3f}")
    print("first predictions:", model.predict(x_val[:5], verbose=0).argmax(axis=1), "true:", y_val[:5])


if __name__ == "__main__":
    main()
