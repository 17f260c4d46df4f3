# Multi-task CNN on small face crops: regress age, classify gender.
# y is passed as a list [ages, genders] in the order of the model outputs.
import numpy as np
import tensorflow as tf

IMG = 32
N = 320

def load_faces(seed=0):
    rng = np.random.RandomState(seed)
    imgs = rng.rand(N, IMG, IMG, 3).astype("float32")
    gender = rng.randint(0, 2, N)
    age = rng.uniform(10, 70, N)
    # make the signal learnable: brightness ~ age, red channel ~ gender
    imgs += (age[:, None, None, None] / 70.0) * 0.3
    imgs[..., 0] += gender[:, None, None] * 0.2
    return imgs, age.astype("float32"), gender.astype("float32")

def conv_block(x, filters):
    x = tf.keras.layers.Conv2D(filters, 3, padding="same", activation="relu")(x)
    x = tf.keras.layers.MaxPooling2D()(x)
    return x

def make_model():
    inputs = tf.keras.Input(shape=(IMG, IMG, 3))
    x = conv_block(inputs, 16)
    x = conv_block(x, 32)
    x = tf.keras.layers.Flatten()(x)
    x = tf.keras.layers.Dense(64, activation="relu")(x)
    age = tf.keras.layers.Dense(1, name="age")(x)
    gender = tf.keras.layers.Dense(1, activation="softmax", name="gender")(x)
    m = tf.keras.Model(inputs, [age, gender])
    m.compile(optimizer="adam",
              loss=["mae", "binary_crossentropy"],
              metrics=[[], ["accuracy"]])
    return m

imgs, ages, genders = load_faces()
model = make_model()
model.fit(imgs[:256], [ages[:256], genders[:256]], epochs=3, batch_size=32, verbose=2)

out = model.evaluate(imgs[256:], [ages[256:], genders[256:]], verbose=0)
print("eval:", out)
age_pred, gender_pred = model.predict(imgs[256:260], verbose=0)
print("ages:", age_pred.ravel().round(), "P(male):", gender_pred.ravel().round(2))
