"""What the labels are: encoding, class count and range, via scikit-learn."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

Encoding = Literal["sparse", "one_hot", "multilabel", "strings", "continuous", "unknown"]


@dataclass(frozen=True)
class LabelInfo:
    """A summary of the labels passed to ``fit``.

    ``sparse`` covers integer class ids, binary 0/1 included (``n_classes`` 2);
    ``one_hot`` has exactly one 1 per row; ``multilabel`` several.
    ``complete`` is True when the summary was made from all labels, not a sample,
    so that "fewer classes than units" can be claimed.
    """

    encoding: Encoding
    target_type: str
    n_classes: int | None
    min_label: float | None
    max_label: float | None
    sample_shape: tuple[int, ...]
    dtype: str
    complete: bool
    #: One-hot labels whose first column is never 1: class ids from 1 encoded with ``to_categorical(ids)``.
    unused_first: bool = False
    #: Continuous targets that take exactly two values (0/1 labels that went through a scaler, say).
    two_valued: bool = False

    @property
    def contiguous_from_zero(self) -> bool:
        """Class ids are exactly 0..k-1 (what sparse cross-entropy needs)."""
        return (
            self.encoding == "sparse"
            and self.min_label == 0
            and self.n_classes is not None
            and self.max_label == self.n_classes - 1
        )

    @property
    def width(self) -> int | None:
        """Number of columns of one-hot/multilabel targets."""
        if self.encoding in ("one_hot", "multilabel") and self.sample_shape:
            return self.sample_shape[-1]
        return None

    def describe(self) -> str:
        if self.encoding == "sparse":
            lo, hi = _int(self.min_label), _int(self.max_label)
            return f"{self.n_classes} classes as integer ids {lo}..{hi}"
        if self.encoding == "one_hot":
            return f"one-hot labels over {self.width} classes"
        if self.encoding == "multilabel":
            return f"multi-label targets over {self.width} columns"
        if self.encoding == "strings":
            return f"{self.n_classes} classes as strings"
        if self.encoding == "continuous":
            return "continuous targets"
        return "labels of unknown kind"


def _int(v: float | None) -> str:
    return "?" if v is None else str(int(v)) if float(v).is_integer() else str(v)


def _is_text(arr: np.ndarray) -> bool:
    if arr.dtype.kind in "US":
        return True
    if arr.dtype.kind == "O" and arr.size:
        return isinstance(arr.flat[0], (str, bytes))
    return False


def analyze_labels(y: Any, *, complete: bool = True) -> LabelInfo | None:
    """Summarise labels (a numpy-convertible array); None when there are none."""
    if y is None:
        return None
    arr = np.asarray(y)
    if arr.size == 0:
        return None
    sample_shape = tuple(int(d) for d in arr.shape[1:])
    if _is_text(arr):
        classes = np.unique(arr.astype(str))
        return LabelInfo("strings", "multiclass", len(classes), None, None, sample_shape, str(arr.dtype), complete)
    if arr.dtype.kind == "O":
        try:
            arr = arr.astype(np.float64)
        except (TypeError, ValueError):
            return LabelInfo("unknown", "unknown", None, None, None, sample_shape, str(arr.dtype), complete)
    if arr.dtype.kind == "b":
        arr = arr.astype(np.int64)
    flat = arr.reshape(arr.shape[0], -1) if arr.ndim > 2 else arr
    if not np.all(np.isfinite(flat.astype(np.float64))):
        return LabelInfo("unknown", "unknown", None, None, None, sample_shape, str(arr.dtype), complete)
    # Imported here: scikit-learn costs the command line ~1.4 s of start-up that most runs never need.
    from sklearn.utils.multiclass import type_of_target

    try:
        target = type_of_target(flat)
    except ValueError:
        target = "unknown"
    lo, hi = float(np.min(arr)), float(np.max(arr))
    if target == "multilabel-indicator":
        rows = flat.reshape(flat.shape[0], -1)
        enc: Encoding = "one_hot" if np.all(rows.sum(axis=1) == 1) else "multilabel"
        unused_first = enc == "one_hot" and complete and rows.shape[1] > 2 and not np.any(rows[:, 0])
        return LabelInfo(enc, target, rows.shape[1], lo, hi, sample_shape, str(arr.dtype), complete, unused_first)
    column = arr.ndim == 1 or (arr.ndim == 2 and arr.shape[1] == 1)
    if target in ("binary", "multiclass") and column:
        n = len(np.unique(arr))
        return LabelInfo("sparse", target, n, lo, hi, sample_shape, str(arr.dtype), complete)
    if target.startswith("continuous"):
        two = column and len(np.unique(arr)) == 2
        return LabelInfo("continuous", target, None, lo, hi, sample_shape, str(arr.dtype), complete, two_valued=two)
    return LabelInfo("unknown", target, None, lo, hi, sample_shape, str(arr.dtype), complete)
