# Multi-input model with the functional API (Keras 1.x):
# 12 lab measurements and 6 sensor readings per patient -> one of 4 risk groups
import numpy as np
from keras.layers import Input, Dense, concatenate
from keras.models import Model
from keras.optimizers import Adam
from keras.utils import to_categorical

np.random.seed(7)
nb_classes = 4

X_a = np.random.rand(600, 12).astype('float32')
X_b = np.random.rand(600, 6).astype('float32')
y = ((X_a[:, 0] + X_b[:, 0]) * 2).astype('int') % nb_classes
Y = to_categorical(y, nb_classes)

input_a = Input(shape=(12,), name='measurements')
input_b = Input(shape=(6,), name='sensors')

x_a = Dense(32, activation='relu')(input_a)
x_b = Dense(16, activation='relu')(input_b)

x = concatenate([x_a, x_b], axis=-1)
x = Dense(32, activation='relu')(x)
predictions = Dense(nb_classes, activation='softmax')(x)

model = Model(inputs=[input_a, input_b], outputs=predictions)
model.compile(optimizer=Adam(learning_rate=0.001),
              loss='categorical_crossentropy',
              metrics=['accuracy'])
model.fit([X_a, X_b], Y, epochs=3, batch_size=32, validation_split=0.2)

scores = model.evaluate([X_a, X_b], Y, verbose=0)
print('loss %.4f, accuracy %.4f' % (scores[0], scores[1]))
