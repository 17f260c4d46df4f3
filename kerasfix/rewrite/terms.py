"""Whether a written fix kept the user's own terms: no number where the script had a name or an expression.

A fix that writes ``Dense(4)`` over ``Dense(args.num_classes)`` repairs today's run and leaves the flag
doing nothing (issue 14). ``literal_over_expression`` compares a script before and after a rewrite and lists
every size-bearing argument (units, shapes, class counts) whose expression became a bare number. The
fixtures' test holds every intended repair to it, and ``bench/repair_rate.py`` reports the share of written
fixes that pass it.
"""

from __future__ import annotations

import ast
import difflib
from collections.abc import Iterator

#: Keyword arguments that carry a size: a number there is a unit count or a shape.
SIZE_KEYWORDS = frozenset({
    "units", "shape", "input_shape", "batch_shape", "input_dim", "output_dim", "target_shape", "num_classes",
    "filters", "input_length",
})
#: Positional slots that carry a size, by the callee's last name.
SIZE_POSITIONS: dict[str, tuple[int, ...]] = {
    "Dense": (0,), "Input": (0,), "Reshape": (0,), "Embedding": (0, 1), "Conv1D": (0,), "Conv2D": (0,),
    "Conv3D": (0,), "LSTM": (0,), "GRU": (0,), "SimpleRNN": (0,), "to_categorical": (1,),
}


def literal_over_expression(before: str, after: str) -> list[str]:
    """Each size argument that was an expression in ``before`` and is a bare number in ``after``, as a sentence.

    Calls are paired through the line alignment of the two texts (a call on an unchanged or edited line is
    the same call); a call ``after`` adds has nothing to compare with and is not judged.
    """
    old_calls = dict(_size_slots(before))
    lines = _line_map(before, after)
    problems: list[tuple[int, str]] = []
    for (line, callee, slot), value in _size_slots(after):
        for old_line in lines.get(line, ()):
            old = old_calls.get((old_line, callee, slot))
            if old is not None and _is_number(value) and not _is_number(old):
                problems.append((line, f"line {line}: {callee}(…) {slot}: `{ast.unparse(old)}` became `{ast.unparse(value)}`"))
    return [text for _, text in sorted(problems)]


def named_sizes(text: str) -> list[str]:
    """The size arguments ``text`` writes as a name or an expression (what a fix could lose), as ``Dense(…) units: n``."""
    return [f"line {line}: {callee}(…) {slot}: `{ast.unparse(value)}`"
            for (line, callee, slot), value in sorted(_size_slots(text), key=lambda t: t[0]) if not _is_number(value)]


def _size_slots(text: str) -> Iterator[tuple[tuple[int, str, str], ast.expr]]:
    for node in ast.walk(ast.parse(text)):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        callee = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
        for i in SIZE_POSITIONS.get(callee, ()):
            if i < len(node.args) and not isinstance(node.args[i], ast.Starred):
                yield (node.lineno, callee, f"argument {i + 1}"), node.args[i]
        for kw in node.keywords:
            if kw.arg in SIZE_KEYWORDS:
                yield (node.lineno, callee, kw.arg), kw.value


def _is_number(node: ast.expr) -> bool:
    """An int, ``None`` inside a shape, or a tuple/list of those: what a written literal size looks like."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, int) and not isinstance(node.value, bool)
    if isinstance(node, (ast.Tuple, ast.List)):
        return bool(node.elts) and all(
            _is_number(e) or (isinstance(e, ast.Constant) and e.value is None) for e in node.elts)
    return False


def _line_map(before: str, after: str) -> dict[int, tuple[int, ...]]:
    """For each line of ``after`` (1-based), the lines of ``before`` it stands for: the same line, or the
    lines of the block it replaced."""
    a, b = before.splitlines(), after.splitlines()
    mapping: dict[int, tuple[int, ...]] = {}
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            for k in range(j2 - j1):
                mapping[j1 + k + 1] = (i1 + k + 1,)
        elif tag == "replace":
            for j in range(j1, j2):
                mapping[j + 1] = tuple(range(i1 + 1, i2 + 1))
    return mapping


__all__ = ["literal_over_expression", "named_sizes"]
