# Basic regression: predict fuel efficiency (TF 2.3 tutorial style)
import numpy as np
import tensorflow as tf

from tensorflow import keras
from tensorflow.keras import layers

np.set_printoptions(precision=3, suppress=True)

# synthetic stand-in for the Auto MPG dataset: 9 features (one-hot origin included), MPG label
rng = np.random.RandomState(1)
features = np.column_stack([
    rng.randint(3, 9, 398),            # Cylinders
    rng.uniform(70, 450, 398),         # Displacement
    rng.uniform(45, 230, 398),         # Horsepower
    rng.uniform(1600, 5100, 398),      # Weight
    rng.uniform(8, 25, 398),           # Acceleration
    rng.randint(70, 83, 398),          # Model Year
    np.eye(3)[rng.randint(0, 3, 398)]  # Europe, Japan, USA
]).astype('float32')
mpg = 46 - features[:, 3] / 150 + (features[:, 5] - 70) * 0.7 + rng.randn(398)

train_features, test_features = features[:318], features[318:]
train_labels, test_labels = mpg[:318], mpg[318:]

normalizer = layers.Normalization()
normalizer.adapt(np.array(train_features))
print(normalizer.mean.numpy())


def build_and_compile_model(norm):
  model = keras.Sequential([
      norm,
      layers.Dense(64, activation='relu'),
      layers.Dense(64, activation='relu'),
      layers.Dense(1)
  ])

  model.compile(loss='mean_absolute_error',
                optimizer=tf.keras.optimizers.Adam(0.001))
  return model


dnn_model = build_and_compile_model(normalizer)

history = dnn_model.fit(
    train_features, train_labels,
    validation_split=0.2,
    verbose=0, epochs=20)

test_results = dnn_model.evaluate(test_features, test_labels, verbose=0)
print('Mean absolute error [MPG]:', test_results)
