# Regression Example With Boston Dataset: Baseline
import numpy
from keras.models import Sequential
from keras.layers import Dense
from keras import ops


def root_mean_squared_error(y_true, y_pred):
    return ops.sqrt(ops.mean(ops.square(y_pred - y_true), axis=-1))


# fix random seed for reproducibility
seed = 7
numpy.random.seed(seed)
# load dataset (synthetic stand-in for housing.csv: 13 attributes, then the median value)
dataset = numpy.random.rand(506, 14)
dataset[:, 13] = dataset[:, :13].dot(numpy.linspace(-2, 3, 13)) + 0.1 * numpy.random.randn(506)
# split into input (X) and output (Y) variables
X = dataset[:, 0:13].astype(float)
Y = dataset[:, 13]

# define base model
model = Sequential()
model.add(Dense(13, input_dim=13, kernel_initializer='normal', activation='relu'))
model.add(Dense(1, kernel_initializer='normal'))
# Compile model
model.compile(loss=root_mean_squared_error, optimizer='adam')
model.fit(X, Y, epochs=5, batch_size=5, verbose=0)
print('RMSE: %.3f' % model.evaluate(X, Y, verbose=0))
