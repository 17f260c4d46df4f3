import numpy as np
import tensorflow as tf
from tensorflow.keras.preprocessing.image import ImageDataGenerator
from tensorflow.keras.models import Sequential
from tensorflow.keras.layers import Conv2D, MaxPooling2D, Flatten, Dense, Dropout
from tensorflow.keras.optimizers import RMSprop

IMG_SIZE = 64
BATCH_SIZE = 32
CLASSES = ['daisy', 'dandelion', 'roses', 'sunflowers', 'tulips']

# photos as arrays with their class index (synthetic stand-in for the flower_photos folder)
rng = np.random.RandomState(0)
y_train = rng.randint(0, len(CLASSES), 320)
x_train = rng.randint(0, 200, (320, IMG_SIZE, IMG_SIZE, 3)).astype('float32')
x_train[:, :, :, 0] += y_train[:, None, None] * 10
y_val = rng.randint(0, len(CLASSES), 64)
x_val = rng.randint(0, 200, (64, IMG_SIZE, IMG_SIZE, 3)).astype('float32')
x_val[:, :, :, 0] += y_val[:, None, None] * 10

train_datagen = ImageDataGenerator(
    rescale=1./255,
    rotation_range=40,
    width_shift_range=0.2,
    height_shift_range=0.2,
    shear_range=0.2,
    zoom_range=0.2,
    horizontal_flip=True,
    fill_mode='nearest')
validation_datagen = ImageDataGenerator(rescale=1./255)

train_generator = train_datagen.flow(x_train, y_train, batch_size=BATCH_SIZE)
validation_generator = validation_datagen.flow(x_val, y_val, batch_size=BATCH_SIZE)

model = Sequential([
    Conv2D(16, (3, 3), activation='relu', input_shape=(IMG_SIZE, IMG_SIZE, 3)),
    MaxPooling2D(2, 2),
    Conv2D(32, (3, 3), activation='relu'),
    MaxPooling2D(2, 2),
    Flatten(),
    Dropout(0.5),
    Dense(128, activation='relu'),
    Dense(len(CLASSES), activation='softmax')
])

model.compile(loss='sparse_categorical_crossentropy',
              optimizer=RMSprop(learning_rate=1e-4),
              metrics=['accuracy'])

history = model.fit(train_generator,
                    steps_per_epoch=int(np.ceil(len(x_train) / BATCH_SIZE)),
                    epochs=2,
                    validation_data=validation_generator,
                    validation_steps=int(np.ceil(len(x_val) / BATCH_SIZE)),
                    verbose=1)
