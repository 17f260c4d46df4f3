"""What the file already imports, and how to name new things in its style."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import libcst as cst
from libcst.helpers import get_full_name_for_node

_EMPTY = cst.Module(body=[])

#: Module names that are the Keras package itself (``layers`` lives under them).
KERAS_ROOTS = frozenset({"keras", "tensorflow.keras", "tf_keras"})


@dataclass(frozen=True)
class ImportSpec:
    """An import to add: ``from module import obj`` or ``import module as asname``."""

    module: str
    obj: str | None = None
    asname: str | None = None


@dataclass(frozen=True)
class Named:
    """Source text that names something, plus the imports that text needs."""

    code: str
    imports: tuple[ImportSpec, ...] = ()


@dataclass(frozen=True)
class ImportTable:
    """Local names bound by imports anywhere in the file, mapped to what they name."""

    bindings: Mapping[str, str]
    star_modules: tuple[str, ...] = ()

    def qualify(self, expr: cst.BaseExpression) -> str | None:
        """Return the dotted name ``expr`` refers to (``L.Dense`` → ``keras.layers.Dense``), if known."""
        if isinstance(expr, cst.Name):
            return self.bindings.get(expr.value)
        if isinstance(expr, cst.Attribute):
            base = self.qualify(expr.value)
            return None if base is None else f"{base}.{expr.attr.value}"
        return None

    def class_name(self, func: cst.BaseExpression) -> str | None:
        """The class a callee names, seeing through import aliases (``F`` → ``Flatten``)."""
        qualified = self.qualify(func)
        if qualified is not None:
            return qualified.rsplit(".", 1)[-1]
        if isinstance(func, cst.Name):
            return func.value
        if isinstance(func, cst.Attribute):
            return func.attr.value
        return None

    def local_for(self, qualified: str) -> str | None:
        """Return a local name bound to ``qualified`` (``numpy`` → ``np``), if any."""
        for local, target in self.bindings.items():
            if target == qualified:
                return local
        return None


class _ImportCollector(cst.CSTVisitor):
    def __init__(self) -> None:
        self.bindings: dict[str, str] = {}
        self.stars: list[str] = []

    def visit_Import(self, node: cst.Import) -> None:
        for alias in node.names:
            dotted = get_full_name_for_node(alias.name)
            if dotted is None:
                continue
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                self.bindings[alias.asname.name.value] = dotted
            else:
                # ``import a.b`` binds only ``a``.
                root = dotted.split(".")[0]
                self.bindings[root] = root

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        if node.relative or node.module is None:
            return
        module = get_full_name_for_node(node.module)
        if module is None:
            return
        if isinstance(node.names, cst.ImportStar):
            self.stars.append(module)
            return
        for alias in node.names:
            name = get_full_name_for_node(alias.name)
            if name is None:
                continue
            local = name
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                local = alias.asname.name.value
            self.bindings[local] = f"{module}.{name}"


def scan_imports(module: cst.Module) -> ImportTable:
    """Collect the names the file's imports bind (at any depth: notebooks import late)."""
    collector = _ImportCollector()
    module.visit(collector)
    return ImportTable(dict(collector.bindings), tuple(collector.stars))


def _is_layers_module(qualified: str) -> bool:
    root, _, rest = qualified.partition(".layers")
    return root in KERAS_ROOTS and (rest == "" or rest.startswith("."))


def layer_constructor(table: ImportTable, neighbour: cst.BaseExpression, class_name: str) -> Named:
    """Name layer class ``class_name`` the way the neighbouring layer's callee is written.

    ``neighbour`` is the ``func`` of a layer call next to the new one.
    """
    if isinstance(neighbour, cst.Attribute):
        prefix = _EMPTY.code_for_node(neighbour.value)
        qualified = table.qualify(neighbour.value)
        is_root = qualified in KERAS_ROOTS if qualified is not None else prefix.split(".")[-1] == "keras"
        # ``keras.Input`` exists at the top level; other layers only under ``layers``.
        if is_root and class_name != "Input":
            return Named(f"{prefix}.layers.{class_name}")
        return Named(f"{prefix}.{class_name}")
    if isinstance(neighbour, cst.Name):
        qualified = table.bindings.get(neighbour.value)
        if qualified is not None and "." in qualified:
            module = qualified.rsplit(".", 1)[0]
            if module in KERAS_ROOTS and class_name != "Input":
                module = f"{module}.layers"
            if module in KERAS_ROOTS or _is_layers_module(module):
                local = table.local_for(f"{module}.{class_name}")
                if local is not None:
                    return Named(local)
                return Named(class_name, (ImportSpec(module, class_name),))
        if qualified is None and any(_is_layers_module(m) for m in table.star_modules):
            return Named(class_name)
    return fallback_layer_constructor(table, class_name)


def fallback_layer_constructor(table: ImportTable, class_name: str) -> Named:
    """Name ``class_name`` from whatever Keras the file imports, or import it from ``keras.layers``."""
    for layers_module in ("keras.layers", "tensorflow.keras.layers"):
        local = table.local_for(f"{layers_module}.{class_name}")
        if local is not None:
            return Named(local)
    for layers_module in ("keras.layers", "tensorflow.keras.layers"):
        local = table.local_for(layers_module)
        if local is not None:
            return Named(f"{local}.{class_name}")
    for root in ("keras", "tensorflow.keras"):
        local = table.local_for(root)
        if local is not None:
            return Named(f"{local}.layers.{class_name}")
    tf = table.local_for("tensorflow")
    if tf is not None:
        return Named(f"{tf}.keras.layers.{class_name}")
    return Named(class_name, (ImportSpec("keras.layers", class_name),))


def numpy_name(table: ImportTable) -> Named:
    """The file's own alias for numpy, or ``np`` with ``import numpy as np`` added."""
    local = table.local_for("numpy")
    if local is not None:
        return Named(local)
    return Named("np", (ImportSpec("numpy", None, "np"),))


def to_categorical_name(table: ImportTable) -> Named:
    """``keras.utils.to_categorical`` spelled with the file's Keras import, else imported by name."""
    for module in ("keras.utils", "tensorflow.keras.utils"):
        local = table.local_for(f"{module}.to_categorical")
        if local is not None:
            return Named(local)
    for module in ("keras.utils", "tensorflow.keras.utils"):
        local = table.local_for(module)
        if local is not None:
            return Named(f"{local}.to_categorical")
    for root in ("keras", "tensorflow.keras"):
        local = table.local_for(root)
        if local is not None:
            return Named(f"{local}.utils.to_categorical")
    tf = table.local_for("tensorflow")
    if tf is not None:
        return Named(f"{tf}.keras.utils.to_categorical")
    return Named("to_categorical", (ImportSpec("keras.utils", "to_categorical"),))


def label_encoder_name(table: ImportTable) -> Named:
    """``LabelEncoder`` as the file imports it, else ``from sklearn.preprocessing import LabelEncoder``."""
    local = table.local_for("sklearn.preprocessing.LabelEncoder")
    if local is not None:
        return Named(local)
    module = table.local_for("sklearn.preprocessing")
    if module is not None:
        return Named(f"{module}.LabelEncoder")
    return Named("LabelEncoder", (ImportSpec("sklearn.preprocessing", "LabelEncoder"),))
