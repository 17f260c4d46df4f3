# Multiclass Classification with the Iris Flowers Dataset
import numpy
from keras.models import Sequential
from keras.layers import Dense
from keras.wrappers import SKLearnClassifier
from keras.utils import to_categorical
from sklearn.model_selection import cross_val_score
from sklearn.model_selection import KFold
from sklearn.preprocessing import LabelEncoder
# fix random seed for reproducibility
seed = 7
numpy.random.seed(seed)
# load dataset (synthetic stand-in for iris.csv: 4 measurements, then the species name)
species = numpy.array(['Iris-setosa', 'Iris-versicolor', 'Iris-virginica'])
centers = numpy.array([[5.0, 3.4, 1.5, 0.2], [5.9, 2.8, 4.3, 1.3], [6.6, 3.0, 5.5, 2.0]])
kind = numpy.repeat(numpy.arange(3), 50)
dataset = numpy.empty((150, 5), dtype=object)
dataset[:, 0:4] = centers[kind] + 0.3 * numpy.random.randn(150, 4)
dataset[:, 4] = species[kind]
X = dataset[:, 0:4].astype(float)
Y = dataset[:, 4]
# encode class values as integers
encoder = LabelEncoder()
encoder.fit(Y)
encoded_Y = encoder.transform(Y)
# convert integers to dummy variables (i.e. one hot encoded)
dummy_y = to_categorical(encoded_Y)


# define baseline model
def baseline_model(X, y):
    # create model
    model = Sequential()
    model.add(Dense(4, input_dim=4, kernel_initializer='normal', activation='relu'))
    model.add(Dense(3, kernel_initializer='normal', activation='softmax'))
    # Compile model
    model.compile(loss='categorical_crossentropy', optimizer='adam', metrics=['accuracy'])
    return model


# SKLearnClassifier one-hot encodes the class ids itself
estimator = SKLearnClassifier(model=baseline_model, fit_kwargs={'epochs': 10, 'batch_size': 5, 'verbose': 0})
kfold = KFold(n_splits=3, shuffle=True, random_state=seed)
results = cross_val_score(estimator, X, encoded_Y, cv=kfold)
print("Accuracy: %.2f%% (%.2f%%)" % (results.mean()*100, results.std()*100))
