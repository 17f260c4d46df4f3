"""Running a cut call eagerly when that cannot change what it does, to skip the graph tracing of one batch.

Every fit/evaluate/predict of a captured run is cut to one batch, and under TensorFlow most of its cost is
then tracing the step into a graph (about 0.5 s for a small model), not running it. Keras's own layers,
losses, metrics and optimizers compute the same eagerly as in a graph, so for a model made of nothing else
the eager run gives the verdict the user's run would. Code of the user's (a custom layer, a ``Lambda``, an
activation, regularizer, loss, metric or optimizer of theirs, an overridden ``train_step``) can behave
differently in a graph (``.numpy()``, Python branches on tensors), so with any of it the call is traced as
the user's run would trace it. So are models compiled with an explicit ``jit_compile=True``, and every
model under another backend (JAX would compile each op on its own).
"""

from __future__ import annotations

import contextlib
import types
from collections.abc import Iterator
from typing import Any

#: Where the code of a faithful model may come from.
_OURS = ("keras", "tensorflow", "numpy", "builtins")
#: Keras layers that run a function or module of the user's.
_WRAPPERS = frozenset({"Lambda", "TFSMLayer", "JaxLayer", "FlaxLayer", "TorchModuleWrapper"})


def _from_libraries(obj: Any) -> bool:
    if obj is None or isinstance(obj, (str, bytes, int, float, bool, complex)):
        return True
    # A function's own module, not ``builtins.function``; an instance's class's module.
    named = obj if isinstance(obj, (type, types.FunctionType, types.BuiltinFunctionType, types.MethodType)) else type(obj)
    module = getattr(named, "__module__", None) or ""
    return module.split(".", 1)[0] in _OURS


def _members(obj: Any) -> Iterator[Any]:
    """The values an object holds, and the items of the containers among them (one level down)."""
    for value in vars(obj).values() if hasattr(obj, "__dict__") else ():
        yield value
        if isinstance(value, (list, tuple, set)):
            yield from value
        elif isinstance(value, dict):
            yield from value.values()


def _all_from_libraries(values: Any) -> bool:
    if isinstance(values, (list, tuple)):
        return all(_all_from_libraries(v) for v in values)
    if isinstance(values, dict):
        return all(_all_from_libraries(v) for v in values.values())
    return _from_libraries(values) and all(_from_libraries(m) for m in _members(values)
                                           if callable(m) and not isinstance(m, type))


def faithful_eagerly(model: Any, compile_kwargs: dict[str, Any]) -> bool:
    """Whether running ``model``'s step eagerly computes exactly what the traced step would."""
    import keras

    if keras.backend.backend() != "tensorflow" or getattr(model, "jit_compile", False) is True:
        return False
    if not _from_libraries(model):
        return False
    layers = list(model._flatten_layers(include_self=False, recursive=True))
    if any(type(layer).__name__ in _WRAPPERS or not _all_from_libraries(layer) for layer in layers):
        return False
    optimizer = getattr(model, "optimizer", None)
    loss, metrics = compile_kwargs.get("loss"), compile_kwargs.get("metrics")
    return all(_all_from_libraries(v) for v in (loss, metrics, compile_kwargs.get("weighted_metrics"), optimizer))


@contextlib.contextmanager
def eagerly_if_faithful(model: Any, compile_kwargs: dict[str, Any]) -> Iterator[None]:
    """Run the enclosed call of ``model`` eagerly when ``faithful_eagerly``; the model's setting is restored after."""
    try:
        eager = not getattr(model, "run_eagerly", True) and faithful_eagerly(model, compile_kwargs)
    except Exception:  # a model we cannot read is traced, as the user's run would trace it
        eager = False
    if not eager:
        yield
        return
    model.run_eagerly = True
    try:
        yield
    finally:
        model.run_eagerly = False
