"""Turning edit values into CST nodes, and recognising nodes we would have written."""

from __future__ import annotations

import ast
from collections.abc import Callable
from typing import Any

import libcst as cst

from kerasfix.types import LayerSpec, LiteralValue, render_literal

_EMPTY = cst.Module(body=[])
_PLACEHOLDER = "__kerasfix_expr__"

#: Rewrites an expression into a new one (``x`` → ``x.astype("float32")``).
Template = Callable[[cst.BaseExpression], cst.BaseExpression]

#: Expressions that can take ``.attr`` without parentheses.
_ATOMS = (
    cst.Name,
    cst.Attribute,
    cst.Call,
    cst.Subscript,
    cst.List,
    cst.Dict,
    cst.Set,
    cst.ListComp,
    cst.SetComp,
    cst.DictComp,
    cst.GeneratorExp,
    cst.SimpleString,
    cst.FormattedString,
)


def code_of(node: cst.CSTNode) -> str:
    """Source text of a node, detached from any module."""
    return _EMPTY.code_for_node(node)


def literal_expr(value: LiteralValue) -> cst.BaseExpression:
    """The literal as an expression node, rendered as ``render_literal`` writes it."""
    return cst.parse_expression(render_literal(value))


def _normalise(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return tuple(_normalise(v) for v in value)
    return value


def literal_value(expr: cst.BaseExpression) -> tuple[bool, Any]:
    """``(True, value)`` if ``expr`` is a Python literal (lists read as tuples), else ``(False, None)``."""
    try:
        return True, _normalise(ast.literal_eval(code_of(expr).strip()))
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return False, None


def same_literal(a: Any, b: Any) -> bool:
    """Equal values of equal types (``True`` is not ``1``, ``1`` is not ``1.0``)."""
    if isinstance(a, tuple) and isinstance(b, tuple):
        return len(a) == len(b) and all(same_literal(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and bool(a == b)


def has_literal(expr: cst.BaseExpression, value: LiteralValue) -> bool:
    """Whether ``expr`` already is the literal ``value``."""
    ok, current = literal_value(expr)
    return ok and same_literal(current, _normalise(value))


def same_code(a: cst.CSTNode, b: cst.CSTNode) -> bool:
    """Whether two expressions or statements are the same Python, whatever their formatting."""
    return _ast_key(a) == _ast_key(b)


def _ast_key(node: cst.CSTNode) -> str:
    text = code_of(node).strip()
    try:
        if isinstance(node, cst.BaseExpression):
            return ast.dump(ast.parse(f"({text})", mode="eval"))
        return ast.dump(ast.parse(text))
    except SyntaxError:
        return text


def callee_name(func: cst.BaseExpression) -> str | None:
    """The last name of a callee: ``Dense`` for ``tf.keras.layers.Dense``."""
    if isinstance(func, cst.Name):
        return func.value
    if isinstance(func, cst.Attribute):
        return func.attr.value
    return None


def layer_call(callee: str, spec: LayerSpec) -> cst.Call:
    """``callee(k=v, ...)`` for a layer spec, values rendered as literals."""
    args = ", ".join(f"{k}={render_literal(v)}" for k, v in spec.kwargs)
    return cst.ensure_type(cst.parse_expression(f"{callee}({args})"), cst.Call)


def _keyword_literals(call: cst.Call) -> dict[str, Any] | None:
    found: dict[str, Any] = {}
    for arg in call.args:
        if arg.keyword is None or arg.star:
            return None
        ok, value = literal_value(arg.value)
        if not ok:
            return None
        found[arg.keyword.value] = value
    return found


def is_layer_call(
    expr: cst.BaseExpression,
    spec: LayerSpec,
    class_of: Callable[[cst.BaseExpression], str | None] = callee_name,
) -> bool:
    """Whether ``expr`` already constructs ``spec`` (same class, same keyword literals).

    ``class_of`` tells the class a callee names (to see through import aliases).
    """
    if not isinstance(expr, cst.Call):
        return False
    name = class_of(expr.func)
    if spec.class_name == "Input":
        if name not in ("Input", "InputLayer"):
            return False
        wanted = dict(spec.kwargs).get("shape")
        shape = input_shape_arg(expr)
        return shape is not None and has_literal(shape, wanted)
    if name != spec.class_name:
        return False
    current = _keyword_literals(expr)
    wanted_kwargs = {k: _normalise(v) for k, v in spec.kwargs}
    return (
        current is not None
        and current.keys() == wanted_kwargs.keys()
        and all(same_literal(current[k], wanted_kwargs[k]) for k in current)
    )


def input_shape_arg(call: cst.Call) -> cst.BaseExpression | None:
    """The ``shape`` given to ``Input(...)``: first positional or ``shape=``."""
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == "shape":
            return arg.value
    if call.args and call.args[0].keyword is None and not call.args[0].star:
        return call.args[0].value
    return None


def parenthesize(expr: cst.BaseExpression) -> cst.BaseExpression:
    """``expr`` made safe to take an attribute of (``a + b`` → ``(a + b)``)."""
    if isinstance(expr, _ATOMS) or expr.lpar:
        return expr
    return expr.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])


def template(text: str) -> Template:
    """A template from source with ``{E}`` where the expression goes: ``"{E}.astype('f')"``."""
    as_receiver = "{E}." in text
    source = text.replace("{E}", _PLACEHOLDER)

    def apply(expr: cst.BaseExpression) -> cst.BaseExpression:
        # Parsed afresh each time so no two places in a tree share a node.
        parsed = cst.parse_expression(source)
        inner = parenthesize(expr) if as_receiver else expr
        placeholder = _find_placeholder(parsed)
        replaced = parsed.deep_replace(placeholder, inner)
        assert isinstance(replaced, cst.BaseExpression)
        return replaced

    return apply


def _find_placeholder(tree: cst.CSTNode) -> cst.Name:
    found: list[cst.Name] = []

    class _Find(cst.CSTVisitor):
        def visit_Name(self, node: cst.Name) -> None:
            if node.value == _PLACEHOLDER:
                found.append(node)

    tree.visit(_Find())
    return found[0]


#: Methods and functions whose first operand is the data our templates wrap.
_RECEIVER_METHODS = frozenset({"astype", "argmax", "reshape"})
_ARGUMENT_FUNCTIONS = frozenset({"fit_transform", "transform", "expand_dims", "to_categorical", "array", "moveaxis"})


def unwrap(expr: cst.BaseExpression) -> cst.BaseExpression | None:
    """The data inside one of our wrappers (``x`` in ``x.astype(...)``), or None."""
    if isinstance(expr, cst.Attribute) and expr.attr.value == "T":
        return expr.value
    if isinstance(expr, cst.Call):
        if isinstance(expr.func, cst.Attribute) and expr.func.attr.value in _RECEIVER_METHODS:
            return expr.func.value
        if callee_name(expr.func) in _ARGUMENT_FUNCTIONS and expr.args:
            return expr.args[0].value
    return None


def is_wrapped(expr: cst.BaseExpression, wrap: Template) -> bool:
    """Whether ``wrap`` is already one of the layers of wrappers around ``expr``'s data."""
    current: cst.BaseExpression | None = expr
    while current is not None:
        inner = unwrap(current)
        if inner is not None and same_code(wrap(inner), current):
            return True
        current = inner
    return False


def base_of(expr: cst.BaseExpression) -> cst.BaseExpression:
    """The data under all our wrappers: ``x`` for ``np.expand_dims(x.astype("f"), -1)``."""
    while (inner := unwrap(expr)) is not None:
        expr = inner
    return expr
