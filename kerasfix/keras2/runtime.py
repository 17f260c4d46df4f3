"""Recognising a Keras-2 breakage from the error it raised, for what static analysis could not tell.

Static analysis leaves some uses unflagged on purpose (``obj.fit(workers=4)`` on an
object of unknown type, ``opt.lr`` on a name it cannot type, ``layer.output_shape``);
when the script then dies, the exception names the attribute or keyword, and this
maps it back to the rule that explains it.
"""

from __future__ import annotations

import re

from kerasfix.keras2.api import BACKEND_GONE, BACKEND_OPS, BACKEND_STANDALONE_GONE, NUMPY_ALIASES
from kerasfix.keras2.arguments import LAYER_DROPS, LAYER_RENAMES, LOADER_OPTIONS
from kerasfix.keras2.names import LEGACY_PREPROCESSING, module_move, split_keras

_KEYWORD = re.compile(r"unexpected keyword argument '(\w+)'")
_NOT_RECOGNIZED = re.compile(r"(?:Argument\(s\)|Arguments) not recognized: \{'(\w+)'")
_UNRECOGNIZED = re.compile(r"Unrecognized keyword arguments passed to (\w+): \{'(\w+)'")
_NO_ATTRIBUTE = re.compile(r"'(\w+)' object has no attribute '(\w+)'")
_MODULE_ATTRIBUTE = re.compile(r"module '([\w.]+)' has no attribute '(\w+)'")
_NO_MODULE = re.compile(r"No module named '([\w.]+)'")
_CANNOT_IMPORT = re.compile(r"cannot import name '(\w+)' from '([\w.]+)'")

_TRAINING_KEYWORDS = {
    "nb_epoch": "fit_nb_epoch",
    "show_accuracy": "fit_show_accuracy",
    "samples_per_epoch": "samples_per_epoch",
    "nb_val_samples": "nb_val_samples",
    "val_samples": "val_samples",
    "period": "checkpoint_period",
    "lr": "optimizer_lr",
    "nb_classes": "to_categorical_nb_classes",
    "sample_weight_mode": "compile_sample_weight_mode",
    **{option: "fit_workers" for option in LOADER_OPTIONS},
}
_MODEL_METHODS = {
    "fit_generator": "fit_generator",
    "evaluate_generator": "evaluate_generator",
    "predict_generator": "predict_generator",
    "predict_classes": "predict_classes",
    "predict_proba": "predict_proba",
    "reset_states": "model_reset_states",
    "to_yaml": "yaml",
    "output_shape": "layer_output_shape",
    "input_shape": "layer_output_shape",
}


def classify_runtime_error(exc_type: str, message: str, line_text: str) -> str | None:
    """The rule id of the Keras-2 breakage an exception shows, else None.

    ``exc_type`` is the exception class name, ``message`` its text, ``line_text`` the
    source line that raised (it settles messages that do not name the keyword).
    """
    for classify in (_keywords, _attributes, _modules, _values):
        rule = classify(exc_type, message, line_text)
        if rule is not None:
            return rule
    return None


def _keywords(exc_type: str, message: str, line_text: str) -> str | None:
    if exc_type not in ("TypeError", "ValueError"):
        return None
    m = _UNRECOGNIZED.search(message)
    if m is not None:
        layer, keyword = m.groups()
        if layer in ("Model", "Functional", "Sequential") and keyword in ("input", "output"):
            return "model_input_output"
        rename = LAYER_RENAMES.get(keyword)
        if rename is not None:
            return rename.rule
        drop = LAYER_DROPS.get(keyword)
        if drop is not None:
            return drop.rule
        return "batch_input_shape" if keyword == "batch_input_shape" else None
    m = _KEYWORD.search(message) or _NOT_RECOGNIZED.search(message)
    if m is not None:
        return _TRAINING_KEYWORDS.get(m.group(1))
    if "missing 1 required positional argument: 'units'" in message and "output_dim" in line_text:
        return "dense_output_dim"
    if "missing 1 required positional argument: 'rate'" in message and re.search(r"\bp\s*=", line_text):
        return "dropout_p"
    return None


def _attributes(exc_type: str, message: str, line_text: str) -> str | None:
    if exc_type != "AttributeError":
        return None
    m = _NO_ATTRIBUTE.search(message)
    if m is not None:
        owner, attribute = m.groups()
        if attribute == "lr":
            return "optimizer_lr_attribute"
        return _MODEL_METHODS.get(attribute)
    m = _MODULE_ATTRIBUTE.search(message)
    if m is None:
        return None
    module, attribute = m.groups()
    if module == "numpy" and attribute in NUMPY_ALIASES:
        return f"np_{attribute}_alias"
    split = split_keras(module)
    if split is None:
        return None
    rest = split[1]
    if rest == "backend":
        if attribute in BACKEND_GONE:
            return BACKEND_GONE[attribute][0]
        if attribute in BACKEND_OPS:
            return "backend_math"
        return "backend_removed" if attribute in BACKEND_STANDALONE_GONE else None
    if attribute == "multi_gpu_model":
        return "multi_gpu_model"
    if attribute == "model_from_yaml":
        return "yaml"
    return None


def _modules(exc_type: str, message: str, line_text: str) -> str | None:
    if exc_type not in ("ModuleNotFoundError", "ImportError"):
        return None
    if "keras.optimizers.legacy` is not supported" in message:
        return "optimizers_legacy_module"
    m = _NO_MODULE.search(message)
    module = m.group(1) if m is not None else None
    name = None
    m2 = _CANNOT_IMPORT.search(message)
    if m2 is not None:
        name, module = m2.groups()
    if module is None:
        return None
    split = split_keras(module)
    if split is None:
        return None
    rest = split[1]
    if name is not None:
        # ``from keras.utils import np_utils``: the missing name is itself a removed module.
        sub = f"{rest}.{name}" if rest else name
        sub_move = module_move(sub)
        if sub_move is not None and sub_move.rest == sub:
            return sub_move.rule
    if rest.startswith("wrappers.scikit_learn"):
        return "scikit_learn_wrapper"
    if rest.startswith("backend.tensorflow_backend"):
        return "tensorflow_backend_module"
    if rest in LEGACY_PREPROCESSING:
        return "preprocessing_legacy_module"
    # ``import keras.layers.core.x`` fails on the first missing part: try each prefix.
    move = module_move(rest)
    return move.rule if move is not None else None


def _values(exc_type: str, message: str, line_text: str) -> str | None:
    if exc_type == "KeyError" and message.strip("\"'") in ("acc", "val_acc"):
        return "history_acc_key"
    if "cannot be interpreted as an integer" in message and re.search(r"\bsteps(_per_epoch)?\b|validation_steps", line_text):
        return "float_steps"
    if "expected a positive integer" in message and "units=" in message:
        return "numpy_int_units"
    if "`input_dim` must be a positive integer" in message or "`output_dim` must be a positive integer" in message:
        return "numpy_int_units"
    if "The filename must end in `.weights.h5`" in message:
        return "save_weights_suffix"
    if "ModelCheckpoint" in message or ("filepath provided must end in" in message):
        return "checkpoint_suffix"
    if "Invalid filepath extension for saving" in message:
        return "save_model_suffix"
    if "A KerasTensor cannot be used as input to a TensorFlow function" in message:
        return "tf_op_on_keras_tensor"
    return None
