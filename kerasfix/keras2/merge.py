"""``keras2_api``: Keras 1's ``merge([a, b], mode='sum')`` function.

Keras 1 merged tensors with one function and a mode; Keras 2 replaced it with
one layer per mode and Keras 3 has only the layers. ``from keras.layers import
merge`` then reads as the removed *module* ``keras.layers.merge``, so the import
and every call are rewritten together: the import loses ``merge``, and each call
becomes the layer of its mode applied to the same list (``Add()([a, b])``,
``Concatenate(axis=concat_axis)([a, b])``, …), keeping ``name=``. The same model
(safe). A mode given as a function or a variable, ``cos``, or a call with
``output_shape=`` has no mechanical replacement (display).
"""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

from kerasfix.keras2.calls import keyword, literal_str, positionals
from kerasfix.keras2.edits import Edit, Found, Replace, template
from kerasfix.keras2.source import Source, code_of

KIND = "keras2_api"
RULE = "merge_mode"

#: Keras 1 merge modes → (Keras 3 layer, the keyword that carried its option, the layer's keyword, Keras 1's default).
MODES: dict[str, tuple[str, str | None, str | None, str | None]] = {
    "sum": ("Add", None, None, None),
    "mul": ("Multiply", None, None, None),
    "ave": ("Average", None, None, None),
    "max": ("Maximum", None, None, None),
    "concat": ("Concatenate", "concat_axis", "axis", "-1"),
    "dot": ("Dot", "dot_axes", "axes", None),
}
_KNOWN = frozenset({"mode", "concat_axis", "dot_axes", "name"})


def merge_calls(src: Source, local: str) -> list[cst.Call] | None:
    """Every use of the name ``local`` as ``local(…)``; None when it is used any other way."""
    calls = [c for c in src.calls if isinstance(c.func, cst.Name) and c.func.value == local]
    called = {id(c.func) for c in calls}
    for node in src.positions:
        if isinstance(node, cst.Name) and node.value == local and id(node) not in called:
            parent = src.parent(node)
            if not isinstance(parent, (cst.ImportAlias, cst.AsName)):
                return None
    return calls


def rewrite(src: Source, call: cst.Call, root: str) -> tuple[str, tuple[Edit, ...]] | None:
    """``(replacement, edits)`` for one ``merge(…)`` call, or None if it has no mechanical replacement."""
    args = positionals(call)
    if len(args) != 1 or any(a.star for a in call.args):
        return None
    present = {a.keyword.value for a in call.args if a.keyword is not None}
    if present - _KNOWN:
        return None
    mode_arg = keyword(call, "mode")
    mode = "sum" if mode_arg is None else literal_str(mode_arg.value)
    if mode not in MODES:
        return None
    layer, option, new_option, default = MODES[mode]
    if option is None and present & {"concat_axis", "dot_axes"}:
        return None
    named = src.keras_name(root, f"layers.{layer}")
    parts: list[str] = []
    given = keyword(call, option) if option is not None else None
    if given is not None and new_option is not None:
        parts.append(f"{new_option}={{option}}")
    elif default is not None and new_option is not None:
        parts.append(f"{new_option}={default}")
    elif mode == "dot":
        return None  # Keras 1's dot_axes had no usable default for Dot(axes=)
    if keyword(call, "name") is not None:
        parts.append("name={name}")
    text = f"{named.code}({', '.join(parts)})({{tensors}})"

    def make(rewritten: cst.Call) -> cst.BaseExpression:
        # From the call as rewritten so far: a merge nested in its inputs has become a layer already.
        return template(text, **_holes(rewritten, option)).with_changes(lpar=rewritten.lpar, rpar=rewritten.rpar)

    return code_of(template(text, **_holes(call, option))), (Replace(call, make, named.imports),)


def _holes(call: cst.Call, option: str | None) -> dict[str, cst.BaseExpression]:
    """The list, the mode's option and ``name`` of a ``merge(…)`` call ``rewrite`` accepted."""
    holes: dict[str, cst.BaseExpression] = {"tensors": positionals(call)[0].value}
    given = keyword(call, option) if option is not None else None
    if given is not None:
        holes["option"] = given.value
    name = keyword(call, "name")
    if name is not None:
        holes["name"] = name.value
    return holes


def find_calls(src: Source, local: str, root: str) -> Iterator[Found]:
    """One finding per ``merge(…)`` call (all rewritable, or all display)."""
    calls = merge_calls(src, local) or []
    rewrites = [rewrite(src, c, root) for c in calls]
    message = "Keras 1's `merge(…, mode=…)` was removed in Keras 2; Keras 3 has a layer per mode"
    for call, done in zip(calls, rewrites, strict=True):
        if done is None or any(r is None for r in rewrites):
            yield Found(src.migration(call, KIND, RULE, message, "display", "keras.layers.Add/Concatenate/Multiply/… applied to the list"))
        else:
            yield Found(src.migration(call, KIND, RULE, message, "safe", done[0]), done[1])


def all_rewritable(src: Source, local: str, root: str) -> bool:
    calls = merge_calls(src, local)
    return bool(calls) and all(rewrite(src, c, root) is not None for c in calls or [])
