"""The data kerasfix passes between its stages.

Every type here is a frozen dataclass holding only plain values (no live Keras
tensors, no CST nodes), so a diagnosis made in the capture child can be sent to
the parent as JSON and rendered, rewritten or compared there.
"""

from __future__ import annotations

import dataclasses
import enum
from dataclasses import dataclass
from typing import Any, Literal

#: A value that can be written into source as a Python literal.
LiteralValue = None | bool | int | float | str | tuple[Any, ...]

Shape = tuple[int | None, ...]


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
        dims = ", ".join("None" if d is None else str(d) for d in self.shape)
        if len(self.shape) == 1:
            dims += ","
        return f"({dims})"

    @property
    def rank(self) -> int:
        return len(self.shape)


@dataclass(frozen=True)
class LayerRef:
    """A layer named by what identifies it both in a model and in source."""

    name: str
    class_name: str
    origin: Origin | None = None

    def __str__(self) -> str:
        return self.name


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


#: The stable finding kinds (what users grep for and CI matches on).
FINDING_KINDS: tuple[str, ...] = (
    "rank_mismatch",
    "shape_mismatch",
    "missing_input_shape",
    "wrong_input_shape",
    "dtype_mismatch",
    "units_mismatch",
    "loss_label_mismatch",
    "activation_loss_mismatch",
    "rank_silent",
    "layer_order",
    "data_shape_mismatch",
    "spatial_too_small",
    "custom_layer_error",
)


@dataclass(frozen=True)
class Finding:
    """Something wrong with a model or its data, at one connection.

    ``layer`` is the consumer (the layer that received the wrong thing),
    ``producer`` the layer feeding it, or ``"input"`` for the data.
    """

    kind: str
    message: str
    layer: str | None = None
    producer: str | None = None
    expected: str | None = None
    actual: str | None = None
    origin: Origin | None = None
    severity: Severity = Severity.ERROR

    def __str__(self) -> str:
        return f"{self.kind}: {self.message}"


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
    kind: Literal["insert_layer"] = "insert_layer"

    def describe(self) -> str:
        return f"insert {self.layer} before {self.before.name}"


@dataclass(frozen=True)
class MoveLayer:
    """Move ``layer`` so that it comes right before ``before`` (Sequential only)."""

    layer: LayerRef
    before: LayerRef | None
    kind: Literal["move_layer"] = "move_layer"

    def describe(self) -> str:
        where = f"before {self.before.name}" if self.before else "to the end"
        return f"move {self.layer.name} {where}"


@dataclass(frozen=True)
class SetLayerArgument:
    """Set a constructor argument; ``position`` is its positional index, if it has one."""

    layer: LayerRef
    name: str
    value: LiteralValue
    position: int | None = None
    kind: Literal["set_layer_argument"] = "set_layer_argument"

    def describe(self) -> str:
        return f"set {self.name}={render_literal(self.value)} on {self.layer.name}"


@dataclass(frozen=True)
class RemoveLayerArgument:
    """Drop a constructor argument (e.g. an ``input_shape`` that moved elsewhere)."""

    layer: LayerRef
    name: str
    position: int | None = None
    kind: Literal["remove_layer_argument"] = "remove_layer_argument"

    def describe(self) -> str:
        return f"remove {self.name} from {self.layer.name}"


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


DataArg = Literal["x", "y"]


@dataclass(frozen=True)
class CastData:
    """Cast the features or labels passed to ``fit`` to ``dtype``."""

    which: DataArg
    dtype: str
    call: Origin | None = None
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
    kind: Literal["encode_labels"] = "encode_labels"

    def describe(self) -> str:
        return {
            "label_encoder": "encode the labels as 0..k-1 with LabelEncoder",
            "argmax": "turn one-hot labels into class ids (argmax)",
            "one_hot": "one-hot encode the labels",
        }[self.how]


#: ``add_batch``: one sample → a batch of one; ``add_channel``: trailing axis of 1;
#: ``transpose``: (features, samples) → (samples, features); ``column``: (n,) → (n, 1).
DataReshape = Literal["add_batch", "add_channel", "transpose", "column"]


@dataclass(frozen=True)
class ReshapeData:
    """Reshape the features or labels passed to ``fit``/``predict``."""

    which: DataArg
    how: DataReshape
    call: Origin | None = None
    kind: Literal["reshape_data"] = "reshape_data"

    def describe(self) -> str:
        return {
            "add_batch": f"add the batch axis to {self.which}",
            "add_channel": f"add a trailing channel axis to {self.which}",
            "transpose": f"transpose {self.which} to (samples, features)",
            "column": f"reshape {self.which} to a column",
        }[self.how]


Edit = (
    InsertLayer
    | MoveLayer
    | SetLayerArgument
    | RemoveLayerArgument
    | SetInputShape
    | SetCompileArgument
    | CastData
    | EncodeLabels
    | ReshapeData
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
class Fix:
    """A verified (or, if not, display-only) set of edits for one finding.

    ``steps`` holds the single-finding fixes a combined plan was made from.
    """

    finding: Finding
    edits: tuple[Edit, ...]
    summary: str
    applicability: Applicability
    verified: bool
    steps: tuple[Fix, ...] = ()
    compile_args: CompileArgs | None = None
    loss_after: float | None = None

    @property
    def changes_data(self) -> bool:
        return any(isinstance(e, DATA_EDITS) for e in self.edits)

    def apply(self, model: Any) -> Any:
        """Return a new model with this fix's model edits applied, compiled like the original.

        ``model`` may also be the list of layers the fix was planned for. The
        given model is never modified.
        """
        from kerasfix.edits import apply_fix_to_model

        return apply_fix_to_model(self, model)

    def apply_data(self, x: Any, y: Any = None) -> tuple[Any, Any]:
        """Return ``(x, y)`` changed as this fix's data edits say (unchanged otherwise)."""
        from kerasfix.edits import apply_data_edits

        return apply_data_edits(self.edits, x, y)


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
        return {f.name: to_jsonable(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, enum.Enum):
        return obj.value
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, dict):
        return {k: to_jsonable(v) for k, v in obj.items()}
    return obj


_EDIT_TYPES: dict[str, type] = {
    str(t.__dataclass_fields__["kind"].default): t
    for t in (
        InsertLayer,
        MoveLayer,
        SetLayerArgument,
        RemoveLayerArgument,
        SetInputShape,
        SetCompileArgument,
        CastData,
        EncodeLabels,
        ReshapeData,
    )
}


def _tuplify(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_tuplify(v) for v in value)
    return value


def origin_from_json(d: dict[str, Any] | None) -> Origin | None:
    return None if d is None else Origin(**d)


def layer_ref_from_json(d: dict[str, Any] | None) -> LayerRef | None:
    if d is None:
        return None
    return LayerRef(d["name"], d["class_name"], origin_from_json(d.get("origin")))


def finding_from_json(d: dict[str, Any]) -> Finding:
    return Finding(
        kind=d["kind"],
        message=d["message"],
        layer=d.get("layer"),
        producer=d.get("producer"),
        expected=d.get("expected"),
        actual=d.get("actual"),
        origin=origin_from_json(d.get("origin")),
        severity=Severity(d.get("severity", "error")),
    )


def edit_from_json(d: dict[str, Any]) -> Edit:
    cls = _EDIT_TYPES[d["kind"]]
    kwargs: dict[str, Any] = {}
    for name, value in d.items():
        if name in ("before", "layer", "target") and isinstance(value, dict) and "class_name" in value and "name" in value and "kwargs" not in value:
            kwargs[name] = layer_ref_from_json(value)
        elif name == "layer" and isinstance(value, dict) and "kwargs" in value:
            kwargs[name] = LayerSpec(value["class_name"], tuple((k, _tuplify(v)) for k, v in value["kwargs"]))
        elif name == "call":
            kwargs[name] = origin_from_json(value)
        else:
            kwargs[name] = _tuplify(value)
    edit: Edit = cls(**kwargs)
    return edit


def compile_args_from_json(d: dict[str, Any] | None) -> CompileArgs | None:
    if d is None:
        return None
    return CompileArgs(
        loss=_tuplify(d.get("loss")),
        optimizer=_tuplify(d.get("optimizer")),
        metrics=tuple(d.get("metrics") or ()),
        from_logits=bool(d.get("from_logits")),
        origin=origin_from_json(d.get("origin")),
    )


def fix_from_json(d: dict[str, Any]) -> Fix:
    return Fix(
        finding=finding_from_json(d["finding"]),
        edits=tuple(edit_from_json(e) for e in d["edits"]),
        summary=d["summary"],
        applicability=Applicability(d["applicability"]),
        verified=bool(d["verified"]),
        steps=tuple(fix_from_json(s) for s in d.get("steps", ())),
        compile_args=compile_args_from_json(d.get("compile_args")),
        loss_after=d.get("loss_after"),
    )


__all__ = [
    "Applicability",
    "CastData",
    "CompileArgs",
    "DATA_EDITS",
    "Edit",
    "EncodeLabels",
    "FINDING_KINDS",
    "Finding",
    "Fix",
    "InsertLayer",
    "LayerRef",
    "LayerSpec",
    "LayerTrace",
    "LiteralValue",
    "MoveLayer",
    "Origin",
    "RemoveLayerArgument",
    "ReshapeData",
    "SetCompileArgument",
    "SetInputShape",
    "SetLayerArgument",
    "Severity",
    "Shape",
    "TensorSpec",
    "TextEdit",
    "finding_from_json",
    "fix_from_json",
    "render_literal",
    "to_jsonable",
]
