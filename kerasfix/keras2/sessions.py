"""TF 1 sessions in Keras scripts: ``tf.Session``/``tf.ConfigProto`` and Keras's ``set_session``.

``tf.Session``, ``tf.ConfigProto``, ``tf.GPUOptions`` and ``tf.InteractiveSession``
left the top of TensorFlow 2 and live on as ``tf.compat.v1.*``: the same objects,
so the rename is ``safe``. Keras 3 has no session to set: a ``set_session(sess)``
statement (from the removed ``keras.backend.tensorflow_backend``, or
``keras.backend``) is removed together with its import; ``review``, because what
the session configured (GPU memory growth, thread counts) no longer applies — the
replacement names ``tf.config`` for that.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import libcst as cst
from libcst.helpers import get_full_name_for_node

from kerasfix.keras2.edits import Edit, Found, Replace
from kerasfix.keras2.names import split_keras
from kerasfix.keras2.source import Source

KIND = "keras2_api"

#: TF 1 names that moved to ``tf.compat.v1``.
TF1_NAMES = frozenset({"Session", "ConfigProto", "GPUOptions", "InteractiveSession"})
_SET_SESSION = ("backend.tensorflow_backend.set_session", "backend.set_session")
_TF_BACKEND = "backend.tensorflow_backend"


def find(src: Source) -> Iterator[Found]:
    for node in src.attributes:
        if node.attr.value in TF1_NAMES and src.qualified(node) == f"tensorflow.{node.attr.value}":
            compat = cst.parse_expression(f"{_code(node.value)}.compat.v1")
            yield Found(
                src.migration(
                    node, KIND, "tf1_session", f"`tf.{node.attr.value}` is TensorFlow 1 API: TensorFlow 2 keeps it as "
                    f"`tf.compat.v1.{node.attr.value}`", "safe", f"use {_code(node.value)}.compat.v1.{node.attr.value}",
                ),
                (Replace(node.value, _constant(compat)),),
            )


def _constant(expr: cst.BaseExpression) -> Callable[[cst.CSTNode], cst.BaseExpression]:
    return lambda _node: expr


def _code(node: cst.CSTNode) -> str:
    return cst.Module(body=[]).code_for_node(node)


def _statement(src: Source, call: cst.Call) -> cst.SimpleStatementLine | None:
    """The line ``call`` is alone on as an expression statement, when removing it leaves its block non-empty."""
    expr = src.parent(call)
    line = src.parent(expr) if isinstance(expr, cst.Expr) else None
    if not isinstance(line, cst.SimpleStatementLine) or len(line.body) != 1:
        return None
    block = src.parent(line)
    body = getattr(block, "body", None)
    if not isinstance(body, (list, tuple)) or len(body) < 2:
        return None
    return line


def set_session_removal(src: Source, node: cst.ImportFrom) -> tuple[Edit, ...] | None:
    """Edits that remove ``from keras.backend.tensorflow_backend import set_session`` and every
    ``set_session(…)`` statement; None if the import brings anything else or a use is not a lone statement."""
    if isinstance(node.names, cst.ImportStar):
        return None
    names = [alias for alias in node.names]
    if any(get_full_name_for_node(a.name) != "set_session" for a in names):
        return None
    line = src.parent(node)
    if not isinstance(line, cst.SimpleStatementLine) or len(line.body) != 1:
        return None
    edits: list[Edit] = [Replace(line, lambda _n: cst.RemovalSentinel.REMOVE)]
    local = names[0].asname.name.value if names[0].asname is not None and isinstance(names[0].asname.name, cst.Name) else "set_session"
    uses = 0
    for call in src.calls:
        if not (isinstance(call.func, cst.Name) and call.func.value == local):
            continue
        path = src.keras_path(call.func)
        if path is None or path[1] not in _SET_SESSION:
            continue
        statement = _statement(src, call)
        if statement is None:
            return None
        edits.append(Replace(statement, lambda _n: cst.RemovalSentinel.REMOVE))
        uses += 1
    # Any other mention of the name (passed around, aliased): not ours to remove.
    mentions = sum(1 for n in src.positions if isinstance(n, cst.Name) and n.value == local and not _inside(src, n, node))
    if mentions != uses:
        return None
    return tuple(edits)


def _inside(src: Source, node: cst.CSTNode, ancestor: cst.CSTNode) -> bool:
    current: cst.CSTNode | None = node
    while current is not None:
        if current is ancestor:
            return True
        current = src.parent(current)
    return False


def is_tf_backend(module: str) -> bool:
    split = split_keras(module)
    return split is not None and split[1] == _TF_BACKEND
