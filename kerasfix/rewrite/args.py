"""Changing one argument of a call (a layer constructor or ``compile``)."""

from __future__ import annotations

import libcst as cst

from kerasfix.rewrite.errors import RewriteError
from kerasfix.rewrite.render import has_literal, literal_expr, same_code
from kerasfix.rewrite.seq import Carried, Seq
from kerasfix.types import LiteralValue, render_literal

#: Declarations of a layer's input other than ``Input``.
_DECLARATIONS = ("input_shape", "input_dim", "batch_input_shape")


def keyword_index(seq: Seq[cst.Arg], name: str) -> int | None:
    """Index of the keyword argument ``name``, if given."""
    for i, arg in enumerate(seq.items):
        if arg.keyword is not None and arg.keyword.value == name:
            return i
    return None


def positional_index(seq: Seq[cst.Arg], position: int) -> int | None:
    """Index of the ``position``-th positional argument, if given."""
    for i, arg in enumerate(seq.items):
        if arg.star == "*":
            raise RewriteError(f"Cannot tell which argument is at position {position}, because *args comes first.")
        if arg.keyword is not None or arg.star == "**":
            return None
        # Positional arguments come first, so the item index is the position.
        if i == position:
            return i
    return None


def _replace(seq: Seq[cst.Arg], index: int, value: LiteralValue, keyword: str | None = None,
             code: str | None = None) -> bool:
    arg = seq.items[index]
    new = cst.parse_expression(code) if code is not None else literal_expr(value)
    if keyword is None and (same_code(arg.value, new) if code is not None else has_literal(arg.value, value)):
        return False
    changes: dict[str, object] = {"value": new}
    if keyword is not None:
        changes["keyword"] = cst.Name(keyword)
    seq.items[index] = arg.with_changes(**changes)
    return True


def _append_keyword(seq: Seq[cst.Arg], name: str, value: LiteralValue, code: str | None = None) -> bool:
    if any(arg.star == "**" for arg in seq.items):
        raise RewriteError(
            f"Cannot add {name}={render_literal(value)} to a call that passes **kwargs, which may set it."
        )
    # Reuse the call's own ``k=v`` / ``k = v`` spacing.
    equal = next((a.equal for a in seq.items if isinstance(a.equal, cst.AssignEqual)), None)
    if equal is None:
        equal = cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace(""))
    new = cst.parse_expression(code) if code is not None else literal_expr(value)
    arg = cst.Arg(value=new, keyword=cst.Name(name), equal=equal.deep_clone())
    seq.insert(len(seq.items), Carried(arg))
    return True


def set_argument(seq: Seq[cst.Arg], name: str, value: LiteralValue, position: int | None = None,
                 code: str | None = None) -> bool:
    """Replace the positional argument at ``position`` or keyword ``name``, else append ``name=value``.

    ``code``, when given, is the source to write instead of the literal (an expression).
    """
    index = positional_index(seq, position) if position is not None else None
    if index is None:
        index = keyword_index(seq, name)
    if index is not None:
        return _replace(seq, index, value, code=code)
    return _append_keyword(seq, name, value, code)


def remove_argument(seq: Seq[cst.Arg], name: str, position: int | None = None) -> bool:
    """Drop keyword ``name``, or the last positional argument when it is at ``position``."""
    index = keyword_index(seq, name)
    if index is None and position is not None:
        index = positional_index(seq, position)
        if index is not None and positional_index(seq, position + 1) is not None:
            raise RewriteError(
                f"Cannot remove {name} (positional argument {position}) without shifting the arguments after it."
            )
    if index is None:
        return False
    seq.remove(index)
    return True


def set_input_layer_shape(seq: Seq[cst.Arg], shape: tuple[int | None, ...]) -> bool:
    """Set the shape of an ``Input(...)``: ``shape=``/first positional, or ``batch_shape=`` becomes ``shape=``."""
    index = keyword_index(seq, "shape")
    if index is None:
        index = positional_index(seq, 0)
    if index is None:
        index = keyword_index(seq, "input_shape")
    if index is not None:
        return _replace(seq, index, shape)
    index = keyword_index(seq, "batch_shape")
    if index is not None:
        return _replace(seq, index, shape, keyword="shape")
    return _append_keyword(seq, "shape", shape)


def has_declaration(call: cst.Call) -> bool:
    """Whether a layer call declares its input with ``input_shape=`` and the like."""
    return any(arg.keyword is not None and arg.keyword.value in _DECLARATIONS for arg in call.args)


def set_declared_input_shape(seq: Seq[cst.Arg], shape: tuple[int | None, ...]) -> bool:
    """Fix ``input_shape=``/``input_dim=``/``batch_input_shape=`` on a layer to declare ``shape``."""
    index = keyword_index(seq, "input_shape")
    if index is not None:
        return _replace(seq, index, shape)
    index = keyword_index(seq, "input_dim")
    if index is not None:
        if len(shape) == 1:
            return _replace(seq, index, shape[0])
        return _replace(seq, index, shape, keyword="input_shape")
    index = keyword_index(seq, "batch_input_shape")
    if index is not None:
        return _replace(seq, index, shape, keyword="input_shape")
    raise RewriteError("The layer no longer declares an input shape to change.")
