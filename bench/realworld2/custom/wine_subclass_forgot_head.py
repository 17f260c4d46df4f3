# wine quality regression, subclassed model (course lab 4)
import numpy as np
import pandas as pd
import tensorflow as tf
from tensorflow import keras
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

np.random.seed(1)
tf.random.set_seed(1)

# build the csv -------------------------------------------------------------
N = 1000
cols = ["fixed_acidity", "volatile_acidity", "citric_acid", "residual_sugar", "chlorides",
        "free_so2", "total_so2", "density", "pH", "sulphates", "alcohol"]
raw = np.random.rand(N, len(cols))
quality = np.clip(np.round(3 + 4 * raw[:, 10] - 2 * raw[:, 1] + np.random.normal(0, 0.5, N)), 3, 8)
pd.DataFrame(np.c_[raw, quality], columns=cols + ["quality"]).to_csv("winequality.csv", index=False)

df = pd.read_csv("winequality.csv")
X = df[cols].values
y = df[["quality"]].values          # (N, 1)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=7)
scaler = StandardScaler()
X_train = scaler.fit_transform(X_train)
X_test = scaler.transform(X_test)


class WineNet(keras.Model):
    def __init__(self, hidden=64):
        super().__init__()
        self.fc1 = keras.layers.Dense(hidden, activation="relu")
        self.drop = keras.layers.Dropout(0.1)
        self.fc2 = keras.layers.Dense(hidden // 2, activation="relu")
        self.out = keras.layers.Dense(1)

    def call(self, x, training=False):
        x = self.fc1(x)
        x = self.drop(x, training=training)
        x = self.fc2(x)
        return x


model = WineNet()
model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.005), loss="mse", metrics=["mae"])
hist = model.fit(X_train, y_train, epochs=3, batch_size=32, validation_split=0.1, verbose=0)
print("last epoch:", {k: round(v[-1], 3) for k, v in hist.history.items()})

mse, mae = model.evaluate(X_test, y_test, verbose=0)
print(f"test MAE {mae:.3f}")
preds = model.predict(X_test[:3], verbose=0)
print("predicted quality:", preds[:, 0], "true:", y_test[:3, 0])
