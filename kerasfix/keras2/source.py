"""One analysed file: its tree, where each node is, what each name refers to, and its style.

Built once per file with a single metadata pass; every rule reads from it.
Qualified names come from libcst's ``QualifiedNameProvider`` (so aliases,
``tf.keras`` and shadowing by local names are resolved by scope); a name no
import binds is looked up in the file's ``from keras.layers import *`` modules.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from enum import Enum

import libcst as cst
from libcst.helpers import get_full_name_for_node
from libcst.metadata import (
    CodeRange,
    MetadataWrapper,
    ParentNodeProvider,
    PositionProvider,
    QualifiedNameProvider,
    QualifiedNameSource,
)

from kerasfix.keras2.migration import Migration
from kerasfix.keras2.names import canonical, join, split_keras
from kerasfix.rewrite.imports import ImportSpec, ImportTable, Named, scan_imports

_EMPTY = cst.Module(body=[])

#: Keras calls that make a model (canonical rests); ``applications.*`` too.
MODEL_CONSTRUCTORS = frozenset(
    {
        "Sequential",
        "Model",
        "models.Sequential",
        "models.Model",
        "models.load_model",
        "saving.load_model",
        "models.model_from_json",
        "models.clone_model",
    }
)

#: Keras 3 optimizer classes (canonical rests).
OPTIMIZERS = frozenset(
    f"optimizers.{name}"
    for name in ("SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax", "Nadam", "Ftrl", "Lion", "Lamb")
)


class Receiver(Enum):
    """What the object a method is called on is known to be."""

    KERAS = "keras"
    OTHER = "other"
    UNKNOWN = "unknown"


def code_of(node: cst.CSTNode) -> str:
    return _EMPTY.code_for_node(node)


class _Collect(cst.CSTVisitor):
    METADATA_DEPENDENCIES = (QualifiedNameProvider, PositionProvider, ParentNodeProvider)

    def __init__(self, src: Source) -> None:
        super().__init__()
        self.src = src

    def on_visit(self, node: cst.CSTNode) -> bool:
        src = self.src
        src.positions[node] = self.get_metadata(PositionProvider, node)
        parent = self.get_metadata(ParentNodeProvider, node, None)
        if parent is not None:
            src.parents[node] = parent
        if isinstance(node, (cst.Name, cst.Attribute)):
            names = self.get_metadata(QualifiedNameProvider, node, set())
            if any(n.source is not QualifiedNameSource.IMPORT for n in names):
                src.local.add(node)
            imported = sorted(
                (n.name for n in names if n.source is QualifiedNameSource.IMPORT),
                # Ambiguous (try/except imports): prefer tensorflow.keras, whose shims keep more working.
                key=lambda name: (not name.startswith("tensorflow."), name),
            )
            if imported:
                src.qualified_names[node] = imported[0]
        if isinstance(node, cst.Call):
            src.calls.append(node)
        elif isinstance(node, cst.Attribute):
            src.attributes.append(node)
        elif isinstance(node, (cst.Import, cst.ImportFrom)):
            src.imports.append(node)
            if isinstance(node, cst.ImportFrom) and isinstance(node.names, cst.ImportStar) and node.module:
                module = get_full_name_for_node(node.module)
                if module is not None and not node.relative:
                    src.star_modules.append(module)
        elif isinstance(node, cst.Assign):
            for target in node.targets:
                if isinstance(target.target, cst.Name):
                    src.assignments.setdefault(target.target.value, []).append(node.value)
        elif isinstance(node, cst.FunctionDef):
            src.functions.setdefault(node.name.value, []).append(node)
        elif isinstance(node, cst.ClassDef):
            src.classes[node.name.value] = node
        elif isinstance(node, cst.SimpleString):
            src.quotes[node.quote[-1]] += 1
        return True


class Source:
    """The parsed file and everything rules ask about it."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.wrapper = MetadataWrapper(cst.parse_module(text))
        #: The tree to transform: nodes found here are recognised by identity.
        self.module = self.wrapper.module
        self.positions: dict[cst.CSTNode, CodeRange] = {}
        self.parents: dict[cst.CSTNode, cst.CSTNode] = {}
        self.qualified_names: dict[cst.CSTNode, str] = {}
        self.local: set[cst.CSTNode] = set()
        self.calls: list[cst.Call] = []
        self.attributes: list[cst.Attribute] = []
        self.imports: list[cst.Import | cst.ImportFrom] = []
        self.star_modules: list[str] = []
        self.assignments: dict[str, list[cst.BaseExpression]] = {}
        self.functions: dict[str, list[cst.FunctionDef]] = {}
        self.classes: dict[str, cst.ClassDef] = {}
        self.quotes: Counter[str] = Counter()
        self.wrapper.visit(_Collect(self))
        self.table: ImportTable = scan_imports(self.module)
        self._keras_receivers = self._receivers_used_as_keras()

    # -- where and what -----------------------------------------------------------------------

    def span(self, node: cst.CSTNode) -> CodeRange:
        return self.positions[node]

    def start(self, node: cst.CSTNode) -> tuple[int, int]:
        where = self.positions[node].start
        return where.line, where.column

    def migration(
        self, node: cst.CSTNode, kind: str, rule: str, message: str, applicability: str, replacement: str
    ) -> Migration:
        where = self.positions[node]
        return Migration(
            kind=kind,
            rule=rule,
            line=where.start.line,
            column=where.start.column,
            end_line=where.end.line,
            end_column=where.end.column,
            message=message,
            applicability=applicability,
            replacement=replacement,
        )

    def parent(self, node: cst.CSTNode) -> cst.CSTNode | None:
        return self.parents.get(node)

    def qualified(self, node: cst.BaseExpression) -> str | None:
        """The dotted name an expression refers to through the file's imports, if it is one."""
        found = self.qualified_names.get(node)
        if found is not None:
            return found
        if node in self.local:
            return None
        if isinstance(node, cst.Name):
            for module in self.star_modules:
                if split_keras(module) is not None:
                    return f"{module}.{node.value}"
            return None
        if isinstance(node, cst.Attribute):
            base = self.qualified(node.value)
            return None if base is None else f"{base}.{node.attr.value}"
        return None

    def keras_path(self, node: cst.BaseExpression) -> tuple[str, str] | None:
        """``(root, canonical rest)`` of a Keras name: ``("keras", "layers.Dense")`` for ``L.core.Dense``."""
        qualified = self.qualified(node)
        split = None if qualified is None else split_keras(qualified)
        if split is None:
            return None
        return split[0], canonical(split[1])

    def keras_layer(self, call: cst.Call) -> str | None:
        """The Keras layer class a call constructs (``Dense``), if it is one."""
        path = self.keras_path(call.func)
        if path is None or not path[1].startswith("layers.") or path[1].count(".") != 1:
            return None
        return path[1].split(".")[1]

    def is_keras(self, call: cst.Call, rests: Iterable[str]) -> bool:
        path = self.keras_path(call.func)
        return path is not None and path[1] in rests

    # -- receivers ----------------------------------------------------------------------------

    def receiver(self, expr: cst.BaseExpression, depth: int = 0) -> Receiver:
        """Whether ``expr`` is known to be a Keras model, known not to be one, or unknown.

        Evidence for Keras: assigned from a Keras model constructor (directly, through
        a function of this file that returns one, or a class of this file deriving
        from ``Model``), or compiled / given layers somewhere in the file. Evidence
        against: assigned from a call into another imported library (scikit-learn…).
        """
        if code_of(expr) in self._keras_receivers:
            return Receiver.KERAS
        qualified = self.qualified(expr)
        if qualified is not None and split_keras(qualified) is None:
            # An imported module or object of another library (``np.save``, ``joblib``…).
            return Receiver.OTHER
        if isinstance(expr, cst.Name) and depth < 3:
            kinds = {self._value_kind(value, depth) for value in self.assignments.get(expr.value, [])}
            if Receiver.KERAS in kinds:
                return Receiver.KERAS
            if Receiver.OTHER in kinds:
                return Receiver.OTHER
        return Receiver.UNKNOWN

    def _value_kind(self, value: cst.BaseExpression, depth: int) -> Receiver:
        if isinstance(value, cst.Name):
            return self.receiver(value, depth + 1)
        if not isinstance(value, cst.Call):
            return Receiver.UNKNOWN
        path = self.keras_path(value.func)
        if path is not None:
            rest = path[1]
            keras_model = rest in MODEL_CONSTRUCTORS or rest.startswith("applications.")
            return Receiver.KERAS if keras_model else Receiver.UNKNOWN
        qualified = self.qualified(value.func)
        if qualified is not None and qualified.split(".")[0] not in ("keras", "tensorflow", "tf_keras"):
            return Receiver.OTHER
        if isinstance(value.func, cst.Name):
            name = value.func.value
            if name in self.classes and self._derives_from_model(self.classes[name]):
                return Receiver.KERAS
            for function in self.functions.get(name, []):
                if any(self._value_kind(r, depth + 1) is Receiver.KERAS for r in _returned(function)):
                    return Receiver.KERAS
        return Receiver.UNKNOWN

    def _derives_from_model(self, node: cst.ClassDef) -> bool:
        for base in node.bases:
            path = self.keras_path(base.value)
            if path is not None and path[1] in ("Model", "models.Model", "Sequential", "models.Sequential"):
                return True
        return False

    def _receivers_used_as_keras(self) -> frozenset[str]:
        found: set[str] = set()
        for call in self.calls:
            func = call.func
            if not isinstance(func, cst.Attribute):
                continue
            method = func.attr.value
            keras_compile = method == "compile" and any(
                a.keyword is not None and a.keyword.value in ("loss", "optimizer", "metrics") for a in call.args
            )
            keras_add = (
                method == "add"
                and len(call.args) == 1
                and isinstance(call.args[0].value, cst.Call)
                and self.keras_layer(call.args[0].value) is not None
            )
            if keras_compile or keras_add:
                found.add(code_of(func.value))
        return frozenset(found)

    def is_optimizer(self, expr: cst.BaseExpression) -> bool:
        """``model.optimizer``, or a name assigned a Keras optimizer."""
        if isinstance(expr, cst.Attribute) and expr.attr.value == "optimizer":
            return True
        if isinstance(expr, cst.Name):
            return any(
                isinstance(v, cst.Call) and self.is_keras(v, OPTIMIZERS) for v in self.assignments.get(expr.value, [])
            )
        return False

    # -- style --------------------------------------------------------------------------------

    @property
    def quote(self) -> str:
        """The file's usual string quote."""
        return "'" if self.quotes["'"] > self.quotes['"'] else '"'

    def string(self, value: str) -> str:
        q = self.quote
        return f"{q}{value}{q}"

    def bound(self, local: str) -> bool:
        return local in self.table.bindings or local in self.assignments or local in self.functions

    def name_for(self, qualified: str, *, module_import: bool = False) -> Named:
        """How this file can spell ``qualified`` (``keras.ops.mean``), plus any import that needs.

        Reuses the longest imported prefix (``ops.mean`` after ``from keras import ops``,
        ``tf.keras.…`` after ``import tensorflow as tf``); else imports the object by
        name, or its module when ``module_import`` (``from keras import ops`` → ``ops.mean``).
        """
        parts = qualified.split(".")
        for i in range(len(parts), 0, -1):
            local = self.table.local_for(".".join(parts[:i]))
            if local is not None:
                return Named(".".join([local, *parts[i:]]))
        module, name = qualified.rsplit(".", 1)
        if module_import and "." in module:
            parent, last = module.rsplit(".", 1)
            if not self.bound(last):
                return Named(f"{last}.{name}", (ImportSpec(parent, last),))
        if not self.bound(name):
            return Named(name, (ImportSpec(module, name),))
        root = parts[0]
        return Named(qualified, (ImportSpec(root),))

    def keras_name(self, root: str, rest: str, *, module_import: bool = False) -> Named:
        return self.name_for(join(root, rest), module_import=module_import)


def _returned(function: cst.FunctionDef) -> list[cst.BaseExpression]:
    found: list[cst.BaseExpression] = []

    class _Returns(cst.CSTVisitor):
        def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
            return node is function

        def visit_Return(self, node: cst.Return) -> None:
            if node.value is not None:
                found.append(node.value)

    function.visit(_Returns())
    return found
