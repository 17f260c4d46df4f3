'''Trains a LSTM on the IMDB sentiment classification task.
The dataset is actually too small for LSTM to be of any advantage
compared to simpler, much faster methods such as TF-IDF + LogReg.
Notes:

- RNNs are tricky. Choice of batch size is important,
choice of loss and optimizer is critical, etc.
Some configurations won't converge.

- LSTM loss decrease patterns during training can be quite different
from what you see with CNNs/MLPs/etc.
'''
from __future__ import print_function
import numpy as np
np.random.seed(1337)  # for reproducibility

from keras.preprocessing import sequence
from keras.models import Sequential
from keras.layers import Dense, Dropout, Activation
from keras.layers import Embedding
from keras.layers import LSTM

max_features = 20000
maxlen = 80  # cut texts after this number of words (among top max_features most common words)
batch_size = 32


def load_data(nb_samples, nb_words):
    # synthetic stand-in for imdb.load_data(nb_words=max_features):
    # lists of word indices of varying length, label 1 = positive review
    X, y = [], []
    for i in range(nb_samples):
        label = np.random.randint(0, 2)
        length = np.random.randint(20, 120)
        words = np.random.randint(2, nb_words, size=length)
        marks = np.random.randint(0, length, size=5)
        words[marks] = 10 + label  # a few sentiment words
        X.append(list(words))
        y.append(label)
    return X, np.array(y)


print('Loading data...')
X_train, y_train = load_data(384, max_features)
X_test, y_test = load_data(96, max_features)
print(len(X_train), 'train sequences')
print(len(X_test), 'test sequences')

print('Pad sequences (samples x time)')
X_train = sequence.pad_sequences(X_train, maxlen=maxlen)
X_test = sequence.pad_sequences(X_test, maxlen=maxlen)
print('X_train shape:', X_train.shape)
print('X_test shape:', X_test.shape)

print('Build model...')
model = Sequential()
model.add(Embedding(max_features, 128))
model.add(Dropout(0.2, noise_shape=(None, maxlen, 1)))  # drops whole words, as Embedding(dropout=) did
model.add(LSTM(128, dropout=0.2, recurrent_dropout=0.2))  # try using a GRU instead, for fun
model.add(Dense(1))
model.add(Activation('sigmoid'))

# try using different optimizers and different optimizer configs
model.compile(loss='binary_crossentropy',
              optimizer='adam',
              metrics=['accuracy'])

print('Train...')
model.fit(X_train, y_train, batch_size=batch_size, epochs=1,
          validation_data=(X_test, y_test))
score, acc = model.evaluate(X_test, y_test,
                            batch_size=batch_size)
print('Test score:', score)
print('Test accuracy:', acc)
print('Predicted classes:', (model.predict(X_test[:8]) > 0.5).astype('int32').ravel())
