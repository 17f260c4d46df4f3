import os
import shutil
import tempfile

import numpy as np
import tensorflow as tf

# synthetic stand-in for tf.keras.datasets.mnist.load_data()
rng = np.random.RandomState(5)
y_train = rng.randint(0, 10, 2000).astype('uint8')
x_train = rng.randint(0, 100, (2000, 28, 28)).astype('uint8')
x_train[np.arange(2000), y_train * 2 + 4, 14] = 255
y_test = rng.randint(0, 10, 400).astype('uint8')
x_test = rng.randint(0, 100, (400, 28, 28)).astype('uint8')
x_test[np.arange(400), y_test * 2 + 4, 14] = 255

x_train, x_test = x_train / 255.0, x_test / 255.0

model = tf.keras.models.Sequential([
  tf.keras.layers.Flatten(input_shape=(28, 28)),
  tf.keras.layers.Dense(128, activation='relu'),
  tf.keras.layers.Dropout(0.2),
  tf.keras.layers.Dense(10, activation='softmax')
])

loss_fn = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True)

model.compile(optimizer=tf.keras.optimizers.Adam(lr=0.001),
              loss=loss_fn,
              metrics=['accuracy'])

checkpoint_root = tempfile.mkdtemp()
checkpoint_path = os.path.join(checkpoint_root, "training_1/cp.ckpt")
checkpoint_dir = os.path.dirname(checkpoint_path)

# Create a callback that saves the model's weights
cp_callback = tf.keras.callbacks.ModelCheckpoint(filepath=checkpoint_path,
                                                 save_weights_only=True,
                                                 verbose=1)

model.fit(x_train, y_train, epochs=2,
          validation_data=(x_test, y_test),
          callbacks=[cp_callback])

model.evaluate(x_test,  y_test, verbose=2)
print(model.predict_classes(x_test[:5]), y_test[:5])
shutil.rmtree(checkpoint_root)
