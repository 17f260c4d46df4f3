"""Run a script as ``python script.py`` would, and record what each ``fit`` call trained.

    python bench/_realworld_probe.py SCRIPT OUT.json

Used by ``bench/realworld.py``. The exit code is the script's. OUT.json always gets:

* ``fits``: one record per ``fit`` call (written after the call returns or raises), with
  ``layers`` — the model's layers in the order the model calls them during the first forward pass
  that ``fit`` traces (class, name, key config, per-sample input/output shapes, weight shapes);
  containers (``Sequential``/``Functional``/subclassed models) are flattened, and sub-layers of
  built-in layers (an ``LSTMCell`` inside ``LSTM``) are left out while those of custom layers are kept.
  When ``fit`` fails before any forward pass, the layers come from ``model.layers`` (``"order": "static"``).
  ``outputs`` — per output name: the producing layer, its activation, and the per-sample shape.
  ``loss`` — per output name: canonical loss name and ``from_logits``. ``metrics`` — the compile argument.
  ``x``/``y`` — per-sample shapes (with a leading ``null`` for the batch axis) and dtype kinds.
* ``ended``: whether the script ran to its end; ``error``: the exception (type, message, script line).
* ``calls``: how many times ``fit``/``evaluate``/``predict`` were called.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import runpy
import sys
import traceback

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

CONFIG_KEYS = ("units", "filters", "kernel_size", "strides", "pool_size", "padding", "activation",
               "return_sequences", "target_shape", "data_format", "rate", "input_dim", "output_dim", "axis")
SHAPE_ONLY = {"Flatten", "Reshape", "Dropout", "SpatialDropout1D", "SpatialDropout2D", "GaussianNoise",
              "GaussianDropout", "Permute", "AlphaDropout", "Identity"}


# ---------------------------------------------------------------- small helpers

def _jsonable(v):
    return json.loads(json.dumps(v, default=lambda o: getattr(o, "__name__", None) or str(o)))


def _dims(shape):
    try:
        dims = shape.as_list() if hasattr(shape, "as_list") else list(shape)
    except (TypeError, ValueError):
        return None
    return [None if d is None else int(d) for d in dims]


def _sample_shape(t):
    """Per-sample shape with the batch axis as None (``[None, 28, 28, 1]``)."""
    s = getattr(t, "shape", None)
    if s is None:
        return None
    d = _dims(s)
    return None if d is None or not d else [None] + d[1:]


def _shapes(v):
    if isinstance(v, dict):
        return {str(k): _shapes(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_shapes(x) for x in v]
    return _sample_shape(v)


def _flat(v):
    if isinstance(v, dict):
        return [x for k in v for x in _flat(v[k])]
    if isinstance(v, (list, tuple)):
        return [x for e in v for x in _flat(e)]
    return [v]


def _kind(dtype) -> str:
    name = str(getattr(dtype, "name", dtype))
    if "string" in name or name.startswith(("str", "<U", "|S", "bytes")):
        return "str"
    if "float" in name or name.startswith("bfloat"):
        return "float"
    if "int" in name:
        return "int"
    if "bool" in name:
        return "bool"
    if name == "object":
        return "object"
    return name


def _array_info(a):
    import numpy as np

    if hasattr(a, "element_spec"):  # a tf.data.Dataset nested inside (rare)
        return {"shape": None, "dtype": "dataset"}
    try:
        arr = np.asarray(a)
    except Exception:
        return {"shape": None, "dtype": type(a).__name__}
    kind = _kind(arr.dtype)
    if kind == "object":
        flat = arr.ravel()[:2000]
        kind = "str" if any(isinstance(e, (str, bytes)) for e in flat) else "object"
    info = {"shape": [None] + [int(d) for d in arr.shape[1:]] if arr.ndim else [], "dtype": kind}
    if kind in ("int", "float", "bool") and arr.size:
        vals = np.unique(arr.ravel()[:100000])
        if len(vals) <= 50 and np.all(np.mod(vals.astype("float64"), 1) == 0):
            info["values"] = [v.item() for v in vals]
        if arr.ndim == 2 and arr.shape[1] > 1 and np.all((arr == 0) | (arr == 1)):
            sums = arr.sum(axis=1)
            info["rows"] = "onehot" if np.all(sums == 1) else "multilabel"
        info["min"], info["max"] = float(np.nanmin(arr)), float(np.nanmax(arr))
        info["finite"] = bool(np.isfinite(arr.astype("float64")).all())
    return info


def _data_info(v):
    if v is None:
        return None
    if isinstance(v, dict):
        return {str(k): _data_info(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_data_info(x) for x in v]
    return _array_info(v)


def _spec_info(spec):
    if spec is None:
        return None
    if isinstance(spec, dict):
        return {str(k): _spec_info(s) for k, s in spec.items()}
    if isinstance(spec, (list, tuple)):
        return [_spec_info(s) for s in spec]
    d = _dims(spec.shape)
    return {"shape": None if d is None else ([None] + d[1:] if d and d[0] is None else d),
            "dtype": _kind(spec.dtype), **({} if d and d[0] is None else {"unbatched": True})}


def _fit_data(args, kwargs):
    x = args[0] if args else kwargs.get("x")
    y = args[1] if len(args) > 1 else kwargs.get("y")
    if hasattr(x, "element_spec"):  # tf.data.Dataset: (x, y[, w])
        spec = x.element_spec
        if isinstance(spec, tuple) and len(spec) >= 2:
            return _spec_info(spec[0]), _spec_info(spec[1])
        return _spec_info(spec), None
    if x is not None and not hasattr(x, "shape") and not isinstance(x, (dict, list, tuple)) and hasattr(x, "__iter__"):
        return {"shape": None, "dtype": type(x).__name__}, None  # a generator / PyDataset: not looked into
    return _data_info(x), _data_info(y)


def _layer_config(layer) -> dict:
    try:
        cfg = layer.get_config()
    except Exception:
        cfg = {}
    keep = {}
    for k in CONFIG_KEYS:
        if k in cfg:
            keep[k] = cfg[k]
    if type(layer).__name__ == "Bidirectional" and isinstance(cfg.get("layer"), dict):
        inner = cfg["layer"].get("config", {})
        for k in ("units", "return_sequences"):
            if k in inner:
                keep[k] = inner[k]
    if "activation" not in keep and callable(getattr(layer, "activation", None)):
        keep["activation"] = getattr(layer.activation, "__name__", str(layer.activation))
    if isinstance(keep.get("activation"), dict):  # a serialised activation object
        keep["activation"] = keep["activation"].get("config", {}).get("name") or str(keep["activation"])
    if type(layer).__name__ == "Softmax":
        keep["activation"] = "softmax"
    if type(layer).__name__ == "ReLU":
        keep["activation"] = "relu"
    return _jsonable(keep)


def _weights(layer):
    try:
        return [_dims(w.shape) for w in layer.weights]
    except Exception:
        return None


def _is_keras_builtin(layer) -> bool:
    mod = type(layer).__module__ or ""
    return mod.startswith(("keras.", "tensorflow.", "tf_keras."))


def _is_container(layer) -> bool:
    import keras

    return isinstance(layer, keras.Model)


def _loss_name(loss):
    import keras

    if loss is None:
        return None
    obj = loss
    if isinstance(loss, str):
        try:
            obj = keras.losses.get(loss)
        except Exception:
            return {"name": loss, "from_logits": False}
    from_logits = False
    if isinstance(obj, keras.losses.Loss):
        fn = getattr(obj, "fn", None)
        name = getattr(fn, "__name__", None)
        kw = getattr(obj, "_fn_kwargs", {}) or {}
        from_logits = bool(kw.get("from_logits", False))
        if name is None:  # a Loss subclass without fn: CamelCase -> snake_case
            name = re.sub(r"(?<!^)(?=[A-Z])", "_", type(obj).__name__).lower()
    else:
        name = getattr(obj, "__name__", str(obj))
    return {"name": name, "from_logits": from_logits}


def _losses(model, output_names):
    loss = getattr(model, "_rw_compile", {}).get("loss", getattr(model, "loss", None))
    if isinstance(loss, dict):
        return {str(k): _loss_name(v) for k, v in loss.items()}
    if isinstance(loss, (list, tuple)):
        names = output_names if len(output_names) == len(loss) else [f"output_{i}" for i in range(len(loss))]
        return {n: _loss_name(v) for n, v in zip(names, loss, strict=False)}
    one = _loss_name(loss)
    return {n: one for n in (output_names or [""])}


def _metric_names(metrics):
    if metrics is None:
        return None
    if isinstance(metrics, dict):
        return {str(k): _metric_names(v) for k, v in metrics.items()}
    if isinstance(metrics, (list, tuple)):
        return [_metric_names(m) for m in metrics]
    if isinstance(metrics, str):
        return metrics
    name = getattr(metrics, "name", None) or getattr(metrics, "__name__", None) or type(metrics).__name__
    return f"{type(metrics).__name__}:{name}" if not callable(metrics) or hasattr(metrics, "name") else name


# ---------------------------------------------------------------- the call trace

class Tracer:
    """Records the layer calls nested in the first complete call of one model."""

    def __init__(self):
        self.target = None     # the model being fit
        self.stack = []        # records of the calls in progress
        self.records = []      # finished first pass (list of records), or None
        self.active = False
        self.done = False
        self.top = None        # record of the top-level model call

    def start(self, model):
        self.target, self.stack, self.records, self.active, self.done, self.top = model, [], [], True, False, None

    def stop(self):
        self.active = False


TRACER = Tracer()


def _install_call_hook():
    from keras.src.layers.layer import Layer

    original = Layer.__call__

    def __call__(self, *args, **kwargs):
        t = TRACER
        if not t.active or t.done or (not t.stack and self is not t.target):
            return original(self, *args, **kwargs)
        rec = {"layer": self, "parent": t.stack[-1] if t.stack else None, "inputs": args[0] if args else
               next(iter(kwargs.values()), None), "outputs": None}
        mark = len(t.records)
        if t.stack:
            t.records.append(rec)
        else:
            t.top = rec
        t.stack.append(rec)
        try:
            out = original(self, *args, **kwargs)
        except BaseException:
            t.stack.pop()
            if not t.stack:  # the first pass failed: keep what was called, stop recording
                t.done = True
            raise
        t.stack.pop()
        rec["outputs"] = out
        if t.stack and self is t.target:  # the model calling itself (a symbolic build pass): not the real pass
            del t.records[mark:]
        if not t.stack:
            t.done = True
        return out

    Layer.__call__ = __call__

    original_build = Layer._maybe_build

    def _maybe_build(self, *args, **kwargs):
        # building a model or a custom layer may run its call() symbolically: not the real pass
        t = TRACER
        mark = len(t.records) if t.active and not t.done else None
        try:
            return original_build(self, *args, **kwargs)
        finally:
            if mark is not None:
                del t.records[mark:]

    Layer._maybe_build = _maybe_build


def _visible(rec) -> bool:
    """Keep a call unless it is made inside a built-in (non-container) layer."""
    p = rec["parent"]
    while p is not None:
        lay = p["layer"]
        if not _is_container(lay) and _is_keras_builtin(lay):
            return False
        p = p["parent"]
    return True


def _row(layer, rec=None):
    row = {"class": type(layer).__name__, "name": getattr(layer, "name", None), "config": _layer_config(layer),
           "custom": not _is_keras_builtin(layer), "weights": _weights(layer)}
    if rec is not None:
        row["input_shape"] = _shapes(rec["inputs"])
        row["output_shape"] = _shapes(rec["outputs"])
    else:
        for attr, key in (("input", "input_shape"), ("output", "output_shape")):
            with contextlib.suppress(Exception):  # an unbuilt layer has no input/output
                row[key] = _shapes(getattr(layer, attr))
    return row


def _static_layers(model):
    rows = []
    for layer in getattr(model, "layers", []):
        if type(layer).__name__ == "InputLayer":
            continue
        if _is_container(layer):
            rows.extend(_static_layers(layer))
        else:
            rows.append(_row(layer))
    return rows


def _activation_of(rec_or_layer, by_output):
    """Walk back from a producing layer through shape-only layers to the one with an activation."""
    rec = rec_or_layer
    for _ in range(50):
        layer = rec["layer"]
        cfg = _layer_config(layer)
        cls = type(layer).__name__
        if cls in SHAPE_ONLY:
            prev = by_output.get(id(rec["inputs"]))
            if prev is None:
                return None, cls
            rec = prev
            continue
        return cfg.get("activation"), cls
    return None, None


def _outputs_from_trace(model, top, records):
    by_output = {}
    for r in records:
        if r["outputs"] is not None and not _is_container(r["layer"]):
            for o in _flat(r["outputs"]):
                by_output[id(o)] = r
    out = top["outputs"] if top else None
    if out is None:
        return None
    names = list(getattr(model, "output_names", None) or [])
    if isinstance(out, dict):
        items = [(str(k), v) for k, v in out.items()]
    elif isinstance(out, (list, tuple)):
        items = [(names[i] if len(names) == len(out) else f"output_{i}", v) for i, v in enumerate(out)]
    else:
        items = [(names[0] if len(names) == 1 else "", out)]
    leaf = [r for r in records if not _is_container(r["layer"]) and _visible(r) and r["outputs"] is not None]
    result = {}
    for name, tensor in items:
        rec = by_output.get(id(tensor))
        if rec is None and len(items) == 1 and leaf:
            rec = leaf[-1]
        act, cls = _activation_of(rec, by_output) if rec else (None, None)
        result[name] = {"layer": cls, "activation": act, "shape": _sample_shape(tensor),
                        "layer_name": getattr(rec["layer"], "name", None) if rec else None}
    return result


def _outputs_static(model):
    try:
        outs = model.outputs
    except Exception:
        return None
    if not outs:
        return None
    names = list(getattr(model, "output_names", None) or [f"output_{i}" for i in range(len(outs))])
    res = {}
    for i, t in enumerate(outs):
        hist = getattr(t, "_keras_history", None)
        layer = hist[0] if hist else None
        act, cls, lname = None, None, getattr(layer, "name", None)
        for _ in range(50):
            if layer is None:
                break
            cls = type(layer).__name__
            if cls in SHAPE_ONLY:
                try:
                    layer = layer.input._keras_history[0]
                    continue
                except Exception:
                    break
            act = _layer_config(layer).get("activation")
            break
        res[names[i] if i < len(names) else f"output_{i}"] = {"layer": cls, "activation": act,
                                                              "shape": _sample_shape(t), "layer_name": lname}
    return res


def model_record(model) -> dict:
    t = TRACER
    records = [r for r in t.records if t.target is model]
    if records and t.top is not None and t.top.get("outputs") is not None:
        layers = [_row(r["layer"], r) for r in records if not _is_container(r["layer"]) and _visible(r)]
        layers = [row for row in layers if row["class"] != "InputLayer"]
        outputs = _outputs_from_trace(model, t.top, records)
        order = "call"
    else:
        layers, outputs, order = _static_layers(model), _outputs_static(model), "static"
    names = list(outputs) if outputs else list(getattr(model, "output_names", None) or [])
    comp = getattr(model, "_rw_compile", {})
    return {"model_class": type(model).__name__, "order": order, "layers": layers, "outputs": outputs,
            "loss": _losses(model, names), "metrics": _jsonable(_metric_names(comp.get("metrics"))),
            "loss_weights": _jsonable(comp.get("loss_weights"))}


# ---------------------------------------------------------------- main

def main() -> None:
    script, out_path = sys.argv[1], sys.argv[2]
    import keras

    _install_call_hook()
    state = {"fits": [], "calls": {"fit": 0, "evaluate": 0, "predict": 0}, "ended": False, "error": None}

    def dump():
        with open(out_path, "w", encoding="utf-8") as fh:
            json.dump(_jsonable(state), fh, indent=1)

    orig_compile = keras.Model.compile

    def compile(self, *args, **kwargs):
        names = ("optimizer", "loss", "loss_weights", "metrics")
        raw = dict(zip(names, args, strict=False))
        raw.update({k: v for k, v in kwargs.items() if k in names})
        object.__setattr__(self, "_rw_compile", raw)
        return orig_compile(self, *args, **kwargs)

    orig_fit = keras.Model.fit

    def fit(self, *args, **kwargs):
        state["calls"]["fit"] += 1
        try:
            x_info, y_info = _fit_data(args, kwargs)
        except Exception as exc:
            x_info, y_info = {"error": repr(exc)}, None
        first = not TRACER.active
        if first:
            TRACER.start(self)
        rec = {"x": x_info, "y": y_info}
        try:
            result = orig_fit(self, *args, **kwargs)
        except BaseException as exc:
            rec["fit_error"] = f"{type(exc).__name__}: {_first_line(exc)}"
            raise
        finally:
            if first:
                TRACER.stop()
            try:
                rec.update(model_record(self))
            except Exception as exc:  # never let the probe change what the script does
                rec["probe_error"] = repr(exc)
            state["fits"].append(rec)
            if first:
                TRACER.records, TRACER.top = [], None
            dump()
        return result

    def counting(name, orig):
        def wrapper(self, *args, **kwargs):
            state["calls"][name] += 1
            return orig(self, *args, **kwargs)
        return wrapper

    keras.Model.compile = compile
    keras.Model.fit = fit
    keras.Model.evaluate = counting("evaluate", keras.Model.evaluate)
    keras.Model.predict = counting("predict", keras.Model.predict)

    sys.argv = [script]
    sys.path.insert(0, os.path.dirname(os.path.abspath(script)))
    try:
        runpy.run_path(script, run_name="__main__")
        state["ended"] = True
    except SystemExit as exc:
        state["ended"] = exc.code in (None, 0)
        if not state["ended"]:
            state["error"] = {"type": "SystemExit", "message": str(exc.code), "line": None}
        dump()
        raise
    except BaseException as exc:
        lines = [f.lineno for f in traceback.extract_tb(exc.__traceback__)
                 if os.path.abspath(f.filename) == os.path.abspath(script)]
        state["error"] = {"type": type(exc).__name__, "message": _first_line(exc), "line": lines[-1] if lines else None}
        dump()
        raise
    dump()


def _first_line(exc) -> str:
    s = re.sub(r"\x1b\[[0-9;]*m", "", str(exc))
    ls = [ln.strip() for ln in s.splitlines() if ln.strip()]
    if ls and ls[0].startswith("Exception encountered when calling") and len(ls) > 1:
        return ls[1][:300]
    keyed = [ln for ln in ls if "Received a label value" in ln or "indices[" in ln]
    return (keyed[0] if keyed else (ls[0] if ls else type(exc).__name__))[:300]


if __name__ == "__main__":
    main()
