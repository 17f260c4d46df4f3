"""Keras module paths: which roots are Keras, which modules Keras 3 removed, and where their contents went.

A path is split into a *root* (``keras`` or ``tensorflow.keras``: both are Keras 3
under TF 2.16+, but only the latter still carries the legacy preprocessing and
backend shims) and the *rest* after it. The root is always kept, so a
``tensorflow.keras`` file stays one.
"""

from __future__ import annotations

from dataclasses import dataclass

ROOTS = ("tensorflow.keras", "keras")


def split_keras(qualified: str) -> tuple[str, str] | None:
    """``("tensorflow.keras", "layers.Dense")`` for ``tensorflow.keras.layers.Dense``; None outside Keras."""
    for root in ROOTS:
        if qualified == root:
            return root, ""
        if qualified.startswith(root + "."):
            return root, qualified[len(root) + 1 :]
    return None


def join(root: str, rest: str) -> str:
    return f"{root}.{rest}" if rest else root


@dataclass(frozen=True)
class ModuleMove:
    """A module Keras 3 removed (``rest`` under a root), the module its contents moved to, and the rule id."""

    rest: str
    target: str
    rule: str


_LAYER_SUBMODULES = (
    "core",
    "convolutional",
    "convolutional_recurrent",
    "recurrent",
    "merge",
    "normalization",
    "embeddings",
    "pooling",
    "advanced_activations",
    "noise",
    "wrappers",
    "local",
    "cudnn_recurrent",
)

#: Longest paths first, so ``layers.experimental.preprocessing`` wins over ``layers.experimental``.
MODULE_MOVES: tuple[ModuleMove, ...] = (
    ModuleMove("layers.experimental.preprocessing", "layers", "experimental_preprocessing_module"),
    ModuleMove("layers.experimental", "layers", "experimental_preprocessing_module"),
    *(ModuleMove(f"layers.{sub}", "layers", f"layers_{sub}_module") for sub in _LAYER_SUBMODULES),
    ModuleMove("engine.topology", "layers", "engine_module"),
    ModuleMove("engine.training", "", "engine_module"),
    ModuleMove("engine.sequential", "", "engine_module"),
    ModuleMove("engine.functional", "", "engine_module"),
    ModuleMove("engine.base_layer", "layers", "engine_module"),
    ModuleMove("engine.input_layer", "layers", "engine_module"),
    ModuleMove("engine", "layers", "engine_module"),
    ModuleMove("utils.np_utils", "utils", "np_utils_module"),
    ModuleMove("utils.vis_utils", "utils", "vis_utils_module"),
    ModuleMove("utils.data_utils", "utils", "data_utils_module"),
    ModuleMove("utils.generic_utils", "utils", "generic_utils_module"),
    ModuleMove("optimizers.legacy", "optimizers", "optimizers_legacy_module"),
)

#: What ``keras.engine`` exported that lives at the top of Keras 3, not in ``keras.layers``.
ENGINE_TOP_LEVEL = frozenset({"Model", "Sequential"})

#: Names that may be imported from a moved module and exist in its Keras 3 target.
#: Anything else (``Merge``, ``Highway``, ``get_source_inputs``…) has no mechanical move.
UTILS_NAMES = frozenset(
    {
        "to_categorical",
        "normalize",
        "plot_model",
        "model_to_dot",
        "Sequence",
        "get_file",
        "get_custom_objects",
        "CustomObjectScope",
        "custom_object_scope",
        "Progbar",
        "serialize_keras_object",
        "deserialize_keras_object",
        "register_keras_serializable",
    }
)
ENGINE_LAYER_NAMES = frozenset({"Layer", "InputSpec", "InputLayer", "Input"})

#: Layer classes Keras 3 no longer has anywhere.
REMOVED_LAYERS = frozenset(
    {
        "Merge",
        "merge",
        "Highway",
        "MaxoutDense",
        "AtrousConvolution1D",
        "AtrousConvolution2D",
        "Deconvolution2D",
        "CuDNNLSTM",
        "CuDNNGRU",
        "LocallyConnected1D",
        "LocallyConnected2D",
        "ThresholdedReLU",
    }
)


def module_move(rest: str) -> ModuleMove | None:
    """The move for the removed module ``rest`` is (or is inside), if any."""
    for move in MODULE_MOVES:
        if rest == move.rest or rest.startswith(move.rest + "."):
            return move
    return None


def name_target(move: ModuleMove, name: str) -> str | None:
    """Where ``name`` imported from the moved module lives in Keras 3 (a rest path), or None if nowhere known."""
    if move.rule == "engine_module":
        if name in ENGINE_TOP_LEVEL:
            return ""
        return "layers" if name in ENGINE_LAYER_NAMES else None
    if move.target == "utils":
        return "utils" if name in UTILS_NAMES else None
    if move.target == "layers" and name in REMOVED_LAYERS:
        return None
    return move.target


def canonical(rest: str) -> str:
    """``layers.Dense`` for ``layers.core.Dense``: where an object lives once its module is moved."""
    move = module_move(rest)
    if move is None:
        return rest
    name = rest[len(move.rest) :].lstrip(".")
    if not name:
        return move.target
    target = name_target(move, name.split(".", 1)[0])
    return rest if target is None else join(target, name)


#: The legacy preprocessing API that survives only under ``tensorflow.keras.preprocessing``.
LEGACY_PREPROCESSING = {
    "preprocessing.image": frozenset(
        {
            "ImageDataGenerator",
            "DirectoryIterator",
            "NumpyArrayIterator",
            "Iterator",
            "apply_affine_transform",
            "apply_brightness_shift",
            "apply_channel_shift",
            "random_brightness",
            "random_rotation",
            "random_shift",
            "random_shear",
            "random_zoom",
        }
    ),
    "preprocessing.sequence": frozenset({"TimeseriesGenerator", "make_sampling_table", "skipgrams"}),
    # The whole module is gone from standalone Keras.
    "preprocessing.text": None,
}
