# Tabular ResNet for building energy use (kWh) -- residual MLP blocks
import numpy as np
import tensorflow as tf
from tensorflow.keras import Model
from tensorflow.keras.layers import Dense, Add, BatchNormalization, Activation, Input
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

config = {
    "n_features": 12,
    "width": 64,
    "n_blocks": 2,
    "epochs": 3,
    "batch_size": 32,
}


def make_csv(path="energy.csv", n=800):
    rng = np.random.default_rng(2024)
    X = rng.normal(size=(n, config["n_features"]))
    w = rng.normal(size=config["n_features"])
    y = 250 + 40 * X @ w / np.sqrt(config["n_features"]) + 15 * np.sin(X[:, 0] * 2) + rng.normal(0, 5, n)
    np.savetxt(path, np.column_stack([X, y]), delimiter=",", fmt="%.5f")
    return path


def res_block(x, units):
    shortcut = x
    h = Dense(units)(x)
    h = BatchNormalization()(h)
    h = Activation("relu")(h)
    h = Dense(units)(h)
    h = Add()([shortcut, h])
    return Activation("relu")(h)


def build_model(n_features):
    inp = Input(shape=(n_features,))
    x = inp
    for _ in range(config["n_blocks"]):
        x = res_block(x, config["width"])
    out = Dense(1)(x)
    return Model(inp, out)


data = np.loadtxt(make_csv(), delimiter=",")
X, y = data[:, :-1], data[:, -1]
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=42)
sc = StandardScaler().fit(X_train)
X_train, X_test = sc.transform(X_train), sc.transform(X_test)

model = build_model(X_train.shape[1])
model.compile(optimizer="adam", loss="mse", metrics=["mae"])
model.fit(X_train, y_train, epochs=config["epochs"], batch_size=config["batch_size"],
          validation_data=(X_test, y_test),
          callbacks=[tf.keras.callbacks.ReduceLROnPlateau(patience=1)])
print("test MAE:", model.evaluate(X_test, y_test, verbose=0)[1])
