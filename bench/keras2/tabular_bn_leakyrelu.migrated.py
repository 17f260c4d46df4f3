import numpy as np
from keras.models import Sequential
from keras.layers import Dense, Dropout, Activation
from keras.layers import BatchNormalization
from keras.layers import LeakyReLU, PReLU
from keras.regularizers import l2
from keras.optimizers import Adam

np.random.seed(2016)
# three forest cover types from 30 numeric features (synthetic)
X = np.random.randn(1500, 30)
y = np.digitize(X[:, 0] + 0.5 * X[:, 1], [-0.5, 0.5])  # classes 0, 1, 2
X_train, y_train = X[:1200], y[:1200]
X_val, y_val = X[1200:], y[1200:]

model = Sequential()
model.add(Dense(64, input_dim=30, kernel_initializer='he_normal', kernel_regularizer=l2(1e-4)))
model.add(BatchNormalization())
model.add(LeakyReLU(negative_slope=0.1))
model.add(Dropout(0.3))
model.add(Dense(32, kernel_initializer='he_normal', kernel_regularizer=l2(1e-4)))
model.add(BatchNormalization())
model.add(PReLU())
model.add(Dropout(0.3))
model.add(Dense(3, kernel_initializer='he_normal'))
model.add(Activation('softmax'))

model.compile(loss='sparse_categorical_crossentropy', optimizer=Adam(learning_rate=0.002), metrics=['accuracy'])
model.fit(X_train, y_train, epochs=3, batch_size=64, validation_data=(X_val, y_val))
print(model.evaluate(X_val, y_val, verbose=0))
