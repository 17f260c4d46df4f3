# Spam / not-spam classifier written as a subclassed model
import numpy as np
from tensorflow import keras

VOCAB_SIZE = 300
MAX_LEN = 30

class SpamDetector(keras.Model):
    def __init__(self, vocab_size, embed_dim=16):
        super(SpamDetector, self).__init__()
        self.embed = keras.layers.Embedding(vocab_size, embed_dim)
        self.pool = keras.layers.GlobalAveragePooling1D()
        self.fc = keras.layers.Dense(24, activation="relu")
        self.out = keras.layers.Dense(1, activation="softmax")

    def call(self, tokens):
        h = self.embed(tokens)
        h = self.pool(h)
        h = self.fc(h)
        return self.out(h)

def make_messages(n=500):
    rng = np.random.RandomState(21)
    spam = rng.randint(0, 2, n)
    msgs = rng.randint(1, VOCAB_SIZE, size=(n, MAX_LEN))
    # spam messages use a lot of tokens from the "spammy" range 250..299
    for i in np.where(spam == 1)[0]:
        pos = rng.choice(MAX_LEN, 8, replace=False)
        msgs[i, pos] = rng.randint(250, VOCAB_SIZE, 8)
    return msgs, spam

msgs, labels = make_messages()
detector = SpamDetector(VOCAB_SIZE)
detector.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
detector.fit(msgs[:400], labels[:400], validation_data=(msgs[400:], labels[400:]), epochs=4, batch_size=32)

probs = detector.predict(msgs[400:410])
print("spam probability:", probs.ravel())
print("accuracy on the held-out part:", detector.evaluate(msgs[400:], labels[400:], verbose=0)[1])
