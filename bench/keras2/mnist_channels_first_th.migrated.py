# Keras tutorial: the Ultimate Beginner's Guide to Deep Learning in Python (Theano dim ordering)
import numpy as np
np.random.seed(123)  # for reproducibility

from keras.models import Sequential
from keras.layers import Dense, Dropout, Activation, Flatten
from keras.layers import Conv2D, MaxPooling2D
from keras.utils import to_categorical

# synthetic stand-in for mnist.load_data()
y_train = np.random.randint(0, 10, 600)
X_train = np.random.randint(0, 128, (600, 28, 28))
X_train[np.arange(600), 14, y_train * 2 + 4] = 255
y_test = np.random.randint(0, 10, 100)
X_test = np.random.randint(0, 128, (100, 28, 28))
X_test[np.arange(100), 14, y_test * 2 + 4] = 255

# (samples, depth, rows, cols): Theano image ordering
X_train = X_train.reshape(X_train.shape[0], 1, 28, 28)
X_test = X_test.reshape(X_test.shape[0], 1, 28, 28)
X_train = X_train.astype('float32')
X_test = X_test.astype('float32')
X_train /= 255
X_test /= 255

Y_train = to_categorical(y_train, 10)
Y_test = to_categorical(y_test, 10)

model = Sequential()
model.add(Conv2D(32, (3, 3), activation='relu', input_shape=(1, 28, 28), data_format='channels_first'))
model.add(Conv2D(32, (3, 3), activation='relu', data_format='channels_first'))
model.add(MaxPooling2D(pool_size=(2, 2), data_format='channels_first'))
model.add(Dropout(0.25))

model.add(Flatten())
model.add(Dense(128, activation='relu'))
model.add(Dropout(0.5))
model.add(Dense(10, activation='softmax'))

model.compile(loss='categorical_crossentropy',
              optimizer='adam',
              metrics=['accuracy'])

model.fit(X_train, Y_train,
          batch_size=32, epochs=1, verbose=1)

score = model.evaluate(X_test, Y_test, verbose=0)
print(score)
print(np.argmax(model.predict(X_test[:10]), axis=-1))
