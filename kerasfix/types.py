"""The data kerasfix passes between its stages.

Every type here is a frozen dataclass holding only plain values (no live Keras
tensors, no CST nodes), so a diagnosis made in the capture child can be sent to
the parent as JSON and rendered, rewritten or compared there. This module
imports nothing of kerasfix but the kind names.
"""

from __future__ import annotations

import dataclasses
import enum
from dataclasses import dataclass, field
from typing import Any, Literal

from kerasfix.kinds import Kind

#: A value that can be written into source as a Python literal.
LiteralValue = None | bool | int | float | str | tuple[Any, ...]

Shape = tuple[int | None, ...]

#: The model methods that take data (and where a script's data meets its model).
DATA_METHODS: frozenset[str] = frozenset(
    {"fit", "evaluate", "predict", "train_on_batch", "test_on_batch", "predict_on_batch"}
)


@dataclass(frozen=True)
class Origin:
    """Where something was written: 1-based lines, 0-based *character* columns.

    Columns count characters (as libcst's ``CodeRange`` does), not the UTF-8
    bytes Python's code objects use; capture converts them.
    """

    path: str
    line: int
    column: int
    end_line: int
    end_column: int
    cell: int | None = None

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column + 1}"


@dataclass(frozen=True)
class TensorSpec:
    """Shape (batch axis first, ``None`` when unknown) and dtype of a tensor."""

    shape: Shape
    dtype: str

    def __str__(self) -> str:
        return render_shape(self.shape)

    @property
    def rank(self) -> int:
        return len(self.shape)


def render_shape(shape: Shape) -> str:
    """``(None, 13, 13, 8)``; a 1-tuple keeps its comma."""
    dims = ", ".join("None" if d is None else str(d) for d in shape)
    if len(shape) == 1:
        dims += ","
    return f"({dims})"


@dataclass(frozen=True)
class Written:
    """A layer as the user wrote it: its constructor call, shortened (``Dense(5)``), and where they see it.

    ``line`` is where they see the call: in a notebook, a line of code cell ``cell``.
    """

    call: str
    line: int
    cell: int | None = None
    #: The call gives the layer its name (``name="head"``): the name is then the user's own word for it.
    named: bool = False
    #: One of several layers of the model this one call made (a loop, a helper called twice): which, of how many.
    copy: int = 1
    copies: int = 1

    @property
    def place(self) -> str:
        """``line 14``, or ``cell 2, line 3`` in a notebook."""
        return f"cell {self.cell}, line {self.line}" if self.cell is not None else f"line {self.line}"

    def __str__(self) -> str:
        """``Dense(5) at line 14``, ``Dense(64) at line 9 (2 of 3)``: the layer table's column under ``-v``."""
        which = f" ({self.copy} of {self.copies})" if self.copies > 1 else ""
        return f"{self.call} at {self.place}{which}"


@dataclass(frozen=True)
class LayerRef:
    """A layer named by what identifies it both in a model and in source.

    ``name`` is Keras's name, what edits and machine output go by; ``written`` is how the user wrote the
    layer, what messages go by (``describe``). It is derived from the source at ``origin``, so it takes no
    part in comparing refs.
    """

    name: str
    class_name: str
    origin: Origin | None = None
    written: Written | None = field(default=None, compare=False)

    def __str__(self) -> str:
        return self.name

    def describe(self, here: Origin | None = None) -> str:
        """The layer in the user's words, for messages and fix summaries: ``the Dense(5) at line 14``.

        The line is left out when it is ``here``'s, the line the message is shown at; one of several layers
        made by one call is told apart by its place among them (``the 2nd Dense(64) made at line 9``). A name
        the user gave is used as it is (``head``). A layer made by code kerasfix did not see
        (``keras.applications``, a model built elsewhere) has only Keras's name: ``block5_conv3``.
        """
        w = self.written
        if w is None:
            return self.name
        if w.named:
            return self.name
        if w.copies > 1:
            return f"the {ordinal(w.copy)} {w.call} made at {w.place}"
        same_line = (here is not None and self.origin is not None and here.path == self.origin.path
                     and here.line == self.origin.line)
        return f"the {w.call}" if same_line else f"the {w.call} at {w.place}"


def ordinal(n: int) -> str:
    """``1st``, ``2nd``, ``3rd``, ``11th``, ``22nd``."""
    suffix = "th" if n % 100 in (11, 12, 13) else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


@dataclass(frozen=True)
class LayerTrace:
    """One layer's run on the sample: what went in, what came out, or the error."""

    layer: LayerRef
    inputs: tuple[TensorSpec, ...]
    outputs: tuple[TensorSpec, ...]
    producers: tuple[str, ...] = ()
    error: str | None = None
    custom: bool = False


class Severity(str, enum.Enum):
    """``error``: Keras raises; ``warning``: Keras trains, on nonsense."""

    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Detail:
    """The facts behind a finding, as plain values (one subclass per kind, beside its catalogue entry).

    ``Finding.message``/``expected``/``actual`` are renderings of these facts for
    people; the planner and the renderers read the detail, never the prose.
    """


@dataclass(frozen=True)
class Finding:
    """Something wrong with a model or its data, at one connection.

    ``layer`` is the consumer (the layer that received the wrong thing),
    ``producer`` the layer feeding it, or ``"input"``/``"labels"`` for the data.
    """

    kind: Kind
    message: str
    layer: str | None = None
    producer: str | None = None
    expected: str | None = None
    actual: str | None = None
    origin: Origin | None = None
    severity: Severity = Severity.ERROR
    detail: Detail | None = None

    def __str__(self) -> str:
        return f"{self.kind}: {self.message}"


@dataclass(frozen=True)
class Diagnosis:
    """What ``diagnose`` found: the per-layer trace and the findings, most important first."""

    findings: tuple[Finding, ...]
    trace: tuple[LayerTrace, ...]
    input: TensorSpec | None = None
    output: TensorSpec | None = None
    failing_layer: str | None = None
    labels: str | None = None
    loss: str | None = None

    @property
    def ok(self) -> bool:
        """True when nothing at all was found."""
        return not self.findings

    def table(self, written: bool = False) -> str:
        """The layer table alone: one row per layer, the failing row marked ``✗``, silent faults ``!``.

        ``written`` adds how the user wrote each layer (``Dense(5) at line 14``), beside Keras's names (``-v``).
        """
        header: tuple[str, ...] = ("", "layer", "class", "input", "output")
        rows: list[tuple[str, ...]] = []
        if written:
            header += ("written",)
        if self.input is not None:
            rows.append(("", "input", "", "", str(self.input), *([""] if written else [])))
        flagged = {f.layer: f.severity for f in reversed(self.findings) if f.layer}
        for t in self.trace:
            if t.error or t.layer.name == self.failing_layer or flagged.get(t.layer.name) == Severity.ERROR:
                mark = "✗"
            elif t.layer.name in flagged:
                mark = "!"
            else:
                mark = ""
            outputs = "error" if t.error else _specs(t.outputs)
            row = (mark, t.layer.name, t.layer.class_name, _specs(t.inputs), outputs)
            rows.append((*row, str(t.layer.written or "")) if written else row)
        widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
        lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in [header, *rows]]
        lines.insert(1, "  ".join("-" * w for w in widths))
        if self.labels or self.loss:
            lines.append(f"labels: {self.labels or '-'}; loss: {self.loss or '-'}")
        return "\n".join(lines)

    def __str__(self) -> str:
        lines = [self.table()]
        if self.ok:
            lines.append("no problems found")
        for f in self.findings:
            where = f"{f.origin}: " if f.origin else ""
            lines.append(f"{where}{f.severity.value}: {f.kind}: {f.message}")
        return "\n".join(lines)


def _specs(specs: tuple[TensorSpec, ...]) -> str:
    return ", ".join(str(s) for s in specs) if specs else "-"


# ---------------------------------------------------------------------------
# Edits: one change, to a model config and to source alike.


@dataclass(frozen=True)
class LayerSpec:
    """A layer to create: class name and keyword arguments (literals only)."""

    class_name: str
    kwargs: tuple[tuple[str, LiteralValue], ...] = ()

    def __str__(self) -> str:
        args = ", ".join(f"{k}={render_literal(v)}" for k, v in self.kwargs)
        return f"{self.class_name}({args})"


@dataclass(frozen=True)
class InsertLayer:
    """Insert ``layer`` right before ``before`` in the flow of tensors."""

    before: LayerRef
    layer: LayerSpec
    #: For a layer with several inputs (a merge): only on this input (its branch).
    input_index: int | None = None
    kind: Literal["insert_layer"] = "insert_layer"

    def describe(self) -> str:
        branch = f" (on its input {self.input_index + 1})" if self.input_index is not None else ""
        return f"insert {self.layer} before {self.before.describe()}{branch}"


@dataclass(frozen=True)
class AppendLayer:
    """Add ``layer`` after ``after``, the model's last layer: it becomes the output (a missing head)."""

    after: LayerRef
    layer: LayerSpec
    kind: Literal["append_layer"] = "append_layer"

    def describe(self) -> str:
        return f"add {self.layer} after {self.after.describe()}, as the output"


@dataclass(frozen=True)
class FixWeightShape:
    """Correct the shape a custom layer's ``build`` gives ``add_weight``, in the class's source.

    ``how``: ``"swap"`` the two axes of the one matrix it creates (``(units, input_dim)`` used as
    ``inputs @ w``), or size it from the ``"last_axis"`` of ``input_shape`` (not the batch axis ``[0]``).
    """

    layer: LayerRef
    how: Literal["swap", "last_axis"]
    kind: Literal["fix_weight_shape"] = "fix_weight_shape"

    def describe(self) -> str:
        if self.how == "swap":
            return f"swap the axes of the weight {self.layer.class_name}.build creates (input_dim, units)"
        return f"size {self.layer.class_name}'s weights from input_shape[-1], the features (not [0], the batch)"


@dataclass(frozen=True)
class ReturnFromCall:
    """End a custom layer's ``call`` with ``return`` of the value it computes last (it returned None)."""

    layer: LayerRef
    kind: Literal["return_from_call"] = "return_from_call"

    def describe(self) -> str:
        return f"return the value {self.layer.class_name}.call computes last (it returns None)"


@dataclass(frozen=True)
class MoveLayer:
    """Move ``layer`` so that it comes right before ``before`` (Sequential only)."""

    layer: LayerRef
    before: LayerRef | None
    kind: Literal["move_layer"] = "move_layer"

    def describe(self) -> str:
        where = f"before {self.before.describe()}" if self.before else "to the end"
        return f"move {self.layer.describe()} {where}"


@dataclass(frozen=True)
class ReplaceLayerClass:
    """Make ``layer`` a ``class_name`` with the same arguments: the class the user meant (``Conv1D`` written
    where the data are images and ``Conv2D`` was meant)."""

    layer: LayerRef
    class_name: str
    kind: Literal["replace_layer_class"] = "replace_layer_class"

    def describe(self) -> str:
        return f"make {self.layer.describe()} a {self.class_name}"


@dataclass(frozen=True)
class SetLayerArgument:
    """Set a constructor argument; ``position`` is its positional index, if it has one."""

    layer: LayerRef
    name: str
    value: LiteralValue
    position: int | None = None
    #: The layer is made in a loop that makes several: the value holds for all but the last one
    #: (``return_sequences`` on stacked LSTMs), written as an expression over the loop's index.
    except_last: bool = False
    #: ``value`` is the layer's own value plus this much (``input_dim`` one row short of the ids): where the
    #: script writes an expression there, the fix adds to it (``len(word_index) + 1``) rather than a number.
    offset: int | None = None
    kind: Literal["set_layer_argument"] = "set_layer_argument"

    def describe(self) -> str:
        w = self.layer.written
        if self.except_last and w is not None and w.copies > 1:
            return f"set {self.name}={render_literal(self.value)} on each {w.call} made at {w.place} but the last"
        return f"set {self.name}={render_literal(self.value)} on {self.layer.describe()}"


@dataclass(frozen=True)
class RemoveLayerArgument:
    """Drop a constructor argument (e.g. an ``input_shape`` that moved elsewhere)."""

    layer: LayerRef
    name: str
    position: int | None = None
    kind: Literal["remove_layer_argument"] = "remove_layer_argument"

    def describe(self) -> str:
        return f"remove {self.name} from {self.layer.describe()}"


@dataclass(frozen=True)
class SetInputShape:
    """Declare the model's input shape (batch axis excluded).

    ``target`` is the layer carrying the declaration: an ``InputLayer`` made by
    ``keras.Input``, a first layer with ``input_shape=``/``input_dim=``, or a
    first layer with neither, in which case an ``Input`` is inserted before it.
    """

    target: LayerRef
    shape: tuple[int | None, ...]
    kind: Literal["set_input_shape"] = "set_input_shape"

    def describe(self) -> str:
        return f"set the input shape to {render_literal(self.shape)}"


@dataclass(frozen=True)
class SetCompileArgument:
    """Set an argument of ``model.compile(...)`` (``call`` is where it is called)."""

    name: str
    value: LiteralValue
    call: Origin | None = None
    kind: Literal["set_compile_argument"] = "set_compile_argument"

    def describe(self) -> str:
        return f"compile with {self.name}={render_literal(self.value)}"


@dataclass(frozen=True)
class ReplaceMetric:
    """Name another metric in ``compile(metrics=[...])`` (``call`` is where compile is called)."""

    old: str
    new: str
    call: Origin | None = None
    kind: Literal["replace_metric"] = "replace_metric"

    def describe(self) -> str:
        return f"track {render_literal(self.new)} instead of {render_literal(self.old)}"


DataArg = Literal["x", "y"]


@dataclass(frozen=True)
class CastData:
    """Cast the features or labels passed to ``fit`` to ``dtype``."""

    which: DataArg
    dtype: str
    call: Origin | None = None
    #: Other calls given the same faulty data (``evaluate``, ``predict``…): changed the same way.
    also: tuple[Origin, ...] = ()
    kind: Literal["cast_data"] = "cast_data"

    def describe(self) -> str:
        return f"cast {self.which} to {self.dtype}"


#: ``label_encoder``: strings/arbitrary ids → 0..k-1; ``argmax``: one-hot → ids;
#: ``one_hot``: ids → one-hot.
LabelEncoding = Literal["label_encoder", "argmax", "one_hot"]


@dataclass(frozen=True)
class EncodeLabels:
    """Re-encode the labels passed to ``fit``."""

    how: LabelEncoding
    call: Origin | None = None
    which: DataArg = "y"
    #: Other calls given labels of the same kind: encoded with the same encoder, fitted at ``call``.
    also: tuple[Origin, ...] = ()
    kind: Literal["encode_labels"] = "encode_labels"

    def describe(self) -> str:
        return {
            "label_encoder": "encode the labels as 0..k-1 with LabelEncoder",
            "argmax": "turn one-hot labels into class ids (argmax)",
            "one_hot": "one-hot encode the labels",
        }[self.how]


#: ``add_batch``: one sample → a batch of one; ``add_channel``: trailing axis of 1;
#: ``transpose``: (features, samples) → (samples, features); ``column``: (n,) → (n, 1);
#: ``to_array``: a Python list of samples → one array (a batch); ``channels_last``: (N, C, H, W) → (N, H, W, C).
DataReshape = Literal["add_batch", "add_channel", "transpose", "column", "to_array", "channels_last",
                      "drop_first_column", "drop_last_column", "reorder", "rename_keys", "batch_dataset", "to_rgb"]


@dataclass(frozen=True)
class ReshapeData:
    """Reshape the features or labels passed to ``fit``/``predict``."""

    which: DataArg
    how: DataReshape
    call: Origin | None = None
    #: Other calls given the same faulty data: reshaped the same way.
    also: tuple[Origin, ...] = ()
    #: ``reorder``: the inputs of a list, in the model's order (``order[i]`` is the position now given the
    #: model's input ``i``).
    order: tuple[int, ...] = ()
    #: ``rename_keys``: (given, the model's) names of a dict of labels or inputs.
    keys: tuple[tuple[str, str], ...] = ()
    kind: Literal["reshape_data"] = "reshape_data"

    def describe(self) -> str:
        return {
            "add_batch": f"add the batch axis to {self.which}",
            "add_channel": f"add a trailing channel axis to {self.which}",
            "transpose": f"transpose {self.which} to (samples, features)",
            "column": f"reshape {self.which} to a column",
            "to_array": f"make {self.which} one array (np.array) instead of a Python list",
            "channels_last": f"move the channel axis of {self.which} last (np.moveaxis)",
            "drop_first_column": (f"drop the first column of {self.which}, the class 0 no label has" if self.which == "y"
                                  else f"drop the first column of {self.which}, the labels"),
            "drop_last_column": f"drop the last column of {self.which}, the labels",
            "reorder": f"give the inputs in {self.which} in the order the model declares them",
            "batch_dataset": f"batch the tf.data pipeline passed as {self.which} (.batch(…))",
            "to_rgb": f"repeat the gray channel of {self.which} three times (np.repeat(…, 3, axis=-1))",
            "rename_keys": f"key {self.which} by the model's names: "
                           + ", ".join(f"{a!r} → {b!r}" for a, b in self.keys),
        }[self.how]


@dataclass(frozen=True)
class Migrate:
    """Rewrite a Keras-2 API use (found statically at ``at``) as Keras 3 spells it (``rule`` says how)."""

    rule: str
    at: Origin
    #: A pure rename that keeps what the script means (else it changes behaviour or file names: review).
    safe: bool = True
    kind: Literal["migrate"] = "migrate"

    def describe(self) -> str:
        return f"migrate {self.rule} at line {self.at.line}"


Edit = (
    InsertLayer
    | AppendLayer
    | FixWeightShape
    | ReturnFromCall
    | MoveLayer
    | ReplaceLayerClass
    | SetLayerArgument
    | RemoveLayerArgument
    | SetInputShape
    | SetCompileArgument
    | ReplaceMetric
    | CastData
    | EncodeLabels
    | ReshapeData
    | Migrate
)

EDIT_TYPES: tuple[type, ...] = (
    InsertLayer,
    AppendLayer,
    FixWeightShape,
    ReturnFromCall,
    MoveLayer,
    ReplaceLayerClass,
    SetLayerArgument,
    RemoveLayerArgument,
    SetInputShape,
    SetCompileArgument,
    ReplaceMetric,
    CastData,
    EncodeLabels,
    ReshapeData,
    Migrate,
)

DATA_EDITS = (CastData, EncodeLabels, ReshapeData)


class Applicability(str, enum.Enum):
    """How far a fix may be trusted (after ruff's fix applicability).

    ``safe``: verified, and only makes the structure connect.
    ``review``: verified, but changes what the model learns.
    ``display``: not verified, or not locatable in source: shown, never written.
    """

    SAFE = "safe"
    REVIEW = "review"
    DISPLAY = "display"


@dataclass(frozen=True)
class CompileArgs:
    """What ``compile`` was given, as far as it can be written down."""

    loss: LiteralValue = None
    optimizer: LiteralValue = "adam"
    metrics: tuple[str, ...] = ()
    from_logits: bool = False
    origin: Origin | None = None


@dataclass(frozen=True)
class Calls:
    """Where ``compile`` and the data call (``fit``, ``predict``…) were made in source (None in the in-code API)."""

    compile: Origin | None = None
    fit: Origin | None = None


@dataclass(frozen=True)
class Rejected:
    """A candidate fix that was tried and not kept, and why (one sentence)."""

    kind: Kind
    summary: str
    reason: str


@dataclass(frozen=True)
class TextEdit:
    """A change to source as text: replace ``range`` with ``content``."""

    start: tuple[int, int]
    end: tuple[int, int]
    content: str


# ---------------------------------------------------------------------------
# Rendering helpers shared by edits, rewrite and report.


def render_literal(value: LiteralValue) -> str:
    """Render a literal as Python source (double-quoted strings, 1-tuples with a comma)."""
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, tuple):
        inner = ", ".join(render_literal(v) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    return repr(value)


def to_jsonable(obj: Any) -> Any:
    """Turn a tree of these dataclasses into JSON-ready dicts (``kind`` kept for edits)."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        # A field marked ``metadata={"serialize": False}`` lives in the session only (``Fix.layers``).
        return {f.name: to_jsonable(getattr(obj, f.name)) for f in dataclasses.fields(obj)
                if f.metadata.get("serialize", True)}
    if isinstance(obj, enum.Enum):
        return obj.value
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, dict):
        return {k: to_jsonable(v) for k, v in obj.items()}
    return obj


__all__ = [
    "Applicability",
    "Calls",
    "CastData",
    "CompileArgs",
    "DATA_EDITS",
    "DATA_METHODS",
    "Detail",
    "Diagnosis",
    "EDIT_TYPES",
    "Edit",
    "EncodeLabels",
    "Finding",
    "InsertLayer",
    "Kind",
    "LayerRef",
    "LayerSpec",
    "LayerTrace",
    "LiteralValue",
    "Migrate",
    "MoveLayer",
    "Origin",
    "Rejected",
    "RemoveLayerArgument",
    "ReplaceMetric",
    "ReshapeData",
    "SetCompileArgument",
    "SetInputShape",
    "SetLayerArgument",
    "Severity",
    "Shape",
    "TensorSpec",
    "TextEdit",
    "Written",
    "ordinal",
    "render_literal",
    "render_shape",
    "to_jsonable",
]
