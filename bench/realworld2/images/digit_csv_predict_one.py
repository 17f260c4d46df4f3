#!/usr/bin/env python
# coding: utf-8

# # Digit Recognizer - simple CNN
# exported from kaggle notebook

# In[1]:

import numpy as np
import pandas as pd
import tensorflow as tf
from tensorflow.keras.models import Sequential
from tensorflow.keras.layers import Conv2D, MaxPool2D, Flatten, Dense, Dropout
#import matplotlib.pyplot as plt

np.random.seed(2)

# In[2]:

# (the competition files, regenerated small so the notebook runs offline)
lab = np.random.randint(0, 10, 500)
pix = np.random.randint(0, 40, (500, 784))
for i in range(500):
    pix[i, lab[i]*70:lab[i]*70+70] += 200
pd.DataFrame(np.c_[lab, pix], columns=["label"] + ["pixel%d" % i for i in range(784)]).to_csv("train.csv", index=False)
pd.DataFrame(pix[:5], columns=["pixel%d" % i for i in range(784)]).to_csv("test.csv", index=False)

# In[3]:

train = pd.read_csv("train.csv")
test = pd.read_csv("test.csv")
Y_train = train["label"]
X_train = train.drop(labels=["label"], axis=1)
del train
X_train = X_train / 255.0
test = test / 255.0
X_train = X_train.values.reshape(-1, 28, 28, 1)
test = test.values.reshape(-1, 28, 28, 1)
#Y_train = to_categorical(Y_train, num_classes = 10)

# In[4]:

model = Sequential()
model.add(Conv2D(filters=32, kernel_size=(5, 5), padding='Same', activation='relu', input_shape=(28, 28, 1)))
model.add(MaxPool2D(pool_size=(2, 2)))
model.add(Dropout(0.25))
model.add(Conv2D(filters=64, kernel_size=(3, 3), padding='Same', activation='relu'))
model.add(MaxPool2D(pool_size=(2, 2), strides=(2, 2)))
model.add(Flatten())
model.add(Dense(128, activation="relu"))
model.add(Dense(10, activation="softmax"))
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])

# In[5]:

history = model.fit(X_train, Y_train, batch_size=86, epochs=2, validation_split=0.1, verbose=2)

# In[6]:

# try it on one of the test images
img = test[3]
pred = model.predict(img)
print("predicted digit:", np.argmax(pred))
