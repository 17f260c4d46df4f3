import numpy as np
import keras
from keras import layers

rng = np.random.default_rng(99)
MAXLEN = 40
EMB_DIM = 16

vocab = ["<pad>", "<oov>"] + ("flight delayed cancelled lost bag rude staff great crew smooth landing "
                              "thanks awesome late again worst service seat comfy food cold").split()
w2i = {w: i for i, w in enumerate(vocab)}
positive = {"great", "smooth", "thanks", "awesome", "comfy"}


def encode(text):
    return [w2i.get(w, 1) for w in text.lower().split()]


def make_tweets(n):
    texts, labels = [], []
    for _ in range(n):
        words = list(rng.choice(vocab[2:], size=rng.integers(4, 30)))
        texts.append(" ".join(words))
        labels.append(int(sum(w in positive for w in words) * 3 > len(words) * 0.5))
    return texts, np.array(labels)


def train(texts, labels):
    X = keras.utils.pad_sequences([encode(t) for t in texts], maxlen=MAXLEN)
    model = keras.Sequential([
        keras.Input(shape=(MAXLEN,)),
        layers.Embedding(len(vocab), EMB_DIM),
        layers.Flatten(),
        layers.Dense(32, activation="relu"),
        layers.Dense(1, activation="sigmoid"),
    ])
    model.compile(optimizer="rmsprop", loss="binary_crossentropy", metrics=["acc"])
    model.fit(X, labels, epochs=3, batch_size=32, validation_split=0.2, verbose=2)
    return model


texts, labels = make_tweets(1000)
model = train(texts, labels)

new_tweets = ["great crew smooth landing thanks", "flight delayed again worst service lost bag",
              "seat comfy food cold"]
X_new = keras.utils.pad_sequences([encode(t) for t in new_tweets], maxlen=MAXLEN)
for t, p in zip(new_tweets, model.predict(X_new, verbose=0).ravel()):
    print(f"{p:.2f}  {t}")
