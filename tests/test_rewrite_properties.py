"""Property tests for kerasfix.rewrite on Sequential scripts in many formattings.

Each generated script has a Conv/Pool stack followed by Dense layers (so a
Flatten is missing, and the last Dense has some number of units). The edit is
applied and we check: the output parses, only the intended element/line
changed, line endings are kept, and a second application is a no-op.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import libcst as cst
from hypothesis import given, settings
from hypothesis import strategies as st
from libcst.metadata import MetadataWrapper, PositionProvider

from kerasfix.rewrite import apply_edits
from kerasfix.types import Edit, InsertLayer, LayerRef, LayerSpec, Origin, SetLayerArgument

PATH = "script.py"

#: (import lines, prefix written before a layer class)
IMPORT_STYLES = [
    (["from keras import layers"], "layers."),
    (["import keras"], "keras.layers."),
    (["import tensorflow as tf"], "tf.keras.layers."),
    (["from keras import layers as L"], "L."),
    (["from tensorflow.keras import layers"], "layers."),
    (["from keras.layers import Conv2D, Dense, MaxPooling2D"], ""),
]


@dataclass(frozen=True)
class Script:
    source: str
    prefix: str
    newline: str
    dense_count: int
    last_units: int


def _origin(source: str, callee: str, n: int) -> Origin:
    wrapper = MetadataWrapper(cst.parse_module(source))
    spans = sorted(
        (r.start.line, r.start.column, r.end.line, r.end.column)
        for node, r in wrapper.resolve(PositionProvider).items()
        if isinstance(node, cst.Call) and wrapper.module.code_for_node(node.func) == callee
    )
    return Origin(PATH, *spans[n])


@st.composite
def scripts(draw: st.DrawFn) -> Script:
    imports, prefix = draw(st.sampled_from(IMPORT_STYLES))
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    indent = draw(st.sampled_from(["    ", "  ", "\t"]))
    convs = draw(st.integers(1, 3))
    dense_units = draw(st.lists(st.integers(1, 512), min_size=1, max_size=3))
    quote = draw(st.sampled_from(['"', "'"]))
    layers_src: list[str] = []
    for i in range(convs):
        layers_src.append(f"{prefix}Conv2D({8 * (i + 1)}, 3, activation={quote}relu{quote})")
        if draw(st.booleans()):
            layers_src.append(f"{prefix}MaxPooling2D()")
    for i, units in enumerate(dense_units):
        last = i == len(dense_units) - 1
        activation = "softmax" if last else "relu"
        layers_src.append(f"{prefix}Dense({units}, activation={quote}{activation}{quote})")

    style = draw(st.sampled_from(["lines", "oneline", "hanging"]))
    trailing = draw(st.booleans())
    if style == "lines":
        parts = ["["]
        for i, text in enumerate(layers_src):
            if draw(st.booleans()):
                parts.append(f"{newline}{indent}# layer {i}")
            if draw(st.booleans()):
                parts.append(newline)  # a blank line
            comma = "," if i < len(layers_src) - 1 or trailing else ""
            comment = f"  # note {i}" if draw(st.booleans()) else ""
            parts.append(f"{newline}{indent}{text}{comma}{comment}")
        parts.append(f"{newline}]")
        body = "".join(parts)
    elif style == "oneline":
        body = "[" + ", ".join(layers_src) + (", " if trailing else "") + "]"
    else:
        opener = "model = Sequential(["
        align = newline + " " * len(opener)
        body = "[" + ("," + align).join(layers_src) + ("," if trailing else "") + "]"
    header = draw(st.sampled_from(["", "# train a model" + newline, '"""Docstring."""' + newline + newline]))
    source = (
        header
        + newline.join(imports)
        + newline
        + "from keras.models import Sequential"
        + newline
        + newline
        + f"model = Sequential({body})"
        + newline
        + f"model.compile(optimizer={quote}adam{quote}, loss={quote}mse{quote})"
        + newline
    )
    return Script(source, prefix, newline, len(dense_units), dense_units[-1])


def _changed(before: str, after: str) -> tuple[list[str], list[str]]:
    """Lines removed from ``before`` and lines added in ``after`` (line endings kept)."""
    old, new = before.splitlines(keepends=True), after.splitlines(keepends=True)
    removed: list[str] = []
    added: list[str] = []
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag != "equal":
            removed += old[i1:i2]
            added += new[j1:j2]
    return removed, added


def _check(script: Script, make_edits: Callable[[str], Sequence[Edit]]) -> tuple[list[str], list[str], str]:
    out = apply_edits(script.source, make_edits(script.source), path=PATH)
    compile(out, PATH, "exec")
    if script.newline == "\r\n":
        assert "\n" not in out.replace("\r\n", "")
    else:
        assert "\r" not in out
    assert apply_edits(out, make_edits(out), path=PATH) == out
    removed, added = _changed(script.source, out)
    return removed, added, out


def _flatten_edits(prefix: str) -> Callable[[str], Sequence[Edit]]:
    def make(source: str) -> Sequence[Edit]:
        dense = LayerRef("dense", "Dense", _origin(source, f"{prefix}Dense", 0))
        return [InsertLayer(dense, LayerSpec("Flatten"))]

    return make


@settings(max_examples=50, deadline=None)
@given(scripts())
def test_inserting_flatten_changes_only_the_list(script: Script) -> None:
    removed, added, out = _check(script, _flatten_edits(script.prefix))
    # Only the line with the first Dense (one-line lists) or the import (bare names) may change...
    assert all("Dense(" in line or "import" in line for line in removed)
    # ...and every new or changed line carries the Flatten.
    assert all("Flatten" in line for line in added)
    assert out.count("Flatten(") == 1
    module = cst.parse_module(out)
    calls = [
        module.code_for_node(node.func)
        for node in _calls(module)
        if module.code_for_node(node.func).endswith(("Conv2D", "Dense", "Flatten", "MaxPooling2D"))
    ]
    first_dense = next(i for i, c in enumerate(calls) if c.endswith("Dense"))
    assert calls[first_dense - 1] == f"{script.prefix}Flatten"


@settings(max_examples=50, deadline=None)
@given(scripts(), st.integers(1, 100))
def test_setting_units_changes_only_that_layer(script: Script, units: int) -> None:
    def make(source: str) -> Sequence[Edit]:
        last = LayerRef("out", "Dense", _origin(source, f"{script.prefix}Dense", script.dense_count - 1))
        return [SetLayerArgument(last, "units", units, 0)]

    removed, added, out = _check(script, make)
    assert len(removed) == len(added) <= 1
    if removed:
        # The last Dense is the last one on its line; nothing else on the line moves.
        head, _, tail = removed[0].rpartition(f"Dense({script.last_units},")
        assert added[0] == f"{head}Dense({units},{tail}"
    else:
        assert units == script.last_units


def _calls(module: cst.Module) -> list[cst.Call]:
    found: list[cst.Call] = []

    class _Collect(cst.CSTVisitor):
        def visit_Call(self, node: cst.Call) -> None:
            found.append(node)

    module.visit(_Collect())
    return found
