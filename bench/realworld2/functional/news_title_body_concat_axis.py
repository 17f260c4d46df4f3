# News topic classifier: headline + article body share one embedding,
# the two token sequences are joined and run through a small Conv1D.
from keras import layers, Model, Input
from keras.utils import to_categorical
import numpy as np

TITLE_LEN, BODY_LEN = 12, 60
VOCAB, EMB = 2000, 32
TOPICS = ["world", "business", "sport", "tech", "science"]


def load_data(n=800, seed=0):
    rng = np.random.RandomState(seed)
    y = rng.randint(0, len(TOPICS), n)
    titles = rng.randint(1, VOCAB, (n, TITLE_LEN))
    bodies = rng.randint(1, VOCAB, (n, BODY_LEN))
    # topic words: ids 10*k .. 10*k+9 sprinkled into both texts
    for i in range(n):
        titles[i, rng.randint(0, TITLE_LEN, 2)] = 10 * y[i] + rng.randint(0, 10, 2)
        bodies[i, rng.randint(0, BODY_LEN, 6)] = 10 * y[i] + rng.randint(0, 10, 6)
    return titles, bodies, y


def build_model():
    title_in = Input(shape=(TITLE_LEN,), name="title")
    body_in = Input(shape=(BODY_LEN,), name="body")
    emb = layers.Embedding(VOCAB, EMB)
    t = emb(title_in)
    b = emb(body_in)
    x = layers.Concatenate()([t, b])
    x = layers.Conv1D(64, 5, activation="relu")(x)
    x = layers.GlobalMaxPooling1D()(x)
    x = layers.Dropout(0.3)(x)
    out = layers.Dense(len(TOPICS), activation="softmax")(x)
    return Model([title_in, body_in], out)


titles, bodies, y = load_data()
y_onehot = to_categorical(y, num_classes=len(TOPICS))

model = build_model()
model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
model.fit({"title": titles[:700], "body": bodies[:700]}, y_onehot[:700],
          epochs=3, batch_size=32, validation_split=0.1)

probs = model.predict({"title": titles[700:], "body": bodies[700:]})
print("test acc:", np.mean(probs.argmax(1) == y[700:]))
