# Visualize training history / make predictions (first neural network with keras tutorial)
import os
import tempfile
import numpy as np
from keras.models import Sequential
from keras.layers import Dense

# load the dataset (synthetic stand-in for pima-indians-diabetes.csv: 8 inputs, then the class)
rng = np.random.RandomState(7)
dataset = rng.rand(768, 9) * [17, 200, 122, 99, 846, 67, 2.4, 81, 1]
dataset[:, 8] = (dataset[:, 1] / 200 + dataset[:, 5] / 67 + rng.rand(768) * 0.5 > 1.2).astype(float)
# split into input (X) and output (y) variables
X = dataset[:,0:8]
y = dataset[:,8]
# define the keras model
model = Sequential()
model.add(Dense(12, input_dim=8, activation='relu'))
model.add(Dense(8, activation='relu'))
model.add(Dense(1, activation='sigmoid'))
# compile the keras model
model.compile(loss='binary_crossentropy', optimizer='adam', metrics=['accuracy'])
# fit the keras model on the dataset
history = model.fit(X, y, validation_split=0.33, epochs=10, batch_size=10, verbose=0)
# list all data in history
print(history.history.keys())
print('acc: %.3f  val_acc: %.3f' % (history.history['accuracy'][-1], history.history['val_accuracy'][-1]))
# make class predictions with the model
predictions = (model.predict(X) > 0.5).astype('int32').ravel()
# summarize the first 5 cases
for i in range(5):
	print('%s => %d (expected %d)' % (X[i].round(1).tolist(), predictions[i], y[i]))
# save the weights for later
weights_file = os.path.join(tempfile.gettempdir(), 'pima_model.weights.h5')
model.save_weights(weights_file)
os.remove(weights_file)
