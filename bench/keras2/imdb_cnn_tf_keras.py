'''This example demonstrates the use of Convolution1D for text classification.
'''
import numpy as np
from tensorflow import keras
from tensorflow.keras.preprocessing import sequence

# set parameters:
max_features = 5000
maxlen = 100
batch_size = 32
embedding_dims = 50
filters = 64
kernel_size = 3
hidden_dims = 64
epochs = 2

print('Loading data...')
# synthetic stand-in for keras.datasets.imdb.load_data(num_words=max_features)
rng = np.random.RandomState(8)
def reviews(n):
    y = rng.randint(0, 2, n)
    x = [list(rng.randint(2, max_features, rng.randint(30, 150))) + [20 + int(label)] * 3 for label in y]
    return x, y
x_train, y_train = reviews(800)
x_test, y_test = reviews(200)
print(len(x_train), 'train sequences')
print(len(x_test), 'test sequences')

print('Pad sequences (samples x time)')
x_train = sequence.pad_sequences(x_train, maxlen=maxlen)
x_test = sequence.pad_sequences(x_test, maxlen=maxlen)
print('x_train shape:', x_train.shape)
print('x_test shape:', x_test.shape)

print('Build model...')
model = keras.Sequential()

# we start off with an efficient embedding layer which maps
# our vocab indices into embedding_dims dimensions
model.add(keras.layers.Embedding(max_features,
                                 embedding_dims,
                                 input_length=maxlen))
model.add(keras.layers.Dropout(0.2))

# we add a Convolution1D, which will learn filters
# word group filters of size filter_length:
model.add(keras.layers.Conv1D(filters,
                              kernel_size,
                              padding='valid',
                              activation='relu',
                              strides=1))
# we use max pooling:
model.add(keras.layers.GlobalMaxPooling1D())

# We add a vanilla hidden layer:
model.add(keras.layers.Dense(hidden_dims))
model.add(keras.layers.Dropout(0.2))
model.add(keras.layers.Activation('relu'))

# We project onto a single unit output layer, and squash it with a sigmoid:
model.add(keras.layers.Dense(1))
model.add(keras.layers.Activation('sigmoid'))

model.compile(loss='sparse_categorical_crossentropy',
              optimizer=keras.optimizers.SGD(lr=0.01, decay=1e-6, momentum=0.9),
              metrics=['accuracy'])
model.fit(x_train, y_train,
          batch_size=batch_size,
          epochs=epochs,
          validation_data=(x_test, y_test))
print(model.predict_classes(x_test[:10]).ravel())
