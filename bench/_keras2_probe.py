"""Run a script as ``python script.py`` would, and record the model at each ``fit``.

    python bench/_keras2_probe.py SCRIPT OUT.json

Used by ``bench/keras2.py``. The script runs unchanged (its own ``sys.argv[0]``, ``__main__``,
its folder on ``sys.path``, the caller's working directory); the exit code is the script's.
OUT.json is rewritten after every recorded call and once more at the end:

    {"fits": [RECORD, ...],          # one per fit/train_on_batch call (consecutive repeats folded: "n")
     "ran_to_end": bool,             # the script finished without an exception (sys.exit(0) counts)
     "error": {"type", "message", "line"} | null,   # the exception that ended it, at its innermost line in SCRIPT
     "cpu_seconds": float}           # CPU time of the run so far (all threads), TensorFlow import included

RECORD = {"call": "fit", "completed": bool (the call returned), "n": repeats,
          "layers": [{"class", <key config>}...], "inputs": [[per-sample shape]...], "outputs": [...],
          "loss": canonical name, "from_logits": bool, "output_activation": str,
          "labels": {"kind": onehot|ids|binary|continuous|unknown, "shape": [...], "n_values": int}}

Nested models are flattened into their layers (in order); a wrapper (TimeDistributed,
Bidirectional) is followed by the layer it wraps. Labels are read from the arrays passed to
``fit``, or from the first batch of a generator (which is then replayed), a Sequence/PyDataset
or a tf.data.Dataset. Nothing here changes what the script trains.
"""

from __future__ import annotations

import contextlib
import json
import os
import runpy
import sys
import time
import traceback
import types

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

KEYS = ("units", "filters", "kernel_size", "strides", "padding", "activation", "rate", "pool_size",
        "return_sequences", "stateful", "data_format", "input_dim", "output_dim", "dilation_rate")
PASSTHROUGH = {"Dropout", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D", "GaussianNoise",
               "GaussianDropout", "AlphaDropout", "ActivityRegularization", "Flatten", "Reshape"}
LOSS_ALIASES = {"mse": "mean_squared_error", "mae": "mean_absolute_error", "mape": "mean_absolute_percentage_error",
                "msle": "mean_squared_logarithmic_error", "bce": "binary_crossentropy",
                "cce": "categorical_crossentropy", "scce": "sparse_categorical_crossentropy"}


def _jsonable(v):
    return json.loads(json.dumps(v, default=str))


def _layer_rows(model) -> list[dict]:
    import keras

    rows: list[dict] = []

    def visit(layer) -> None:
        if isinstance(layer, keras.Model) and layer is not model:
            for sub in layer.layers:
                visit(sub)
            return
        cfg = {}
        with contextlib.suppress(Exception):  # a custom layer without get_config
            cfg = layer.get_config()
        row = {"class": type(layer).__name__}
        row.update({k: cfg[k] for k in KEYS if k in cfg})
        rows.append(row)
        inner = getattr(layer, "layer", None) or getattr(layer, "forward_layer", None)
        if isinstance(inner, keras.layers.Layer):
            visit(inner)

    for layer in model.layers:
        visit(layer)
    return _jsonable(rows)


def _shapes(tensors) -> list | None:
    try:
        ts = tensors if isinstance(tensors, (list, tuple)) else [tensors]
        return [list(t.shape[1:]) for t in ts]
    except Exception:
        return None


def _producer(tensor):
    hist = getattr(tensor, "_keras_history", None)
    return hist[0] if hist else None


def _output_activation(model) -> str | None:
    """The activation of whatever produces the model's (first) output, looking through
    dropout/reshape-like layers and into nested models and wrappers."""
    import keras

    try:
        outputs = model.outputs
    except Exception:
        outputs = None
    if not outputs:  # an unbuilt Sequential: its last layer that is not a pass-through
        for layer in reversed(getattr(model, "layers", [])):
            if type(layer).__name__ not in PASSTHROUGH:
                try:
                    act = layer.get_config().get("activation")
                except Exception:
                    act = None
                return "softmax" if type(layer).__name__ == "Softmax" else (str(act) if act else type(layer).__name__)
        return None
    tensor = outputs[0]
    for _ in range(200):
        layer = _producer(tensor)
        if layer is None:
            return None
        name = type(layer).__name__
        if isinstance(layer, keras.Model):
            tensor = layer.outputs[0]
            continue
        inner = getattr(layer, "layer", None)
        if isinstance(inner, keras.layers.Layer) and name in ("TimeDistributed",):
            layer, name = inner, type(inner).__name__
        if name in PASSTHROUGH:
            try:
                tensor = layer._inbound_nodes[0].input_tensors[0]
            except Exception:
                return None
            continue
        if name == "Softmax":
            return "softmax"
        try:
            cfg = layer.get_config()
        except Exception:
            cfg = {}
        act = cfg.get("activation")
        if act is None:
            return name  # e.g. Lambda, Add: reported by class
        if isinstance(act, dict):  # a serialised callable
            act = act.get("config", {}).get("name") or act.get("class_name")
        return str(act)
    return None


def _loss(model) -> tuple[str | None, bool]:
    import keras

    loss = getattr(model, "loss", None)
    if isinstance(loss, (list, tuple)) and loss:
        loss = loss[0]
    if isinstance(loss, dict) and loss:
        loss = next(iter(loss.values()))
    if loss is None:
        return None, False
    if isinstance(loss, str):
        name = LOSS_ALIASES.get(loss, loss)
        try:
            obj = keras.losses.get(name)
            name = getattr(obj, "__name__", None) or getattr(getattr(obj, "fn", None), "__name__", name)
        except Exception:
            pass
        return name, False
    if isinstance(loss, keras.losses.Loss):
        fn = getattr(loss, "fn", None)
        name = getattr(fn, "__name__", None) or type(loss).__name__
        kwargs = getattr(loss, "_fn_kwargs", {}) or {}
        return name, bool(kwargs.get("from_logits", getattr(loss, "from_logits", False)))
    return getattr(loss, "__name__", type(loss).__name__), False


def _label_summary(y) -> dict:
    import numpy as np

    if y is None:
        return {"kind": "unknown"}
    if isinstance(y, (list, tuple)) and y and not np.isscalar(y[0]) and len({np.shape(a) for a in y}) > 1:
        y = y[0]  # several outputs: the first
    if isinstance(y, dict):
        y = next(iter(y.values()))
    try:
        a = np.asarray(y)
    except Exception:
        return {"kind": "unknown"}
    if a.dtype.kind not in "biuf" or a.size == 0:
        return {"kind": "unknown", "shape": list(a.shape)}
    a = a.astype(np.float64)
    integral = bool(np.all(a == np.round(a)))
    values = np.unique(a)
    out = {"shape": list(a.shape[1:]), "n_values": int(min(len(values), 10**6))}
    if a.ndim >= 2 and a.shape[-1] > 1 and integral and np.all((a == 0) | (a == 1)) and np.all(a.sum(axis=-1) == 1):
        out["kind"] = "onehot"
        out["n_classes"] = int(a.shape[-1])
    elif integral and (a.ndim == 1 or a.shape[-1] == 1) and values.min() >= 0:
        out["kind"] = "binary" if set(values.tolist()) <= {0.0, 1.0} else "ids"
        out["n_classes"] = int(values.max()) + 1
    else:
        out["kind"] = "continuous"
    return out


def _peek_labels(x, y):
    """Labels for the call, and the ``x`` to pass on (a generator peeked at is replayed)."""
    if y is not None:
        return y, x
    if isinstance(x, types.GeneratorType):
        try:
            first = next(x)
        except Exception:
            return None, x

        def replay(first=first, rest=x):
            yield first
            yield from rest

        return _batch_y(first), replay()
    try:
        import tensorflow as tf

        if isinstance(x, tf.data.Dataset):
            for batch in x.take(1):
                return _batch_y(tuple(t.numpy() for t in batch) if isinstance(batch, tuple) else batch), x
            return None, x
    except Exception:
        pass
    if hasattr(x, "__getitem__") and hasattr(x, "__len__") and not hasattr(x, "shape") \
            and not isinstance(x, (list, tuple, dict)):
        try:
            return _batch_y(x[0]), x
        except Exception:
            return None, x
    return None, x


def _batch_y(batch):
    if isinstance(batch, (tuple, list)) and len(batch) >= 2:
        return batch[1]
    return None


class Recorder:
    def __init__(self, script: str, out: str) -> None:
        self.script = os.path.abspath(script)
        self.out = out
        self.fits: list[dict] = []
        self.ran_to_end = False
        self.error: dict | None = None

    def record(self, model, call: str, y, replace: int | None = None) -> int:
        """Record the model; ``replace`` = the index of the record to overwrite (after the call built it)."""
        try:
            loss, logits = _loss(model)
            rec = {"call": call, "layers": _layer_rows(model), "inputs": _shapes(getattr(model, "inputs", None)),
                   "outputs": _shapes(getattr(model, "outputs", None)), "loss": loss, "from_logits": logits,
                   "output_activation": _output_activation(model), "labels": _label_summary(y)}
        except Exception as exc:  # never let the probe break the script
            rec = {"call": call, "probe_error": f"{type(exc).__name__}: {exc}"}
        if replace is not None:
            rec.update({k: self.fits[replace][k] for k in ("n", "completed") if k in self.fits[replace]})
            self.fits[replace] = rec
        elif self.fits and {k: v for k, v in self.fits[-1].items() if k not in ("n", "completed")} == rec:
            self.fits[-1]["n"] = self.fits[-1].get("n", 1) + 1
            self.fits[-1]["completed"] = False
        else:
            self.fits.append(rec)
        self.write()
        return len(self.fits) - 1 if replace is None else replace

    def completed(self, idx: int) -> None:
        self.fits[idx]["completed"] = True
        self.write()

    def write(self) -> None:
        tmp = self.out + ".tmp"
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump({"fits": self.fits, "ran_to_end": self.ran_to_end, "error": self.error,
                       "cpu_seconds": round(time.process_time(), 1)}, fh, indent=1)
        os.replace(tmp, self.out)

    def failed(self, exc: BaseException) -> None:
        lines = [f.lineno for f in traceback.extract_tb(exc.__traceback__)
                 if os.path.abspath(f.filename) == self.script]
        message = str(exc).strip().splitlines()
        self.error = {"type": type(exc).__name__, "message": message[0] if message else "",
                      "line": lines[-1] if lines else None}


def main() -> int:
    script, out = sys.argv[1], sys.argv[2]
    rec = Recorder(script, out)
    rec.write()
    import keras

    fit, train_on_batch = keras.Model.fit, keras.Model.train_on_batch
    seen_tob: set[int] = set()

    def probed_fit(self, *args, **kwargs):
        args = list(args)
        x = args[0] if args else kwargs.get("x")
        y = args[1] if len(args) > 1 else kwargs.get("y")
        labels, x2 = _peek_labels(x, y)
        if x2 is not x:
            if args:
                args[0] = x2
            else:
                kwargs["x"] = x2
        idx = rec.record(self, "fit", labels)
        before = rec.fits[idx]
        result = fit(self, *args, **kwargs)
        if before.get("outputs") is None and rec.fits[idx] is before:  # built by the call: record it built
            rec.record(self, "fit", labels, replace=idx)
        rec.completed(idx)
        return result

    def probed_train_on_batch(self, *args, **kwargs):
        result = train_on_batch(self, *args, **kwargs)
        if id(self) not in seen_tob:  # once per model: GAN loops call it thousands of times
            seen_tob.add(id(self))
            y = args[1] if len(args) > 1 else kwargs.get("y")
            rec.completed(rec.record(self, "train_on_batch", y))
        return result

    keras.Model.fit = probed_fit
    keras.Model.train_on_batch = probed_train_on_batch
    sys.argv = [script]
    sys.path.insert(0, os.path.dirname(os.path.abspath(script)))
    code = 0
    try:
        runpy.run_path(script, run_name="__main__")
        rec.ran_to_end = True
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        rec.ran_to_end = code == 0
        if code:
            rec.error = {"type": "SystemExit", "message": str(exc.code), "line": None}
    except BaseException as exc:
        rec.failed(exc)
        traceback.print_exc()
        code = 1
    rec.write()
    return code


if __name__ == "__main__":
    sys.exit(main())
