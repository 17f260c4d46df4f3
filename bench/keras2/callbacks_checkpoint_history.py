import os
import shutil
import tempfile

import numpy as np
from keras.models import Sequential
from keras.layers import Conv2D, MaxPooling2D, Flatten, Dense, Dropout
from keras.callbacks import ModelCheckpoint, EarlyStopping, ReduceLROnPlateau
from keras.utils import to_categorical

MODEL_DIR = tempfile.mkdtemp()

# synthetic 28x28 grayscale digits
np.random.seed(9)
y = np.random.randint(0, 10, 1000)
X = np.random.rand(1000, 28, 28, 1).astype('float32') * 0.5
X[np.arange(1000), y * 2 + 4, 10, 0] = 1.0
X_train, Y_train = X, to_categorical(y, 10)

model = Sequential()
model.add(Conv2D(32, kernel_size=(3, 3), activation='relu', input_shape=(28, 28, 1)))
model.add(MaxPooling2D(pool_size=(2, 2)))
model.add(Flatten())
model.add(Dense(64, activation='relu'))
model.add(Dropout(0.5))
model.add(Dense(10, activation='softmax'))
model.compile(loss='categorical_crossentropy', optimizer='adam', metrics=['accuracy'])

# checkpoint
filepath = os.path.join(MODEL_DIR, "weights-improvement-{epoch:02d}-{val_acc:.2f}.hdf5")
checkpoint = ModelCheckpoint(filepath, monitor='val_acc', verbose=1, save_best_only=True, mode='max', period=1)
early = EarlyStopping(monitor='val_acc', patience=3, mode='max')
reduce_lr = ReduceLROnPlateau(monitor='val_loss', factor=0.2, patience=2, min_lr=0.0001)
callbacks_list = [checkpoint, early, reduce_lr]

# Fit the model
history = model.fit(X_train, Y_train, validation_split=0.2, epochs=3, batch_size=64,
                    callbacks=callbacks_list, verbose=1)
print("final accuracy: %.3f, val: %.3f" % (history.history['acc'][-1], history.history['val_acc'][-1]))
print(sorted(os.listdir(MODEL_DIR)))
shutil.rmtree(MODEL_DIR)
