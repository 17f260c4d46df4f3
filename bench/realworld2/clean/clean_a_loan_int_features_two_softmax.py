# Loan default: integer-coded application features straight from pandas, 2-class softmax head
import numpy as np
import pandas as pd
import keras
from keras import layers
from sklearn.model_selection import train_test_split

rng = np.random.default_rng(12)
n = 1200
apps = pd.DataFrame({
    "age": rng.integers(21, 70, n),
    "income_k": rng.integers(15, 250, n),
    "loan_k": rng.integers(1, 60, n),
    "term_months": rng.choice([12, 24, 36, 60], n),
    "n_credit_lines": rng.integers(0, 15, n),
    "late_payments": rng.poisson(0.7, n),
})
score = 0.04 * apps.loan_k - 0.015 * apps.income_k + 0.8 * apps.late_payments - 0.02 * (apps.age - 40)
apps["defaulted"] = (score + rng.normal(0, 0.8, n) > 0.3)
apps.to_csv("loans.csv", index=False)

df = pd.read_csv("loans.csv")
print(df.dtypes.value_counts())
X = df.drop(columns="defaulted")                 # int64 columns
y = df["defaulted"].astype("int64")              # True/False -> 1/0
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=0, stratify=y)

norm = layers.Normalization()
norm.adapt(X_train.to_numpy("float32"))

model = keras.Sequential([
    keras.Input(shape=(X.shape[1],)),
    norm,
    layers.Dense(32, activation="relu"),
    layers.Dense(16, activation="relu"),
    layers.Dense(2, activation="softmax"),        # P(no default), P(default)
])
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(X_train, y_train, epochs=3, batch_size=32, validation_split=0.1, verbose=2)

print("test:", model.evaluate(X_test, y_test, verbose=0))
p_default = model.predict(X_test.head(5), verbose=0)[:, 1]
print(pd.DataFrame({"p_default": p_default.round(3), "actual": y_test.head(5).values}))
