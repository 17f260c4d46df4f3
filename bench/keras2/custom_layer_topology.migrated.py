# Writing your own Keras layers: a layer with trainable weights
import numpy as np
from keras import ops
from keras.layers import Layer
from keras.models import Sequential
from keras.layers import Dense


class MyLayer(Layer):

    def __init__(self, output_dim, **kwargs):
        self.output_dim = output_dim
        super(MyLayer, self).__init__(**kwargs)

    def build(self, input_shape):
        # Create a trainable weight variable for this layer.
        self.kernel = self.add_weight(name='kernel',
                                      shape=(input_shape[1], self.output_dim),
                                      initializer='uniform',
                                      trainable=True)
        super(MyLayer, self).build(input_shape)  # Be sure to call this somewhere!

    def call(self, x):
        return ops.matmul(x, self.kernel)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.output_dim)


np.random.seed(0)
x = np.random.rand(1000, 20)
y = (x[:, :10].sum(axis=1) > 5).astype('float32')

model = Sequential()
model.add(Dense(32, activation='relu', input_shape=(20,)))
model.add(MyLayer(16))
model.add(Dense(1, activation='sigmoid'))
model.compile(optimizer='rmsprop', loss='binary_crossentropy', metrics=['accuracy'])
model.fit(x, y, epochs=3, batch_size=32)
print(model.evaluate(x, y, verbose=0))
