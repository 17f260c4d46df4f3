"""The Keras-2 → Keras-3 migration pass, without TensorFlow: before/after tables, resolution, guarantees.

Each row is Fixit-style: a snippet, the rules it must report, and the exact text
``apply_migrations`` must make of it (None: unchanged). A second apply must change
nothing, and every byte outside the edited nodes must survive.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from textwrap import dedent

import pytest

from kerasfix.keras2 import Hints, Migration, ModelOutput, apply_migrations, classify_runtime_error, find_migrations
from kerasfix.keras2 import find as find_module
from kerasfix.keras2.edits import Found, Replace
from kerasfix.rewrite.errors import RewriteError

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
ALL = lambda m: True  # noqa: E731  (review too; display never has an edit)


def rules(source: str, **kwargs: object) -> list[tuple[str, str]]:
    return [(m.rule, m.applicability) for m in find_migrations(dedent(source), **kwargs)]  # type: ignore[arg-type]


def check(before: str, after: str | None, *, include=ALL, hints: Hints | None = None) -> None:
    source = dedent(before)
    expected = source if after is None else dedent(after)
    result = apply_migrations(source, include=include, hints=hints)
    assert result == expected
    assert apply_migrations(result, include=include, hints=hints) == result, "a second apply changed something"


# ---------------------------------------------------------------------------------------------
# One row per rule: (before, rules reported, after).

CASES: dict[str, tuple[str, list[tuple[str, str]], str | None]] = {
    "fit_nb_epoch": (
        """
        import keras
        model = keras.Sequential()
        model.fit(x, y, nb_epoch=10)
        """,
        [("fit_nb_epoch", "safe")],
        """
        import keras
        model = keras.Sequential()
        model.fit(x, y, epochs=10)
        """,
    ),
    "optimizer_lr": (
        """
        from keras.optimizers import Adam
        opt = Adam(lr=1e-3, beta_1=0.9)
        """,
        [("optimizer_lr", "safe")],
        """
        from keras.optimizers import Adam
        opt = Adam(learning_rate=1e-3, beta_1=0.9)
        """,
    ),
    "dense_output_dim": (
        """
        from keras.layers import Dense
        d = Dense(output_dim=3)
        """,
        [("dense_output_dim", "safe")],
        """
        from keras.layers import Dense
        d = Dense(units=3)
        """,
    ),
    "embedding_output_dim_untouched": (
        """
        from keras.layers import Embedding
        e = Embedding(input_dim=10, output_dim=4)
        """,
        [],
        None,
    ),
    "border_mode_subsample_init": (
        """
        from keras.layers import Conv2D
        c = Conv2D(8, (3, 3), border_mode='same', subsample=(2, 2), init='he_normal')
        """,
        [("border_mode", "safe"), ("subsample", "safe"), ("layer_init", "safe")],
        """
        from keras.layers import Conv2D
        c = Conv2D(8, (3, 3), padding='same', strides=(2, 2), kernel_initializer='he_normal')
        """,
    ),
    "regularizers": (
        """
        from keras.layers import Dense
        d = Dense(4, W_regularizer=r, b_regularizer=r)
        """,
        [("w_regularizer", "safe"), ("b_regularizer", "safe")],
        """
        from keras.layers import Dense
        d = Dense(4, kernel_regularizer=r, bias_regularizer=r)
        """,
    ),
    "dim_ordering": (
        """
        from keras.layers import Conv2D, MaxPooling2D
        a = Conv2D(8, (3, 3), dim_ordering="th")
        b = MaxPooling2D(dim_ordering='tf')
        """,
        [("dim_ordering", "safe"), ("dim_ordering", "safe")],
        """
        from keras.layers import Conv2D, MaxPooling2D
        a = Conv2D(8, (3, 3), data_format="channels_first")
        b = MaxPooling2D(data_format='channels_last')
        """,
    ),
    "dim_ordering_unknown_value": (
        """
        from keras.layers import Conv2D
        a = Conv2D(8, (3, 3), dim_ordering=ORDER)
        """,
        [("dim_ordering", "display")],
        None,
    ),
    "rnn_dropouts_consume_less": (
        """
        from keras.layers import LSTM
        r = LSTM(8, dropout_W=0.2, dropout_U=0.1, consume_less="gpu")
        """,
        [("rnn_dropout_w", "safe"), ("rnn_dropout_u", "safe"), ("rnn_consume_less", "safe")],
        """
        from keras.layers import LSTM
        r = LSTM(8, dropout=0.2, recurrent_dropout=0.1)
        """,
    ),
    "dropout_p": (
        """
        from keras.layers import Dropout
        d = Dropout(p=0.5)
        """,
        [("dropout_p", "safe")],
        """
        from keras.layers import Dropout
        d = Dropout(rate=0.5)
        """,
    ),
    "model_input_output": (
        """
        from keras.models import Model
        m = Model(input=a, output=b)
        """,
        [("model_input_output", "safe"), ("model_input_output", "safe")],
        """
        from keras.models import Model
        m = Model(inputs=a, outputs=b)
        """,
    ),
    "batchnorm_mode_zero": (
        """
        from keras.layers import BatchNormalization
        b = BatchNormalization(mode=0, axis=-1)
        """,
        [("batchnorm_mode", "safe")],
        """
        from keras.layers import BatchNormalization
        b = BatchNormalization(axis=-1)
        """,
    ),
    "batchnorm_mode_two": (
        """
        from keras.layers import BatchNormalization
        b = BatchNormalization(mode=2)
        """,
        [("batchnorm_mode", "display")],
        None,
    ),
    "embedding_input_length": (
        """
        from keras.layers import Embedding
        e = Embedding(100, 8, input_length=20)
        """,
        [("embedding_input_length", "safe")],
        """
        from keras.layers import Embedding
        e = Embedding(100, 8)
        """,
    ),
    "fit_workers_on_keras_model": (
        """
        import keras
        model = keras.models.load_model("m.keras")
        model.fit(x, y, workers=4, use_multiprocessing=True, max_queue_size=10, verbose=0)
        """,
        [("fit_workers", "safe")] * 3,
        """
        import keras
        model = keras.models.load_model("m.keras")
        model.fit(x, y, verbose=0)
        """,
    ),
    "show_accuracy": (
        """
        model.fit(x, y, nb_epoch=2, show_accuracy=True)
        """,
        [("fit_nb_epoch", "safe"), ("fit_show_accuracy", "safe")],
        """
        model.fit(x, y, epochs=2)
        """,
    ),
    "float_steps_division": (
        """
        import math
        model.fit(gen, steps_per_epoch=len(x) / 32, validation_steps=n // 32)
        """,
        [("float_steps", "safe")],
        """
        import math
        model.fit(gen, steps_per_epoch=math.ceil(len(x) / 32), validation_steps=n // 32)
        """,
    ),
    "float_steps_numpy_ceil": (
        """
        import numpy as np
        steps = np.ceil(len(x) / 32)
        model.fit(gen, steps_per_epoch=steps)
        """,
        [("float_steps", "safe")],
        """
        import numpy as np
        steps = np.ceil(len(x) / 32)
        model.fit(gen, steps_per_epoch=int(steps))
        """,
    ),
    "numpy_int_units": (
        """
        import numpy as np
        from keras.layers import Dense, Embedding
        n = np.max(y) + 1
        d = Dense(n, activation="softmax")
        e = Embedding(np.int64(vocab), 8)
        ok = Dense(len(np.unique(y)))
        """,
        [("numpy_int_units", "safe"), ("numpy_int_units", "safe")],
        """
        import numpy as np
        from keras.layers import Dense, Embedding
        n = np.max(y) + 1
        d = Dense(int(n), activation="softmax")
        e = Embedding(int(np.int64(vocab)), 8)
        ok = Dense(len(np.unique(y)))
        """,
    ),
    "samples_per_epoch_with_flow": (
        """
        model.fit_generator(datagen.flow(x, y, batch_size=64), samples_per_epoch=len(x), nb_epoch=5)
        """,
        [("fit_generator", "safe"), ("samples_per_epoch", "review"), ("fit_nb_epoch", "safe")],
        """
        from math import ceil

        model.fit(datagen.flow(x, y, batch_size=64), steps_per_epoch=ceil(len(x) / 64), epochs=5)
        """,
    ),
    "samples_per_epoch_unknown_batch": (
        """
        model.fit_generator(gen, samples_per_epoch=1000)
        """,
        [("fit_generator", "safe"), ("samples_per_epoch", "display")],
        # The rename is made; samples_per_epoch stays reported until the batch size is known.
        """
        model.fit(gen, samples_per_epoch=1000)
        """,
    ),
    "optimizer_decay": (
        """
        import keras
        sgd = keras.optimizers.SGD(lr=0.01, decay=1e-6, momentum=0.9)
        """,
        [("optimizer_lr", "safe"), ("optimizer_decay", "review")],
        """
        import keras
        sgd = keras.optimizers.SGD(learning_rate=keras.optimizers.schedules.InverseTimeDecay(0.01, decay_steps=1, decay_rate=1e-6), momentum=0.9)
        """,
    ),
    "optimizer_decay_default_rate": (
        """
        from tensorflow.keras.optimizers import Adam
        opt = Adam(decay=1e-4)
        """,
        [("optimizer_decay", "review")],
        """
        from tensorflow.keras.optimizers import Adam
        from tensorflow.keras.optimizers.schedules import InverseTimeDecay

        opt = Adam(learning_rate=InverseTimeDecay(0.001, decay_steps=1, decay_rate=1e-4))
        """,
    ),
    "batch_input_shape_display": (
        """
        from keras.layers import Dense
        d = Dense(3, batch_input_shape=(None, 4))
        """,
        [("batch_input_shape", "display")],
        None,
    ),
    "batch_input_shape_add_chain": (
        """
        from keras.models import Sequential
        from keras.layers import LSTM, Dense
        model = Sequential()
        model.add(LSTM(8,
                       batch_input_shape=(4, 1, 1),
                       stateful=True))
        model.add(Dense(1))
        """,
        [("batch_input_shape", "safe")],
        """
        from keras.models import Sequential
        from keras.layers import LSTM, Dense
        from keras import Input

        model = Sequential()
        model.add(Input(batch_shape=(4, 1, 1)))
        model.add(LSTM(8,
                       stateful=True))
        model.add(Dense(1))
        """,
    ),
    "batch_input_shape_sequential_list": (
        """
        import keras
        model = keras.Sequential([
            keras.layers.LSTM(8, batch_input_shape=(4, 1, 1), stateful=True),
            keras.layers.Dense(1),
        ])
        """,
        [("batch_input_shape", "safe")],
        """
        import keras
        model = keras.Sequential([
            keras.Input(batch_shape=(4, 1, 1)),
            keras.layers.LSTM(8, stateful=True),
            keras.layers.Dense(1),
        ])
        """,
    ),
    "batch_input_shape_with_input_shape_display": (
        """
        import keras
        model = keras.Sequential()
        model.add(keras.layers.Dense(3, batch_input_shape=(None, 4), input_shape=(4,)))
        """,
        [("batch_input_shape", "display")],
        None,
    ),
    "to_categorical_nb_classes": (
        """
        from keras.utils import np_utils
        y = np_utils.to_categorical(labels, nb_classes=10)
        """,
        [("np_utils_module", "safe"), ("to_categorical_nb_classes", "safe")],
        """
        from keras import utils as np_utils
        y = np_utils.to_categorical(labels, num_classes=10)
        """,
    ),
    "embedding_dropout_review": (
        """
        from keras.layers import Embedding
        e = Embedding(1000, 64, dropout=0.2)
        """,
        [("embedding_dropout", "review")],
        """
        from keras.layers import Embedding
        e = Embedding(1000, 64)
        """,
    ),
    "val_samples_generator_function": (
        """
        import keras
        def batches(x, y, batch_size=16):
            while True:
                yield x[:batch_size], y[:batch_size]
        model = keras.Sequential()
        model.evaluate_generator(batches(x, y, 64), val_samples=len(x))
        model.predict_generator(batches(x, y), val_samples=1000)
        """,
        [("evaluate_generator", "safe"), ("val_samples", "review"), ("predict_generator", "safe"), ("val_samples", "review")],
        """
        import keras
        from math import ceil

        def batches(x, y, batch_size=16):
            while True:
                yield x[:batch_size], y[:batch_size]
        model = keras.Sequential()
        model.evaluate(batches(x, y, 64), steps=ceil(len(x) / 64))
        model.predict(batches(x, y), steps=ceil(1000 / 16))
        """,
    ),
    "samples_per_epoch_unknown_generator_display": (
        """
        import keras
        model = keras.Sequential()
        model.fit_generator(make_batches(x, y, 32), samples_per_epoch=1000, nb_epoch=2)
        """,
        [("fit_generator", "safe"), ("samples_per_epoch", "display"), ("fit_nb_epoch", "safe")],
        """
        import keras
        model = keras.Sequential()
        model.fit(make_batches(x, y, 32), samples_per_epoch=1000, epochs=2)
        """,
    ),
    "rnn_input_dim_input_length": (
        """
        from keras.models import Sequential
        from keras.layers import LSTM
        model = Sequential()
        model.add(LSTM(32, input_dim=data_dim, input_length=timesteps))
        """,
        [("rnn_input_length", "safe")],
        """
        from keras.models import Sequential
        from keras.layers import LSTM
        model = Sequential()
        model.add(LSTM(32, input_shape=(timesteps, data_dim)))
        """,
    ),
    "rnn_input_length_alone_display": (
        """
        from keras.layers import GRU
        g = GRU(8, input_length=10)
        """,
        [("rnn_input_length", "display")],
        None,
    ),
    "compile_sample_weight_mode": (
        """
        import keras
        model = keras.Sequential()
        model.compile(loss="mse", optimizer="adam", sample_weight_mode="temporal")
        other.compile(loss="mse", sample_weight_mode=mode)
        """,
        [("compile_sample_weight_mode", "safe")],
        """
        import keras
        model = keras.Sequential()
        model.compile(loss="mse", optimizer="adam")
        other.compile(loss="mse", sample_weight_mode=mode)
        """,
    ),
    "conv_kernel_positional_subscripts": (
        """
        from keras.layers import Convolution2D
        kernel_size = (3, 3)
        c = Convolution2D(32, kernel_size[0], kernel_size[1], border_mode='valid')
        """,
        [("conv_kernel_positional", "review"), ("border_mode", "safe")],
        """
        from keras.layers import Convolution2D
        kernel_size = (3, 3)
        c = Convolution2D(32, (kernel_size[0], kernel_size[1]), padding='valid')
        """,
    ),
    # -- keras2_api ------------------------------------------------------------------------------
    "fit_generator_positional": (
        """
        model.fit_generator(gen, 100, 5, verbose = 2)
        """,
        [("fit_generator", "safe")],
        """
        model.fit(gen, steps_per_epoch = 100, epochs = 5, verbose = 2)
        """,
    ),
    "fit_generator_keyword_generator": (
        """
        model.fit_generator(generator=gen, steps_per_epoch=10, workers=2)
        """,
        [("fit_generator", "safe"), ("fit_workers", "safe")],
        """
        model.fit(x=gen, steps_per_epoch=10)
        """,
    ),
    "evaluate_predict_generator": (
        """
        score = model.evaluate_generator(gen, 10)
        preds = model.predict_generator(gen, steps=10, max_queue_size=4)
        """,
        [("evaluate_generator", "safe"), ("predict_generator", "safe"), ("fit_workers", "safe")],
        """
        score = model.evaluate(gen, steps=10)
        preds = model.predict(gen, steps=10)
        """,
    ),
    "fit_generator_keras1_positional": (
        """
        model.fit_generator(gen, 1000, 10, nb_val_samples=100)
        """,
        [("fit_generator", "display"), ("nb_val_samples", "display")],
        None,
    ),
    "predict_classes_softmax_sequential": (
        """
        import numpy as np
        from keras.models import Sequential
        from keras.layers import Dense
        model = Sequential([Dense(16), Dense(10, activation="softmax")])
        labels = model.predict_classes(x_test, batch_size=32)
        """,
        [("predict_classes", "review")],
        """
        import numpy as np
        from keras.models import Sequential
        from keras.layers import Dense
        model = Sequential([Dense(16), Dense(10, activation="softmax")])
        labels = np.argmax(model.predict(x_test, batch_size=32), axis=-1)
        """,
    ),
    "predict_classes_sigmoid_add": (
        """
        import keras
        model = keras.Sequential()
        model.add(keras.layers.Dense(1, activation="sigmoid"))
        labels = model.predict_classes(x)
        """,
        [("predict_classes", "review")],
        """
        import keras
        model = keras.Sequential()
        model.add(keras.layers.Dense(1, activation="sigmoid"))
        labels = (model.predict(x) > 0.5).astype("int32")
        """,
    ),
    "predict_classes_sigmoid_read_as_numbers": (
        """
        import keras
        model = keras.Sequential([keras.layers.Dense(1, activation="sigmoid")])
        labels = model.predict_classes(x)
        for i in range(3):
            print("%d (expected %d)" % (labels[i], y[i]), int(labels[i + 3]), f"{labels[-1]:d}")
            print("{:.0f}".format(labels[i]), float(labels[i]), "%d" % labels[0])
        """,
        [("predict_classes", "review")],
        """
        import keras
        model = keras.Sequential([keras.layers.Dense(1, activation="sigmoid")])
        labels = (model.predict(x) > 0.5).astype("int32").ravel()
        for i in range(3):
            print("%d (expected %d)" % (labels[i], y[i]), int(labels[i + 3]), f"{labels[-1]:d}")
            print("{:.0f}".format(labels[i]), float(labels[i]), "%d" % labels[0])
        """,
    ),
    # Any other use may rely on the (n, 1) column Keras 2 returned: kept as it was.
    **{
        f"predict_classes_sigmoid_kept_{n}": (
            f"""
            import keras
            model = keras.Sequential([keras.layers.Dense(1, activation="sigmoid")])
            labels = model.predict_classes(x)
            print("%d" % labels[0])
            {use}
            """,
            [("predict_classes", "review")],
            f"""
            import keras
            model = keras.Sequential([keras.layers.Dense(1, activation="sigmoid")])
            labels = (model.predict(x) > 0.5).astype("int32")
            print("%d" % labels[0])
            {use}
            """,
        )
        for n, use in enumerate([
            "first = labels[0][0]", "print(labels[1])", "np.save('p.npy', labels)", "print(labels[:, 0])",
            "print('%s' % str(labels[0]))", "labels = labels.ravel()", "print(f'{labels[0]}')",
        ])
    },
    "predict_classes_functional_adds_numpy": (
        """
        import keras
        inputs = keras.Input((4,))
        outputs = keras.layers.Dense(5, activation="softmax")(inputs)
        model = keras.Model(inputs, outputs)
        labels = model.predict_classes(x)
        """,
        [("predict_classes", "review")],
        """
        import keras
        import numpy as np

        inputs = keras.Input((4,))
        outputs = keras.layers.Dense(5, activation="softmax")(inputs)
        model = keras.Model(inputs, outputs)
        labels = np.argmax(model.predict(x), axis=-1)
        """,
    ),
    "predict_classes_activation_layer": (
        """
        import keras
        n_out = 1
        model = keras.Sequential()
        model.add(keras.layers.Dense(n_out))
        model.add(keras.layers.Activation("sigmoid"))
        labels = model.predict_classes(x)
        """,
        [("predict_classes", "review")],
        """
        import keras
        n_out = 1
        model = keras.Sequential()
        model.add(keras.layers.Dense(n_out))
        model.add(keras.layers.Activation("sigmoid"))
        labels = (model.predict(x) > 0.5).astype("int32")
        """,
    ),
    "image_dim_ordering": (
        """
        from keras import backend as K
        K.set_image_dim_ordering('th')
        if K.image_dim_ordering() == 'th':
            shape = (1, 28, 28)
        ordering = K.image_dim_ordering()
        """,
        [("backend_image_dim_ordering", "safe")] * 3,
        """
        from keras import backend as K
        K.set_image_data_format('channels_first')
        if K.image_data_format() == 'channels_first':
            shape = (1, 28, 28)
        ordering = ('th' if K.image_data_format() == 'channels_first' else 'tf')
        """,
    ),
    "image_dim_ordering_unknown_value_display": (
        """
        import keras
        keras.backend.set_image_dim_ordering(ordering)
        """,
        [("backend_image_dim_ordering", "display")],
        None,
    ),
    "backend_math_keepdims": (
        """
        from keras import backend as K
        d = K.sqrt(K.sum(K.square(a - b), axis=1, keepdims=True))
        c = K.clip(p, min_value=0.0, max_value=1.0)
        """,
        [("backend_math", "review")] * 4,
        """
        from keras import ops, backend as K
        d = ops.sqrt(ops.sum(ops.square(a - b), axis=1, keepdims=True))
        c = ops.clip(p, x_min=0.0, x_max=1.0)
        """,
    ),
    "history_acc_key": (
        """
        import os
        from keras.callbacks import ModelCheckpoint, EarlyStopping
        model.compile(loss="mse", optimizer="adam", metrics=["accuracy"])
        path = os.path.join(d, "w-{epoch:02d}-{val_acc:.2f}.hdf5")
        cb = [ModelCheckpoint(path, monitor="val_acc"), EarlyStopping(monitor="acc")]
        history = model.fit(x, y, callbacks=cb)
        h = history.history
        print(history.history["acc"][-1], h['val_acc'], other["acc"])
        """,
        [
            ("history_acc_key", "safe"), ("checkpoint_suffix", "review"), ("history_acc_key", "safe"),
            ("history_acc_key", "safe"), ("history_acc_key", "safe"), ("history_acc_key", "safe"),
        ],
        """
        import os
        from keras.callbacks import ModelCheckpoint, EarlyStopping
        model.compile(loss="mse", optimizer="adam", metrics=["accuracy"])
        path = os.path.join(d, "w-{epoch:02d}-{val_accuracy:.2f}.keras")
        cb = [ModelCheckpoint(path, monitor="val_accuracy"), EarlyStopping(monitor="accuracy")]
        history = model.fit(x, y, callbacks=cb)
        h = history.history
        print(history.history["accuracy"][-1], h['val_accuracy'], other["acc"])
        """,
    ),
    "history_acc_key_kept_with_acc_metric": (
        """
        model.compile(loss="mse", optimizer="adam", metrics=["acc"])
        print(history.history["acc"][-1])
        """,
        [],
        None,
    ),
    "save_weights_path_variable": (
        """
        import os
        import keras
        model = keras.Sequential()
        weights = os.path.join(out, "model.h5")
        model.save_weights(weights)
        model.load_weights(weights)
        """,
        [("save_weights_suffix", "review")],
        """
        import os
        import keras
        model = keras.Sequential()
        weights = os.path.join(out, "model.weights.h5")
        model.save_weights(weights)
        model.load_weights(weights)
        """,
    ),
    "tf1_session": (
        """
        import tensorflow as tf
        from keras.backend.tensorflow_backend import set_session
        config = tf.ConfigProto()
        set_session(tf.Session(config=config))  # the default session
        x = 1
        """,
        [("tensorflow_backend_module", "review"), ("tf1_session", "safe"), ("tf1_session", "safe")],
        """
        import tensorflow as tf
        config = tf.compat.v1.ConfigProto()
        x = 1
        """,
    ),
    "tf1_session_used_elsewhere_display": (
        """
        from keras.backend.tensorflow_backend import set_session
        setter = set_session
        """,
        [("tensorflow_backend_module", "display")],
        None,
    ),
    "merge_mode_calls": (
        """
        from keras.layers import Input, Dense, merge
        a, b = Input((4,)), Input((4,))
        s = merge([a, b], mode='sum')
        c = merge([a, b], mode='concat', concat_axis=1, name='joined')
        m = merge([a, b], mode='mul')
        """,
        [("merge_mode", "safe")] * 4,
        """
        from keras.layers import Add, Concatenate, Multiply, Input, Dense
        a, b = Input((4,)), Input((4,))
        s = Add()([a, b])
        c = Concatenate(axis=1, name='joined')([a, b])
        m = Multiply()([a, b])
        """,
    ),
    "merge_mode_nested": (
        """
        from keras.layers import Input, merge
        a, b, c = Input((4,)), Input((4,)), Input((4,))
        x = merge([merge([a, b], mode='sum'), c], mode='concat')
        y = merge([merge([a, b], mode='concat', concat_axis=1, name='in'), merge([c, c], mode='mul')], mode='concat', name='out')
        z = (merge([a, b]))
        """,
        [("merge_mode", "safe")] * 7,
        """
        from keras.layers import Add, Concatenate, Multiply, Input
        a, b, c = Input((4,)), Input((4,)), Input((4,))
        x = Concatenate(axis=-1)([Add()([a, b]), c])
        y = Concatenate(axis=-1, name='out')([Concatenate(axis=1, name='in')([a, b]), Multiply()([c, c])])
        z = (Add()([a, b]))
        """,
    ),
    "merge_mode_function_display": (
        """
        from keras.layers import Input, merge
        s = merge([a, b], mode=lambda t: t[0] - t[1], output_shape=(4,))
        """,
        [("merge_mode", "display")],
        None,
    ),
    "predict_classes_unknown_model": (
        """
        labels = model.predict_classes(x)
        """,
        [("predict_classes", "display")],
        None,
    ),
    "predict_proba_keras_only": (
        """
        import keras
        from sklearn.linear_model import LogisticRegression
        model = keras.models.load_model("m.keras")
        clf = LogisticRegression()
        p = model.predict_proba(x)
        q = clf.predict_proba(x)
        """,
        [("predict_proba", "review")],
        """
        import keras
        from sklearn.linear_model import LogisticRegression
        model = keras.models.load_model("m.keras")
        clf = LogisticRegression()
        p = model.predict(x)
        q = clf.predict_proba(x)
        """,
    ),
    "reset_states": (
        """
        import keras
        def build():
            model = keras.Sequential()
            return model
        model = build()
        for epoch in range(3):
            # new epoch
            model.reset_states()  # stateful
        """,
        [("model_reset_states", "review")],
        """
        import keras
        def build():
            model = keras.Sequential()
            return model
        model = build()
        for epoch in range(3):
            # new epoch
            for layer in model.layers:  # stateful
                if hasattr(layer, "reset_states"):
                    layer.reset_states()
        """,
    ),
    "rnn_layer_reset_states_untouched": (
        """
        lstm.reset_states()
        """,
        [],
        None,
    ),
    "optimizer_lr_attribute": (
        """
        from keras import backend as K
        print(model.optimizer.lr)
        model.optimizer.lr = 0.01
        """,
        [("optimizer_lr_attribute", "safe"), ("optimizer_lr_attribute", "safe")],
        """
        from keras import backend as K
        print(model.optimizer.learning_rate)
        model.optimizer.learning_rate = 0.01
        """,
    ),
    "numpy_aliases": (
        """
        import numpy as np
        a = x.astype(np.float)
        b = np.zeros(3, dtype=np.int) + np.float64(1)
        c = np.array(v, dtype=np.bool)  # np.bool is back in NumPy 2
        """,
        [("np_float_alias", "safe"), ("np_int_alias", "safe")],
        """
        import numpy as np
        a = x.astype(float)
        b = np.zeros(3, dtype=int) + np.float64(1)
        c = np.array(v, dtype=np.bool)  # np.bool is back in NumPy 2
        """,
    ),
    "backend_math_standalone": (
        """
        from keras import backend as K
        def loss(t, p):
            return K.mean(K.square(p - t), axis=-1) + K.epsilon()
        c = K.concatenate([a, b])
        i = K.argmax(p)
        """,
        [("backend_math", "review")] * 4,
        """
        from keras import ops, backend as K
        def loss(t, p):
            return ops.mean(ops.square(p - t), axis=-1) + K.epsilon()
        c = ops.concatenate([a, b], axis=-1)
        i = ops.argmax(p, axis=-1)
        """,
    ),
    "backend_math_tf_keras_kept": (
        """
        from tensorflow.keras import backend as K
        def loss(t, p):
            return K.mean(K.square(p - t), axis=-1)
        """,
        [],
        None,
    ),
    "tf_op_on_keras_tensor": (
        """
        import tensorflow as tf
        from tensorflow import keras
        a = keras.Input((4,))
        b = keras.layers.Dense(4)(a)
        c = tf.concat([a, b], axis=-1)
        d = tf.reduce_mean(c, axis=1, keepdims=True)
        e = tf.concat([t1, t2], axis=-1)
        """,
        [("tf_op_on_keras_tensor", "review"), ("tf_op_on_keras_tensor", "review")],
        """
        import tensorflow as tf
        from tensorflow import keras
        a = keras.Input((4,))
        b = keras.layers.Dense(4)(a)
        c = keras.layers.Concatenate(axis=-1)([a, b])
        d = keras.ops.mean(c, axis=1, keepdims=True)
        e = tf.concat([t1, t2], axis=-1)
        """,
    ),
    # ``logits`` is a Keras tensor in build() and predict()'s numpy in main(): only the first is symbolic; and
    # ``h = tf.nn.relu(h)`` reads the h of the line before.
    "tf_op_on_keras_tensor_scoped_by_function": (
        """
        import tensorflow as tf
        from tensorflow import keras
        def build():
            inputs = keras.Input((4,))
            h = keras.layers.Dense(8)(inputs)
            h = tf.nn.relu(h)
            logits = keras.layers.Dense(3)(h)
            return keras.Model(inputs, tf.nn.softmax(logits))
        def main(model, x):
            logits = model.predict(x)
            return tf.nn.softmax(logits).numpy()
        """,
        [("tf_op_on_keras_tensor", "review"), ("tf_op_on_keras_tensor", "review")],
        """
        import tensorflow as tf
        from tensorflow import keras
        def build():
            inputs = keras.Input((4,))
            h = keras.layers.Dense(8)(inputs)
            h = keras.ops.relu(h)
            logits = keras.layers.Dense(3)(h)
            return keras.Model(inputs, keras.ops.softmax(logits))
        def main(model, x):
            logits = model.predict(x)
            return tf.nn.softmax(logits).numpy()
        """,
    ),
    "tf_op_on_keras_tensor_merge_layers": (
        """
        import tensorflow as tf
        from keras.layers import Dense, Input
        a = Input((4,))
        b = Dense(4)(a)
        c = tf.add(a, b, name="skip")
        d = tf.multiply(c, 0.5)
        e = tf.concat((a, b), 1)
        f = tf.math.subtract(a, b)
        g = tf.concat([a, b], -1, "joined")
        h = tf.maximum(x=a, y=b)
        i = tf.add(a, 1.0, "plus")
        """,
        [("tf_op_on_keras_tensor", "review")] * 5 + [("tf_op_on_keras_tensor", "display"), ("tf_op_on_keras_tensor", "review")],
        """
        import tensorflow as tf
        from keras.layers import Add, Concatenate, Subtract, Dense, Input
        from keras import ops

        a = Input((4,))
        b = Dense(4)(a)
        c = Add(name="skip")([a, b])
        d = ops.multiply(c, 0.5)
        e = Concatenate(axis=1)((a, b))
        f = Subtract()([a, b])
        g = Concatenate(axis=-1, name="joined")([a, b])
        h = tf.maximum(x=a, y=b)
        i = ops.add(a, 1.0)
        """,
    ),
    "tf_op_on_keras_tensor_name_dropped": (
        """
        import tensorflow as tf
        from keras.layers import Dense, Input
        a = Input((4,))
        b = Dense(4)(a)
        c = tf.reduce_mean(b, 1, True, "n")
        d = tf.reduce_max(b, axis=1, name="m")
        e = tf.nn.softmax(b, -1, "s")
        f = tf.reshape(b, (2, 2), name="r")
        g = tf.square(b, "sq")
        h = tf.reduce_sum(b, 1, True)
        i = tf.transpose(b, [1, 0], False)
        j = tf.matmul(a, b, True)
        """,
        [("tf_op_on_keras_tensor", "review")] * 6 + [("tf_op_on_keras_tensor", "display")] * 2,
        """
        import tensorflow as tf
        from keras.layers import Dense, Input
        from keras import ops

        a = Input((4,))
        b = Dense(4)(a)
        c = ops.mean(b, 1, True)
        d = ops.max(b, axis=1)
        e = ops.softmax(b, -1)
        f = ops.reshape(b, (2, 2))
        g = ops.square(b)
        h = ops.sum(b, 1, True)
        i = tf.transpose(b, [1, 0], False)
        j = tf.matmul(a, b, True)
        """,
    ),
    "display_only_apis": (
        """
        import keras
        from keras import backend as K
        from keras.utils import multi_gpu_model
        from keras.wrappers.scikit_learn import KerasClassifier
        f = K.function([model.input], [model.output])
        K.set_session(sess)
        parallel = multi_gpu_model(model, gpus=2)
        text = model.to_yaml()
        shape = model.layers[-1].output_shape
        """,
        [
            ("scikit_learn_wrapper", "display"),
            ("backend_function", "display"),
            ("backend_session", "display"),
            ("multi_gpu_model", "display"),
            ("yaml", "display"),
            ("layer_output_shape", "display"),
        ],
        None,
    ),
    # -- keras2_saving ---------------------------------------------------------------------------
    "save_weights_suffix": (
        """
        model.save_weights('weights.h5')
        model.load_weights('weights.h5')
        other.load_weights('pretrained.h5')
        """,
        [("save_weights_suffix", "review")],
        """
        model.save_weights('weights.weights.h5')
        model.load_weights('weights.weights.h5')
        other.load_weights('pretrained.h5')
        """,
    ),
    "checkpoint_suffixes": (
        """
        from keras.callbacks import ModelCheckpoint
        a = ModelCheckpoint("best.hdf5", save_best_only=True)
        b = ModelCheckpoint("w-{epoch:02d}.h5", save_weights_only=True, period=1)
        c = ModelCheckpoint("ok.h5")
        d = ModelCheckpoint("x.keras", period=5)
        """,
        [("checkpoint_suffix", "review"), ("checkpoint_suffix", "review"), ("checkpoint_period", "review"), ("checkpoint_period", "display")],
        """
        from keras.callbacks import ModelCheckpoint
        a = ModelCheckpoint("best.keras", save_best_only=True)
        b = ModelCheckpoint("w-{epoch:02d}.weights.h5", save_weights_only=True)
        c = ModelCheckpoint("ok.h5")
        d = ModelCheckpoint("x.keras", period=5)
        """,
    ),
    "save_model_suffix": (
        """
        import keras
        model = keras.Sequential()
        model.save("exported/", save_format="tf")
        model.save("fine.h5")
        again = keras.models.load_model("exported/")
        """,
        [("save_model_suffix", "review")],
        """
        import keras
        model = keras.Sequential()
        model.save("exported.keras")
        model.save("fine.h5")
        again = keras.models.load_model("exported.keras")
        """,
    ),
    # -- keras1_conv_args ------------------------------------------------------------------------
    "conv_kernel_positional": (
        """
        from keras.layers import Convolution2D, Conv3D
        a = Convolution2D(32, 3, 3, activation="relu")
        b = Conv3D(8, 3, 3, 3)
        c = Convolution2D(32, (3, 3), strides=2)
        """,
        [("conv_kernel_positional", "review"), ("conv_kernel_positional", "review")],
        """
        from keras.layers import Convolution2D, Conv3D
        a = Convolution2D(32, (3, 3), activation="relu")
        b = Conv3D(8, (3, 3, 3))
        c = Convolution2D(32, (3, 3), strides=2)
        """,
    ),
    # -- keras2_import ---------------------------------------------------------------------------
    "import_layers_submodules": (
        """
        from keras.layers.core import Dense, Activation  # core
        from keras.layers.convolutional import Conv2D
        from keras.layers.recurrent import LSTM
        from keras.layers.normalization import BatchNormalization
        from keras.layers.advanced_activations import LeakyReLU
        """,
        [
            ("layers_core_module", "safe"),
            ("layers_convolutional_module", "safe"),
            ("layers_recurrent_module", "safe"),
            ("layers_normalization_module", "safe"),
            ("layers_advanced_activations_module", "safe"),
        ],
        """
        from keras.layers import Dense, Activation  # core
        from keras.layers import Conv2D
        from keras.layers import LSTM
        from keras.layers import BatchNormalization
        from keras.layers import LeakyReLU
        """,
    ),
    "import_removed_layer": (
        """
        from keras.layers.core import Dense, Highway
        """,
        [("layers_core_module", "display")],
        None,
    ),
    "import_engine_split": (
        """
        # models
        from keras.engine import Model, Layer  # mixed
        x = 1
        """,
        [("engine_module", "safe")],
        """
        # models
        from keras import Model
        from keras.layers import Layer  # mixed
        x = 1
        """,
    ),
    "import_np_utils_forms": (
        """
        from keras.utils import np_utils
        import keras.utils.np_utils as npu
        from keras.utils.np_utils import to_categorical
        y = np_utils.to_categorical(y)
        """,
        [("np_utils_module", "safe")] * 3,
        """
        from keras import utils as np_utils
        import keras.utils as npu
        from keras.utils import to_categorical
        y = np_utils.to_categorical(y)
        """,
    ),
    "import_dotted_uses": (
        """
        import keras
        import tensorflow as tf
        a = keras.layers.core.Dense(3)
        b = tf.keras.layers.experimental.preprocessing.Rescaling(1 / 255)
        c = tf.keras.optimizers.legacy.Adam()
        """,
        [("layers_core_module", "safe"), ("experimental_preprocessing_module", "safe"), ("optimizers_legacy_module", "safe")],
        """
        import keras
        import tensorflow as tf
        a = keras.layers.Dense(3)
        b = tf.keras.layers.Rescaling(1 / 255)
        c = tf.keras.optimizers.Adam()
        """,
    ),
    "import_removed_module_by_name_from_removed_module": (
        """
        from tensorflow.keras.layers.experimental import preprocessing
        from keras.layers.experimental import preprocessing as pp, RandomFlip
        n = preprocessing.Normalization()
        """,
        [("experimental_preprocessing_module", "safe"), ("experimental_preprocessing_module", "safe")],
        """
        from tensorflow.keras import layers as preprocessing
        from keras import layers as pp
        from keras.layers import RandomFlip
        n = preprocessing.Normalization()
        """,
    ),
    "import_legacy_preprocessing_standalone": (
        """
        from keras.preprocessing.image import ImageDataGenerator, img_to_array
        from keras.preprocessing.text import Tokenizer
        from keras.preprocessing.sequence import pad_sequences
        from keras.preprocessing.image import load_img
        """,
        [("preprocessing_legacy_module", "safe"), ("preprocessing_legacy_module", "safe")],
        """
        from tensorflow.keras.preprocessing.image import ImageDataGenerator, img_to_array
        from tensorflow.keras.preprocessing.text import Tokenizer
        from keras.preprocessing.sequence import pad_sequences
        from keras.preprocessing.image import load_img
        """,
    ),
    "import_legacy_preprocessing_tf_keras_kept": (
        """
        from tensorflow.keras.preprocessing.image import ImageDataGenerator
        from tensorflow.keras.preprocessing.text import Tokenizer
        import tensorflow.keras.backend as K
        m = K.mean(x)
        """,
        [],
        None,
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_rule_table(name: str) -> None:
    before, expected_rules, after = CASES[name]
    assert rules(before) == expected_rules
    check(before, after)


def test_tf_positions_match_tf_and_keras_ops() -> None:
    """``TF_POSITIONS`` against the installed signatures: the mapped positions, then TF's ``name``."""
    import inspect

    import keras
    import tensorflow as tf

    from kerasfix.keras2.api import TF_OPS, TF_POSITIONS

    assert set(TF_POSITIONS) == set(TF_OPS)
    for op, (mapped, name_at) in TF_POSITIONS.items():
        function: object = tf
        for part in op.split("."):
            function = getattr(function, part)
        tf_params = list(inspect.signature(function).parameters)  # type: ignore[arg-type]
        assert tf_params.index("name") == name_at, op
        ops_params = list(inspect.signature(getattr(keras.ops, TF_OPS[op][0])).parameters)
        assert mapped <= len(ops_params), op
        # TF options between the mapped ones and ``name`` have no place in the keras.ops function.
        assert mapped == name_at or len(ops_params) == mapped, op


def test_every_migration_is_well_formed() -> None:
    kinds = {"keras2_import", "keras2_argument", "keras2_api", "keras2_saving", "keras1_conv_args"}
    for before, _, _ in CASES.values():
        source = dedent(before)
        lines = source.splitlines()
        for m in find_migrations(source):
            assert m.kind in kinds and m.applicability in ("safe", "review", "display")
            assert m.message and "\n" not in m.message and m.replacement and "\n" not in m.replacement
            assert 1 <= m.line <= m.end_line <= len(lines) and 0 <= m.column <= len(lines[m.line - 1])


def test_display_rows_are_never_written_and_safe_only_holds_review_back() -> None:
    source = dedent(
        """
        import keras
        model = keras.Sequential()
        model.fit_generator(gen, samples_per_epoch=1000, nb_epoch=2)
        model.save_weights("w.h5")
        """
    )
    assert apply_migrations(source) == dedent(
        """
        import keras
        model = keras.Sequential()
        model.fit(gen, samples_per_epoch=1000, epochs=2)
        model.save_weights("w.weights.h5")
        """
    )
    safe_only = apply_migrations(source, include=lambda m: m.applicability == "safe")
    assert 'save_weights("w.h5")' in safe_only


# ---------------------------------------------------------------------------------------------
# Resolution through imports.


@pytest.mark.parametrize(
    "imports, callee",
    [
        ("import keras", "keras.layers.Dense"),
        ("import tensorflow as tf", "tf.keras.layers.Dense"),
        ("from tensorflow import keras", "keras.layers.Dense"),
        ("from tensorflow.keras import layers as L", "L.Dense"),
        ("from keras.layers import Dense", "Dense"),
        ("from keras.layers import Dense as D", "D"),
        ("from keras.layers.core import Dense as D", "D"),
        ("from keras.layers import *", "Dense"),
        ("import keras.layers as kl", "kl.Dense"),
    ],
)
def test_layer_resolved_through_imports(imports: str, callee: str) -> None:
    source = f"{imports}\nd = {callee}(output_dim=4)\n"
    assert ("dense_output_dim", "safe") in rules(source)
    assert apply_migrations(source).endswith(f"d = {callee}(units=4)\n")


@pytest.mark.parametrize(
    "source",
    [
        "from mylib import Dense\nd = Dense(output_dim=4)\n",  # not Keras
        "d = Dense(output_dim=4)\n",  # nothing imported
        "import keras\ndef f(keras):\n    return keras.layers.Dense(output_dim=4)\n",  # shadowed
        "import torch\nopt = torch.optim.Adam(params, lr=0.1)\n",
    ],
)
def test_non_keras_calls_untouched(source: str) -> None:
    assert find_migrations(source) == ()
    assert apply_migrations(source) == source


def test_backend_alias_forms() -> None:
    for line in ("import keras.backend as K", "from keras import backend as K"):
        assert rules(f"{line}\ny = K.sum(x)\n") == [("backend_math", "review")]
    assert rules("import tensorflow.keras.backend as K\ny = K.sum(x)\n") == []


def test_lr_is_not_distinctive_but_nb_epoch_is() -> None:
    source = dedent(
        """
        from sklearn.linear_model import SGDRegressor
        reg = SGDRegressor()
        reg.fit(x, y, lr=0.1, workers=2)
        thing.fit(x, y, workers=2)
        thing.fit(x, y, nb_epoch=3, workers=2)
        reg.fit(x, y, nb_epoch=3)
        """
    )
    found = find_migrations(source)
    assert [(m.rule, m.line) for m in found] == [("fit_nb_epoch", 6), ("fit_workers", 6)]


def test_already_keras3_code_is_clean() -> None:
    source = dedent(
        """
        import numpy as np
        import keras
        from keras import layers, ops

        inputs = keras.Input(shape=(28, 28, 1))
        x = layers.Conv2D(32, 3, activation="relu", padding="same")(inputs)
        x = layers.Conv2D(64, (3, 3), strides=2)(x)
        x = layers.Flatten()(x)
        x = layers.Dropout(rate=0.5)(x)
        outputs = layers.Dense(10, activation="softmax", kernel_initializer="he_normal")(x)
        model = keras.Model(inputs=inputs, outputs=outputs)
        model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3), loss="sparse_categorical_crossentropy")
        model.fit(x_train, y_train, epochs=3, batch_size=32, steps_per_epoch=len(x_train) // 32)
        model.save("model.keras")
        model.save_weights("model.weights.h5")
        print(model.optimizer.learning_rate, np.float64(1.0), ops.mean(x))
        """
    )
    assert find_migrations(source) == ()


def test_tf_keras_files_are_left_to_keras2() -> None:
    source = "import tf_keras as keras\nmodel.fit(x, y, nb_epoch=3)\n"
    assert find_migrations(source) == ()


# ---------------------------------------------------------------------------------------------
# Formatting, idempotence, all or nothing.


def test_crlf_comments_and_quotes_survive() -> None:
    source = (
        "# -*- coding: utf-8 -*-\r\n"
        "from keras.layers.core import Dense  # was core\r\n"
        "\r\n"
        "model.add(Dense(output_dim = 10,   # ten classes\r\n"
        "                init='uniform'))\r\n"
        "model.fit(x, y,\r\n"
        "          nb_epoch=5,  # epochs\r\n"
        "          workers=2,\r\n"
        "          verbose=1)\r\n"
    )
    expected = (
        "# -*- coding: utf-8 -*-\r\n"
        "from keras.layers import Dense  # was core\r\n"
        "\r\n"
        "model.add(Dense(units = 10,   # ten classes\r\n"
        "                kernel_initializer='uniform'))\r\n"
        "model.fit(x, y,\r\n"
        "          epochs=5,  # epochs\r\n"
        "          verbose=1)\r\n"
    )
    assert apply_migrations(source) == expected
    assert apply_migrations(expected) == expected


def test_find_reports_character_columns() -> None:
    source = 'print("é") ; model.fit(x, nb_epoch=1)\n'
    (m,) = find_migrations(source)
    assert source.splitlines()[0][m.column : m.end_column] == "nb_epoch=1"


def test_all_or_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    source = "model.fit(x, nb_epoch=1)\n"
    real = find_module.find_all

    def failing(src, hints):  # type: ignore[no-untyped-def]
        found = real(src, hints)
        broken = Found(
            Migration("keras2_api", "broken", 1, 0, 1, 5, "m", "safe", "r"),
            (Replace(src.module.body[0], lambda n: 1 / 0),),
        )
        return [*found, broken]

    monkeypatch.setattr(find_module, "find_all", failing)
    with pytest.raises(RewriteError):
        apply_migrations(source)


def test_unparsable_source_raises() -> None:
    with pytest.raises(RewriteError):
        apply_migrations("model.fit(x, nb_epoch=\n")


def test_include_selects_migrations() -> None:
    source = "model.fit(x, nb_epoch=1, show_accuracy=True)\n"
    assert apply_migrations(source, include=lambda m: m.rule == "fit_nb_epoch") == (
        "model.fit(x, epochs=1, show_accuracy=True)\n"
    )


# ---------------------------------------------------------------------------------------------
# Hints.


def test_hints_decide_predict_classes_and_samples_per_epoch() -> None:
    source = "import keras\nlabels = model.predict_classes(x)\nmodel.fit_generator(gen, samples_per_epoch=640)\n"
    assert rules(source) == [("predict_classes", "display"), ("fit_generator", "safe"), ("samples_per_epoch", "display")]
    hints = Hints(outputs={(2, 9): ModelOutput(units=1, activation="sigmoid")}, batch_sizes={(3, 0): 32})
    assert rules(source, hints=hints) == [("predict_classes", "review"), ("fit_generator", "safe"), ("samples_per_epoch", "review")]
    assert apply_migrations(source, hints=hints) == (
        "import keras\n"
        "from math import ceil\n\n"
        'labels = (model.predict(x) > 0.5).astype("int32")\n'
        "model.fit(gen, steps_per_epoch=ceil(640 / 32))\n"
    )
    many = Hints(outputs={(2, 9): ModelOutput(units=4, activation="softmax")})
    assert "np.argmax(model.predict(x), axis=-1)" in apply_migrations(source, hints=many)
    assert "import numpy as np" in apply_migrations(source, hints=many)


# ---------------------------------------------------------------------------------------------
# Runtime errors.


@pytest.mark.parametrize(
    "exc_type, message, line, rule",
    [
        ("TypeError", "TensorFlowTrainer.fit() got an unexpected keyword argument 'nb_epoch'", "m.fit(x, nb_epoch=1)", "fit_nb_epoch"),
        ("TypeError", "TensorFlowTrainer.fit() got an unexpected keyword argument 'workers'", "", "fit_workers"),
        ("ValueError", "Arguments not recognized: {'workers': 2}", "", "fit_workers"),
        ("ValueError", "Argument(s) not recognized: {'lr': 0.01}", "Adam(lr=0.01)", "optimizer_lr"),
        ("AttributeError", "'Adam' object has no attribute 'lr'", "opt.lr", "optimizer_lr_attribute"),
        ("AttributeError", "'Dense' object has no attribute 'output_shape'", "", "layer_output_shape"),
        ("AttributeError", "'Sequential' object has no attribute 'fit_generator'", "", "fit_generator"),
        ("AttributeError", "'Functional' object has no attribute 'predict_classes'", "", "predict_classes"),
        ("AttributeError", "'Sequential' object has no attribute 'reset_states'", "", "model_reset_states"),
        ("ValueError", "Unrecognized keyword arguments passed to Conv2D: {'border_mode': 'same'}", "", "border_mode"),
        ("ValueError", "Unrecognized keyword arguments passed to Model: {'input': 1, 'output': 2}", "", "model_input_output"),
        ("TypeError", "Dense.__init__() missing 1 required positional argument: 'units'", "Dense(output_dim=3)", "dense_output_dim"),
        ("ModuleNotFoundError", "No module named 'keras.layers.core'", "", "layers_core_module"),
        ("ModuleNotFoundError", "No module named 'keras.preprocessing.text'", "", "preprocessing_legacy_module"),
        ("ImportError", "cannot import name 'np_utils' from 'keras.utils' (/k/__init__.py)", "", "np_utils_module"),
        ("ImportError", "cannot import name 'ImageDataGenerator' from 'keras.preprocessing.image' (/x.py)", "", "preprocessing_legacy_module"),
        ("ImportError", "`keras.optimizers.legacy` is not supported in Keras 3. When using …", "", "optimizers_legacy_module"),
        ("AttributeError", "module 'keras.backend' has no attribute 'mean'", "", "backend_math"),
        ("AttributeError", "module 'numpy' has no attribute 'float'.", "", "np_float_alias"),
        ("TypeError", "'float' object cannot be interpreted as an integer", "model.fit(g, steps_per_epoch=n / 32)", "float_steps"),
        ("ValueError", "Received an invalid value for `units`, expected a positive integer. Received: units=3", "", "numpy_int_units"),
        ("ValueError", "The filename must end in `.weights.h5`. Received: filepath=w.h5", "", "save_weights_suffix"),
        ("ValueError", "Invalid filepath extension for saving. Please add either a `.keras` …", "", "save_model_suffix"),
        ("ValueError", "A KerasTensor cannot be used as input to a TensorFlow function. …", "", "tf_op_on_keras_tensor"),
        ("KeyError", "'val_acc'", "print(history.history['val_acc'])", "history_acc_key"),
        ("TypeError", "to_categorical() got an unexpected keyword argument 'nb_classes'", "", "to_categorical_nb_classes"),
        ("TypeError", "evaluate() got an unexpected keyword argument 'val_samples'", "", "val_samples"),
        ("KeyError", "'loss_weights'", "", None),
        ("ValueError", "operands could not be broadcast together", "", None),
        ("TypeError", "'float' object cannot be interpreted as an integer", "range(x / 2)", None),
        ("AttributeError", "'list' object has no attribute 'shape'", "", None),
    ],
)
def test_classify_runtime_error(exc_type: str, message: str, line: str, rule: str | None) -> None:
    assert classify_runtime_error(exc_type, message, line) == rule


# ---------------------------------------------------------------------------------------------
# Fixtures: each buggy script migrates byte for byte into its .fixed.py.

PAIRS = sorted(
    p
    for folder in FIXTURES.glob("keras*")
    for p in folder.glob("*.py")
    if not p.name.endswith(".fixed.py") and p.with_name(p.stem + ".fixed.py").exists()
)
#: The migrated script, before kerasfix repairs the model fault migration uncovers.
MIGRATED_ONLY = {
    "migration_uncovers_flatten": lambda fixed: fixed.replace("    Flatten(),\n", "").replace("Dense, Flatten, Input", "Dense, Input")
}


@pytest.mark.parametrize("path", PAIRS, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_fixture_migrates_to_its_fixed_script(path: Path) -> None:
    source = path.read_text(encoding="utf-8")
    fixed = path.with_name(path.stem + ".fixed.py").read_text(encoding="utf-8")
    expected = MIGRATED_ONLY.get(path.stem, lambda text: text)(fixed)
    header = source.splitlines()[0]
    kind, line = header.split("expect ")[1].split("@")
    assert (kind, int(line)) in {(m.kind, m.line) for m in find_migrations(source)}
    migrated = apply_migrations(source, include=lambda m: m.applicability != "display")
    assert migrated == expected
    assert apply_migrations(migrated) == migrated
    assert not any(m.applicability != "display" for m in find_migrations(migrated))


def test_every_kind_has_fixtures() -> None:
    assert {p.parent.name for p in PAIRS} == {
        "keras2_import",
        "keras2_argument",
        "keras2_api",
        "keras2_saving",
        "keras1_conv_args",
    }
    assert (FIXTURES / "keras2_argument" / "image_data_generator_stays.fixed.py").exists()


@pytest.mark.parametrize(
    "name",
    ["keras2_import/preprocessing_legacy_module", "keras2_api/fit_generator", "keras2_saving/save_weights_suffix"],
)
def test_fixed_fixture_runs_under_keras3(name: str, tmp_path: Path) -> None:
    script = FIXTURES / f"{name}.fixed.py"
    run = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert run.returncode == 0, run.stderr[-2000:]
