"""Reading calls: arguments by keyword or position, method receivers, literal values."""

from __future__ import annotations

import ast
from typing import Any

import libcst as cst

from kerasfix.keras2.source import code_of


def keyword(call: cst.Call, name: str) -> cst.Arg | None:
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == name:
            return arg
    return None


def positionals(call: cst.Call) -> list[cst.Arg]:
    """The plain positional arguments (stops at ``*args``: what follows has no known position)."""
    found: list[cst.Arg] = []
    for arg in call.args:
        if arg.keyword is not None or arg.star:
            break
        found.append(arg)
    return found


def has_star(call: cst.Call) -> bool:
    return any(arg.star for arg in call.args)


def argument(call: cst.Call, name: str, position: int | None) -> cst.Arg | None:
    """The argument ``name`` given by keyword, or at ``position``."""
    found = keyword(call, name)
    if found is None and position is not None:
        args = positionals(call)
        if position < len(args):
            return args[position]
    return found


def method(call: cst.Call) -> tuple[cst.BaseExpression, str] | None:
    """``(receiver, name)`` for ``receiver.name(...)``."""
    if isinstance(call.func, cst.Attribute):
        return call.func.value, call.func.attr.value
    return None


def literal(expr: cst.BaseExpression) -> tuple[bool, Any]:
    """``(True, value)`` for a Python literal, else ``(False, None)``."""
    if isinstance(expr, (cst.FormattedString, cst.ConcatenatedString)):
        return False, None
    try:
        return True, ast.literal_eval(code_of(expr).strip())
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return False, None


def literal_str(expr: cst.BaseExpression) -> str | None:
    if not isinstance(expr, cst.SimpleString):
        return None
    ok, value = literal(expr)
    return value if ok and isinstance(value, str) else None


def literal_int(expr: cst.BaseExpression) -> int | None:
    ok, value = literal(expr)
    return value if ok and type(value) is int else None


def same_string(node: cst.SimpleString, value: str) -> cst.SimpleString:
    """A string literal with ``value``, written with the prefix and quotes of ``node``."""
    quote = node.quote
    escaped = value.replace("\\", "\\\\").replace(quote[0], "\\" + quote[0]) if "r" not in node.prefix.lower() else value
    return node.with_changes(value=f"{node.prefix}{quote}{escaped}{quote}")
