import os
import shutil
import tempfile

import numpy as np
import tensorflow as tf

NUM_CLASSES = 4

# customer table + last 20 product ids per customer -> one of 4 segments (synthetic)
rng = np.random.default_rng(11)
tab = rng.normal(size=(1200, 10)).astype('float32')
seq = rng.integers(1, 500, size=(1200, 20))
segment = (np.abs(tab[:, 0] * 2).astype(int) + seq[:, 0] % 2) % NUM_CLASSES
y = tf.keras.utils.to_categorical(segment, NUM_CLASSES)

tab_in = tf.keras.layers.Input(shape=(10,), name='tabular')
seq_in = tf.keras.layers.Input(shape=(20,), name='products')
t = tf.keras.layers.Dense(32, activation='relu')(tab_in)
s = tf.keras.layers.Embedding(500, 16)(seq_in)
s = tf.keras.layers.GlobalAveragePooling1D()(s)
merged = tf.keras.layers.Concatenate(axis=-1)([t, s])
h = tf.keras.layers.Dense(32, activation='relu')(merged)
out = tf.keras.layers.Dense(NUM_CLASSES, activation='softmax')(h)

model = tf.keras.Model(inputs=[tab_in, seq_in], outputs=out)
model.compile(optimizer='adam', loss='categorical_crossentropy', metrics=['accuracy'])
model.fit([tab, seq], y, epochs=3, batch_size=32, validation_split=0.2)

# export as a SavedModel and check that it loads again
base = tempfile.mkdtemp()
export_dir = os.path.join(base, 'segment_model.keras')
model.save(export_dir)
reloaded = tf.keras.models.load_model(export_dir)
print(reloaded.predict([tab[:3], seq[:3]]))
shutil.rmtree(base)
