"""What a model is made of, in a form edits can change and verification can rebuild.

A ``Structure`` holds either the ordered layers of a Sequential model (or of a
plain list of layers) or the config graph of a Functional model, plus the
declared input. It never mutates the user's layers: every ``build`` makes new
layer instances from configs (or, for custom layers whose config does not
round-trip, by replaying the constructor call that capture recorded).
"""

from __future__ import annotations

import contextlib
import copy
import inspect
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from kerasfix.types import LayerRef, Origin, Written

ORIGIN_ATTR = "_kerasfix_origin"
WRITTEN_ATTR = "_kerasfix_written"
CTOR_ATTR = "_kerasfix_ctor"
#: The layers a ``Sequential([...])`` was given when it failed before taking any of them.
LAYERS_ATTR = "_kerasfix_layers"


class RebuildError(Exception):
    """A layer cannot be re-created from its config (usually a custom layer)."""


def layer_origin(layer: Any) -> Origin | None:
    """The source position capture recorded for a layer, if any."""
    origin = getattr(layer, ORIGIN_ATTR, None)
    return origin if isinstance(origin, Origin) else None


def layer_written(layer: Any) -> Written | None:
    """How the user wrote the layer, as capture read it from the source, if it did."""
    written = getattr(layer, WRITTEN_ATTR, None)
    return written if isinstance(written, Written) else None


def layer_ref(layer: Any, copies: dict[int, tuple[int, int]] | None = None) -> LayerRef:
    """``copies``: for layers of a model made by one call that made several, which one and of how many."""
    written = layer_written(layer)
    if written is not None and copies and id(layer) in copies:
        copy, of = copies[id(layer)]
        written = replace(written, copy=copy, copies=of)
    return LayerRef(layer.name, type(layer).__name__, layer_origin(layer), written)


def copies_of(layers: list[Any]) -> dict[int, tuple[int, int]]:
    """The layers made by one call that made several of ``layers`` (a loop, a helper called twice): by ``id``,
    which of them (1-based, in the model's order) and how many. Messages tell them apart by it."""
    by_origin: dict[Origin, list[Any]] = {}
    for layer in layers:
        origin = layer_origin(layer)
        if origin is not None:
            by_origin.setdefault(origin, []).append(layer)
    return {id(layer): (i + 1, len(same)) for same in by_origin.values() if len(same) > 1
            for i, layer in enumerate(same)}


def is_custom(cls: type) -> bool:
    """True for layers defined outside Keras (the user's own classes)."""
    return not cls.__module__.startswith(("keras.", "tf_keras", "tensorflow."))


@dataclass(frozen=True)
class LayerEntry:
    """One layer: its identity, class, config overrides and the way to re-create it."""

    ref: LayerRef
    cls: type
    config: dict[str, Any] = field(hash=False, compare=False)
    original: Any = field(default=None, hash=False, compare=False, repr=False)
    overrides: tuple[tuple[str, Any], ...] = ()

    @property
    def name(self) -> str:
        return self.ref.name

    def effective_config(self) -> dict[str, Any]:
        cfg = dict(self.config)
        for key, value in self.overrides:
            if self.cls.__name__ in WRAPPERS and key not in cfg and isinstance(cfg.get("layer"), dict):
                cfg = _wrapped_with(cfg, key, value)  # ``return_sequences`` of a Bidirectional is its layer's
            else:
                cfg[key] = value
        return cfg

    def get(self, key: str, default: Any = None) -> Any:
        cfg = self.effective_config()
        if key not in cfg and self.cls.__name__ in WRAPPERS and isinstance(cfg.get("layer"), dict):
            return (cfg["layer"].get("config") or {}).get(key, default)
        return cfg.get(key, default)

    @property
    def activation(self) -> str | None:
        """The layer's activation by name (None when it has none, or it cannot be told)."""
        return activation_name(self.get("activation"))

    def with_override(self, key: str, value: Any) -> LayerEntry:
        kept = tuple((k, v) for k, v in self.overrides if k != key)
        return replace(self, overrides=kept + ((key, value),))

    def make(self) -> Any:
        """A new, unbuilt layer instance with this entry's config."""
        try:
            layer_cls: Any = self.cls
            with own_code():
                return layer_cls.from_config(_resolvable(copy.deepcopy(self.effective_config()), self.original))
        except Exception as exc:  # custom layers often lack a round-tripping config
            ctor = getattr(self.original, CTOR_ATTR, None)
            if ctor is not None:
                try:
                    # Overrides name arguments the user may have given by position (``Dense(10)``).
                    bound = inspect.signature(self.cls).bind_partial(*ctor[0], **ctor[1])
                    bound.arguments.update(dict(self.overrides))
                    return self.cls(*bound.args, **bound.kwargs)
                except Exception as exc2:
                    raise RebuildError(f"cannot re-create layer {self.name!r}: {exc2}") from exc2
            if self.original is not None and not self.original.built and not self.overrides:
                return self.original
            raise RebuildError(
                f"cannot re-create custom layer {self.name!r} ({self.cls.__name__}): "
                "give it a get_config() that returns its constructor arguments"
            ) from exc


#: Layers that wrap another (its settings, such as ``return_sequences``, are the wrapped layer's).
WRAPPERS = frozenset({"Bidirectional", "TimeDistributed"})

#: Recurrent layers (a ``Bidirectional`` wraps one): they return their last state, or every step.
RECURRENT = frozenset({"LSTM", "GRU", "SimpleRNN", "Bidirectional", "RNN"})


def _wrapped_with(cfg: dict[str, Any], key: str, value: Any) -> dict[str, Any]:
    """A wrapper's config with ``key`` set on the layer it wraps (both directions of a Bidirectional)."""
    out = dict(cfg)
    for part in ("layer", "backward_layer"):
        inner = out.get(part)
        if isinstance(inner, dict) and isinstance(inner.get("config"), dict):
            out[part] = {**inner, "config": {**inner["config"], key: value}}
    return out


@contextlib.contextmanager
def own_code() -> Iterator[None]:
    """Re-create layers whose config holds Python code (a ``Lambda``'s function): Keras refuses that when loading
    files from elsewhere (safe mode), but here the code is the user's own, from the script being run."""
    try:
        from keras.src.saving.serialization_lib import SafeModeScope
    except ImportError:  # pragma: no cover - a Keras without the scope: its default applies
        yield
        return
    with SafeModeScope(False):
        yield


def _resolvable(config: dict[str, Any], original: Any) -> dict[str, Any]:
    """``config`` with plain functions given by the user (``activation=tf.nn.softmax``, serialised as an
    unregistered ``"function"`` Keras cannot look up again) replaced by the original layer's own objects."""
    for key, value in config.items():
        if isinstance(value, dict) and value.get("class_name") == "function" and hasattr(original, key):
            config[key] = getattr(original, key)
    return config


def activation_name(value: Any) -> str | None:
    """The activation a layer config names, however it was given: ``"relu"``, ``tf.nn.softmax`` (serialised as
    ``{"class_name": "function", "config": "softmax_v2"}``), ``keras.activations.relu``, or a layer."""
    if callable(value) and not isinstance(value, type):
        value = getattr(value, "__name__", None)
    if isinstance(value, dict):
        config = value.get("config")
        if isinstance(config, str):
            value = config
        elif isinstance(config, dict) and isinstance(value.get("class_name"), str):
            value = value["class_name"]  # an activation layer given as the activation (LeakyReLU)
        else:
            value = value.get("registered_name") or value.get("class_name")
    if not isinstance(value, str):
        return None
    name = value.lower()
    return name[:-3] if name.endswith("_v2") else name


def entry_for(layer: Any, copies: dict[int, tuple[int, int]] | None = None) -> LayerEntry:
    try:
        config = layer.get_config()
    except Exception:  # a custom layer without get_config still gets traced
        config = {"name": layer.name}
    return LayerEntry(layer_ref(layer, copies), type(layer), config, layer)


def new_entry(class_name: str, kwargs: dict[str, Any], name: str) -> LayerEntry:
    import keras

    cls = getattr(keras.layers, class_name)
    config = cls(**kwargs).get_config()
    config["name"] = name
    return LayerEntry(LayerRef(name, class_name, None), cls, config)


@dataclass(frozen=True)
class Structure:
    """The model as edits see it.

    ``input_shape`` is the declared input (batch axis excluded), None when the
    model has none and builds from the data. ``input_ref`` is the layer that
    carries the declaration in source (see ``SetInputShape``).
    """

    kind: Literal["sequential", "functional", "subclassed"]
    layers: tuple[LayerEntry, ...]
    input_shape: tuple[int | None, ...] | None
    input_dtype: str = "float32"
    input_ref: LayerRef | None = None
    functional_config: dict[str, Any] | None = field(default=None, hash=False, compare=False)
    custom_objects: dict[str, type] = field(default_factory=dict, hash=False, compare=False)
    model: Any = field(default=None, hash=False, compare=False, repr=False)
    name: str = "model"
    edited: bool = False
    #: Functional models: each input (in the order data is passed) and its declared shape.
    inputs: tuple[tuple[LayerRef, tuple[int | None, ...]], ...] = ()
    #: A batch size the input declares (``batch_shape=(16, …)``; stateful RNNs need it), else None.
    batch_size: int | None = None
    #: ``input_shape=(30)``: an int where a tuple was meant (Keras cannot build from it).
    input_not_tuple: bool = False

    def entry(self, name: str) -> LayerEntry | None:
        for e in self.layers:
            if e.name == name:
                return e
        return None

    def index(self, name: str) -> int:
        for i, e in enumerate(self.layers):
            if e.name == name:
                return i
        raise KeyError(name)

    @property
    def output_entry(self) -> LayerEntry | None:
        if self.kind in ("sequential", "subclassed"):  # a subclassed model's layers are in the order call() uses them
            return self.layers[-1] if self.layers else None
        assert self.functional_config is not None
        outs = self.functional_config.get("output_layers") or []
        if isinstance(outs, dict):
            return None  # several outputs, by name
        # One output is stored flat (["dense", 0, 0]); several as a list of such triples.
        if outs and isinstance(outs[0], str):
            return self.entry(outs[0])
        if len(outs) == 1 and isinstance(outs[0], (list, tuple)):
            return self.entry(outs[0][0])
        return None

    @property
    def output_entries(self) -> tuple[LayerEntry, ...]:
        """Each output layer of a Functional model, in output order (one for a single-output model)."""
        if self.kind == "sequential" or self.functional_config is None:
            return (self.output_entry,) if self.output_entry is not None else ()
        outs = self.functional_config.get("output_layers") or []
        if isinstance(outs, dict):  # outputs given as a dict by name
            outs = list(outs.values())
        if outs and isinstance(outs[0], str):
            outs = [outs]
        found = (self.entry(o[0]) for o in outs if isinstance(o, (list, tuple)) and o)
        return tuple(e for e in found if e is not None)


def _shape_arg(value: Any) -> tuple[int | None, ...]:
    """A declared ``input_shape``; ``(30)`` is the int 30, read as the 1-tuple it was meant to be."""
    return (value,) if isinstance(value, int) else tuple(value)


def structure_of(model: Any) -> Structure:
    """Describe a Sequential/Functional model, or a list of layers, as a ``Structure``."""
    import keras

    if isinstance(model, (list, tuple)):
        # keras.Input() returns a tensor; its InputLayer is what declares the shape.
        layers = [getattr(item, "_keras_history", [item])[0] if isinstance(item, keras.KerasTensor) else item
                  for item in model]
        copies = copies_of(layers)
        input_shape, dtype, input_ref, batch = None, "float32", None, None
        if layers and isinstance(layers[0], keras.layers.InputLayer):
            first = layers.pop(0)
            input_shape, dtype, batch = tuple(first.batch_shape[1:]), str(first.dtype), first.batch_shape[0]
            input_ref = layer_ref(first, copies)
        elif layers and getattr(layers[0], "_input_shape_arg", None) is not None:
            input_shape, input_ref = _shape_arg(layers[0]._input_shape_arg), layer_ref(layers[0], copies)
        entries = tuple(entry_for(layer, copies) for layer in layers)
        not_tuple = bool(layers) and isinstance(getattr(layers[0], "_input_shape_arg", None), int)
        if input_ref is None and entries:
            input_ref = entries[0].ref
        return Structure("sequential", entries, input_shape, dtype, input_ref, custom_objects=_customs(layers),
                         batch_size=batch, input_not_tuple=not_tuple)
    if isinstance(model, keras.Sequential):
        raw = list(model._layers) or list(getattr(model, LAYERS_ATTR, []))
        copies = copies_of(raw)
        input_shape, dtype, input_ref, batch = None, "float32", None, None
        if raw and isinstance(raw[0], keras.layers.InputLayer):
            first = raw.pop(0)
            input_shape, dtype, batch = tuple(first.batch_shape[1:]), str(first.dtype), first.batch_shape[0]
            input_ref = layer_ref(first, copies)
            if raw and getattr(raw[0], "_input_shape_arg", None) is not None:
                input_ref = layer_ref(raw[0], copies)  # the legacy input_shape= is what source holds
            elif input_ref.origin is None and raw:
                input_ref = layer_ref(raw[0], copies)
        elif raw and getattr(raw[0], "_input_shape_arg", None) is not None:
            input_shape, input_ref = _shape_arg(raw[0]._input_shape_arg), layer_ref(raw[0], copies)
        elif raw:
            input_ref = layer_ref(raw[0], copies)
        entries = tuple(entry_for(layer, copies) for layer in raw)
        not_tuple = bool(raw) and isinstance(getattr(raw[0], "_input_shape_arg", None), int)
        return Structure(
            "sequential", entries, input_shape, dtype, input_ref, input_not_tuple=not_tuple,
            custom_objects=_customs(raw), model=model, name=model.name, batch_size=batch,
        )
    if isinstance(model, keras.Model) and hasattr(model, "_nodes_by_depth"):  # a Functional graph
        layers = [layer for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)]
        copies = copies_of(list(model.layers))
        config = model.get_config()
        inputs = model.inputs
        input_shape = tuple(inputs[0].shape[1:]) if len(inputs) == 1 else None
        input_layers = [layer for layer in model.layers if isinstance(layer, keras.layers.InputLayer)]
        input_ref = layer_ref(input_layers[0], copies) if len(input_layers) == 1 else None
        declared = tuple(
            (layer_ref(t._keras_history[0], copies), tuple(t.shape[1:]))
            for t in inputs if getattr(t, "_keras_history", None)
        )
        return Structure(
            "functional", tuple(entry_for(layer, copies) for layer in layers), input_shape,
            str(inputs[0].dtype), input_ref, functional_config=config,
            custom_objects=_customs(model.layers), model=model, name=model.name, inputs=declared,
        )
    if isinstance(model, keras.Model):
        # A subclassed model: its layers are known from its attributes; the order they are called in, from a
        # trace of its call() (``trace.walk``).
        layers = list(getattr(model, "_layers", None) or model.layers)
        copies = copies_of(layers)
        return Structure("subclassed", tuple(entry_for(layer, copies) for layer in layers), None, model=model,
                         name=model.name, custom_objects=_customs(layers))
    raise TypeError(f"expected a keras.Model or a list of layers, got {type(model).__name__}")


def _customs(layers: list[Any]) -> dict[str, type]:
    out: dict[str, type] = {}
    for layer in layers:
        cls = type(layer)
        if is_custom(cls):
            out[cls.__name__] = cls
        for sub in getattr(layer, "_layers", []) or []:
            if is_custom(type(sub)):
                out[type(sub).__name__] = type(sub)
    return out


def build_model(structure: Structure, input_shape: tuple[int | None, ...] | None = None) -> Any:
    """A new Keras model from ``structure`` (for Sequential, with ``input_shape`` if given)."""
    import keras

    if structure.kind == "subclassed":
        if structure.edited or structure.model is None:
            raise RebuildError("a subclassed model's changes live in its source: they are checked by running it")
        return structure.model
    if structure.kind == "sequential":
        shape = input_shape if input_shape is not None else structure.input_shape
        layers = [entry.make() for entry in structure.layers]
        if shape is None:
            return keras.Sequential(layers, name=structure.name)
        batch_shape = (structure.batch_size, *shape)
        return keras.Sequential([keras.Input(batch_shape=batch_shape, dtype=structure.input_dtype), *layers],
                                name=structure.name)
    assert structure.functional_config is not None
    config = copy.deepcopy(structure.functional_config)
    overrides = {e.name: dict(e.overrides) for e in structure.layers if e.overrides}
    for layer_cfg in config["layers"]:
        if layer_cfg["name"] in overrides:
            layer_cfg["config"].update(overrides[layer_cfg["name"]])
        # A stale build_config would rebuild a layer for its old input shape.
        layer_cfg.pop("build_config", None)
    if not structure.edited and structure.model is not None:
        return structure.model
    with keras.saving.custom_object_scope(structure.custom_objects), own_code():
        return keras.Model.from_config(config, custom_objects=structure.custom_objects)
