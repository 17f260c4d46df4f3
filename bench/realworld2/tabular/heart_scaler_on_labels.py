import numpy as np
from sklearn.preprocessing import StandardScaler
from sklearn.model_selection import train_test_split
from keras.models import Sequential
from keras.layers import Dense, Dropout

np.random.seed(0)

# ---- fake "heart.csv" (age, sex, chol, bp, maxhr, oldpeak, target) ----
N = 500
age = np.random.randint(29, 78, N)
sex = np.random.randint(0, 2, N)
chol = np.random.normal(245, 50, N).round()
bp = np.random.normal(130, 17, N).round()
maxhr = np.random.normal(150, 22, N).round()
oldpeak = np.abs(np.random.normal(1.0, 1.1, N)).round(1)
risk = 0.04 * (age - 54) + 0.6 * sex + 0.01 * (chol - 245) - 0.03 * (maxhr - 150) + 0.7 * oldpeak
target = (risk + np.random.normal(0, 0.5, N) > 0.8).astype(int)
np.savetxt("heart.csv", np.column_stack([age, sex, chol, bp, maxhr, oldpeak, target]),
           delimiter=",", header="age,sex,chol,trestbps,thalach,oldpeak,target", comments="", fmt="%g")

dataset = np.loadtxt("heart.csv", delimiter=",", skiprows=1)
print(dataset.shape)

# scale everything so the net trains better
sc = StandardScaler()
dataset = sc.fit_transform(dataset)

X = dataset[:, 0:6]
Y = dataset[:, 6]
X_train, X_test, Y_train, Y_test = train_test_split(X, Y, test_size=0.25, random_state=0)

model = Sequential()
model.add(Dense(16, input_dim=6, activation='relu'))
model.add(Dropout(0.2))
model.add(Dense(8, activation='relu'))
# model.add(Dense(8, activation='relu'))
model.add(Dense(1, activation='sigmoid'))

model.compile(loss='binary_crossentropy', optimizer='adam', metrics=['accuracy'])
model.fit(X_train, Y_train, epochs=3, batch_size=10, verbose=2)

score = model.evaluate(X_test, Y_test, verbose=0)
print("Test loss, acc:", score)
pred = (model.predict(X_test, verbose=0) > 0.5).astype(int).ravel()
print("first predictions:", pred[:10], "labels:", Y_test[:10])
