import random

import numpy as np
import keras
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.model_selection import train_test_split

random.seed(3)
keras.utils.set_random_seed(3)

SPAM = "win free prize click now offer cash winner claim urgent limited deal".split()
HAM = "meeting tomorrow lunch project report thanks see you call later family weekend".split()


def make_messages(n):
    msgs, labels = [], []
    for _ in range(n):
        spam = random.random() < 0.4
        words = random.choices(SPAM if spam else HAM, k=random.randint(4, 12)) + random.choices(HAM + SPAM, k=3)
        msgs.append(" ".join(words))
        labels.append(int(spam))
    return msgs, np.array(labels)


messages, labels = make_messages(1200)
vec = CountVectorizer(max_features=500)
X = vec.fit_transform(messages).toarray().astype("float32")
X_train, X_test, y_train, y_test = train_test_split(X, labels, test_size=0.25, random_state=3, stratify=labels)

inputs = keras.Input(shape=(X.shape[1],), name="bow")
h = keras.layers.Dense(32, activation="relu")(inputs)
h = keras.layers.Dropout(0.3)(h)
outputs = keras.layers.Dense(1, activation="sigmoid", name="is_spam")(h)
model = keras.Model(inputs, outputs, name="spam_filter")

model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
early = keras.callbacks.EarlyStopping(monitor="val_loss", patience=2)
model.fit(X_train, y_train, epochs=3, batch_size=32, validation_split=0.2, callbacks=[early], verbose=2)

loss, acc = model.evaluate(X_test, y_test, verbose=0)
print(f"test loss {loss:.4f}  test accuracy {acc:.3f}")
print("spam?", model.predict(vec.transform(["claim your free prize now"]).toarray(), verbose=0))
