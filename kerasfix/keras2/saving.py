"""``keras2_saving``: file names Keras 3 refuses to save to, and ``ModelCheckpoint(period=)``.

Every rewrite is ``review``: it changes the file the script writes. A literal
path renamed where it is saved is renamed where this file loads it again
(``load_weights``/``load_model`` with the same literal), so the script keeps
reading what it wrote.
"""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

from kerasfix.keras2.calls import argument, keyword, literal, literal_str, method, same_string
from kerasfix.keras2.edits import Edit, Found, Replace, drop_keyword
from kerasfix.keras2.source import Receiver, Source

KIND = "keras2_saving"

_LEGACY_SUFFIXES = (".weights.h5", ".hdf5", ".h5", ".keras", ".tf")


def _stem(path: str) -> str:
    for suffix in _LEGACY_SUFFIXES:
        if path.endswith(suffix):
            return path[: -len(suffix)]
    return path.rstrip("/\\")


def weights_path(path: str) -> str:
    return _stem(path) + ".weights.h5"


def model_path(path: str) -> str:
    return _stem(path) + ".keras"


def find(src: Source) -> Iterator[Found]:
    for call in src.calls:
        found = method(call)
        if found is not None and found[1] == "save_weights" and src.receiver(found[0]) is not Receiver.OTHER:
            yield from _save_weights(src, call)
        elif found is not None and found[1] == "save" and src.receiver(found[0]) is Receiver.KERAS:
            yield from _save_model(src, call, argument(call, "filepath", 0))
        elif src.is_keras(call, ("models.save_model", "saving.save_model")):
            yield from _save_model(src, call, argument(call, "filepath", 1))
        elif src.is_keras(call, ("callbacks.ModelCheckpoint",)):
            yield from _checkpoint(src, call)


def path_literal(src: Source, expr: cst.BaseExpression, depth: int = 0) -> cst.SimpleString | None:
    """The string literal that ends the path ``expr`` evaluates to, when the file shows it.

    A literal itself; a name assigned once (``path = os.path.join(d, "w.h5")``); the last part of
    ``os.path.join``/``pathlib`` ``/``/``+``; the template of ``"….h5".format(…)``. Only the suffix of that
    literal decides what Keras 3 accepts, so it is the one to rename.
    """
    if depth > 3:
        return None
    if isinstance(expr, cst.SimpleString):
        return expr if literal_str(expr) is not None else None
    if isinstance(expr, cst.Name):
        values = src.assignments.get(expr.value, [])
        return path_literal(src, values[0], depth + 1) if len(values) == 1 else None
    if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, (cst.Add, cst.Divide)):
        return path_literal(src, expr.right, depth + 1)
    if isinstance(expr, cst.Call):
        if src.qualified(expr.func) in ("os.path.join", "posixpath.join", "ntpath.join") and expr.args and not any(
            a.star or a.keyword is not None for a in expr.args
        ):
            return path_literal(src, expr.args[-1].value, depth + 1)
        found = method(expr)
        if found is not None and found[1] == "format" and isinstance(found[0], cst.SimpleString):
            return path_literal(src, found[0], depth + 1)
    return None


def _path(src: Source, arg: cst.Arg | None) -> tuple[cst.SimpleString, str] | None:
    node = path_literal(src, arg.value) if arg is not None else None
    value = literal_str(node) if node is not None else None
    return None if node is None or value is None else (node, value)


def _save_weights(src: Source, call: cst.Call) -> Iterator[Found]:
    arg = argument(call, "filepath", 0)
    found = _path(src, arg)
    if arg is None or found is None or found[1].endswith(".weights.h5"):
        return
    node, path = found
    new = weights_path(path)
    yield _renamed(
        src, arg, node, "save_weights_suffix", f"Keras 3 saves weights only to a file ending in `.weights.h5` (not {path!r})",
        path, new, ("load_weights",),
    )


def _save_model(src: Source, call: cst.Call, arg: cst.Arg | None) -> Iterator[Found]:
    found = _path(src, arg)
    if arg is None or found is None or found[1].endswith((".keras", ".h5")):
        return
    node, path = found
    new = model_path(path)
    extra: tuple[Edit, ...] = ()
    if keyword(call, "save_format") is not None:
        extra = (drop_keyword(call, "save_format"),)
    yield _renamed(
        src, arg, node, "save_model_suffix",
        f"Keras 3 saves a model only to a `.keras` (or legacy `.h5`) file, not to {path!r} (a SavedModel is `model.export`)",
        path, new, ("load_model",), extra,
    )


def _checkpoint(src: Source, call: cst.Call) -> Iterator[Found]:
    arg = argument(call, "filepath", 0)
    found = _path(src, arg)
    weights_only = argument(call, "save_weights_only", 4)
    known, only = (True, False) if weights_only is None else literal(weights_only.value)
    if arg is not None and found is not None and known:
        node, path = found
        if only and not path.endswith(".weights.h5"):
            yield _renamed(
                src, arg, node, "checkpoint_suffix",
                "with `save_weights_only=True`, Keras 3's ModelCheckpoint needs a `.weights.h5` file name",
                path, weights_path(path), ("load_weights",),
            )
        elif not only and not path.endswith((".keras", ".h5")):
            yield _renamed(
                src, arg, node, "checkpoint_suffix", "Keras 3's ModelCheckpoint saves whole models only to `.keras` (or `.h5`) files",
                path, model_path(path), ("load_model",),
            )
    period = keyword(call, "period")
    if period is not None:
        message = "`period=` was removed from ModelCheckpoint in Keras 3 (it saves every epoch by default)"
        if literal(period.value) == (True, 1):
            yield Found(src.migration(period, KIND, "checkpoint_period", message, "review", "remove period=1"), (drop_keyword(call, "period"),))
        else:
            yield Found(
                src.migration(period, KIND, "checkpoint_period", message, "display", "save_freq=N * steps_per_epoch (save_freq counts batches)")
            )


def _renamed(
    src: Source,
    arg: cst.Arg,
    node: cst.SimpleString,
    rule: str,
    message: str,
    old: str,
    new: str,
    loaders: tuple[str, ...],
    extra: tuple[Edit, ...] = (),
) -> Found:
    convert = weights_path if new.endswith(".weights.h5") else model_path
    # Converts the literal as other rules left it (a checkpoint name's {val_acc} field may be renamed too).
    edits: list[Edit] = [Replace(node, lambda n: same_string(n, convert(literal_str(n) or old))), *extra]
    if node is not arg.value:
        # The literal is written elsewhere (a variable, os.path.join): the name stays, its value's suffix changes.
        message += f" (the path is built from {node.value} at line {src.start(node)[0]})"
        return Found(src.migration(arg, KIND, rule, message, "review", f"save to {new!r} instead of {old!r}"), tuple(edits))
    for call in src.calls:
        found = method(call)
        name = found[1] if found is not None else None
        if name in loaders or (name is None and "load_model" in loaders and src.is_keras(call, ("models.load_model", "saving.load_model"))):
            loaded = argument(call, "filepath", 0)
            if loaded is not None and literal_str(loaded.value) == old:
                edits.append(_set_string(loaded.value, new))
    also = " (and where this file loads it)" if len(edits) > 1 + len(extra) else ""
    return Found(src.migration(arg, KIND, rule, message, "review", f"save to {new!r} instead of {old!r}{also}"), tuple(edits))


def _set_string(node: cst.BaseExpression, value: str) -> Replace:
    assert isinstance(node, cst.SimpleString)
    return Replace(node, lambda n: same_string(n, value))
