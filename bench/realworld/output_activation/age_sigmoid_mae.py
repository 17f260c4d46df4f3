# Estimate a person's age (years) from 16 biomarker measurements.
# tf.data input pipeline + functional API.
import numpy as np
import keras
import tensorflow as tf

SEED = 2024
BATCH = 32
keras.utils.set_random_seed(SEED)

def synth_biomarkers(n=640):
    rng = np.random.default_rng(SEED)
    age = rng.uniform(18, 90, size=n)
    W = rng.normal(size=(1, 16))
    X = (age[:, None] - 50) / 20 * W + rng.normal(scale=0.7, size=(n, 16))
    return X.astype(np.float32), age.astype(np.float32)

def to_dataset(X, y, training):
    ds = tf.data.Dataset.from_tensor_slices((X, y))
    if training:
        ds = ds.shuffle(len(X), seed=SEED)
    return ds.batch(BATCH).prefetch(tf.data.AUTOTUNE)

X, ages = synth_biomarkers()
n_tr = int(len(X) * 0.75)
train_ds = to_dataset(X[:n_tr], ages[:n_tr], training=True)
test_ds = to_dataset(X[n_tr:], ages[n_tr:], training=False)

inp = keras.Input((16,))
h = keras.layers.Dense(64, activation="relu")(inp)
h = keras.layers.Dense(64, activation="relu")(h)
age_out = keras.layers.Dense(1, activation="sigmoid")(h)
model = keras.Model(inp, age_out)

model.compile(optimizer=keras.optimizers.Adam(3e-3), loss="mae")
model.fit(train_ds, epochs=5, verbose=2)

mae = model.evaluate(test_ds, verbose=0)
print(f"test MAE = {mae:.2f} years")
for batch_x, batch_y in test_ds.take(1):
    guess = model.predict(batch_x, verbose=0)[:5, 0]
    print("guess:", np.round(guess, 1), "true:", batch_y.numpy()[:5])
