# Human activity recognition from wearable IMU windows with a simple RNN (Keras 1.x)
import numpy as np
from keras.models import Sequential
from keras.layers import Input, Dense, Activation
from keras.layers import SimpleRNN
from keras.utils import to_categorical

np.random.seed(21)
# windows of 20 time steps x 6 channels (3-axis accelerometer + 3-axis gyroscope), 5 activities
nb_classes = 5
timesteps = 20
y = np.random.randint(0, nb_classes, 1200)
X = np.random.randn(1200, timesteps, 6) * 0.5
X[:, :, 0] += y[:, None] * 0.4
X[:, :, 4] -= y[:, None] * 0.2
Y = to_categorical(y, nb_classes)
X_train, Y_train = X[:1000], Y[:1000]
X_test, Y_test = X[1000:], Y[1000:]

model = Sequential()
model.add(Input(shape=(timesteps, 6)))
model.add(SimpleRNN(32, kernel_initializer='glorot_uniform', recurrent_initializer='orthogonal',
                    activation='tanh'))
model.add(Dense(nb_classes))
model.add(Activation('softmax'))

model.compile(loss='categorical_crossentropy', optimizer='rmsprop', metrics=['accuracy'])
model.fit(X_train, Y_train, batch_size=32, epochs=2, validation_data=(X_test, Y_test))
print(np.argmax(model.predict(X_test[:10]), axis=-1))
