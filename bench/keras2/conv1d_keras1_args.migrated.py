# 1D convnet on multichannel sensor recordings (Keras 1.x)
import numpy as np
from keras.models import Sequential
from keras.layers import Dense, Dropout, Flatten
from keras.layers import Conv1D, MaxPooling1D

np.random.seed(3)
# 100 time steps of 8 sensor channels per recording, label 1 = machine fault
nb_samples, steps, channels = 1000, 100, 8
X = np.random.randn(nb_samples, steps, channels)
y = (X[:, :50, 0].mean(axis=1) > 0).astype('int32')
X_train, y_train = X[:800], y[:800]
X_test, y_test = X[800:], y[800:]

model = Sequential()
model.add(Conv1D(filters=64, kernel_size=3, padding='same',
                 activation='relu', input_shape=(steps, channels)))
model.add(MaxPooling1D(pool_size=2))
model.add(Conv1D(filters=32, kernel_size=3, padding='same',
                 activation='relu'))
model.add(MaxPooling1D(pool_size=2))
model.add(Dropout(0.25))
model.add(Flatten())
model.add(Dense(1, activation='sigmoid'))

model.compile(loss='binary_crossentropy', optimizer='adam', metrics=['accuracy'])
model.fit(X_train, y_train, batch_size=32, epochs=2,
          validation_data=(X_test, y_test))
loss, acc = model.evaluate(X_test, y_test, verbose=0)
print('Test accuracy:', acc)
