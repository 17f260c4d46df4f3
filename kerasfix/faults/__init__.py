"""The fault catalogue: one entry per kind of fault, grouped by family, in priority order.

Each entry (``Entry``) holds everything about its kind: the words a user reads
(summary, explanation, a before/after example, the fix and its applicability),
the typed ``detail`` its findings carry, how a crash is classified into it, how
it is detected silently, the candidate edits that repair it, and the fixture
folder that shows it. The diagnosis and the planner only iterate the catalogue.

Adding a kind: a member of ``kerasfix.kinds.Kind``, an entry with its detail
type in the family module (``keras2``, ``data``, ``connection``, ``labels``), and a folder
``fixtures/<kind>/`` with a buggy script and the exact script it must become.

The order of ``CATALOGUE`` is the priority order: findings are reported, and
repaired, Keras-2 API first (the script cannot reach its model before), then
data, connections, and labels/loss/activation.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from kerasfix.faults import connection, data, keras2, labels
from kerasfix.faults.base import CandidateFn, ClassifyFn, Context, DetectFn, Detector, Entry, Stage
from kerasfix.kinds import Family, Kind
from kerasfix.trace import Failure
from kerasfix.types import Detail, Finding

CATALOGUE: tuple[Entry, ...] = (*keras2.ENTRIES, *data.ENTRIES, *connection.ENTRIES, *labels.ENTRIES)

_BY_KIND: dict[Kind, Entry] = {e.kind: e for e in CATALOGUE}
_RANK: dict[Kind, int] = {e.kind: i for i, e in enumerate(CATALOGUE)}


def entry(kind: Kind | str) -> Entry:
    """The catalogue entry of ``kind`` (``KeyError`` for an unknown kind)."""
    return _BY_KIND[Kind(kind)]


def rank(kind: Kind | str) -> int:
    """The kind's place in the priority order (lower is repaired first)."""
    return _RANK[Kind(kind)]


def detail_type(kind: Kind | str) -> type[Detail]:
    return entry(kind).detail


def detectors(stage: Stage, family: Family | None = None) -> Iterator[Detector]:
    """The detectors of one stage (of one family), in catalogue order."""
    for e in CATALOGUE:
        if family is not None and e.family is not family:
            continue
        for d in e.detectors:
            if d.stage is stage:
                yield d


def scan(source: str, path: str) -> tuple[Finding, ...]:
    """The findings read from the source text alone (no run): every entry's ``scan``, in catalogue order."""
    found: list[Finding] = []
    for e in CATALOGUE:
        if e.scan is not None:
            found.extend(e.scan(source, path))
    return tuple(found)


def classify_failure(failure: Failure, layer_classes: Sequence[str]) -> Finding:
    """The finding for the first broken connection: the first entry, in catalogue order, that recognises it.

    Custom layers are asked first (their errors look like anyone's); what no
    entry recognises is a ``shape_mismatch`` carrying Keras's own sentence.
    """
    ordered = sorted(CATALOGUE, key=lambda e: e.kind is not Kind.CUSTOM_LAYER_ERROR)
    for e in ordered:
        if e.classify is not None:
            found = e.classify(failure, layer_classes)
            if found is not None:
                return found
    return connection.classify_other(failure, layer_classes)


__all__ = [
    "CATALOGUE",
    "CandidateFn",
    "ClassifyFn",
    "Context",
    "DetectFn",
    "Detector",
    "Entry",
    "Family",
    "Kind",
    "Stage",
    "classify_failure",
    "detail_type",
    "detectors",
    "entry",
    "rank",
    "scan",
]
