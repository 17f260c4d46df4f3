# Abalone age regression with tf.data, following the "load a pandas DataFrame" tutorial
import numpy as np
import pandas as pd
import tensorflow as tf
from tensorflow.keras import layers

BATCH_SIZE = 32
rng = np.random.default_rng(11)

n = 800
abalone = pd.DataFrame({
    "Length": rng.uniform(0.1, 0.8, n),
    "Diameter": rng.uniform(0.1, 0.6, n),
    "Height": rng.uniform(0.0, 0.25, n),
    "Whole weight": rng.uniform(0.0, 2.8, n),
    "Shucked weight": rng.uniform(0.0, 1.5, n),
    "Viscera weight": rng.uniform(0.0, 0.7, n),
    "Shell weight": rng.uniform(0.0, 1.0, n),
})
abalone["Age"] = (3 + 10 * abalone["Length"] + 8 * abalone["Shell weight"] + rng.normal(0, 1, n)).round(1)
abalone.to_csv("abalone_train.csv", index=False)

abalone_train = pd.read_csv("abalone_train.csv")
abalone_features = abalone_train.copy()
abalone_labels = abalone_features.pop("Age")

ds = tf.data.Dataset.from_tensor_slices((dict(abalone_features), abalone_labels))
ds = ds.shuffle(len(abalone_features), seed=1).batch(BATCH_SIZE)

for feature_batch, label_batch in ds.take(1):
    print("labels:", label_batch[:5].numpy())

abalone_model = tf.keras.Sequential([
    layers.Input(shape=(7,)),
    layers.Dense(64, activation="relu"),
    layers.Dense(1),
])
abalone_model.compile(loss=tf.keras.losses.MeanSquaredError(), optimizer=tf.keras.optimizers.Adam())
abalone_model.fit(ds, epochs=3, verbose=2)

print(abalone_model.predict(np.array(abalone_features[:3]), verbose=0))
