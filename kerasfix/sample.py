"""Take a small, representative sample from whatever a user passes to ``fit``.

Only the first rows are touched, so a 10 GB array costs what a small one does.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

SAMPLE_ROWS = 32


class SampleError(ValueError):
    """The data cannot be sampled (not array-like, empty, or of unknown kind)."""


@dataclass(frozen=True)
class Sample:
    """The sample: features (array, or list/dict of arrays for multi-input), labels."""

    x: Any
    y: Any
    rows: int
    #: For 2-D features, the first columns too: what the sample is if the data turns out transposed.
    x_columns: Any = None
    #: The features came as a Python list for a one-input model: Keras 3 reads a list as one input per
    #: element (and refuses nested lists of numbers), where ``np.array`` makes it a batch.
    x_list: bool = False
    #: A ``tf.data.Dataset`` that yields one sample at a time (no ``.batch()``): Keras reads each sample as a
    #: batch. The sample here is batched, so that the rest of the model can be examined.
    unbatched: bool = False


def _head(data: Any, n: int) -> Any:
    """The first ``n`` rows of one array-like, as numpy (object dtype if ragged)."""
    if data is None:
        return None
    if isinstance(data, np.ndarray):
        return data[:n]
    if hasattr(data, "iloc"):  # pandas: never materialise the whole frame
        return data.iloc[:n].to_numpy()
    if hasattr(data, "numpy") and hasattr(data, "shape"):  # tf.Tensor / keras tensor
        return np.asarray(data[:n])
    if isinstance(data, (list, tuple)):
        head = list(data[:n])
        try:
            return np.asarray(head)
        except ValueError:
            arr = np.empty(len(head), dtype=object)
            arr[:] = head
            return arr
    if np.isscalar(data):
        raise SampleError(f"expected an array of samples, got a scalar {data!r}")
    return np.asarray(data)[:n]


def _is_dataset(data: Any) -> bool:
    return type(data).__name__ in ("DatasetV2", "_BatchDataset", "BatchDataset") or hasattr(data, "element_spec")


def _split_batch(batch: Any) -> tuple[Any, Any]:
    if isinstance(batch, (tuple, list)) and len(batch) >= 2:
        return batch[0], batch[1]
    if isinstance(batch, (tuple, list)) and len(batch) == 1:
        return batch[0], None
    return batch, None


def _to_numpy(tree: Any) -> Any:
    if tree is None:
        return None
    if isinstance(tree, Mapping):
        return {k: _to_numpy(v) for k, v in tree.items()}
    if isinstance(tree, (list, tuple)) and tree and not np.isscalar(tree[0]):
        return [_to_numpy(v) for v in tree]
    return np.asarray(tree)


def take_sample(x: Any, y: Any = None, *, rows: int = SAMPLE_ROWS, n_inputs: int = 1) -> Sample:
    """Return the first ``rows`` samples of ``x`` and ``y``.

    ``x`` may be a numpy array, list, pandas object, tensor, a list/dict of
    arrays (multi-input models, when ``n_inputs`` > 1 or a dict is given),
    a ``tf.data.Dataset``, a ``keras.utils.PyDataset`` or a generator yielding
    ``(x, y)`` batches (then ``y`` is ignored).
    """
    if x is None:
        raise SampleError("no input data was given")
    if _is_dataset(x):
        batch = next(iter(x.take(1)))
        bx, by = _split_batch(batch)
        if by is not None and np.ndim(by) == 0 and not isinstance(by, Mapping) and hasattr(x, "batch"):
            # A batch of labels has a batch axis; a scalar label is one sample: the dataset was never batched.
            bx, by = _split_batch(next(iter(x.batch(rows).take(1))))
            return replace(_finish(_to_numpy(bx), _to_numpy(by), rows), unbatched=True)
        return _finish(_to_numpy(bx), _to_numpy(by), rows)
    if hasattr(x, "__getitem__") and hasattr(x, "num_batches") or type(x).__name__ == "PyDataset":
        bx, by = _split_batch(x[0])
        return _finish(_to_numpy(bx), _to_numpy(by), rows)
    if isinstance(x, Iterator):
        bx, by = _split_batch(next(itertools.islice(x, 1)))
        return _finish(_to_numpy(bx), _to_numpy(by), rows)
    if isinstance(x, Mapping):
        return _finish({k: _head(v, rows) for k, v in x.items()}, _head_labels(y, rows), rows)
    if n_inputs > 1 and isinstance(x, (list, tuple)) and len(x) == n_inputs:
        return _finish([_head(v, rows) for v in x], _head_labels(y, rows), rows)
    sample = _finish(_head(x, rows), _head_labels(y, rows), rows)
    if isinstance(x, np.ndarray) and x.ndim == 2:
        sample = Sample(sample.x, sample.y, sample.rows, x[:, :rows])
    if isinstance(x, list) and n_inputs == 1:
        sample = Sample(sample.x, sample.y, sample.rows, x_list=True)
    return sample


def _head_labels(y: Any, rows: int) -> Any:
    if isinstance(y, Mapping):
        return {k: _head(v, rows) for k, v in y.items()}
    if isinstance(y, (list, tuple)) and y and all(hasattr(v, "shape") and np.ndim(v) for v in y):
        return [_head(v, rows) for v in y]  # one array per output, not rows
    return _head(y, rows)


def _rows_of(x: Any) -> int:
    if isinstance(x, Mapping):
        x = next(iter(x.values()))
    if isinstance(x, list):
        x = x[0]
    return int(np.shape(x)[0]) if np.ndim(x) else 0


def _finish(x: Any, y: Any, rows: int) -> Sample:
    n = _rows_of(x)
    if n == 0:
        raise SampleError("the input data is empty")
    return Sample(x=x, y=y, rows=min(n, rows))


def full_labels(y: Any) -> Any:
    """The labels as a whole, when they are cheap to look at (an in-memory array; a dict or list of them, one
    per output); else None."""
    if isinstance(y, Mapping):
        return {k: full_labels(v) for k, v in y.items()}
    if isinstance(y, (list, tuple)) and y and not np.isscalar(y[0]) and hasattr(y[0], "shape"):
        return [full_labels(v) for v in y]
    if isinstance(y, np.ndarray):
        return y
    if hasattr(y, "to_numpy"):
        return y.to_numpy()
    if isinstance(y, (list, tuple)) and y and np.isscalar(y[0]):
        return np.asarray(y)
    return None


#: A ``tf.data.Dataset`` is read whole for its labels (class counts, ranges) only up to this many batches.
MAX_DATASET_BATCHES = 500


def dataset_labels(x: Any) -> Any:
    """All the labels of a small, finite ``tf.data.Dataset`` of ``(x, y)`` (iterating it does not consume it)."""
    if not _is_dataset(x):
        return None
    try:
        batches = int(x.cardinality())  # -1: infinite, -2: unknown
    except Exception:  # not a tf.data.Dataset after all
        return None
    if batches < 0 or batches > MAX_DATASET_BATCHES:
        return None
    parts = []
    for batch in x:
        _, by = _split_batch(batch)
        if by is None or isinstance(by, (Mapping, list, tuple)):
            return None  # no labels, or one per output: not read here
        parts.append(np.asarray(by))
    return np.concatenate([np.atleast_1d(p) for p in parts]) if parts else None  # an unbatched one: scalars


#: Keras's array-backed image iterators (``ImageDataGenerator.flow(x, y)``): each batch's labels are ``y[indices]``.
_ARRAY_ITERATORS = frozenset({"NumpyArrayIterator"})

#: Keras's file-backed image iterators (``flow_from_directory``/``flow_from_dataframe``): each batch's labels are
#: made from ``classes`` (one class id per file) by ``class_mode``.
_FILE_ITERATORS = frozenset({"DirectoryIterator", "DataFrameIterator"})

#: One-hot labels of a file iterator are built whole only up to this many cells (ImageNet's would be 5 GB).
MAX_ONE_HOT_CELLS = 10_000_000


def iterator_labels(x: Any) -> Any:
    """All the labels of a Keras ``ImageDataGenerator`` iterator, as its batches yield them.

    ``flow(x, y)``: the ``y`` it holds and yields rows of. ``flow_from_directory``/``flow_from_dataframe`` with
    ``class_mode`` ``"sparse"``/``"binary"`` (class ids, 0/1) or ``"categorical"`` (one-hot rows): made from its
    ``classes`` the way Keras makes each batch; no labels for the other modes (``"raw"``, ``"input"``, …).
    Only Keras's own classes (not a subclass, which may change its batches): a ``Sequence``/``PyDataset`` or
    a Python generator of the script's own holds no labels one could trust to be what it yields.
    """
    cls = type(x)
    if not cls.__module__.startswith(("keras.", "keras_preprocessing.")):
        return None
    if cls.__name__ in _ARRAY_ITERATORS:
        y = getattr(x, "y", None)
        return y if isinstance(y, np.ndarray) and y.ndim and y.shape[0] == getattr(x, "n", None) else None
    if cls.__name__ in _FILE_ITERATORS:
        return _file_iterator_labels(x)
    return None


def _file_iterator_labels(x: Any) -> np.ndarray | None:
    mode = getattr(x, "class_mode", None)
    if mode not in ("sparse", "binary", "categorical"):
        return None
    try:
        # A list for flow_from_dataframe, whose multi-label rows (lists of ids) are no single class id.
        ids = np.asarray(getattr(x, "classes", None))
    except ValueError:
        return None
    if ids.ndim != 1 or ids.dtype.kind not in "iu" or ids.shape[0] != getattr(x, "n", None) or not ids.size:
        return None
    dtype = np.dtype(getattr(x, "dtype", None) or "float32")
    if mode != "categorical":
        return ids.astype(dtype)
    count = len(getattr(x, "class_indices", ()))
    if not count or ids.max() >= count or ids.size * count > MAX_ONE_HOT_CELLS:
        return None
    one_hot = np.zeros((ids.size, count), dtype=dtype)
    one_hot[np.arange(ids.size), ids] = 1
    return one_hot


def feature_shape(x: Any) -> tuple[int | None, ...] | None:
    """The per-sample shape of an array of samples (batch axis dropped); None for anything else."""
    if isinstance(x, np.ndarray):
        return tuple(int(d) for d in x.shape[1:])
    return None


def row_count(x: Any) -> int | None:
    """The number of samples in an in-memory array (None for lists of inputs, datasets, scalars)."""
    return int(np.shape(x)[0]) if isinstance(x, np.ndarray) and np.ndim(x) else None
