import os
import tempfile

import numpy as np
from keras.models import Sequential
from keras.layers import Dense, Dropout
from keras.optimizers import Adam
from sklearn.preprocessing import StandardScaler
from sklearn.model_selection import train_test_split

# house prices from 8 features (synthetic stand-in for the california housing csv)
np.random.seed(42)
data = np.random.rand(800, 9)
data[:, 8] = data[:, :8].dot(np.array([3.0, -1.0, 0.5, 2.0, 0.0, 1.5, -0.5, 1.0])) + 0.1 * np.random.randn(800)

X = data[:, :8].astype(np.float)
y = data[:, 8]
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=42)

scaler = StandardScaler()
X_train = scaler.fit_transform(X_train)
X_test = scaler.transform(X_test)

model = Sequential()
model.add(Dense(64, input_dim=8, kernel_initializer='normal', activation='relu'))
model.add(Dropout(0.1))
model.add(Dense(32, kernel_initializer='normal', activation='relu'))
model.add(Dense(1, kernel_initializer='normal', activation='softmax'))

model.compile(loss='mean_squared_error', optimizer=Adam(lr=0.001), metrics=['mae'])
history = model.fit(X_train, y_train, epochs=10, batch_size=32, validation_split=0.2, verbose=2)

weights_file = os.path.join(tempfile.gettempdir(), "housing_model.h5")
model.save_weights(weights_file)
print(model.predict(X_test[:5]))
os.remove(weights_file)
