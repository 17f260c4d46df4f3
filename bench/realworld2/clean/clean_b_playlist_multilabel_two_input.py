# Track tagging: audio-feature sequence + track metadata -> mood tags (multi-label) and energy score (0..1)
import numpy as np
import pandas as pd
from tensorflow import keras
from tensorflow.keras import layers
from sklearn.preprocessing import MinMaxScaler

rng = np.random.default_rng(8)
N, STEPS, FEAT = 500, 20, 6
MOODS = ["happy", "sad", "calm", "energetic", "dark"]

# metadata csv ------------------------------------------------------------------
meta = pd.DataFrame({"tempo": rng.uniform(60, 180, N), "duration_s": rng.uniform(90, 420, N),
                     "explicit": rng.integers(0, 2, N), "year": rng.integers(1970, 2024, N)})
meta["energy_raw"] = meta.tempo * 0.8 + rng.normal(0, 10, N)      # arbitrary units
meta.to_csv("tracks.csv", index=False)
meta = pd.read_csv("tracks.csv")

seq = rng.normal(size=(N, STEPS, FEAT)).astype("float32")          # per-second audio features
tags = (rng.random((N, len(MOODS))) < 0.3).astype("float32")        # several moods per track
tags[:, 3] = (meta.tempo > 130).astype("float32")
seq[:, :, 0] += tags[:, :1] * 1.5

meta_X = MinMaxScaler().fit_transform(meta[["tempo", "duration_s", "explicit", "year"]])
energy = MinMaxScaler().fit_transform(meta[["energy_raw"]])         # scaled to [0, 1] on purpose

seq_in = keras.Input(shape=(STEPS, FEAT), name="audio")
meta_in = keras.Input(shape=(4,), name="meta")
a = layers.LSTM(32, return_sequences=True)(seq_in)
a = layers.LSTM(16)(a)
m = layers.Dense(16, activation="relu")(meta_in)
h = layers.concatenate([a, m])
h = layers.Dense(32, activation="relu")(h)
mood_out = layers.Dense(len(MOODS), activation="sigmoid", name="moods")(h)
energy_out = layers.Dense(1, activation="sigmoid", name="energy")(h)
model = keras.Model([seq_in, meta_in], [mood_out, energy_out])

model.compile(optimizer="adam",
              loss={"moods": "binary_crossentropy", "energy": "mse"},
              metrics={"moods": [keras.metrics.BinaryAccuracy(), keras.metrics.AUC(multi_label=True)],
                       "energy": ["mae"]})
model.fit({"audio": seq[:400], "meta": meta_X[:400]}, {"moods": tags[:400], "energy": energy[:400]},
          epochs=2, batch_size=32, verbose=2)

moods_p, energy_p = model.predict({"audio": seq[400:403], "meta": meta_X[400:403]}, verbose=0)
for row, e in zip(moods_p, energy_p[:, 0]):
    print([MOODS[i] for i in np.where(row > 0.5)[0]], "energy %.2f" % e)
