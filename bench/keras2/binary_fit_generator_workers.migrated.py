import numpy as np
from keras.models import Sequential
from keras.layers import Dense, Dropout, BatchNormalization
from keras.optimizers import Adam


def data_generator(X, y, batch_size=32):
    while True:
        for start in range(0, len(X), batch_size):
            end = min(start + batch_size, len(X))
            yield X[start:end], y[start:end]


# fraud detection on 30 anonymised features (synthetic)
np.random.seed(42)
X = np.random.randn(3000, 30).astype(np.float32)
y = (X[:, 0] * 1.5 + X[:, 1] - X[:, 2] > 1.0).astype(np.float32)
X_train, X_val = X[:2400], X[2400:]
y_train, y_val = y[:2400], y[2400:]
batch_size = 64

model = Sequential()
model.add(Dense(64, activation='relu', input_shape=(30,)))
model.add(BatchNormalization())
model.add(Dropout(0.3))
model.add(Dense(32, activation='relu'))
model.add(Dense(1, activation='sigmoid'))

model.compile(optimizer=Adam(learning_rate=1e-3), loss='binary_crossentropy', metrics=['accuracy'])

history = model.fit(data_generator(X_train, y_train, batch_size),
                    steps_per_epoch=int(np.ceil(len(X_train) / batch_size)),
                    epochs=3,
                    validation_data=data_generator(X_val, y_val, batch_size),
                    validation_steps=int(np.ceil(len(X_val) / batch_size)))

print(history.history['loss'])
