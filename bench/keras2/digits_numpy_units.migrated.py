import numpy as np
import keras
from keras.models import Sequential
from keras.layers import Dense, Dropout

# 8x8 digit images flattened to 64 features (synthetic stand-in for sklearn's digits)
rng = np.random.RandomState(0)
y = rng.randint(0, 10, 1500)
x = rng.rand(1500, 64) * 4
x[np.arange(1500), y * 6] += 12
x_train, x_test = x[:1200], x[1200:]
y_train, y_test = y[:1200], y[1200:]

num_classes = int(y_train.max() + 1)
y_train_cat = keras.utils.to_categorical(y_train, num_classes)
y_test_cat = keras.utils.to_categorical(y_test, num_classes)

model = Sequential()
model.add(Dense(64, activation='relu', input_shape=(64,)))
model.add(Dropout(0.2))
model.add(Dense(num_classes, activation='softmax'))

model.compile(loss='categorical_crossentropy',
              optimizer=keras.optimizers.SGD(learning_rate=0.01, momentum=0.9),
              metrics=['accuracy'])
model.fit(x_train, y_train_cat, batch_size=32, epochs=5, validation_data=(x_test, y_test_cat))

proba = model.predict(x_test[:5])
print(proba.argmax(axis=1), y_test[:5])
