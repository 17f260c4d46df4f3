"""The stable names of finding kinds and their families (what users grep for and CI matches on).

A ``StrEnum``: a kind *is* its string, so JSON, SARIF and ``kind == "rank_mismatch"``
comparisons are unchanged. This module imports nothing of kerasfix: every floor can use it.
"""

from __future__ import annotations

import enum
import sys

if sys.version_info >= (3, 11):
    from enum import StrEnum
else:  # pragma: no cover - Python 3.10

    class StrEnum(str, enum.Enum):
        """``enum.StrEnum`` for Python 3.10: members format and print as their value."""

        def __str__(self) -> str:
            return str(self.value)

        def __format__(self, spec: str) -> str:
            return format(str(self.value), spec)


class Kind(StrEnum):
    """Every kind of finding; the catalogue (``kerasfix.faults``) has one entry per member."""

    DTYPE_MISMATCH = "dtype_mismatch"
    DATA_SHAPE_MISMATCH = "data_shape_mismatch"
    WRONG_INPUT_SHAPE = "wrong_input_shape"
    MISSING_INPUT_SHAPE = "missing_input_shape"
    EMBEDDING_RANGE = "embedding_range"
    LABEL_LEAK = "label_leak"
    CUSTOM_LAYER_ERROR = "custom_layer_error"
    LAYER_ORDER = "layer_order"
    RANK_MISMATCH = "rank_mismatch"
    RANK_SILENT = "rank_silent"
    SHAPE_MISMATCH = "shape_mismatch"
    SPATIAL_TOO_SMALL = "spatial_too_small"
    LOSS_LABEL_MISMATCH = "loss_label_mismatch"
    UNITS_MISMATCH = "units_mismatch"
    OUTPUT_RANGE = "output_range"
    ACTIVATION_LOSS_MISMATCH = "activation_loss_mismatch"
    METRIC_MISMATCH = "metric_mismatch"
    KERAS2_IMPORT = "keras2_import"
    KERAS2_ARGUMENT = "keras2_argument"
    KERAS2_API = "keras2_api"
    KERAS2_SAVING = "keras2_saving"
    KERAS1_CONV_ARGS = "keras1_conv_args"


class Family(StrEnum):
    """What a kind is about: the data, how layers connect, labels/loss/activation, or Keras 2 API."""

    DATA = "data"
    CONNECTION = "connection"
    LABELS = "labels"
    KERAS2 = "keras2"
