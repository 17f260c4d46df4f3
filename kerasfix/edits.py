"""Applying edits to a model's structure and to data (the source side lives in ``rewrite/``)."""

from __future__ import annotations

import copy
import dataclasses
import inspect
import re
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from kerasfix.structure import LayerEntry, Structure, build_model, new_entry, structure_of
from kerasfix.types import (
    AppendLayer,
    CastData,
    CompileArgs,
    Edit,
    EncodeLabels,
    InsertLayer,
    LayerRef,
    MoveLayer,
    RemoveLayerArgument,
    ReplaceLayerClass,
    ReshapeData,
    SetCompileArgument,
    SetInputShape,
    SetLayerArgument,
)


def positional_index(cls: type, name: str) -> int | None:
    """Index of ``name`` among the constructor's positional parameters (for source edits)."""
    try:
        init: Any = cls.__init__  # type: ignore[misc]
        params = list(inspect.signature(init).parameters.values())[1:]
    except (TypeError, ValueError):
        return None
    for i, p in enumerate(params):
        if p.kind not in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            return None
        if p.name == name:
            return i
    return None


def apply_to_structure(structure: Structure, edits: Sequence[Edit]) -> Structure:
    """A new structure with the model edits applied (data/compile edits are ignored here)."""
    s = structure
    for edit in edits:
        if isinstance(edit, InsertLayer):
            s = _insert(s, edit)
        elif isinstance(edit, AppendLayer):
            s = _append(s, edit)
        elif isinstance(edit, MoveLayer):
            s = _move(s, edit)
        elif isinstance(edit, SetLayerArgument):
            s = _set_arg(s, edit)
        elif isinstance(edit, ReplaceLayerClass):
            s = _replace_class(s, edit)
        elif isinstance(edit, SetInputShape):
            s = _set_input(s, edit.shape, edit.target.name)
        elif isinstance(edit, RemoveLayerArgument):
            continue  # input_shape= moves with SetInputShape/InsertLayer; nothing to do on the config
    return s


def _entries(s: Structure, entries: list[LayerEntry]) -> Structure:
    return replace(s, layers=tuple(entries), edited=True)


def _new_layer_entry(edit: InsertLayer, taken: set[str]) -> LayerEntry:
    kwargs = {k: (tuple(v) if isinstance(v, list) else v) for k, v in edit.layer.kwargs if k != "input_shape"}
    return new_entry(edit.layer.class_name, kwargs, _inserted_name(edit, taken))


def _inserted_name(edit: InsertLayer, taken: set[str]) -> str:
    base = f"{_snake(edit.layer.class_name)}_kerasfix"
    name, n = base, 1
    while name in taken:  # unique within the model, and the same on every rebuild
        n += 1
        name = f"{base}_{n}"
    return name


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _insert(s: Structure, edit: InsertLayer) -> Structure:
    if edit.input_index is not None:
        raise ValueError("a layer on one branch of a merge is checked by running the patched script")
    entry = _new_layer_entry(edit, {e.name for e in s.layers})
    if s.kind == "sequential":
        layers = list(s.layers)
        layers.insert(s.index(edit.before.name), entry)
        return _entries(s, layers)
    assert s.functional_config is not None
    config = copy.deepcopy(s.functional_config)
    import keras

    layer_cfg = keras.saving.serialize_keras_object(entry.make())
    for cfg in config["layers"]:
        if cfg["name"] == edit.before.name:
            layer_cfg["name"] = entry.name
            layer_cfg["inbound_nodes"] = copy.deepcopy(cfg["inbound_nodes"])
            for node in cfg["inbound_nodes"]:
                for arg in node["args"]:
                    if isinstance(arg, dict) and arg.get("class_name") == "__keras_tensor__":
                        arg["config"]["keras_history"] = [entry.name, 0, 0]
            index = config["layers"].index(cfg)
            config["layers"].insert(index, layer_cfg)
            break
    else:
        raise KeyError(edit.before.name)
    layers = list(s.layers)
    layers.insert(s.index(edit.before.name), entry)
    return replace(s, layers=tuple(layers), functional_config=config, edited=True)


def _append(s: Structure, edit: AppendLayer) -> Structure:
    if s.kind == "subclassed" or (s.kind != "sequential" and s.functional_config is None):
        raise ValueError("a layer added at the end of a subclassed model is checked by running the patched script")
    kwargs = {k: (tuple(v) if isinstance(v, list) else v) for k, v in edit.layer.kwargs}
    taken = {e.name for e in s.layers}
    entry = new_entry(edit.layer.class_name, kwargs, _inserted_name(InsertLayer(edit.after, edit.layer), taken))
    if s.kind == "sequential":
        return _entries(s, [*s.layers, entry])
    assert s.functional_config is not None
    config = copy.deepcopy(s.functional_config)
    import keras

    layer_cfg = keras.saving.serialize_keras_object(entry.make())
    layer_cfg["name"] = entry.name
    after = next(c for c in config["layers"] if c["name"] == edit.after.name)
    # The new layer is called on the old output, as the old output layer was called on its own input.
    nodes = copy.deepcopy(after["inbound_nodes"][:1])
    for node in nodes:
        for arg in node["args"]:
            if isinstance(arg, dict) and arg.get("class_name") == "__keras_tensor__":
                arg["config"]["keras_history"] = [edit.after.name, 0, 0]
    layer_cfg["inbound_nodes"] = nodes
    config["layers"].append(layer_cfg)
    outs = config.get("output_layers")
    one = [entry.name, 0, 0]
    config["output_layers"] = one if outs and isinstance(outs[0], str) else [one]
    return replace(s, layers=(*s.layers, entry), functional_config=config, edited=True)


def _move(s: Structure, edit: MoveLayer) -> Structure:
    if s.kind != "sequential":
        raise ValueError("layers can only be reordered in a Sequential model")
    layers = list(s.layers)
    moving = layers.pop(s.index(edit.layer.name))
    if edit.before is None:
        layers.append(moving)
    else:
        layers.insert([e.name for e in layers].index(edit.before.name), moving)
    return _entries(s, layers)


#: Arguments that hold one value per spatial axis: a 1-D layer's ``(3,)`` is ``(3, 3)`` in 2-D.
_PER_AXIS = ("kernel_size", "strides", "dilation_rate", "pool_size")


def _replace_class(s: Structure, edit: ReplaceLayerClass) -> Structure:
    import keras

    cls = getattr(keras.layers, edit.class_name)
    rank = {"1D": 1, "2D": 2, "3D": 3}.get(edit.class_name[-2:])

    def same_args(config: dict[str, Any]) -> dict[str, Any]:
        out = dict(config)
        for key in _PER_AXIS:
            value = out.get(key)
            if rank is not None and isinstance(value, (list, tuple)) and len(set(value)) == 1:
                out[key] = [value[0]] * rank
        return out

    layers = [replace(e, cls=cls, config=same_args(e.config), overrides=tuple(same_args(dict(e.overrides)).items()))
              if e.name == edit.layer.name else e for e in s.layers]
    if s.kind != "sequential" and s.functional_config is not None:
        config = copy.deepcopy(s.functional_config)
        for cfg in config["layers"]:
            if cfg["name"] == edit.layer.name:
                cfg["class_name"], cfg["module"] = edit.class_name, "keras.layers"
                cfg["config"] = same_args(cfg["config"])
        return replace(s, layers=tuple(layers), functional_config=config, edited=True)
    return _entries(s, layers)


def _set_arg(s: Structure, edit: SetLayerArgument) -> Structure:
    value: Any = edit.value
    if isinstance(value, tuple) and edit.name != "target_shape":
        value = list(value)  # Keras configs hold lists where constructors took tuples
    layers = [e.with_override(edit.name, value) if e.name == edit.layer.name else e for e in s.layers]
    return _entries(s, layers)


def _set_input(s: Structure, shape: tuple[int | None, ...], target: str) -> Structure:
    if s.kind == "sequential":
        return replace(s, input_shape=tuple(shape), edited=True, input_not_tuple=False)
    assert s.functional_config is not None
    config = copy.deepcopy(s.functional_config)
    inputs = [c for c in config["layers"] if c["class_name"] == "InputLayer"]
    for cfg in inputs:
        if len(inputs) == 1 or cfg["name"] == target:
            cfg["config"]["batch_shape"] = [None, *shape]
    declared = tuple((ref, tuple(shape) if ref.name == target or len(s.inputs) == 1 else old) for ref, old in s.inputs)
    # Downstream tensors recorded in inbound nodes carry stale shapes: from_config recomputes them.
    single = tuple(shape) if len(inputs) == 1 else s.input_shape
    return replace(s, input_shape=single, functional_config=config, edited=True, inputs=declared)


def compile_loss(edits: Sequence[Edit], loss: Any) -> Any:
    """The loss after any ``SetCompileArgument(loss=...)`` edits."""
    for edit in edits:
        if isinstance(edit, SetCompileArgument) and edit.name == "loss":
            loss = edit.value
    return loss


def apply_data_edits(edits: Sequence[Edit], x: Any, y: Any = None) -> tuple[Any, Any]:
    """Return ``(x, y)`` changed as the data edits say; other edits leave them as they are."""
    for edit in edits:
        if isinstance(edit, CastData):
            if edit.which == "x":
                x = np.asarray(x).astype(edit.dtype)
            else:
                y = np.asarray(y).astype(edit.dtype)
        elif isinstance(edit, EncodeLabels):
            y = encode_labels(y, edit.how)
        elif isinstance(edit, ReshapeData) and edit.how == "batch_dataset":
            pass  # the sample of an unbatched dataset is taken in batches already
        elif isinstance(edit, ReshapeData) and edit.how == "rename_keys":
            names = dict(edit.keys)
            if edit.which == "x" and isinstance(x, dict):
                x = {names.get(k, k): v for k, v in x.items()}
            elif edit.which == "y" and isinstance(y, dict):
                y = {names.get(k, k): v for k, v in y.items()}
        elif isinstance(edit, ReshapeData) and edit.how == "reorder":
            x = [x[i] for i in edit.order] if isinstance(x, (list, tuple)) else x
        elif isinstance(edit, ReshapeData):
            if edit.which == "x":
                x = reshape_data(x, edit.how)
            else:
                y = reshape_data(y, edit.how)
    return x, y


def encode_labels(y: Any, how: str) -> np.ndarray:
    """The labels re-encoded: ``label_encoder`` (ids 0..k-1 in sorted order), ``argmax`` or ``one_hot``."""
    arr = np.asarray(y)
    if how == "label_encoder":
        return encode_like(arr, arr)
    if how == "argmax":
        return np.asarray(arr.argmax(axis=-1))
    import keras

    return np.asarray(keras.utils.to_categorical(arr))


def encode_like(y: Any, reference: Any) -> np.ndarray:
    """``y`` encoded as 0..k-1 by a ``LabelEncoder`` fitted on ``reference`` (fit on train, transform the rest)."""
    from sklearn.preprocessing import LabelEncoder

    def column(a: Any) -> np.ndarray:
        arr = np.asarray(a)
        return arr.ravel() if arr.ndim > 1 and arr.shape[1] == 1 else arr

    return np.asarray(LabelEncoder().fit(column(reference)).transform(column(y)))


def reshape_data(a: Any, how: str) -> np.ndarray:
    arr = np.asarray(a)
    if how == "add_batch":
        return np.expand_dims(arr, 0)
    if how == "add_channel":
        return np.expand_dims(arr, -1)
    if how == "transpose":
        return arr.T
    if how == "to_array":
        return arr
    if how == "channels_last":
        return np.moveaxis(arr, 1, -1)
    if how == "drop_first_column":
        return arr[:, 1:]
    if how == "drop_last_column":
        return arr[:, :-1]
    if how == "to_rgb":
        return np.repeat(arr, 3, axis=-1)
    return arr.reshape(-1, 1)


def apply_fix_to_model(edits: Sequence[Edit], compile_args: CompileArgs | None, model: Any,
                       planned: Sequence[tuple[str, str]] = ()) -> Any:
    """A new model with the model ``edits``, compiled like ``model`` (or with ``compile_args``).

    ``planned`` is ``layer_signature`` of the model the edits were made for:
    when ``model``'s layers carry other names, the edits are renamed to them
    (see ``match_layers``). ``ValueError`` when ``model`` is not equivalent.
    """
    original = structure_of(model)
    edits = match_layers(edits, original, planned)
    try:
        structure = apply_to_structure(original, edits)
    except KeyError as exc:
        raise ValueError(f"layer {exc.args[0]!r}, which the fix changes, is not in this model") from None
    if structure.kind == "functional":
        structure = replace(structure, edited=True)
    new = build_model(structure)
    loss = compile_loss(edits, _model_loss(model, compile_args))
    optimizer: Any = "adam"
    metrics: Any = None
    if not isinstance(model, (list, tuple)) and getattr(model, "compiled", False):
        try:
            cfg = model.get_compile_config() or {}
        except Exception:
            cfg = {}
        import keras

        if cfg.get("optimizer") is not None:
            optimizer = keras.optimizers.deserialize(cfg["optimizer"])
        metrics = cfg.get("metrics")
        if metrics is not None:
            metrics = keras.saving.deserialize_keras_object(metrics)
    elif compile_args is not None and isinstance(compile_args.optimizer, str):
        optimizer = compile_args.optimizer
    if loss is not None:
        new.compile(optimizer=optimizer, loss=loss, metrics=metrics)
    return new


def _model_loss(model: Any, compile_args: CompileArgs | None) -> Any:
    if not isinstance(model, (list, tuple)) and getattr(model, "loss", None) is not None:
        return model.loss
    return compile_args.loss if compile_args is not None else None


# ---------------------------------------------------------------------------
# A fix planned for one model, applied to an equivalent one with other layer names.


def layer_signature(structure: Structure) -> tuple[tuple[str, str], ...]:
    """``(name, class)`` of each layer, declared inputs first: what an equivalent model is matched by."""
    inputs = [ref for ref, _shape in structure.inputs]
    ref = structure.input_ref
    if ref is not None and all(ref.name != r.name for r in inputs) and structure.entry(ref.name) is None:
        inputs.insert(0, ref)  # a Sequential's keras.Input
    return tuple((r.name, r.class_name) for r in inputs) + tuple((e.name, e.ref.class_name) for e in structure.layers)


def _refs(edit: Edit) -> list[LayerRef]:
    return [v for f in dataclasses.fields(edit) if isinstance(v := getattr(edit, f.name), LayerRef)]


def _renamed(edit: Edit, names: dict[str, str]) -> Edit:
    changes = {f.name: replace(v, name=names[v.name]) for f in dataclasses.fields(edit)
               if isinstance(v := getattr(edit, f.name), LayerRef) and v.name in names}
    return replace(edit, **changes) if changes else edit  # type: ignore[arg-type]


def match_layers(edits: Sequence[Edit], structure: Structure,
                 planned: Sequence[tuple[str, str]] = ()) -> tuple[Edit, ...]:
    """``edits`` with their layer names changed to ``structure``'s, matched by position and class.

    Keras names layers ``dense``, ``dense_1``, … in the order they are made,
    so a model rebuilt in the same session has other names. With ``planned``
    (the planned model's ``layer_signature``) each layer is matched by its
    position, the classes having to agree; without it a missing name is
    matched to the only layer of its class. Anything else raises a
    ``ValueError`` saying in one sentence why the fix does not fit.
    """
    current = layer_signature(structure)
    names = {n for n, _ in current}
    classes = dict(current)
    mapping: dict[str, str] = {}
    if planned and [n for n, _ in planned] != [n for n, _ in current]:
        if [c for _, c in planned] == [c for _, c in current]:
            mapping = {old: new for (old, _), (new, _) in zip(planned, current, strict=True) if old != new}
        elif any(r.name not in names for e in edits for r in _refs(e) if r.name in dict(planned)):
            raise ValueError(
                f"this model is not the one the fix was planned for: its layers are "
                f"{_classes(current)}, the fix's were {_classes(planned)} (call suggest_fixes on this model)")
    made: set[str] = set()  # layers the edits insert themselves (``flatten_kerasfix``)
    out: list[Edit] = []
    for edit in edits:
        for ref in _refs(edit):
            name = mapping.get(ref.name, ref.name)
            if name in names or name in made or ref.name in mapping:
                continue
            same = [n for n, c in current if c == ref.class_name]
            if len(same) != 1:
                how = "none" if not same else f"{len(same)} ({', '.join(same)})"
                raise ValueError(
                    f"the fix changes layer {ref.name!r} ({ref.class_name}), which this model does not have, and it "
                    f"has {how} of that class to take its place (call suggest_fixes on this model)")
            mapping[ref.name] = same[0]
        if isinstance(edit, InsertLayer):
            made.add(_inserted_name(edit, names | made))
        out.append(_renamed(edit, mapping))
    for edit in out:
        for ref in _refs(edit):
            if ref.name in classes and classes[ref.name] != ref.class_name:
                raise ValueError(f"layer {ref.name!r} of this model is a {classes[ref.name]}, not the "
                                 f"{ref.class_name} the fix was planned for (call suggest_fixes on this model)")
    return tuple(out)


def _classes(signature: Sequence[tuple[str, str]]) -> str:
    return ", ".join(c for _, c in signature) or "none"
