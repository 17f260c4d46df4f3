# Stacked LSTM for sequence classification (Keras 1 sequential model guide)
import numpy as np
from keras.models import Sequential
from keras.layers.core import Dense, Dropout
from keras.layers.recurrent import LSTM
from keras.utils.np_utils import to_categorical

data_dim = 16
timesteps = 8
nb_classes = 10

# expected input data shape: (batch_size, timesteps, data_dim)
model = Sequential()
model.add(LSTM(32, input_dim=data_dim, input_length=timesteps))
model.add(LSTM(32))
model.add(Dropout(0.2))
model.add(Dense(nb_classes, activation='softmax'))

model.compile(loss='categorical_crossentropy',
              optimizer='rmsprop',
              metrics=['accuracy'])

# generate dummy training data
np.random.seed(0)
x_train = np.random.random((1000, timesteps, data_dim))
y_train = to_categorical(np.random.randint(nb_classes, size=(1000,)), nb_classes)

# generate dummy validation data
x_val = np.random.random((100, timesteps, data_dim))
y_val = to_categorical(np.random.randint(nb_classes, size=(100,)), nb_classes)

model.fit(x_train, y_train,
          batch_size=64, nb_epoch=2,
          validation_data=(x_val, y_val))

print(model.predict_classes(x_val[:5]))
