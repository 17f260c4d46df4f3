# Multi-input model with the functional API (Keras 1.x):
# 12 lab measurements and 6 sensor readings per patient -> one of 4 risk groups
import numpy as np
from keras.layers import Input, Dense, merge
from keras.models import Model
from keras.optimizers import Adam
from keras.utils.np_utils import to_categorical

np.random.seed(7)
nb_classes = 4

X_a = np.random.rand(600, 12).astype('float32')
X_b = np.random.rand(600, 6).astype('float32')
y = ((X_a[:, 0] + X_b[:, 0]) * 2).astype('int') % nb_classes
Y = to_categorical(y, nb_classes)

input_a = Input(shape=(12,), name='measurements')
input_b = Input(shape=(6,), name='sensors')

x_a = Dense(output_dim=32, activation='relu')(input_a)
x_b = Dense(output_dim=16, activation='relu')(input_b)

x = merge([x_a, x_b], mode='concat', concat_axis=-1)
x = Dense(32, activation='relu')(x)
predictions = Dense(3, activation='softmax')(x)

model = Model(input=[input_a, input_b], output=predictions)
model.compile(optimizer=Adam(lr=0.001),
              loss='categorical_crossentropy',
              metrics=['accuracy'])
model.fit([X_a, X_b], Y, nb_epoch=3, batch_size=32, validation_split=0.2)

scores = model.evaluate([X_a, X_b], Y, verbose=0)
print('loss %.4f, accuracy %.4f' % (scores[0], scores[1]))
