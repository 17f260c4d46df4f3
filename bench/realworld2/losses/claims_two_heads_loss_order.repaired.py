"""Insurance: predict the claim amount (k$) and whether a claim is filed, from policy features.
Two heads, one shared trunk."""
import numpy as np
import pandas as pd
from tensorflow.keras import Input, Model
from tensorflow.keras.layers import Dense, Dropout
from tensorflow.keras.optimizers import Adam

PARAMS = {"hidden": 64, "dropout": 0.1, "lr": 1e-3, "epochs": 3, "batch_size": 32}


def load_data(n=1000, seed=21):
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({
        "age": rng.integers(18, 80, n),
        "bmi": rng.normal(28, 5, n),
        "children": rng.integers(0, 5, n),
        "smoker": rng.integers(0, 2, n),
        "prior_claims": rng.poisson(0.5, n),
    })
    risk = 0.03 * (df.age - 45) + 0.08 * (df.bmi - 28) + 1.2 * df.smoker + 0.6 * df.prior_claims
    df["filed"] = (risk + rng.normal(0, 0.7, n) > 0.5).astype(int)
    df["amount"] = np.where(df.filed == 1, 5 + 4 * np.exp(0.5 * risk) + rng.gamma(2, 1.5, n), 0.0).round(2)
    df.to_csv("claims.csv", index=False)
    df = pd.read_csv("claims.csv")
    X = df[["age", "bmi", "children", "smoker", "prior_claims"]].to_numpy(dtype="float32")
    X = (X - X.mean(0)) / X.std(0)
    return X, df["amount"].to_numpy("float32"), df["filed"].to_numpy("float32")


def build_model(n_features, p):
    inp = Input(shape=(n_features,))
    h = Dense(p["hidden"], activation="relu")(inp)
    h = Dropout(p["dropout"])(h)
    h = Dense(p["hidden"] // 2, activation="relu")(h)
    amount = Dense(1, name="amount")(h)
    filed = Dense(1, activation="sigmoid", name="filed")(h)
    return Model(inp, [amount, filed])


X, y_amount, y_filed = load_data()
model = build_model(X.shape[1], PARAMS)
model.compile(optimizer=Adam(PARAMS["lr"]),
              loss=["mse", "binary_crossentropy"],
              metrics=[["mae"], ["accuracy"]])
history = model.fit(X, [y_amount, y_filed], epochs=PARAMS["epochs"], batch_size=PARAMS["batch_size"],
                    validation_split=0.2, verbose=2)

amount_pred, filed_pred = model.predict(X[:5], verbose=0)
print("amount:", amount_pred.ravel().round(2), "true:", y_amount[:5])
print("filed: ", filed_pred.ravel().round(2), "true:", y_filed[:5])
