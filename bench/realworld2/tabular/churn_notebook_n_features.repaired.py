#!/usr/bin/env python
# coding: utf-8

# # Bank customer churn - ANN
# exported from a Kaggle notebook

# In[1]:


import numpy as np
import pandas as pd
import tensorflow as tf
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

CONFIG = {"seed": 42, "epochs": 3, "batch": 64, "lr": 0.001, "units": [32, 16]}
rng = np.random.default_rng(CONFIG["seed"])


# In[2]:


n = 1000
df = pd.DataFrame({
    "CustomerId": np.arange(15600000, 15600000 + n),
    "CreditScore": rng.integers(350, 850, n),
    "Age": rng.integers(18, 80, n),
    "Tenure": rng.integers(0, 11, n),
    "Balance": rng.uniform(0, 200000, n).round(2),
    "NumOfProducts": rng.integers(1, 5, n),
    "HasCrCard": rng.integers(0, 2, n),
    "IsActiveMember": rng.integers(0, 2, n),
    "EstimatedSalary": rng.uniform(10000, 200000, n).round(2),
})
df["Exited"] = ((df["Age"] > 45) & (df["IsActiveMember"] == 0) | (rng.random(n) < 0.1)).astype(int)
df.to_csv("Churn_Modelling.csv", index=False)


# In[3]:


df = pd.read_csv("Churn_Modelling.csv")
df.info()
n_features = df.shape[1] - 1  # all columns except the target
print("n_features =", n_features)


# In[4]:


X = df.drop(["Exited", "CustomerId"], axis=1)
y = df["Exited"]
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=CONFIG["seed"])
sc = StandardScaler()
X_train = sc.fit_transform(X_train)
X_test = sc.transform(X_test)


# In[5]:


ann = tf.keras.models.Sequential()
ann.add(tf.keras.layers.Input(shape=(X_train.shape[1],)))
for u in CONFIG["units"]:
    ann.add(tf.keras.layers.Dense(units=u, activation="relu"))
ann.add(tf.keras.layers.Dense(units=1, activation="sigmoid"))
ann.compile(optimizer=tf.keras.optimizers.Adam(learning_rate=CONFIG["lr"]), loss="binary_crossentropy",
            metrics=["accuracy"])
ann.summary()


# In[6]:


ann.fit(X_train, y_train, batch_size=CONFIG["batch"], epochs=CONFIG["epochs"], verbose=2)


# In[7]:


y_pred = (ann.predict(X_test, verbose=0) > 0.5).astype(int).ravel()
print("test accuracy:", (y_pred == y_test.values).mean())
