# soil type classification from spectrometer + chemistry readings
# TODO clean this up before submission
import pandas as pd
import numpy as np
from sklearn.preprocessing import LabelEncoder, StandardScaler
from sklearn.model_selection import train_test_split
from tensorflow.keras.models import Sequential
from tensorflow.keras.layers import Dense, BatchNormalization

np.random.seed(1)
soils = np.array(["clay", "loam", "sand", "silt"])
n = 900
kind = np.random.randint(0, 4, n)
data = pd.DataFrame(np.random.randn(n, 10) + kind[:, None] * np.linspace(-0.6, 0.6, 10), columns=[f"b{i}" for i in range(10)])
data["ph"] = 6.5 + 0.4 * kind + np.random.randn(n) * 0.3
data["soil"] = soils[kind]
data.to_csv("soil_samples.csv", index=False)

df = pd.read_csv("soil_samples.csv")
#df = df.dropna()
enc = LabelEncoder()
y = enc.fit_transform(df["soil"])       # 0..3
X = df.drop("soil", axis=1).values
X = StandardScaler().fit_transform(X)
x_tr, x_te, y_tr, y_te = train_test_split(X, y, test_size=0.2, random_state=1)

model = Sequential()
model.add(Dense(64, activation='relu', input_shape=(11,)))
model.add(BatchNormalization())
model.add(Dense(32, activation='relu'))
model.add(Dense(4, activation='softmax'))
#model.compile(optimizer='sgd', loss='mse')
model.compile(optimizer='adam', loss='mse', metrics=['accuracy'])
hist = model.fit(x_tr, y_tr, epochs=3, batch_size=16, validation_data=(x_te, y_te), verbose=2)

p = model.predict(x_te, verbose=0)
print("predicted soils:", enc.inverse_transform(p.argmax(axis=1))[:8])
print("true soils:     ", enc.inverse_transform(y_te)[:8])
print("test acc:", (p.argmax(1) == y_te).mean())
