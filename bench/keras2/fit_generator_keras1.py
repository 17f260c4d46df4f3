import numpy as np
from keras.models import Sequential
from keras.layers import Dense, Dropout, Activation
from keras.optimizers import SGD


def batch_generator(X, y, batch_size):
    # endless stream of shuffled mini-batches
    n = X.shape[0]
    while True:
        idx = np.random.permutation(n)
        for i in range(0, n - batch_size + 1, batch_size):
            b = idx[i:i + batch_size]
            yield X[b], y[b]


np.random.seed(0)
X = np.random.randn(2500, 20)
y = (X[:, :3].sum(axis=1) > 0).astype(int) + (X[:, 3] > 1).astype(int)  # three classes: 0, 1, 2
X_train, y_train = X[:2000], y[:2000]
X_val, y_val = X[2000:], y[2000:]

model = Sequential()
model.add(Dense(64, input_dim=20, init='uniform'))
model.add(Activation('tanh'))
model.add(Dropout(0.5))
model.add(Dense(64, init='uniform'))
model.add(Activation('tanh'))
model.add(Dropout(0.5))
model.add(Dense(3, init='uniform'))
model.add(Activation('softmax'))

sgd = SGD(lr=0.1, decay=1e-6, momentum=0.9, nesterov=True)
model.compile(loss='categorical_crossentropy',
              optimizer=sgd,
              metrics=['accuracy'])

model.fit_generator(batch_generator(X_train, y_train, 32),
                    samples_per_epoch=len(X_train), nb_epoch=2,
                    validation_data=batch_generator(X_val, y_val, 32),
                    nb_val_samples=len(X_val))

score = model.evaluate_generator(batch_generator(X_val, y_val, 32), val_samples=len(X_val))
print('validation loss / accuracy:', score)
preds = model.predict_generator(batch_generator(X_val, y_val, 32), val_samples=len(X_val))
print(preds[:5].argmax(axis=-1))
