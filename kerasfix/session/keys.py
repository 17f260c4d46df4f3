"""Cache keys for the check before ``fit``: one model, one data spec (repeated fits cost nothing)."""

from __future__ import annotations

import hashlib
import math
import weakref
from typing import Any

#: Labels up to this many bytes are fingerprinted whole; larger ones by evenly spaced rows.
_HASH_BYTES = 1 << 22


class _Same:
    """Equal only to a key for the same live object: a cache key by identity that a recycled ``id`` cannot fool.

    An object that cannot be weakly referenced is never equal (it is checked again each time).
    """

    __slots__ = ("ident", "ref")

    def __init__(self, obj: Any) -> None:
        self.ident = id(obj)
        try:
            self.ref: weakref.ref[Any] | None = weakref.ref(obj)
        except TypeError:
            self.ref = None

    def __hash__(self) -> int:
        return self.ident

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, _Same) or self.ref is None or other.ref is None:
            return False
        alive = self.ref()
        return alive is not None and alive is other.ref()


def _data_key(data: Any, depth: int = 0) -> Any:
    """What the check depends on in features: shapes and dtypes (datasets and the like by identity)."""
    if data is None or isinstance(data, (bool, int, float, str)):
        return data
    shape = getattr(data, "shape", None)
    if hasattr(data, "iloc"):  # pandas
        dtypes: Any = getattr(data, "dtypes", None)
        kinds = tuple(str(t) for t in dtypes) if hasattr(dtypes, "__iter__") else (str(dtypes),)
        return ("pandas", type(data).__name__, tuple(shape or ()), kinds)
    if shape is not None and hasattr(data, "dtype"):  # numpy, tensors
        return ("array", tuple(shape), str(data.dtype))
    if isinstance(data, dict):
        return ("dict", tuple((str(k), _data_key(v, depth + 1)) for k, v in data.items()))
    if isinstance(data, (list, tuple)) and depth == 0 and len(data) <= 16 \
            and all(hasattr(v, "shape") for v in data):
        return ("inputs", tuple(_data_key(v, depth + 1) for v in data))
    return ("object", type(data).__qualname__, _Same(data))


def _labels_key(y: Any) -> Any:
    """What the check depends on in labels: their values too (how many classes, which encoding)."""
    import numpy as np

    if isinstance(y, (list, tuple)) and y and np.isscalar(y[0]):
        arr = np.asarray(y)
    elif hasattr(y, "iloc") and hasattr(y, "to_numpy"):
        arr = y.to_numpy()
    elif isinstance(y, np.ndarray):
        arr = y
    else:
        return _data_key(y)
    if arr.dtype.kind == "O" or not arr.ndim:
        return ("labels", arr.shape, arr.dtype.str, _Same(y))
    rows = arr
    if arr.nbytes > _HASH_BYTES:
        rows = arr[:: math.ceil(arr.nbytes / _HASH_BYTES)]
    digest = hashlib.blake2b(np.ascontiguousarray(rows).tobytes(), digest_size=16).hexdigest()
    return ("labels", arr.shape, arr.dtype.str, digest)


def _validation_key(data: Any) -> Any:
    if isinstance(data, (list, tuple)):
        return ("validation", tuple(_data_key(v) if i != 1 else _labels_key(v) for i, v in enumerate(data)))
    return _data_key(data)


def _loss_key(loss: Any) -> Any:
    if loss is None or isinstance(loss, str):
        return loss
    if isinstance(loss, dict):
        return tuple((str(k), _loss_key(v)) for k, v in loss.items())
    if isinstance(loss, (list, tuple)):
        return tuple(_loss_key(v) for v in loss)
    return _Same(loss)


def _model_key(model: Any) -> Any:
    """The model as the check saw it: its layers, and what it was compiled with (compiling again re-checks)."""
    compiled = getattr(model, "_compile_config", None)
    return (tuple(id(layer) for layer in getattr(model, "layers", ())), _loss_key(getattr(model, "loss", None)),
            _Same(compiled) if compiled is not None else None)
