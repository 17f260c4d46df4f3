# REFERENCE ONLY: hand-repaired copy of price_and_luxury_dict_labels.py (validates its .intended.json; never compared as text by the judge)
# repair: sigmoid on the binary luxury head
"""Two-headed model for car listings: predict the price AND whether the car is a luxury model.

Labels are passed as a dict keyed by output name.
"""
import numpy as np
from tensorflow import keras
from tensorflow.keras import layers

rng = np.random.default_rng(42)
N = 500

# --- synthetic listings ------------------------------------------------
year = rng.integers(2000, 2024, N)
km = rng.uniform(0, 250_000, N)
hp = rng.uniform(60, 450, N)
doors = rng.choice([2, 4, 5], N)
luxury = (hp + rng.normal(0, 40, N) > 250).astype("float32")
price = (5 + 0.9 * (year - 2000) - 0.00004 * km + 0.05 * hp + 8 * luxury + rng.normal(0, 2, N)).astype("float32")

feats = np.stack([year - 2000, km / 1e5, hp / 100, doors], axis=1).astype("float32")


def build_model(n_features):
    inp = keras.Input(shape=(n_features,), name="car")
    shared = layers.Dense(64, activation="relu")(inp)
    shared = layers.Dense(32, activation="relu")(shared)

    price_head = layers.Dense(16, activation="relu")(shared)
    price_out = layers.Dense(1, name="price")(price_head)

    lux_head = layers.Dense(16, activation="relu")(shared)
    lux_out = layers.Dense(1, activation="sigmoid", name="luxury")(lux_head)

    return keras.Model(inputs=inp, outputs=[price_out, lux_out])


model = build_model(feats.shape[1])
model.compile(
    optimizer="adam",
    loss={"price": "mse", "luxury": "binary_crossentropy"},
    loss_weights={"price": 1.0, "luxury": 5.0},
    metrics={"price": ["mae"], "luxury": ["accuracy"]},
)

split = 400
model.fit(feats[:split], {"price": price[:split], "luxury": luxury[:split]},
          validation_split=0.1, epochs=5, batch_size=32, verbose=2)

results = model.evaluate(feats[split:], {"price": price[split:], "luxury": luxury[split:]},
                         return_dict=True, verbose=0)
print(results)
p_price, p_lux = model.predict(feats[split:split + 5], verbose=0)
print("price (k):", p_price.ravel().round(1))
print("P(luxury):", p_lux.ravel().round(2))
