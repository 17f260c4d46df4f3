# Weather station model with two outputs:
#   rain      -> will it rain tomorrow (binary)
#   condition -> sky condition tomorrow: 0 clear, 1 cloudy, 2 fog, 3 storm
import numpy as np
from tensorflow import keras
from tensorflow.keras.layers import Input, Dense, Dropout, concatenate

np.random.seed(123)
N_SAMPLES = 450
N_FEATURES = 10
N_CONDITIONS = 4

X = np.random.randn(N_SAMPLES, N_FEATURES).astype("float32")
rain = (X[:, 0] + 0.5 * X[:, 1] + 0.3 * np.random.randn(N_SAMPLES) > 0).astype("float32")
condition = np.digitize(X[:, 2] + X[:, 3], [-1.0, 0.0, 1.0])   # 0..3

def build_model():
    x_in = Input(shape=(N_FEATURES,))
    a = Dense(32, activation="relu")(x_in)
    b = Dense(32, activation="tanh")(x_in)
    h = concatenate([a, b])
    h = Dropout(0.2)(h)
    rain_out = Dense(1, activation="sigmoid", name="rain")(h)
    cond_out = Dense(6, activation="softmax", name="condition")(h)
    return keras.Model(inputs=x_in, outputs=[rain_out, cond_out])

model = build_model()
model.compile(optimizer=keras.optimizers.Adam(0.005),
              loss={"rain": "binary_crossentropy", "condition": "sparse_categorical_crossentropy"},
              metrics={"rain": "accuracy", "condition": "accuracy"})
model.summary()

history = model.fit(X[:380], {"rain": rain[:380], "condition": condition[:380]},
                    validation_data=(X[380:], {"rain": rain[380:], "condition": condition[380:]}),
                    epochs=5, batch_size=32, verbose=2)

rain_p, cond_p = model.predict(X[380:385], verbose=0)
print("rain prob:", rain_p.ravel().round(2))
print("condition:", cond_p.argmax(axis=1), "true:", condition[380:385])
