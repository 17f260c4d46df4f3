# Small CNN for 32x32 RGB images (10 classes), conv blocks added in a loop
import numpy as np
from tensorflow import keras
from tensorflow.keras.layers import Conv2D, MaxPooling2D, Dense, Dropout

(x_train, y_train) = (np.random.rand(400, 32, 32, 3).astype("float32"),
                      np.random.randint(0, 10, size=(400,)))
x_test = np.random.rand(80, 32, 32, 3).astype("float32")
y_test = np.random.randint(0, 10, size=(80,))

model = keras.Sequential()
model.add(keras.Input(shape=(32, 32, 3)))
for f in [32, 64]:
    model.add(Conv2D(f, 3, activation="relu"))
    model.add(MaxPooling2D())
model.add(Dense(64, activation="relu"))
model.add(Dropout(0.5))
model.add(Dense(10, activation="softmax"))

model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(x_train, y_train, epochs=2, batch_size=64, validation_data=(x_test, y_test))
test_loss, test_acc = model.evaluate(x_test, y_test)
print("test acc", test_acc)
