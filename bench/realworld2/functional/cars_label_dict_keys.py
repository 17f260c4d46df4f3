import csv
import numpy as np
import keras
from sklearn.preprocessing import LabelEncoder, StandardScaler

rng = np.random.default_rng(11)

# ---- fake scrape of car listings ----
BODY = ["sedan", "suv", "hatchback", "pickup"]
with open("cars.csv", "w", newline="") as fh:
    w = csv.writer(fh)
    w.writerow(["year", "mileage", "engine_l", "doors", "hp", "body_type", "price"])
    for _ in range(700):
        b = rng.integers(0, 4)
        year = rng.integers(2005, 2024)
        hp = rng.normal(150 + 40 * b, 20)
        price = 3000 + (year - 2005) * 900 + hp * 40 + rng.normal(0, 1500)
        w.writerow([year, rng.integers(5000, 250000), round(1.2 + 0.5 * b + rng.random(), 1),
                    2 + 2 * (b != 3), round(hp), BODY[b], round(price)])

rows = list(csv.DictReader(open("cars.csv")))
X = np.array([[float(r[c]) for c in ("year", "mileage", "engine_l", "doors", "hp")] for r in rows])
X = StandardScaler().fit_transform(X)
price = np.array([float(r["price"]) for r in rows]) / 1000.0     # k$
body = LabelEncoder().fit_transform([r["body_type"] for r in rows])

inp = keras.Input(shape=(5,))
h = keras.layers.Dense(64, activation="relu")(inp)
h = keras.layers.Dense(32, activation="relu")(h)
price_out = keras.layers.Dense(1, name="price_output")(h)
body_out = keras.layers.Dense(4, activation="softmax", name="body_output")(h)
model = keras.Model(inp, [price_out, body_out])

model.compile(optimizer=keras.optimizers.Adam(0.003),
              loss={"price_output": "mse", "body_output": "sparse_categorical_crossentropy"},
              loss_weights={"price_output": 0.01, "body_output": 1.0},
              metrics={"price_output": ["mae"], "body_output": ["accuracy"]})

history = model.fit(X[:600], {"price": price[:600], "body_type": body[:600]},
                    epochs=3, batch_size=32, validation_split=0.15, verbose=2)

p, b = model.predict(X[600:605])
print("price k$:", p.ravel().round(1), "body:", b.argmax(1))
