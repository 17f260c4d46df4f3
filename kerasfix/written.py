"""How the user wrote a layer: its constructor call, read from the source it ran from, shortened for a message.

Capture records it when a layer is made (``Layer.__new__``), from the lines it
already reads for origins; ``structure_of`` then tells apart the layers one
call made several times. Messages name layers by it (``LayerRef.describe``):
``the Dense(5) at line 14``, not Keras's automatic ``dense_1``, which the user
never wrote.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Sequence

from kerasfix.types import Origin, Written

#: Keyword arguments that do not tell layers apart: never the one shown.
_QUIET = frozenset({"name", "dtype", "trainable"})
#: The longest argument shown as written; a longer one is ``…``.
_LONGEST = 24
#: Positional arguments shown at most: ``Conv2D(32, (3, 3), …)``.
_LEADING = 2

#: The line ``notebook_to_script`` puts before each code cell of a notebook.
_CELL_MARKER = re.compile(r"# %% kerasfix cell \d+ \S+$")


def written_call(lines: Sequence[str], origin: Origin) -> Written | None:
    """The constructor call at ``origin`` in ``lines``, as ``Dense(5)``; None when it is not a call.

    The class is its bare name as written (``layers.Dense`` → ``Dense``), with
    the leading positional arguments as written, or else the first keyword
    argument that tells layers apart; the rest is left out (the line tells the layer apart).
    """
    text = _text(lines, origin)
    try:
        tree = ast.parse(text.strip(), mode="eval") if text else None
    except SyntaxError:
        return None
    call = tree.body if tree is not None else None
    if not isinstance(call, ast.Call):
        return None
    source = text.strip()
    callee = call.func
    if isinstance(callee, ast.Attribute):
        head = callee.attr
    elif isinstance(callee, ast.Name):
        head = callee.id
    else:
        return None
    args: list[str] = [_short(source, a) for a in call.args[:_LEADING]]
    keywords = [k for k in call.keywords if k.arg is not None and k.arg not in _QUIET]
    if not args and keywords:
        args.append(f"{keywords[0].arg}={_short(source, keywords[0].value)}")
    if not args and _unpacked(call):
        args.append("…")  # ``Dense(**cfg)`` is not ``Dense()``
    named = any(k.arg == "name" for k in call.keywords)
    cell, line = cell_line(lines, origin.line)
    return Written(f"{head}({', '.join(args)})", line, cell, named)


def cell_line(lines: Sequence[str], line: int) -> tuple[int | None, int]:
    """Where a line of a script is seen: ``(None, line)``; in a notebook's joined script (cells after
    markers), ``(code cell number, line in the cell)``: the k-th marker begins the k-th code cell."""
    cell, start = None, 0
    for i in range(min(line, len(lines))):
        if _CELL_MARKER.match(lines[i]):
            cell, start = (cell or 0) + 1, i + 1
    return (cell, line - start) if cell is not None else (None, line)


def _text(lines: Sequence[str], origin: Origin) -> str:
    if not 1 <= origin.line <= origin.end_line <= len(lines):
        return ""
    if origin.line == origin.end_line:
        return lines[origin.line - 1][origin.column:origin.end_column]
    first = lines[origin.line - 1][origin.column:]
    middle = lines[origin.line:origin.end_line - 1]
    last = lines[origin.end_line - 1][:origin.end_column]
    return "\n".join([first, *middle, last])


def _short(source: str, node: ast.expr) -> str:
    """An argument as written, on one line, or ``…`` when it is too long to help."""
    segment = ast.get_source_segment(source, node) or "…"
    segment = " ".join(segment.split())
    return segment if len(segment) <= _LONGEST else "…"


def _unpacked(call: ast.Call) -> bool:
    return any(k.arg is None for k in call.keywords)


__all__ = ["cell_line", "written_call"]
