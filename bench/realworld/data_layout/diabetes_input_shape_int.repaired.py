# REFERENCE ONLY: hand-repaired copy of diabetes_input_shape_int.py (validates its .intended.json; never compared as text by the judge)
# repair: input_shape is a tuple
# Diabetes progression (regression) from 30 clinical measurements
import numpy as np
from keras.models import Sequential
from keras.layers import Dense
from keras.callbacks import EarlyStopping

n_features = 30
rng = np.random.RandomState(8)
X = rng.randn(442, n_features).astype("float32")
coef = rng.randn(n_features)
y = (150 + 40 * X.dot(coef) / np.sqrt(n_features) + rng.randn(442) * 10).astype("float32")

X_train, X_test = X[:350], X[350:]
y_train, y_test = y[:350], y[350:]

model = Sequential([
    Dense(64, activation='relu', input_shape=(n_features,)),
    Dense(32, activation='relu'),
    Dense(1)
])
model.compile(optimizer='adam', loss='mse', metrics=['mae'])
history = model.fit(X_train, y_train, epochs=5, batch_size=32, validation_split=0.2,
                    callbacks=[EarlyStopping(monitor='val_loss', patience=5)], verbose=2)
mse, mae = model.evaluate(X_test, y_test, verbose=0)
print("Test MAE: %.2f" % mae)
