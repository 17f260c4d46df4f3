# Multi-label tagging of support tickets: each ticket can have several tags
# (billing, login, bug, feature-request, ...). Bag-of-words features.
import numpy as np
import keras
from keras import layers

np.random.seed(0)

TAGS = ["billing", "login", "bug", "feature", "refund", "mobile"]
VOCAB = 200
N = 600


def fake_tickets():
    # each tag "owns" a handful of words; a ticket mentions words of its tags plus noise
    owners = {t: np.random.choice(VOCAB, 12, replace=False) for t in TAGS}
    X = np.zeros((N, VOCAB), dtype="float32")
    Y = np.zeros((N, len(TAGS)), dtype="float32")
    for i in range(N):
        k = np.random.randint(1, 4)              # 1 to 3 tags per ticket
        tags = np.random.choice(len(TAGS), k, replace=False)
        Y[i, tags] = 1
        for t in tags:
            X[i, np.random.choice(owners[TAGS[t]], 5)] += 1
        X[i, np.random.randint(0, VOCAB, 10)] += 1
    return np.log1p(X), Y


def get_model():
    inp = keras.Input(shape=(VOCAB,), name="bow")
    h = layers.Dense(128, activation="relu")(inp)
    h = layers.Dropout(0.3)(h)
    h = layers.Dense(64, activation="relu")(h)
    out = layers.Dense(len(TAGS), activation="softmax", name="tags")(h)
    model = keras.Model(inp, out)
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["binary_accuracy"])
    return model


X, Y = fake_tickets()
print("tags per ticket:", Y.sum(1).mean())
x_tr, x_te, y_tr, y_te = X[:500], X[500:], Y[:500], Y[500:]

model = get_model()
model.fit(x_tr, y_tr, epochs=5, batch_size=32, validation_split=0.1, verbose=2)

probs = model.predict(x_te, verbose=0)
pred = (probs > 0.5).astype(int)
print("exact-match ratio:", np.mean(np.all(pred == y_te, axis=1)))
for row, truth in zip(probs[:3], y_te[:3]):
    print("predicted:", [TAGS[j] for j in np.where(row > 0.5)[0]], " true:", [TAGS[j] for j in np.where(truth)[0]])
