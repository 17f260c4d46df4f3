# REFERENCE ONLY: hand-repaired copy of review_gru_return_sequences.py (validates its .intended.json; never compared as text by the judge)
# repair: GRU returns its last state
# Binary sentiment (IMDB-style) with an Embedding + GRU, synthetic token ids.
import numpy as np
import tensorflow as tf
from tensorflow.keras import layers, models

max_features = 500
maxlen = 40
batch_size = 32

def load_reviews(n=500):
    rng = np.random.RandomState(13)
    y = rng.randint(0, 2, n)
    x = rng.randint(3, max_features, (n, maxlen))
    # positive reviews contain a few tokens from 450..499, negative from 400..449
    for i in range(n):
        x[i, rng.choice(maxlen, 6, replace=False)] = rng.randint(400 + 50 * y[i], 450 + 50 * y[i], 6)
    return x, y

(x, y) = load_reviews()
x_train, y_train, x_test, y_test = x[:400], y[:400], x[400:], y[400:]
print(len(x_train), 'train sequences')

model = models.Sequential()
model.add(layers.Embedding(max_features, 32))
model.add(layers.GRU(32, dropout=0.1))
model.add(layers.Dense(1, activation='sigmoid'))

model.compile(loss='binary_crossentropy', optimizer='adam', metrics=['accuracy'])
print('Train...')
model.fit(x_train, y_train, batch_size=batch_size, epochs=2, validation_data=(x_test, y_test))
score, acc = model.evaluate(x_test, y_test, batch_size=batch_size)
print('Test score:', score)
print('Test accuracy:', acc)
