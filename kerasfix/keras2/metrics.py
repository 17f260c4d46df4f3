"""``keras2_api``: the ``'acc'`` history key of Keras 2.0–2.2.

Keras 2 up to 2.2 logged ``metrics=['accuracy']`` under the key ``'acc'`` (and
``'val_acc'``); Keras 3 logs a metric under the name it was given, so the same
compile logs ``'accuracy'`` and ``history.history['acc']`` raises a KeyError (a
callback's ``monitor='val_acc'`` only warns, and then never triggers). When every
``compile`` of the file names ``'accuracy'`` (and none ``'acc'``), the key is
renamed where the file reads it: ``….history['acc']``, a Keras callback's
``monitor=``, and a ``{val_acc…}`` field in a checkpoint file name. Safe: the
script reads the same numbers it read under Keras 2.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import libcst as cst

from kerasfix.keras2.calls import argument, keyword, literal, literal_str, method, same_string
from kerasfix.keras2.edits import Found, Replace
from kerasfix.keras2.saving import path_literal
from kerasfix.keras2.source import Source

KIND = "keras2_api"
RULE = "history_acc_key"

#: Keras 2.0–2.2 keys and what Keras 3 logs for ``metrics=['accuracy']``.
KEYS = {"acc": "accuracy", "val_acc": "val_accuracy"}
_FIELD = re.compile(r"\{(val_acc|acc)([:!}])")


def _logs_accuracy(src: Source) -> bool:
    """Every compile with metrics names 'accuracy' (a literal list) and none names 'acc'."""
    seen = False
    for call in src.calls:
        found = method(call)
        if found is None or found[1] != "compile":
            continue
        metrics = keyword(call, "metrics")
        if metrics is None:
            continue
        ok, value = literal(metrics.value)
        if not ok or not isinstance(value, (list, tuple)):
            return False
        if "acc" in value or "val_acc" in value:
            return False
        seen = seen or "accuracy" in value
    return seen


def find(src: Source) -> Iterator[Found]:
    if not _logs_accuracy(src):
        return
    message = "Keras 2.0–2.2 logged metrics=['accuracy'] as 'acc'; Keras 3 logs it as 'accuracy'"
    for node in _history_keys(src):
        yield _rename_key(src, node, message)
    for call in src.calls:
        path = src.keras_path(call.func)
        if path is None or not path[1].startswith("callbacks."):
            continue
        monitor = keyword(call, "monitor")
        if monitor is not None and isinstance(monitor.value, cst.SimpleString) and literal_str(monitor.value) in KEYS:
            yield _rename_key(src, monitor.value, message + " (a callback monitoring 'val_acc' never triggers)")
        if path[1] == "callbacks.ModelCheckpoint":
            arg = argument(call, "filepath", 0)
            name = path_literal(src, arg.value) if arg is not None else None
            value = literal_str(name) if name is not None else None
            if name is not None and value is not None and _FIELD.search(value):
                new = _FIELD.sub(_field, value)
                yield Found(
                    src.migration(name, KIND, RULE, message + " (a {val_acc} field of the file name raises a KeyError)",
                                  "safe", f"format the file name with {new!r}"),
                    (Replace(name, _rename_fields),),
                )


def _rename_fields(node: cst.SimpleString) -> cst.SimpleString:
    """The literal as other rules left it (its suffix may be renamed too), with its {acc…} fields renamed."""
    return same_string(node, _FIELD.sub(_field, literal_str(node) or ""))


def _field(match: re.Match[str]) -> str:
    return "{" + KEYS[match.group(1)] + match.group(2)


def _history_keys(src: Source) -> Iterator[cst.SimpleString]:
    """``'acc'`` literals indexing a History's dict: ``h.history['acc']``, or ``d['acc']`` with ``d = h.history``."""
    histories = {name for name, values in src.assignments.items() if any(_is_history(v) for v in values)}
    for node in src.positions:
        if not isinstance(node, cst.Subscript) or len(node.slice) != 1:
            continue
        index = node.slice[0].slice
        if not isinstance(index, cst.Index) or not isinstance(index.value, cst.SimpleString):
            continue
        if literal_str(index.value) not in KEYS:
            continue
        if _is_history(node.value) or (isinstance(node.value, cst.Name) and node.value.value in histories):
            yield index.value


def _is_history(expr: cst.BaseExpression) -> bool:
    return isinstance(expr, cst.Attribute) and expr.attr.value == "history"


def _rename_key(src: Source, node: cst.SimpleString, message: str) -> Found:
    old = literal_str(node) or ""
    new = KEYS[old]
    return Found(
        src.migration(node, KIND, RULE, message, "safe", f"use {new!r}"),
        (Replace(node, lambda n: same_string(n, new)),),
    )
