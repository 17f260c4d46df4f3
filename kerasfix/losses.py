"""Name a compiled loss canonically, whatever form the user gave it in."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

_ALIASES = {
    "mse": "mean_squared_error",
    "mae": "mean_absolute_error",
    "mape": "mean_absolute_percentage_error",
    "msle": "mean_squared_logarithmic_error",
    "kld": "kl_divergence",
    "kullback_leibler_divergence": "kl_divergence",
    "bce": "binary_crossentropy",
    "cce": "categorical_crossentropy",
    "scce": "sparse_categorical_crossentropy",
}

SPARSE_CE = "sparse_categorical_crossentropy"
CATEGORICAL_CE = "categorical_crossentropy"
BINARY_CE = "binary_crossentropy"
CROSS_ENTROPIES = {SPARSE_CE, CATEGORICAL_CE, BINARY_CE, "binary_focal_crossentropy", "categorical_focal_crossentropy"}
REGRESSION = {"mean_squared_error", "mean_absolute_error", "huber", "log_cosh", "mean_squared_logarithmic_error",
              "mean_absolute_percentage_error"}


@dataclass(frozen=True)
class LossInfo:
    """A loss reduced to what the detectors need: its canonical name and ``from_logits``."""

    name: str | None
    from_logits: bool = False
    source: Any = None

    @property
    def is_cross_entropy(self) -> bool:
        return self.name in CROSS_ENTROPIES

    @property
    def is_regression(self) -> bool:
        return self.name in REGRESSION


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def loss_info(loss: Any) -> LossInfo:
    """Canonicalise a loss given as a string, a function or a ``keras.losses.Loss``."""
    if loss is None:
        return LossInfo(None)
    if isinstance(loss, str):
        name = loss.lower()
        return LossInfo(_ALIASES.get(name, name), False, loss)
    if isinstance(loss, (list, dict)):
        return LossInfo(None, False, loss)  # multi-output: not analysed per output yet
    from_logits = bool(getattr(loss, "from_logits", False))
    cfg: dict[str, Any] = {}
    try:
        cfg = loss.get_config() if hasattr(loss, "get_config") else {}
        from_logits = bool(cfg.get("from_logits", from_logits))
    except Exception:  # a user's Loss subclass may not implement get_config
        pass
    fn = getattr(loss, "fn", None)
    if fn is not None and hasattr(fn, "__name__"):
        return LossInfo(_ALIASES.get(fn.__name__, fn.__name__), from_logits, loss)
    if hasattr(loss, "__name__"):
        return LossInfo(_ALIASES.get(loss.__name__, loss.__name__), from_logits, loss)
    return LossInfo(_ALIASES.get(_snake(type(loss).__name__), _snake(type(loss).__name__)), from_logits, loss)
