import os
import shutil
import tempfile

import numpy as np
import tensorflow as tf
from tensorflow.keras import backend as K
from tensorflow.keras.layers import Input, Embedding, Lambda, Dense, Dropout
from tensorflow.keras.models import Model

NUM_WORDS = 5000
MAX_LEN = 50
NUM_TOPICS = 5

# news snippets as word ids, one of 5 topics each (synthetic)
rng = np.random.RandomState(3)
topics = rng.randint(0, NUM_TOPICS, size=1500)
docs = rng.randint(1, NUM_WORDS, size=(1500, MAX_LEN))
docs[:, :5] = (topics * 100 + 7)[:, None]
labels = np.array(topics, dtype=np.int)

inp = Input(shape=(MAX_LEN,), dtype='int32')
emb = Embedding(NUM_WORDS, 64)(inp)
avg = Lambda(lambda t: K.mean(t, axis=1))(emb)
h = Dense(64, activation='relu')(avg)
h = Dropout(0.3)(h)
out = Dense(NUM_TOPICS, activation='softmax')(h)

model = Model(inputs=inp, outputs=out)
model.compile(optimizer=tf.keras.optimizers.Adam(lr=0.01),
              loss='categorical_crossentropy',
              metrics=['accuracy'])
model.summary()

model.fit(docs, labels, batch_size=64, epochs=2, validation_split=0.1)

out_dir = tempfile.mkdtemp(prefix='topics_')
model.save_weights(os.path.join(out_dir, 'topic_model.h5'))
shutil.rmtree(out_dir)
