# REFERENCE ONLY: hand-repaired copy of evaluate_other_width.py (validates its .intended.json; never compared as text by the judge)
# repair: drop the id column from the test export
# Credit default model. The training and test files come from different
# exports: the test export still has the customer id as first column.
import os
import tempfile

import numpy as np
import pandas as pd
import tensorflow as tf

FEATURES = ["income", "debt", "age", "late_payments", "credit_lines", "utilisation", "tenure", "loans"]


def export(path, n, seed, with_id):
    rng = np.random.default_rng(seed)
    df = pd.DataFrame(rng.normal(size=(n, len(FEATURES))), columns=FEATURES)
    df["default"] = ((df["debt"] - df["income"] + df["late_payments"]) > 0.5).astype(int)
    if with_id:
        df.insert(0, "customer_id", np.arange(100000, 100000 + n))
    df.to_csv(path, index=False)


tmp = tempfile.mkdtemp()
export(os.path.join(tmp, "train.csv"), 400, 1, with_id=False)
export(os.path.join(tmp, "test.csv"), 100, 2, with_id=True)

train = pd.read_csv(os.path.join(tmp, "train.csv"))
test = pd.read_csv(os.path.join(tmp, "test.csv"))

X_train = train.drop(columns="default").to_numpy(dtype="float32")
y_train = train["default"].to_numpy()
X_test = test.drop(columns=["default", "customer_id"]).to_numpy(dtype="float32")
y_test = test["default"].to_numpy()

model = tf.keras.Sequential([
    tf.keras.layers.Input(shape=(X_train.shape[1],)),
    tf.keras.layers.Dense(32, activation="relu"),
    tf.keras.layers.Dense(1, activation="sigmoid"),
])
model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy", tf.keras.metrics.AUC()])
model.fit(X_train, y_train, epochs=5, batch_size=32, verbose=2)
results = model.evaluate(X_test, y_test, verbose=0)
print("test loss / acc / auc:", results)
