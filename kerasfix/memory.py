"""Giving memory back before a large model is built again: what the planner's copies leave behind."""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import gc
from typing import Any

#: Below this many weights (64 MiB of float32) a model's copies are not worth a full garbage collection.
LARGE = 1 << 24


def weights_of(model: Any) -> int:
    """How many weights ``model`` holds (0 when it cannot tell: not built, or not a Keras model)."""
    try:
        return int(model.count_params())
    except Exception:  # an unbuilt model raises; a list of layers has no count_params
        return 0


def release_freed() -> None:
    """Collect the models the planner has dropped and hand their freed memory back to the system.

    Keras layers and models refer to each other, so a dropped copy waits for the cyclic garbage collector;
    and the C allocator keeps what tensors freed for reuse by the thread that freed it, which the next
    model's allocations, made by other threads, do not get. Measured on ConvNeXtXLarge (348 M weights):
    the training step's peak is 1.4 GiB lower (``bench/scale.py --stages``).
    """
    gc.collect()
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


@functools.cache
def _malloc_trim() -> Any:
    """glibc's ``malloc_trim``, or None (another C library, or none found)."""
    name = ctypes.util.find_library("c")
    try:
        return getattr(ctypes.CDLL(name), "malloc_trim", None) if name else None
    except OSError:
        return None
