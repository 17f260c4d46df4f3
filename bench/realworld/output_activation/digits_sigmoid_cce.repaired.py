# REFERENCE ONLY: hand-repaired copy of digits_sigmoid_cce.py (validates its .intended.json; never compared as text by the judge)
# repair: softmax for single-label one-hot classes
# Classify 8x8 "digit-like" images into 10 classes (one-hot labels, categorical CE)
import numpy as np
from tensorflow.keras.models import Sequential
from tensorflow.keras.layers import Dense, Flatten, Dropout
from tensorflow.keras.utils import to_categorical
from tensorflow.keras.callbacks import EarlyStopping

NUM_CLASSES = 10

def load_data(n=700, seed=5):
    rng = np.random.RandomState(seed)
    protos = rng.rand(NUM_CLASSES, 8, 8)
    labels = rng.randint(0, NUM_CLASSES, n)
    images = protos[labels] + 0.3 * rng.randn(n, 8, 8)
    return images.astype("float32"), labels

images, labels = load_data()
y = to_categorical(labels, NUM_CLASSES)
x_train, y_train = images[:600], y[:600]
x_test, y_test = images[600:], y[600:]

model = Sequential()
model.add(Flatten(input_shape=(8, 8)))
model.add(Dense(128, activation='relu'))
model.add(Dropout(0.25))
model.add(Dense(64, activation='relu'))
model.add(Dense(NUM_CLASSES, activation='softmax'))

model.compile(loss='categorical_crossentropy', optimizer='adam', metrics=['accuracy'])
model.fit(x_train, y_train, batch_size=32, epochs=5, validation_split=0.15,
          callbacks=[EarlyStopping(patience=2)], verbose=2)

score = model.evaluate(x_test, y_test, verbose=0)
print('Test loss:', score[0])
print('Test accuracy:', score[1])
p = model.predict(x_test[:1], verbose=0)[0]
print("class probabilities sum to", p.sum())
