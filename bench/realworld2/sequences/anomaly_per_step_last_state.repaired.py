# Flag anomalous readings in a machine temperature trace: one 0/1 label per time step
import numpy as np
import tensorflow as tf

np.random.seed(42)
tf.random.set_seed(42)

TIMESTEPS = 50
N_SERIES = 600


def generate(n):
    X = np.cumsum(np.random.normal(0, 0.1, (n, TIMESTEPS)), axis=1)
    y = np.zeros((n, TIMESTEPS), dtype="float32")
    for i in range(n):
        k = np.random.randint(0, 4)                 # up to 3 spikes per series
        idx = np.random.choice(TIMESTEPS, k, replace=False)
        X[i, idx] += np.random.choice([-3, 3], k)
        y[i, idx] = 1.0
    return X[..., np.newaxis].astype("float32"), y


X, y = generate(N_SERIES)
print("X", X.shape, "y", y.shape, "anomaly rate", y.mean())
split = 500
X_train, y_train, X_val, y_val = X[:split], y[:split], X[split:], y[split:]

model = tf.keras.Sequential([
    tf.keras.layers.Input(shape=(TIMESTEPS, 1)),
    tf.keras.layers.Bidirectional(tf.keras.layers.GRU(32, return_sequences=True)),
    tf.keras.layers.Dense(16, activation="relu"),
    tf.keras.layers.Dense(1, activation="sigmoid"),
])
model.compile(optimizer="adam", loss="binary_crossentropy",
              metrics=[tf.keras.metrics.Precision(), tf.keras.metrics.Recall()])
model.fit(X_train, y_train, validation_data=(X_val, y_val), epochs=2, batch_size=32, verbose=2)

pred = model.predict(X_val[:1], verbose=0)
print("predicted shape:", pred.shape)
print("flagged steps:", np.where(pred[0].ravel() > 0.5)[0], "true:", np.where(y_val[0] > 0)[0])
