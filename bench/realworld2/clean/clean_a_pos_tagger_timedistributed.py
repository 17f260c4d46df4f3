# Toy part-of-speech tagger: one tag per token, padded batches, Embedding(mask_zero) + BiLSTM + TimeDistributed
import random

import numpy as np
import tensorflow as tf
from tensorflow.keras.layers import LSTM, Bidirectional, Dense, Embedding, Input, TimeDistributed
from tensorflow.keras.models import Model
from tensorflow.keras.utils import pad_sequences

random.seed(5)
tf.keras.utils.set_random_seed(5)

LEXICON = {
    "DET": ["the", "a", "this", "every"],
    "NOUN": ["dog", "cat", "model", "student", "river", "paper"],
    "VERB": ["runs", "reads", "sees", "trains", "writes"],
    "ADJ": ["big", "small", "quick", "lazy"],
    "ADV": ["quickly", "slowly", "often"],
}
TAGS = ["<pad>"] + sorted(LEXICON)
PATTERNS = [["DET", "NOUN", "VERB"], ["DET", "ADJ", "NOUN", "VERB", "ADV"], ["DET", "NOUN", "VERB", "DET", "ADJ", "NOUN"]]


def sentence():
    tags = random.choice(PATTERNS)
    return [random.choice(LEXICON[t]) for t in tags], tags


pairs = [sentence() for _ in range(800)]
words = sorted({w for ws, _ in pairs for w in ws})
word2id = {w: i + 1 for i, w in enumerate(words)}          # 0 = padding
tag2id = {t: i for i, t in enumerate(TAGS)}
MAXLEN = 8

X = pad_sequences([[word2id[w] for w in ws] for ws, _ in pairs], maxlen=MAXLEN, padding="post")
Y = pad_sequences([[tag2id[t] for t in ts] for _, ts in pairs], maxlen=MAXLEN, padding="post")
print("X", X.shape, "Y", Y.shape)          # one tag id per token: (n, MAXLEN)

inp = Input(shape=(MAXLEN,))
h = Embedding(len(word2id) + 1, 24, mask_zero=True)(inp)
h = Bidirectional(LSTM(32, return_sequences=True))(h)
out = TimeDistributed(Dense(len(TAGS), activation="softmax"))(h)
model = Model(inp, out)
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(X[:700], Y[:700], validation_data=(X[700:], Y[700:]), epochs=3, batch_size=32, verbose=2)

test_words = ["the", "lazy", "cat", "reads", "often"]
x = pad_sequences([[word2id[w] for w in test_words]], maxlen=MAXLEN, padding="post")
pred = model.predict(x, verbose=0)[0].argmax(-1)[:len(test_words)]
print(list(zip(test_words, [TAGS[i] for i in pred])))
