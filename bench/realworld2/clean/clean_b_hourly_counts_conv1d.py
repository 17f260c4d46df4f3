import numpy as np
import pandas as pd
import keras
from keras.models import Sequential
from keras.layers import Input, Conv1D, MaxPooling1D, GlobalMaxPooling1D, Dense
from sklearn.model_selection import train_test_split

# 24 hourly footfall counts per store-day -> was there a promotion that day?
rng = np.random.default_rng(31)
n = 700
base = rng.poisson(20, size=(n, 24))
promo = rng.random(n) < 0.4
base[promo, 10:14] += rng.poisson(15, size=(promo.sum(), 4))
pd.DataFrame(base, columns=[f"h{i:02d}" for i in range(24)]).assign(promo=promo).to_csv("footfall.csv", index=False)

df = pd.read_csv("footfall.csv")
counts = df.filter(like="h").to_numpy()          # int64 counts, left as integers
labels = df["promo"].to_numpy()                   # bool column
print(counts.dtype, labels.dtype)

X = counts.reshape(-1, 24, 1)                     # (days, hours, 1 feature)
X_tr, X_te, y_tr, y_te = train_test_split(X, labels, test_size=0.2, random_state=0, stratify=labels)

model = Sequential([
    Input(shape=(24, 1)),
    Conv1D(16, 3, activation="relu"),
    MaxPooling1D(2),
    Conv1D(32, 3, activation="relu"),
    GlobalMaxPooling1D(),
    Dense(1),                                     # logit
])
model.compile(optimizer="adam", loss=keras.losses.BinaryCrossentropy(from_logits=True),
              metrics=[keras.metrics.BinaryAccuracy(threshold=0.0)])
model.fit(X_tr, y_tr, epochs=3, batch_size=32, validation_split=0.1, verbose=2)
print("test:", model.evaluate(X_te, y_te, verbose=0))
print("logits:", model.predict(X_te[:4], verbose=0).ravel(), y_te[:4])
