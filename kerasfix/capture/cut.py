"""A script's data calls cut to one batch, with everything else the user passed kept.

``fit``/``evaluate``/``predict`` run for real during capture (so a fix is
verified by the user's own metrics, class weights, validation data and
callbacks) but on one batch, for one epoch: a script that trains for hours is
still handled in seconds. What callbacks write (checkpoints, logs) is removed
when the run ends (``Written``): a script may load its checkpoint back, but a
check leaves nothing behind. What a call returns keeps the shape the script
expects (``predict`` gives one row per sample it was given).
"""

from __future__ import annotations

import contextlib
import fnmatch
import inspect
import math
import os
import re
import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

#: Callbacks that write files (checkpoints, logs): a check must leave nothing behind.
FILE_WRITERS = frozenset({"ModelCheckpoint", "CSVLogger", "TensorBoard", "BackupAndRestore"})

#: Rows a cut call keeps when the call names no batch size (Keras's default).
DEFAULT_BATCH = 32


@dataclass(frozen=True)
class Cut:
    """The arguments to call with, and the callbacks among them that write files."""

    kwargs: dict[str, Any]
    #: The number of samples the call was given (``predict`` repeats its rows to it), when known.
    rows: int | None = None
    writers: tuple[Any, ...] = field(default=())


@dataclass(frozen=True)
class Written:
    """Where a file-writing callback writes, and what was there before the run (None: the folder was not)."""

    folder: str
    pattern: str
    before: frozenset[str] | None

    @classmethod
    def before_run(cls, callback: Any) -> Written | None:
        name = type(callback).__name__
        path = getattr(callback, {"ModelCheckpoint": "filepath", "CSVLogger": "filename"}.get(name, "log_dir"), None)
        if name == "BackupAndRestore":
            path = getattr(callback, "backup_dir", None)
        if not isinstance(path, str) or not path:
            return None
        if name in ("TensorBoard", "BackupAndRestore"):
            folder, pattern = os.path.abspath(path), "*"
        else:
            folder = os.path.dirname(os.path.abspath(path))
            pattern = re.sub(r"\{[^}]*\}", "*", os.path.basename(path))  # ``weights.{epoch:02d}.keras``
        before = frozenset(os.listdir(folder)) if os.path.isdir(folder) else None
        return cls(folder, pattern, before)

    def remove_new(self) -> None:
        """Remove what the run wrote here: new entries matching the callback's name, or the folder it made."""
        if not os.path.isdir(self.folder):
            return
        if self.before is None:
            shutil.rmtree(self.folder, ignore_errors=True)
            return
        for entry in set(os.listdir(self.folder)) - self.before:
            if fnmatch.fnmatch(entry, self.pattern):
                target = os.path.join(self.folder, entry)
                if os.path.isdir(target) and not os.path.islink(target):
                    shutil.rmtree(target, ignore_errors=True)
                else:
                    with contextlib.suppress(OSError):
                        os.unlink(target)


def bind(method: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
    """The call's arguments by name (``self`` left out); positional ones as the method names them."""
    try:
        bound = inspect.signature(method).bind_partial(None, *args, **kwargs)
    except TypeError:
        return dict(zip(("x", "y"), args, strict=False)) | kwargs
    named = dict(bound.arguments)
    named.pop(next(iter(inspect.signature(method).parameters)), None)
    extra = named.pop("kwargs", None)
    if isinstance(extra, dict):
        named.update(extra)
    return named


def rows(data: Any) -> int | None:
    """How many samples array-like data holds (a list or dict of inputs: its first one)."""
    if isinstance(data, Mapping):
        data = next(iter(data.values()), None)
    elif isinstance(data, (list, tuple)) and data and hasattr(data[0], "shape"):
        data = data[0]
    shape = getattr(data, "shape", None)
    if shape is not None and len(shape) > 0 and shape[0] is not None:
        try:
            return int(shape[0])
        except TypeError:
            return None
    if isinstance(data, (list, tuple)):
        return len(data)
    return None


def is_dataset(data: Any) -> bool:
    return hasattr(data, "element_spec") and hasattr(data, "take")


def streams(data: Any) -> bool:
    """Data that yields batches (a generator, a ``PyDataset``, a ``tf.data.Dataset``)."""
    return is_dataset(data) or inspect.isgenerator(data) or hasattr(data, "num_batches") or (
        hasattr(data, "__next__") and not hasattr(data, "shape"))


def head(data: Any, n: int) -> Any:
    """The first ``n`` samples, in the same container (arrays, lists/tuples/dicts of them, pandas, tensors)."""
    if data is None:
        return None
    if isinstance(data, Mapping):
        return {k: head(v, n) for k, v in data.items()}
    if isinstance(data, tuple) and data and all(hasattr(d, "shape") for d in data):
        return tuple(head(d, n) for d in data)
    if isinstance(data, list) and data and all(hasattr(d, "shape") for d in data):
        return [head(d, n) for d in data]
    if hasattr(data, "iloc"):
        return data.iloc[:n]
    if hasattr(data, "shape") and len(getattr(data, "shape", ())) > 0:
        return data[:n]
    if isinstance(data, list):
        return data[:n]
    return data


def tile(result: Any, n: int) -> Any:
    """``predict``'s output for ``n`` samples from its output for fewer: rows repeated, shapes kept."""
    if isinstance(result, dict):
        return {k: tile(v, n) for k, v in result.items()}
    if isinstance(result, (list, tuple)):
        return type(result)(tile(v, n) for v in result)
    arr = np.asarray(result)
    if arr.ndim == 0 or arr.shape[0] in (0, n):
        return result
    return np.resize(arr, (n, *arr.shape[1:]))


def _writers(value: Any) -> tuple[Any, ...]:
    if not isinstance(value, (list, tuple)):
        return ()
    return tuple(cb for cb in value if type(cb).__name__ in FILE_WRITERS)


def cut(method: str, named: dict[str, Any]) -> Cut:
    """The arguments of one data call, cut to one batch and one epoch."""
    kw = dict(named)
    x = kw.get("x")
    n = rows(x) if not streams(x) else None
    batch = kw.get("batch_size") or DEFAULT_BATCH
    writers = _writers(kw.get("callbacks"))
    if method in ("train_on_batch", "test_on_batch", "predict_on_batch"):
        return Cut(kw, n, writers)
    keep = min(n, batch) if n is not None else None
    split = kw.get("validation_split") or 0.0
    if keep is not None and n is not None and split:
        # Enough rows that the split leaves samples on both sides.
        keep = min(n, max(keep, math.ceil(2 / split) + 1))
    if keep is not None:
        for name in ("x", "y", "sample_weight"):
            if kw.get(name) is not None:
                kw[name] = head(kw[name], keep)
    elif x is not None and is_dataset(x):
        kw["x"] = x.take(1)
    elif streams(x):
        kw["steps"] = 1
    if method == "fit":
        kw["epochs"], kw["initial_epoch"] = 1, 0
        if streams(x):
            kw["steps_per_epoch"] = 1
            kw.pop("steps", None)
        elif kw.get("steps_per_epoch"):
            kw["steps_per_epoch"] = None
        kw["validation_freq"] = 1
        val = kw.get("validation_data")
        if val is not None and is_dataset(val):
            kw["validation_data"], kw["validation_steps"] = val.take(1), None
        elif val is not None and streams(val):
            kw["validation_steps"] = 1
        elif isinstance(val, (tuple, list)):
            kw["validation_data"] = tuple(head(v, batch) for v in val)
            kw["validation_steps"] = None
    elif method in ("evaluate", "predict") and not streams(x):
        kw.pop("steps", None)
    kw["verbose"] = 0
    return Cut(kw, n, writers)


def stand_in(method: str, named: dict[str, Any], output_shape: tuple[int | None, ...] | None,
             metrics: tuple[str, ...]) -> Any:
    """What a data call returns when it is not run (the model would fail there): values of the right form.

    A ``fit`` that cannot run gives a history of NaNs for each epoch; ``predict``
    zeros of the model's output shape, one row per sample.
    """
    import keras

    names = ["loss", *metrics]
    if method == "fit":
        history = keras.callbacks.History()
        epochs = int(named.get("epochs") or 1)
        logs = {name: [math.nan] * epochs for name in names}
        if named.get("validation_data") is not None or named.get("validation_split"):
            logs.update({f"val_{name}": [math.nan] * epochs for name in names})
        history.history, history.epoch = logs, list(range(epochs))
        return history
    if method in ("predict", "predict_on_batch"):
        n = rows(named.get("x")) or 1
        width = tuple(d or 1 for d in (output_shape or (None, 1))[1:])
        return np.zeros((n, *width), dtype="float32")
    if named.get("return_dict"):
        return dict.fromkeys(names, math.nan)
    return math.nan if len(names) == 1 else [math.nan] * len(names)


__all__ = ["FILE_WRITERS", "Cut", "Written", "bind", "cut", "head", "rows", "stand_in", "streams", "tile"]
