# REFERENCE ONLY: hand-repaired copy of classic_missing_flatten.py (validates its .intended.json; never compared as text by the judge)
# repair: Flatten after the conv/pool block
# Classic CNN for 32x32 traffic-sign crops, 5 sign types, one-hot labels
import numpy as np
from tensorflow import keras
from tensorflow.keras.models import Sequential
from tensorflow.keras.layers import Conv2D, MaxPooling2D, Dense, Dropout, Flatten

num_classes = 5
img_rows, img_cols = 32, 32

def load_signs(n=350):
    rng = np.random.RandomState(42)
    y = rng.randint(0, num_classes, n)
    x = rng.rand(n, img_rows, img_cols, 3).astype('float32') * 0.3
    for i, c in enumerate(y):
        x[i, 4 + 5 * c:9 + 5 * c, 4:28, c % 3] += 0.7
    return x, y

x, y = load_signs()
y = keras.utils.to_categorical(y, num_classes)
x_train, y_train, x_test, y_test = x[:300], y[:300], x[300:], y[300:]

model = Sequential()
model.add(Conv2D(16, kernel_size=(3, 3), activation='relu', input_shape=(img_rows, img_cols, 3)))
model.add(Conv2D(32, (3, 3), activation='relu'))
model.add(MaxPooling2D(pool_size=(2, 2)))
model.add(Dropout(0.25))
model.add(Flatten())
model.add(Dense(64, activation='relu'))
model.add(Dropout(0.5))
model.add(Dense(num_classes, activation='softmax'))

model.compile(loss=keras.losses.categorical_crossentropy, optimizer=keras.optimizers.Adadelta(learning_rate=1.0),
              metrics=['accuracy'])
model.fit(x_train, y_train, batch_size=32, epochs=2, verbose=1, validation_data=(x_test, y_test))
score = model.evaluate(x_test, y_test, verbose=0)
print('Test loss:', score[0])
print('Test accuracy:', score[1])
