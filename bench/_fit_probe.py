"""Run a script as ``python script.py`` would, and record what its first ``fit`` trained.

    python bench/_fit_probe.py SCRIPT OUT.json

The exit code is the script's. If the script dies before ``fit``, OUT.json gets ``{"error_line": N}``
(its line that raised). After the first ``fit`` call returns, OUT.json gets a
fingerprint of the model (layer classes, parameter counts, key config, output shapes),
the loss (canonical name, from_logits) and the data (per-sample shapes, dtype kinds,
a hash of the values). One-hot labels with categorical cross-entropy are canonicalised to
class ids with the sparse loss, so the two equivalent encodings compare equal.
"""

from __future__ import annotations

import hashlib
import json
import os
import runpy
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

KEYS = ("units", "filters", "kernel_size", "strides", "pool_size", "padding", "activation", "return_sequences",
        "rate", "input_dim", "output_dim", "target_shape", "axis")


def _arrays(v):
    import numpy as np

    if isinstance(v, dict):
        return [np.asarray(v[k]) for k in sorted(v)]
    if isinstance(v, (list, tuple)):
        return [np.asarray(a) for a in v]
    return [np.asarray(v)]


def _digest(a) -> str:
    import numpy as np

    try:
        b = np.ascontiguousarray(np.asarray(a, dtype=np.float64)).tobytes()
    except (TypeError, ValueError):
        b = "\x00".join(map(str, np.asarray(a).ravel())).encode()
    return hashlib.sha1(b).hexdigest()[:12]


def _loss(loss) -> tuple[str, bool]:
    import keras

    obj = keras.losses.get(loss) if isinstance(loss, str) else loss
    if isinstance(obj, keras.losses.Loss):
        fn = getattr(obj, "fn", None)
        name = getattr(fn, "__name__", type(obj).__name__)
        return name, bool(getattr(obj, "_fn_kwargs", {}).get("from_logits", False))
    return getattr(obj, "__name__", str(obj)), False


def data_print(x, y, loss) -> dict:
    import numpy as np

    name, logits = _loss(loss)
    ys = None if y is None else np.asarray(y)
    if ys is not None and name == "categorical_crossentropy" and ys.ndim == 2 and ys.shape[1] > 1 \
            and np.all((ys == 0) | (ys == 1)) and np.all(ys.sum(axis=1) == 1):
        name, ys = "sparse_categorical_crossentropy", ys.argmax(axis=1)
    if ys is not None and ys.ndim == 2 and ys.shape[1] == 1:
        ys = ys.ravel()
    xs = _arrays(x)
    return {
        "loss": [name, logits],
        "x": [[list(a.shape[1:]), a.dtype.kind if a.dtype.kind != "O" else "O", _digest(a)] for a in xs],
        "y": None if ys is None else [list(ys.shape), "i" if ys.dtype.kind in "iu" else ys.dtype.kind, _digest(ys)],
    }


def model_print(model) -> list:
    rows = []
    for layer in model.layers:
        cfg = layer.get_config()
        keep = {k: cfg[k] for k in KEYS if k in cfg}
        try:
            shape = [list(t.shape[1:]) for t in (layer.output if isinstance(layer.output, list) else [layer.output])]
        except Exception:  # a layer with no single output tensor
            shape = None
        rows.append([type(layer).__name__, int(layer.count_params()), keep, shape])
    return json.loads(json.dumps(rows, default=str))


def main() -> None:
    script, out = sys.argv[1], sys.argv[2]
    import keras

    original = keras.Model.fit
    state: dict = {}

    def fit(self, *args, **kwargs):
        first = "data" not in state
        if first:
            x = args[0] if args else kwargs.get("x")
            y = args[1] if len(args) > 1 else kwargs.get("y")
            state["data"] = data_print(x, y, self.loss)
        result = original(self, *args, **kwargs)
        if first:
            with open(out, "w", encoding="utf-8") as fh:
                json.dump({"model": model_print(self), **state["data"]}, fh)
        return result

    keras.Model.fit = fit
    sys.argv = [script]
    sys.path.insert(0, os.path.dirname(os.path.abspath(script)))
    try:
        runpy.run_path(script, run_name="__main__")
    except BaseException as exc:
        if "data" not in state:  # died before fit: record the script line it died at
            import traceback

            lines = [f.lineno for f in traceback.extract_tb(exc.__traceback__)
                     if os.path.abspath(f.filename) == os.path.abspath(script)]
            with open(out, "w", encoding="utf-8") as fh:
                json.dump({"error_line": lines[-1] if lines else None}, fh)
        raise


if __name__ == "__main__":
    main()
