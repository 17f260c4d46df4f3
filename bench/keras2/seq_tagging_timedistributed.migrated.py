# Part-of-speech tagging with a bidirectional LSTM (Keras 1.x)
import numpy as np
from keras.models import Sequential
from keras.layers import Embedding, LSTM, Dense
from keras.layers import TimeDistributed, Bidirectional
from tensorflow.keras.preprocessing.text import Tokenizer
from keras.preprocessing.sequence import pad_sequences

# toy tagged corpus (synthetic): every word belongs to one tag class
np.random.seed(12)
lexicon = {'NOUN': ['dog', 'cat', 'house', 'tree', 'car', 'idea', 'river', 'city'],
           'VERB': ['runs', 'sees', 'builds', 'likes', 'moves', 'eats'],
           'ADJ': ['big', 'red', 'quiet', 'old', 'green'],
           'DET': ['the', 'a', 'every', 'this']}
tag_names = ['PAD'] + sorted(lexicon)
sentences, tags = [], []
for _ in range(600):
    words, word_tags = [], []
    for _ in range(np.random.randint(4, 20)):
        tag = np.random.choice(sorted(lexicon))
        words.append(np.random.choice(lexicon[tag]))
        word_tags.append(tag_names.index(tag))
    sentences.append(' '.join(words))
    tags.append(word_tags)

tokenizer = Tokenizer(lower=True)
tokenizer.fit_on_texts(sentences)
vocab_size = len(tokenizer.word_index) + 1
n_tags = len(tag_names)
maxlen = 25

X = pad_sequences(tokenizer.texts_to_sequences(sentences), maxlen=maxlen, padding='post')
y = pad_sequences(tags, maxlen=maxlen, padding='post')
Y = np.eye(n_tags)[y]  # one-hot tags: (samples, maxlen, n_tags)
mask = (X > 0).astype('float32')  # do not learn the padding

model = Sequential()
model.add(Embedding(vocab_size, 64, mask_zero=True))
model.add(Bidirectional(LSTM(64, return_sequences=True)))
model.add(TimeDistributed(Dense(n_tags, activation='softmax')))
model.compile(loss='categorical_crossentropy', optimizer='rmsprop', metrics=['accuracy'])
model.fit(X, Y, batch_size=32, epochs=2, sample_weight=mask, validation_split=0.1)

pred = model.predict(X[:1]).argmax(axis=-1)[0]
print([tag_names[t] for t in pred[:int(mask[0].sum())]])
