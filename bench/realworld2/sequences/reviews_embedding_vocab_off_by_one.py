import random
import re
from collections import Counter

import numpy as np
from tensorflow.keras.utils import pad_sequences
from tensorflow.keras.models import Sequential
from tensorflow.keras.layers import Embedding, LSTM, Dense, Dropout

random.seed(0)
np.random.seed(0)

POS = "great love excellent perfect happy recommend fast amazing works nice".split()
NEG = "broken terrible refund slow awful waste poor disappointed cheap return".split()
FILL = "the product it was and i this for my with very after one day box".split()

def fake_review(label):
    words = random.choices(FILL, k=random.randint(5, 25)) + random.choices(POS if label else NEG, k=random.randint(1, 4))
    random.shuffle(words)
    return " ".join(words) + random.choice([".", "!", "!!"])

labels = np.random.randint(0, 2, 800)
texts = [fake_review(l) for l in labels]

# ---- tokenize (like keras Tokenizer: index 0 is reserved for padding) ----
def clean(t):
    return re.sub(r"[^a-z ]", "", t.lower()).split()

counts = Counter(w for t in texts for w in clean(t))
word_index = {w: i + 1 for i, (w, _) in enumerate(counts.most_common())}
sequences = [[word_index[w] for w in clean(t)] for t in texts]

MAXLEN = 30
vocab_size = len(word_index)
X = pad_sequences(sequences, maxlen=MAXLEN, padding="post")
y = labels
print("vocab:", vocab_size, "X:", X.shape, "max id:", X.max())

model = Sequential()
model.add(Embedding(input_dim=vocab_size, output_dim=32))
model.add(LSTM(32))
model.add(Dropout(0.3))
model.add(Dense(1, activation="sigmoid"))
model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])

model.fit(X[:640], y[:640], epochs=2, batch_size=32, validation_data=(X[640:], y[640:]), verbose=2)
loss, acc = model.evaluate(X[640:], y[640:], verbose=0)
print(f"val acc {acc:.3f}")
