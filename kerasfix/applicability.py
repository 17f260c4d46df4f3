"""How far a fix may be trusted, from what its edits change (after ruff's fix applicability)."""

from __future__ import annotations

from collections.abc import Sequence

from kerasfix.types import (
    Applicability,
    CastData,
    Edit,
    InsertLayer,
    Migrate,
    RemoveLayerArgument,
    ReplaceMetric,
    ReshapeData,
    SetInputShape,
    SetLayerArgument,
)

_SAFE_LAYERS = {"Flatten", "Reshape"}


def applicability(edits: Sequence[Edit], verified: bool) -> Applicability:
    """``safe`` for edits that only make the structure connect, ``review`` for the rest."""
    if not verified:
        return Applicability.DISPLAY
    for e in edits:
        if isinstance(e, InsertLayer) and e.layer.class_name in _SAFE_LAYERS:
            continue
        if isinstance(e, (SetInputShape, CastData, RemoveLayerArgument)):
            continue
        if isinstance(e, SetLayerArgument) and e.name == "return_sequences":
            continue
        if isinstance(e, ReshapeData) and e.how in ("add_batch", "add_channel"):
            continue
        if isinstance(e, Migrate) and e.safe:
            continue
        if isinstance(e, ReplaceMetric):
            continue  # what is reported about training, not what trains
        return Applicability.REVIEW
    return Applicability.SAFE
