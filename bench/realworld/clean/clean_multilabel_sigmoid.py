"""Multi-label: which amenities appear in a hotel description (sigmoid + binary CE)."""
import numpy as np
from tensorflow import keras
from tensorflow.keras import layers

AMENITIES = ["pool", "wifi", "parking", "gym", "spa"]
rng = np.random.default_rng(12)
n, vocab = 500, 150
Y = (rng.random((n, len(AMENITIES))) < 0.35).astype("float32")
W = rng.normal(size=(len(AMENITIES), vocab))
X = np.maximum(0, Y @ W + rng.normal(0, 1, (n, vocab))).astype("float32")

model = keras.Sequential([
    layers.Input(shape=(vocab,)),
    layers.Dense(64, activation="relu"),
    layers.Dropout(0.2),
    layers.Dense(len(AMENITIES), activation="sigmoid"),
])
model.compile(optimizer="adam", loss="binary_crossentropy",
              metrics=[keras.metrics.BinaryAccuracy(), keras.metrics.AUC(multi_label=True)])
model.fit(X[:400], Y[:400], validation_data=(X[400:], Y[400:]), epochs=4, batch_size=32, verbose=2)
pred = model.predict(X[400:403], verbose=0) > 0.5
for p in pred:
    print([a for a, v in zip(AMENITIES, p) if v])
