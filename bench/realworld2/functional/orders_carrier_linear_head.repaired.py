import numpy as np
import pandas as pd
import tensorflow as tf
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler, LabelEncoder

SEED = 5
np.random.seed(SEED)
tf.random.set_seed(SEED)

# orders.csv: one row per shipped order
n = 900
df = pd.DataFrame({
    "weight_kg": np.random.gamma(2, 2, n).round(2),
    "distance_km": np.random.uniform(5, 1500, n).round(1),
    "n_items": np.random.randint(1, 12, n),
    "express": np.random.randint(0, 2, n),
})
df["carrier"] = np.where(df.weight_kg > 6, "freightco", np.where(df.express == 1, "zoomship", "postal"))
df["delivery_days"] = (1 + df.distance_km / 300 + 2 * (df.carrier == "postal") + np.random.normal(0, 0.5, n)).round(1)
df.to_csv("orders.csv", index=False)

df = pd.read_csv("orders.csv")
features = ["weight_kg", "distance_km", "n_items", "express"]
X = StandardScaler().fit_transform(df[features])
enc = LabelEncoder()
y_carrier = enc.fit_transform(df["carrier"])
y_days = df["delivery_days"].values.astype("float32")
X_tr, X_te, yd_tr, yd_te, yc_tr, yc_te = train_test_split(X, y_days, y_carrier, test_size=0.2, random_state=SEED)


def build_model(n_features, n_carriers):
    inputs = tf.keras.Input(shape=(n_features,))
    x = tf.keras.layers.Dense(64, activation="relu")(inputs)
    x = tf.keras.layers.Dense(32, activation="relu")(x)
    days = tf.keras.layers.Dense(1, name="days")(x)
    carrier = tf.keras.layers.Dense(n_carriers, activation="softmax", name="carrier")(x)
    return tf.keras.Model(inputs=inputs, outputs=[days, carrier])


model = build_model(X.shape[1], len(enc.classes_))
model.compile(optimizer="adam",
              loss=["mse", "sparse_categorical_crossentropy"],
              metrics=[["mae"], ["accuracy"]])
model.fit(X_tr, [yd_tr, yc_tr], epochs=3, batch_size=32, validation_split=0.1, verbose=2)

res = model.evaluate(X_te, [yd_te, yc_te], verbose=0, return_dict=True)
print(res)
