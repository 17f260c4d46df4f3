"""The result types of the Keras-2 migration pass: plain, frozen, serialisable (no CST inside)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

#: The finding kinds this pass reports, in the order the catalogue lists them.
KINDS = ("keras2_import", "keras2_argument", "keras2_api", "keras2_saving", "keras1_conv_args")

#: ``safe`` keeps what the script means; ``review`` changes behaviour or file names; ``display`` is never written.
APPLICABILITIES = ("safe", "review", "display")


@dataclass(frozen=True)
class Migration:
    """One Keras-2 (or Keras-1) API use that Keras 3 rejects or silently reads differently."""

    kind: str
    rule: str
    line: int
    column: int
    end_line: int
    end_column: int
    message: str
    applicability: str
    replacement: str


@dataclass(frozen=True)
class ModelOutput:
    """What the model a call is made on outputs: enough to tell argmax from a threshold."""

    units: int | None = None
    activation: str | None = None


Position = tuple[int, int]


@dataclass(frozen=True)
class Hints:
    """Facts known only at run time, keyed by the (line, column) where the call starts.

    ``outputs``: the output of the model a ``predict_classes`` call is made on.
    ``batch_sizes``: the batch size a ``fit``/``fit_generator`` call trains with
    (for ``samples_per_epoch``). ``batch_size``: one batch size for every call,
    used when a call has no entry of its own.
    """

    outputs: Mapping[Position, ModelOutput] = field(default_factory=dict, hash=False)
    batch_sizes: Mapping[Position, int] = field(default_factory=dict, hash=False)
    batch_size: int | None = None

    def batch_size_at(self, where: Position) -> int | None:
        return self.batch_sizes.get(where, self.batch_size)


NO_HINTS = Hints()
