# REFERENCE ONLY: hand-repaired copy of stacked_lstm_activity.py (validates its .intended.json; never compared as text by the judge)
# repair: return_sequences=True on the first LSTM
# Human activity recognition from accelerometer windows (6 activities)
# two stacked LSTM layers
import numpy as np
from keras.models import Sequential
from keras.layers import LSTM, Dense, Dropout, Input

ACTIVITIES = ['walking', 'upstairs', 'downstairs', 'sitting', 'standing', 'laying']
TIMESTEPS, CHANNELS = 50, 3

def load_windows(n=420, seed=6):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, len(ACTIVITIES), n)
    t = np.linspace(0, 2 * np.pi, TIMESTEPS)
    X = np.empty((n, TIMESTEPS, CHANNELS), dtype='float32')
    for i, a in enumerate(y):
        freq = 1 + a
        X[i] = np.stack([np.sin(freq * t), np.cos(freq * t), np.full_like(t, a / 5)], axis=1)
    X += rng.normal(0, 0.3, X.shape).astype('float32')
    return X, y

X, y = load_windows()
X_train, y_train, X_test, y_test = X[:350], y[:350], X[350:], y[350:]

model = Sequential([
    Input(shape=(TIMESTEPS, CHANNELS)),
    LSTM(64, return_sequences=True),
    Dropout(0.3),
    LSTM(32),
    Dense(len(ACTIVITIES), activation='softmax'),
])
model.compile(loss='sparse_categorical_crossentropy', optimizer='adam', metrics=['accuracy'])
model.fit(X_train, y_train, epochs=3, batch_size=32, validation_split=0.1, verbose=2)
_, accuracy = model.evaluate(X_test, y_test, verbose=0)
print('accuracy: %.3f' % accuracy)
