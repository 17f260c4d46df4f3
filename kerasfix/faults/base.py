"""What a catalogue entry is made of, and what its detectors and candidate generators look at."""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from kerasfix.kinds import Family, Kind
from kerasfix.labels import LabelInfo
from kerasfix.losses import LossInfo
from kerasfix.sample import Sample
from kerasfix.structure import LayerEntry, Structure
from kerasfix.trace import Failure, Trace
from kerasfix.types import Applicability, Calls, Detail, Edit, Finding, LayerRef, Origin, Severity, Shape


@dataclass(frozen=True)
class Context:
    """Everything a detector or candidate generator may look at, for one model and its data.

    Made twice by the diagnosis: before the trace (``trace`` is None; only the
    structure and the data are known) and after it (output, labels as judged, loss).
    """

    structure: Structure
    sample: Sample
    loss: LossInfo
    labels: LabelInfo | None = None
    full_rows: int | None = None
    #: The per-sample shape of the features (None for multi-input or non-array data).
    data_shape: Shape | None = None
    #: The whole features' shape, and how many labels there are (in-memory arrays only).
    x_shape: Shape | None = None
    label_rows: int | None = None
    #: The per-sample shape an earlier call of the script trained this model on.
    trained_shape: Shape | None = None
    #: The features are a whole data set (not what a call was given): never one sample without its batch axis.
    whole_set: bool = False
    trace: Trace | None = None
    output_layer: LayerRef | None = None
    output_activation: str | None = None
    units: int | None = None
    #: The labels the label detectors judge (string labels already encoded as ids).
    y: Any = None
    #: The model's output on the sample (numpy), when it ran.
    output: Any = None
    #: What the loss raised on (labels, output), if anything.
    loss_error: str | None = None
    #: How the script used the model before it was built ("… isn't built"), if it did.
    usage_error: str | None = None
    #: Where the data was given to the model (the ``fit``/``predict``… call), when known.
    call: Origin | None = None
    #: The metrics ``compile`` was given, by name.
    metrics: tuple[str, ...] = ()
    #: One output of several (its own labels and loss): the compile loss is not this head's alone.
    head_of_many: bool = False
    #: A subclassed model's layers that ``call`` never used (the structure holds only those it did).
    uncalled: tuple[LayerEntry, ...] = ()
    #: The smallest and largest value of the whole features (one numeric array), when known.
    x_range: tuple[float, float] | None = None
    #: The feature column that is the labels themselves, when one is.
    label_column: int | None = None

    def describe(self, name: str | None, here: Origin | None) -> str:
        """The layer called ``name`` (a producer, known by name) in the user's words; the data (``input``) as is."""
        entry = self.entry(name)
        if entry is not None:
            return entry.ref.describe(here)
        row = next((r for r in self.trace.rows if r.layer.name == name), None) if self.trace is not None else None
        return row.layer.describe(here) if row is not None else name or "?"

    @property
    def one_value_per_step(self) -> bool:
        """The model outputs one value per time step, ``(N, T, 1)``, for labels with one per step, ``(N, T)``:
        the shapes agree although the ranks differ (Keras adds the labels' last axis)."""
        out = self.trace.output if self.trace is not None else None
        y_shape: tuple[int, ...] = tuple(np.shape(self.y)) if self.y is not None else ()
        return (out is not None and out.rank == 3 and out.shape[-1] == 1 and len(y_shape) == 2
                and out.shape[1] == y_shape[1])

    def entry(self, name: str | None) -> LayerEntry | None:
        """The structure's entry for a layer name (None for ``input``/``labels``/unknown)."""
        return self.structure.entry(name) if name else None

    def output_entry(self, finding: Finding) -> LayerEntry | None:
        """The layer a label/loss finding is about: its own layer, else the model's output layer."""
        return self.entry(finding.layer) or self.structure.output_entry

    def units_entry(self, entry: LayerEntry | None) -> LayerEntry | None:
        """The layer that sets the output's width: ``entry`` itself, or, when the model ends in layers that keep
        the shape (``Activation("softmax")``, ``Dropout``), the last layer with ``units`` before them."""
        layers = self.structure.layers
        if entry is None or entry.cls.__name__ not in SAME_WIDTH or entry not in layers:
            return entry
        i = layers.index(entry)
        while i > 0 and layers[i].cls.__name__ in SAME_WIDTH:
            i -= 1
        return layers[i] if "units" in layers[i].effective_config() else entry

    def through_same_width(self, entry: LayerEntry | None) -> LayerEntry | None:
        """The layer that made what ``entry`` passes on unchanged in shape (``LSTM`` → ``Dropout`` → …): the
        first layer before it that is not a dropout, normalisation or activation; ``entry`` itself otherwise."""
        layers = self.structure.layers
        if entry is None or entry not in layers:
            return entry
        i = layers.index(entry)
        while i > 0 and layers[i].cls.__name__ in SAME_WIDTH:
            i -= 1
        return layers[i]


#: Layers whose output has their input's width: the units of a model ending in them are set before them.
SAME_WIDTH = frozenset({"Activation", "Softmax", "ReLU", "LeakyReLU", "PReLU", "ELU", "Dropout", "AlphaDropout",
                         "GaussianNoise", "GaussianDropout", "BatchNormalization", "LayerNormalization",
                         "ActivityRegularization"})


class Stage(enum.Enum):
    """When a detector runs: on the data before the trace, on the traced model, or after all others."""

    DATA = "data"
    MODEL = "model"
    LATE = "late"


#: ``detect(ctx, found_so_far)``: found_so_far are the findings of kinds earlier in the catalogue.
DetectFn = Callable[[Context, Sequence[Finding]], list[Finding]]
#: ``classify(failure, classes_of_the_layers)``: a finding for the first broken connection, or None.
ClassifyFn = Callable[[Failure, Sequence[str]], Finding | None]
#: ``candidates(finding, ctx, calls)``: edit sets to try, best first.
CandidateFn = Callable[[Finding, Context, Calls], list[tuple[Edit, ...]]]
#: ``scan(source, path)``: findings read from the source text alone, before anything runs.
ScanFn = Callable[[str, str], list[Finding]]


@dataclass(frozen=True)
class Detector:
    """A silent-fault detector and the stage it runs at."""

    stage: Stage
    detect: DetectFn


@dataclass(frozen=True)
class Entry:
    """One kind of fault: what it is (for people), how it is found, and what is tried to repair it.

    After ruff's rule documentation: a summary, why it matters, a before/after
    example and the applicability of its usual fix. ``fixtures`` is the folder
    under ``fixtures/`` holding buggy scripts of this kind and what they become.
    """

    kind: Kind
    family: Family
    detail: type[Detail]
    summary: str
    explanation: str
    before: str
    after: str
    fix: str
    applicability: Applicability
    classify: ClassifyFn | None = None
    detectors: tuple[Detector, ...] = ()
    candidates: CandidateFn | None = None
    scan: ScanFn | None = None
    #: Found only from a script's run (how it uses the model), never from a model and data alone.
    script_only: bool = False

    @property
    def fixtures(self) -> str:
        return self.kind.value


def finding(
    kind: Kind,
    message: str,
    detail: Detail,
    *,
    layer: str | None = None,
    producer: str | None = None,
    expected: str | None = None,
    actual: str | None = None,
    origin: Origin | None = None,
    severity: Severity = Severity.ERROR,
) -> Finding:
    """A ``Finding`` (keyword arguments only: the positional order of ``Finding`` is easy to get wrong)."""
    return Finding(kind, message, layer, producer, expected, actual, origin, severity, detail)


__all__ = ["CandidateFn", "ClassifyFn", "Context", "DetectFn", "Detector", "Entry", "ScanFn", "Stage", "finding"]
