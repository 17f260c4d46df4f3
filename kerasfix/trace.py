"""Run a model layer by layer: symbolically first, then on the sample.

The symbolic walk calls each layer on a ``KerasTensor``; it raises the same
errors, with the same messages, as ``Sequential``/``fit`` would, but it knows
which layer raised and what reached it. It runs on fresh instances, so the
user's layers are never built or changed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from kerasfix.capture.hooks import layer_calls
from kerasfix.structure import LayerEntry, RebuildError, Structure, build_model, is_custom, layer_ref
from kerasfix.types import LayerRef, LayerTrace, TensorSpec

_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def clean_message(exc: BaseException) -> str:
    """The informative line(s) of a Keras/TensorFlow error, without wrappers and colours."""
    text = _ANSI.sub("", str(exc))
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    if not lines:
        return type(exc).__name__
    if lines[0].startswith("Exception encountered when calling") and len(lines) > 1:
        lines = lines[1:]
    if lines[0].startswith("Graph execution error"):
        informative = [ln for ln in lines if "Received a label value" in ln or "not in [" in ln]
        if informative:
            return informative[0]
        return lines[-2] if len(lines) > 1 else lines[0]
    out = lines[0]
    if out.endswith("Error encountered:") and len(lines) > 1:
        out = lines[1]
    return out


def _dim(d: Any) -> int | None:
    """An axis's size; None when unknown (None, or a backend's symbolic size: JAX traces a subclassed
    model's ``call`` with one for the batch axis, and ``int()`` of it raises)."""
    if d is None:
        return None
    try:
        return int(d)
    except Exception:
        return None


def spec_of(tensor: Any) -> TensorSpec:
    shape = tuple(_dim(d) for d in tensor.shape)
    return TensorSpec(shape, str(getattr(tensor, "dtype", "float32")).replace("<dtype: '", "").rstrip("'>"))


@dataclass(frozen=True)
class Failure:
    """The first connection that broke: ``layer`` received ``inputs`` from ``producer``."""

    index: int
    layer: LayerRef
    producer: str | None
    inputs: tuple[TensorSpec, ...]
    error_type: str
    message: str
    custom: bool
    stage: str  # "symbolic" | "forward" | "rebuild"
    #: The layer's ``call`` returned None (a missing ``return``) instead of a tensor.
    returned_none: bool = False
    #: The layer producing each input (a merge has several), when known.
    producers: tuple[str, ...] = ()
    #: The model's layers, so that a message can name a producer (known here by name) as the user wrote it.
    layers: tuple[LayerRef, ...] = ()

    def describe(self, name: str | None) -> str:
        """The layer called ``name`` in the user's words, seen from the failing layer's line (``input`` as is)."""
        ref = next((r for r in self.layers if r.name == name), None)
        return ref.describe(self.layer.origin) if ref is not None else name or "?"


@dataclass(frozen=True)
class Trace:
    """Each layer's input/output specs, the model output, and the first failure."""

    rows: tuple[LayerTrace, ...]
    input_spec: TensorSpec | None
    output: TensorSpec | None
    failure: Failure | None

    @property
    def ok(self) -> bool:
        return self.failure is None


class Walk:
    """The result of a symbolic walk, with the instances it built (reusable for a forward pass)."""

    def __init__(self, trace: Trace, instances: list[Any] | None, model: Any = None) -> None:
        self.trace = trace
        self.instances = instances
        self.model = model


def walk(structure: Structure, data_shape: tuple[int | None, ...] | None, dtype: str = "float32") -> Walk:
    """Trace ``structure`` symbolically on inputs of ``data_shape`` (batch axis excluded).

    A Sequential model is traced from its declared input when it has one (that is
    what Keras builds from), else from the data's shape.
    """
    if structure.kind == "sequential":
        shape = structure.input_shape if structure.input_shape is not None else data_shape
        w = _walk_sequential(structure, shape, structure.input_dtype if structure.input_shape else dtype)
    elif structure.kind == "subclassed":
        w = _walk_subclassed(structure, data_shape, dtype)
    else:
        w = _walk_functional(structure)
    if w.trace.failure is None:
        return w
    failure = replace(w.trace.failure, layers=_refs(structure, w.trace.rows))
    return Walk(replace(w.trace, failure=failure), w.instances, w.model)


def _refs(structure: Structure, rows: tuple[LayerTrace, ...]) -> tuple[LayerRef, ...]:
    """The structure's layers, and any other layer the trace met (a subclassed model's nested ones)."""
    known = tuple(e.ref for e in structure.layers)
    names = {r.name for r in known}
    return known + tuple(r.layer for r in rows if r.layer.name not in names)


def _one_pass(calls: list[Any]) -> list[Any]:
    """The layer calls of one forward pass: calling an unbuilt model builds it by running ``call`` once more."""
    ids = [id(layer) for layer, _args, _result in calls]
    half = len(ids) // 2
    if ids and len(ids) % 2 == 0 and ids[:half] == ids[half:]:
        return calls[half:]
    return calls


def _walk_subclassed(structure: Structure, shape: tuple[int | None, ...] | None, dtype: str) -> Walk:
    """A subclassed model called once on a symbolic input, recording the layers its ``call`` uses, in order.

    The model itself is called (Keras builds it as its first ``fit`` would):
    its structure is its code, so there is nothing to rebuild it from.
    """
    import keras

    model = structure.model
    if shape is None or model is None:
        return Walk(Trace((), None, None, None), None, model)
    x = keras.KerasTensor((None, *shape), dtype=dtype)
    input_spec = spec_of(x)
    entries = {id(e.original): e for e in structure.layers}
    rows: list[LayerTrace] = []
    producer = "input"
    by_tensor: dict[int, str] = {id(x): "input"}
    with layer_calls(model) as calls:
        try:
            out = model(x)
            error: BaseException | None = None
        except Exception as exc:  # a connection that fails inside call(): classified like any other
            out, error = None, exc
    calls = _one_pass(calls)
    for index, (layer, args, result) in enumerate(calls):
        entry = entries.get(id(layer))
        ref = entry.ref if entry is not None else layer_ref(layer)
        tensors = [t for t in _flat(list(args)) if hasattr(t, "shape")]
        ins = tuple(spec_of(t) for t in tensors)
        producers = tuple(by_tensor.get(id(t), producer) for t in tensors)
        if isinstance(result, BaseException):
            rows.append(LayerTrace(ref, ins, (), producers, clean_message(result), is_custom(type(layer))))
            failure = Failure(index, ref, producers[0] if producers else producer, ins, type(result).__name__,
                              clean_message(result), is_custom(type(layer)), "symbolic", producers=producers)
            return Walk(Trace(tuple(rows), input_spec, None, failure), None, model)
        outs = tuple(spec_of(t) for t in _flat(result) if hasattr(t, "shape"))
        rows.append(LayerTrace(ref, ins, outs, producers, None, is_custom(type(layer))))
        for t in _flat(result):
            by_tensor[id(t)] = ref.name
        producer = ref.name
    if error is not None:
        last = rows[-1].layer if rows else LayerRef(structure.name, type(model).__name__)
        failure = Failure(len(rows), last, producer, (), type(error).__name__, clean_message(error),
                          is_custom(type(model)), "symbolic")
        return Walk(Trace(tuple(rows), input_spec, None, failure), None, model)
    output = spec_of(out) if hasattr(out, "shape") else None
    return Walk(Trace(tuple(rows), input_spec, output, None), None, model)


def _walk_sequential(structure: Structure, shape: tuple[int | None, ...] | None, dtype: str) -> Walk:
    import keras

    if shape is None:
        return Walk(Trace((), None, None, None), None)
    x: Any = keras.KerasTensor((None, *shape), dtype=dtype)
    input_spec = spec_of(x)
    rows: list[LayerTrace] = []
    instances: list[Any] = []
    producer = "input"
    for i, entry in enumerate(structure.layers):
        spec_in = spec_of(x) if hasattr(x, "shape") else TensorSpec((), "none")
        try:
            layer = entry.make()
        except RebuildError as exc:
            return Walk(Trace(tuple(rows), input_spec, None, _fail(i, entry, producer, (spec_in,), exc, "rebuild")), None)
        if x is None or not hasattr(x, "shape"):
            exc2 = ValueError(f"layer {producer!r} returned {x!r} instead of a tensor")
            prev = structure.layers[i - 1] if i else entry
            failure = Failure(i - 1, prev.ref, None, (), "ValueError", str(exc2), is_custom(prev.cls), "symbolic", True)
            return Walk(Trace(tuple(rows), input_spec, None, failure), None)
        try:
            y = _symbolic_call(layer, x, entry)
        except Exception as exc:
            rows.append(LayerTrace(entry.ref, (spec_in,), (), (producer,), clean_message(exc), is_custom(entry.cls)))
            return Walk(Trace(tuple(rows), input_spec, None, _fail(i, entry, producer, (spec_in,), exc, "symbolic")), None)
        outs = tuple(spec_of(t) for t in _flat(y) if hasattr(t, "shape"))
        rows.append(LayerTrace(entry.ref, (spec_in,), outs, (producer,), None, is_custom(entry.cls)))
        instances.append(layer)
        producer = entry.name
        x = y if not isinstance(y, (list, tuple)) else y[0]
        if x is None:
            failure = Failure(
                i, entry.ref, producer, (spec_in,), "ValueError",
                f"call() of layer {entry.name!r} returned None (a missing `return`?)", is_custom(entry.cls), "symbolic",
                True,
            )
            return Walk(Trace(tuple(rows), input_spec, None, failure), None)
    output = spec_of(x) if hasattr(x, "shape") else None
    return Walk(Trace(tuple(rows), input_spec, output, None), instances)


def _symbolic_call(layer: Any, x: Any, entry: LayerEntry) -> Any:
    """The layer's output spec for ``x``, without creating its weights when Keras can tell the shape.

    Creating variables is most of what building costs; a built-in layer's
    ``compute_output_shape`` and ``input_spec`` give the same answers and the
    same errors. Custom layers (and layers without a shape rule) are called.
    """
    import keras
    from keras.src.layers.input_spec import assert_input_compatibility

    cls = type(layer)
    if is_custom(cls) or cls.compute_output_shape is keras.layers.Layer.compute_output_shape:
        return layer(x)
    assert_input_compatibility(layer.input_spec, x, layer_name=layer.name)
    try:
        shape = layer.compute_output_shape(tuple(x.shape))
    except NotImplementedError:
        return layer(x)
    if not isinstance(shape, tuple) or (shape and not isinstance(shape[0], (int, type(None)))):
        return layer(x)  # several outputs (e.g. return_state): let the layer say
    dtype = getattr(layer, "compute_dtype", None) or x.dtype
    return keras.KerasTensor(shape, dtype=dtype)


def _flat(y: Any) -> list[Any]:
    if isinstance(y, (list, tuple)):
        return [t for item in y for t in _flat(item)]
    return [y]


def _fail(
    i: int, entry: LayerEntry, producer: str | None, inputs: tuple[TensorSpec, ...], exc: BaseException, stage: str
) -> Failure:
    return Failure(i, entry.ref, producer, inputs, type(exc).__name__, clean_message(exc), is_custom(entry.cls), stage)


_LAYER_NAME = re.compile(r"(?:of layer|layer|for layer) ['\"]([^'\"]+)['\"]")


def _walk_functional(structure: Structure) -> Walk:
    import keras

    try:
        model = build_model(structure)
    except Exception as exc:
        msg = clean_message(exc)
        m = _LAYER_NAME.search(msg)
        entry = structure.entry(m.group(1)) if m else None
        ref = entry.ref if entry else LayerRef(structure.name, "Functional")
        index = structure.index(entry.name) if entry else -1
        failure = Failure(index, ref, None, (), type(exc).__name__, msg, bool(entry and is_custom(entry.cls)), "rebuild")
        return Walk(Trace((), None, None, failure), None)
    rows: list[LayerTrace] = []
    refs = {e.name: e.ref for e in structure.layers}
    for layer in model.layers:
        if isinstance(layer, keras.layers.InputLayer):
            continue
        nodes = getattr(layer, "_inbound_nodes", [])
        node = next((n for n in nodes if len(n.input_tensors) > 0), nodes[0] if nodes else None)
        if node is None:
            continue
        ins = tuple(spec_of(t) for t in node.input_tensors)
        outs = tuple(spec_of(t) for t in node.outputs)
        producers = tuple(p.operation.name for p in node.parent_nodes)
        ref = refs.get(layer.name) or layer_ref(layer)
        rows.append(LayerTrace(ref, ins, outs, producers, None, is_custom(type(layer))))
    input_spec = spec_of(model.inputs[0]) if len(model.inputs) == 1 else None
    output = spec_of(model.outputs[0]) if len(model.outputs) == 1 else None
    return Walk(Trace(tuple(rows), input_spec, output, None), None, model)


def forward(structure: Structure, w: Walk, x: Any) -> tuple[Any, Any, Failure | None]:
    """Run the traced model on the sample: returns (model, output, failure)."""
    import keras

    model = w.model
    if model is None:
        assert w.instances is not None and w.trace.input_spec is not None
        batch_shape = (structure.batch_size, *w.trace.input_spec.shape[1:])
        model = keras.Sequential([keras.Input(batch_shape=batch_shape, dtype=w.trace.input_spec.dtype), *w.instances])
    if structure.batch_size is not None:
        x = _rows_exactly(x, structure.batch_size)
    try:
        if model is structure.model:  # the user's own model: not even a predict function is added to it
            out = model(x, training=False)
        else:
            out = compiled_or_eager(lambda: _jax_predict(model, x), lambda: model(x, training=False))
    except Exception as exc:
        msg = clean_message(exc)
        m = _LAYER_NAME.search(msg) or re.search(r"calling (\w+)\.call", str(exc))
        entry = structure.entry(m.group(1)) if m else None
        if entry is None:
            entry = _first_custom(structure)
        ref = entry.ref if entry else LayerRef(structure.name, type(model).__name__)
        index = structure.index(entry.name) if entry else -1
        producer = structure.layers[index - 1].name if entry and index > 0 else "input"
        failure = Failure(index, ref, producer, (), type(exc).__name__, msg, bool(entry and is_custom(entry.cls)), "forward",
                          layers=tuple(e.ref for e in structure.layers))
        return model, None, failure
    # numpy, as every backend gives it: torch's tensors refuse np.asarray while they track gradients
    out = keras.tree.map_structure(keras.ops.convert_to_numpy, out)
    if isinstance(out, (list, tuple, dict)):
        return model, out, None
    return model, np.asarray(out), None


def _jax_predict(model: Any, x: Any) -> Any:
    from kerasfix.jax_compile import predict

    return predict(model, x)


def compiled_or_eager(compiled: Callable[[], Any], eager: Callable[[], Any]) -> Any:
    """``compiled()`` under JAX, where it costs a fraction of ``eager()`` (JAX compiles each op run eagerly,
    once per shape); ``eager()`` elsewhere, and wherever the compiled call fails, so that what is found is
    what the eager call finds (a TensorFlow function in the model, say, fails only when compiled)."""
    import keras

    if keras.backend.backend() == "jax":
        try:
            return compiled()
        except Exception:  # judged by the eager call below, as on every other backend
            pass
    return eager()


def _rows_exactly(x: Any, rows: int) -> Any:
    """``x`` with exactly ``rows`` samples (repeated when there are fewer): a declared batch size is a promise."""
    def fit(a: Any) -> Any:
        arr = np.asarray(a)
        if arr.ndim == 0 or arr.shape[0] == rows:
            return arr
        return np.resize(arr, (rows, *arr.shape[1:])) if arr.shape[0] else arr

    if isinstance(x, list):
        return [fit(v) for v in x]
    if isinstance(x, dict):
        return {k: fit(v) for k, v in x.items()}
    return fit(x)


def _first_custom(structure: Structure) -> LayerEntry | None:
    for e in structure.layers:
        if is_custom(e.cls):
            return e
    return None
