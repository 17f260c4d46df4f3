# REFERENCE ONLY: hand-repaired copy of units_more_than_classes.py (validates its .intended.json; never compared as text by the judge)
# repair: 3 output units for 3 outcomes
# Seed germination outcome: 0 = failed, 1 = slow, 2 = normal. Started from a
# 10-class MNIST example and changed the data.
import numpy as np
import tensorflow as tf

tf.random.set_seed(0)
rng = np.random.RandomState(0)
X = rng.uniform(0, 1, (450, 5)).astype('float32')      # temperature, moisture, light, depth, age (scaled)
y = np.where(X[:, 1] < 0.2, 0, np.where(X[:, 0] < 0.4, 1, 2))

model = tf.keras.models.Sequential()
model.add(tf.keras.layers.Dense(64, activation='relu', input_shape=(5,)))
model.add(tf.keras.layers.Dense(64, activation='relu'))
model.add(tf.keras.layers.Dense(3, activation='softmax'))
model.compile(optimizer='adam', loss='sparse_categorical_crossentropy', metrics=['accuracy'])
model.fit(X[:360], y[:360], epochs=5, batch_size=32, validation_data=(X[360:], y[360:]), verbose=2)

probs = model.predict(X[360:365], verbose=0)
print("predicted outcome:", probs.argmax(axis=1), "true:", y[360:365])
