"""Jupyter notebooks: join the code cells into one script, and map a rewritten script back.

nbQA's approach. ``notebook_to_script`` joins the code cells of a notebook
into one Python script that kerasfix can capture and rewrite like any file:

* each code cell is preceded by a marker comment line (``# %% kerasfix cell N
  <nonce>``), so every line of the rewritten script can be attributed to the
  cell whose marker precedes it — even a line inserted at a cell boundary;
* IPython syntax (``%magic``, ``!shell``, ``%%cell magic``, ``x = !cmd``,
  ``obj?``) is replaced line for line by a comment (or ``pass  # …`` where it
  is indented) carrying a unique token, so line numbers are unchanged, the
  script parses, and nothing of it runs during capture;
* every script line remembers its cell and its line within the cell
  (``origin_to_cell``).

``script_to_notebook`` splits a rewritten script at the markers, restores the
magics exactly, and replaces the ``source`` of the changed cells only:
outputs, execution counts, ids and metadata are untouched. Imports the
rewriter added above the first marker go into the first code cell, after its
imports. ``dumps`` writes the notebook in its original nbformat version and
JSON style, so an unchanged notebook round-trips byte for byte.

Cells are numbered for people by their place among the *code* cells:
``cell N`` is the N-th code cell, markdown and raw cells not counted. That is
how VS Code counts them, and what JupyterLab shows as ``[N]:`` after Restart &
Run All (JupyterLab numbers nothing else); findings, JSON and diffs all use
it. Internally cells are ``nb.cells`` indices (``CellPart.index``).
"""

from __future__ import annotations

import ast
import copy
import difflib
import hashlib
import json
import re
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import nbformat
from nbformat import NotebookNode

#: Cell magics whose body is ordinary Python: only their first line is hidden.
PYTHON_CELL_MAGICS = frozenset({"time", "timeit", "capture", "prun"})

NotebookInput = bytes | str | NotebookNode


class NotebookError(ValueError):
    """The notebook cannot be read, or a rewritten script cannot be mapped back into it."""


@dataclass(frozen=True)
class NotebookStyle:
    """How the notebook file was serialised, so that it can be written the same way."""

    indent: int | str = 1
    sort_keys: bool = True
    ensure_ascii: bool = False
    final_newline: bool = True
    newline: str = "\n"
    bom: bool = False  # the file began with a UTF-8 byte order mark

    @property
    def is_nbformat_default(self) -> bool:
        return self.indent == 1 and self.sort_keys and not self.ensure_ascii


@dataclass(frozen=True)
class CellPart:
    """One code cell as it appears in the joined script."""

    index: int  # position in ``nb.cells`` (0-based)
    marker_line: int  # 1-based script line of the marker comment
    lines: tuple[str, ...]  # the cell's lines as they appear in the script (magics replaced)
    trailing_newline: bool  # the cell's source ended with "\n"
    magics: tuple[str, ...] = ()  # the tokens of this cell's replaced magic lines


@dataclass(frozen=True)
class JoinedScript:
    """A notebook's code cells as one script, and what is needed to map it back.

    ``lines[k]`` is ``(cell_index, line_in_cell)`` for script line ``k + 1``
    (cell index 0-based into ``notebook.cells``, line 1-based), or ``None`` for
    a marker line.
    """

    script: str
    notebook: NotebookNode
    lines: tuple[tuple[int, int] | None, ...]
    cells: tuple[CellPart, ...]
    magics: Mapping[str, str]  # token → the original line
    nonce: str
    style: NotebookStyle = field(default_factory=NotebookStyle)
    path: str | None = None

    def marker(self, index: int) -> str:
        """The marker comment that precedes the cell at ``nb.cells[index]``."""
        return _marker(index, self.nonce)

    def number(self, index: int) -> int:
        """The number people know the cell at ``nb.cells[index]`` by (see ``code_cell_number``)."""
        return code_cell_number(self.notebook, index)

    def dumps(self, nb: NotebookNode | None = None) -> str:
        """``nb`` (default: the original notebook) serialised like the original file."""
        return dumps(self.notebook if nb is None else nb, self.style)

    def to_bytes(self, nb: NotebookNode | None = None) -> bytes:
        """``dumps`` encoded as the original file was (UTF-8, with its byte order mark if it had one)."""
        return ("\ufeff" if self.style.bom else "").encode("utf-8") + self.dumps(nb).encode("utf-8")


# ---------------------------------------------------------------------------
# Reading and writing notebook files.


def read_notebook(data: bytes | str) -> tuple[NotebookNode, NotebookStyle]:
    """Parse notebook JSON (v4) and detect how it was serialised.

    The notebook is read without nbformat's validation pass, which may repair
    (that is, change) an invalid notebook; ``dumps`` still validates and logs.
    """
    bom = data.startswith(b"\xef\xbb\xbf") if isinstance(data, bytes) else data.startswith("\ufeff")
    text = data.decode("utf-8-sig") if isinstance(data, bytes) else data.removeprefix("\ufeff")
    try:
        nb = nbformat.reader.reads(text)
    except Exception as exc:  # JSON errors, unknown versions: one clear error
        raise NotebookError(f"not a readable Jupyter notebook: {exc}") from exc
    if nb.get("nbformat") != 4 or "cells" not in nb:
        raise NotebookError(
            f"nbformat {nb.get('nbformat')} notebooks are not supported; open and save it in Jupyter to upgrade it to v4"
        )
    return nb, replace(_detect_style(text, nb), bom=bom)


def dumps(nb: NotebookNode, style: NotebookStyle | None = None) -> str:
    """Serialise ``nb`` in its own nbformat version, in ``style`` (Jupyter's by default).

    ``nbformat.writes`` validates (logging problems) and produces Jupyter's
    style: 1-space indent, sorted keys. A notebook saved by another tool is
    re-serialised in its own style, so only the changed cells differ; so is an
    invalid notebook that nbformat's validation would repair (random new cell
    ids), because kerasfix changes only the sources of the cells it fixes.
    """
    style = style or NotebookStyle()
    checked = copy.deepcopy(nb)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # e.g. MissingIDFieldWarning: not the user's concern here
        text = nbformat.writes(checked, version=nbformat.NO_CONVERT)
    if not style.is_nbformat_default or checked != nb:
        text = _plain_dumps(nb, style)
    return _finish(text, style)


def _plain_dumps(nb: NotebookNode, style: NotebookStyle) -> str:
    """What nbformat's v4 JSON writer does, with the style's indent and key order, without validation."""
    from nbformat.v4.rwbase import split_lines, strip_transient

    plain = split_lines(strip_transient(copy.deepcopy(nb)))
    return json.dumps(plain, indent=style.indent, sort_keys=style.sort_keys, separators=(",", ": "),
                      ensure_ascii=style.ensure_ascii)


def _finish(text: str, style: NotebookStyle) -> str:
    if style.final_newline:
        text += "\n"
    if style.newline != "\n":
        # JSON escapes newlines inside strings, so every "\n" here is between tokens.
        text = text.replace("\n", style.newline)
    return text


def _detect_style(text: str, nb: NotebookNode) -> NotebookStyle:
    """The serialisation that reproduces ``text`` exactly, else Jupyter's with the file's indent."""
    newline = "\r\n" if "\r\n" in text else "\n"
    final = text.endswith(("\n", "\r\n"))
    m = re.match(r"\{\r?\n([ \t]+)\"", text)
    indent: int | str = 1
    if m:
        ws = m.group(1)
        indent = len(ws) if set(ws) == {" "} else ws
    for sort_keys in (True, False):
        for ensure_ascii in (False, True):
            style = NotebookStyle(indent, sort_keys, ensure_ascii, final, newline)
            try:
                if _finish(_plain_dumps(nb, style), style) == text:
                    return style
            except Exception:  # an unserialisable oddity: fall through to the default
                break
    return NotebookStyle(indent, True, False, final, newline)


def code_cell_number(nb: NotebookNode, index: int) -> int:
    """1-based place of ``nb.cells[index]`` among the code cells (markdown and raw cells are not counted)."""
    return sum(1 for c in nb.cells[: index + 1] if c.get("cell_type") == "code")


# ---------------------------------------------------------------------------
# Notebook → script.


def _marker(index: int, nonce: str) -> str:
    return f"# %% kerasfix cell {index + 1} {nonce}"


def _magic_token(nonce: str, k: int) -> str:
    return f"kerasfix-magic {nonce}:{k}"


_MAGIC_TOKEN = re.compile(r"kerasfix-magic ([0-9a-f]+):(\d+)")
_LINE_MAGIC = re.compile(r"^\s*(%|!)")
_ASSIGN_MAGIC = re.compile(r"^\s*[A-Za-z_][\w.]*(\s*,\s*[A-Za-z_][\w.]*)*\s*=\s*[%!]")
_HELP = re.compile(r"^\s*(\?{1,2}[A-Za-z_][\w.]*|[A-Za-z_][\w.]*(\(\))?\?{1,2})\s*$")


def _parses(text: str) -> bool:
    try:
        ast.parse(text)
    except (SyntaxError, ValueError):
        return False
    return True


def _is_magic(line: str) -> bool:
    return bool(_LINE_MAGIC.match(line) or _ASSIGN_MAGIC.match(line) or _HELP.match(line))


def _magic_lines(lines: list[str]) -> dict[int, bool]:
    """The lines of one cell that are IPython syntax, not Python: 0-based index → starts a statement.

    A line that starts a statement stands in for one where it is indented (a
    shell line in a loop); continuation lines and the lines of a cell magic
    are only ever comments.
    """
    if _parses("\n".join(lines)):
        # IPython syntax never parses as Python: a cell that parses has none, even if
        # a line starts with "%" (a continued expression, a line of a string).
        return {}
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is not None and lines[first].lstrip().startswith("%%"):
        name = lines[first].lstrip()[2:].split(maxsplit=1)
        if name and name[0] in PYTHON_CELL_MAGICS:
            return {first: False, **dict.fromkeys(_continued(lines, first), False)}
        return dict.fromkeys(range(len(lines)), False)  # %%bash, %%html, %%writefile…: none of it is Python
    found: dict[int, bool] = {}
    for i, line in enumerate(lines):
        if i not in found and _is_magic(line):
            found[i] = True
            found.update(dict.fromkeys(_continued(lines, i), False))
    return found


def _continued(lines: list[str], i: int) -> set[int]:
    """The lines a magic at ``lines[i]`` continues onto with trailing backslashes."""
    out: set[int] = set()
    while lines[i].rstrip().endswith("\\") and i + 1 < len(lines):
        i += 1
        out.add(i)
    return out


def _source(cell: Any) -> str:
    source = cell.get("source", "")
    # A node made from on-disk JSON without nbformat's reader has its lines still split.
    return "".join(source) if isinstance(source, list) else str(source)


def _nonce(nb: NotebookNode) -> str:
    """A short token absent from every cell, stable for the same notebook (stable tests, diffs)."""
    sources = "\n".join(_source(c) for c in nb.cells)
    seed = sources.encode("utf-8", "surrogatepass")
    for salt in range(1000):
        nonce = hashlib.sha1(seed + str(salt).encode()).hexdigest()[:8]
        if nonce not in sources:
            return nonce
    raise NotebookError("could not choose a marker that does not occur in the notebook")


def notebook_to_script(notebook: NotebookInput, path: str | None = None) -> JoinedScript:
    """Join the code cells of ``notebook`` (file bytes/text, or an nbformat node) into one script.

    Markdown and raw cells are skipped; IPython magics and shell lines become
    comments that keep the line numbering. The result remembers where each
    line came from and how to write the notebook back (``script_to_notebook``,
    ``JoinedScript.dumps``). ``path`` is the notebook's path, used by ``map_origin``.
    """
    if isinstance(notebook, (bytes, str)):
        nb, style = read_notebook(notebook)
    else:
        nb, style = copy.deepcopy(notebook), NotebookStyle()
        if nb.get("nbformat") != 4 or "cells" not in nb:
            raise NotebookError("only nbformat 4 notebooks are supported")
    nonce = _nonce(nb)
    out: list[str] = []
    mapping: list[tuple[int, int] | None] = []
    parts: list[CellPart] = []
    magics: dict[str, str] = {}
    for index, cell in enumerate(nb.cells):
        if cell.get("cell_type") != "code":
            continue
        source = _source(cell)
        trailing = source.endswith("\n")
        lines = source.split("\n")
        if trailing or lines == [""]:
            lines.pop()
        hidden = _magic_lines(lines)
        tokens = []
        shown = []
        for i, line in enumerate(lines):
            if i in hidden:
                token = _magic_token(nonce, len(magics))
                magics[token] = line
                tokens.append(token)
                indent = line[: len(line) - len(line.lstrip())]
                if hidden[i] and indent:
                    # An indented comment alone could leave its block empty: use `pass`.
                    shown.append(f"{indent}pass  # {token} {line.strip()}")
                else:
                    shown.append(f"# {token} {line}")
            else:
                shown.append(line)
        out.append(_marker(index, nonce))
        mapping.append(None)
        marker_line = len(out)
        for i, line in enumerate(shown):
            out.append(line)
            mapping.append((index, i + 1))
        parts.append(CellPart(index, marker_line, tuple(shown), trailing, tuple(tokens)))
    script = "".join(line + "\n" for line in out)
    return JoinedScript(script, nb, tuple(mapping), tuple(parts), magics, nonce, style, path)


# ---------------------------------------------------------------------------
# Script lines → cells.


def origin_to_cell(joined: JoinedScript, line: int) -> tuple[int, int]:
    """``(cell_index, line_in_cell)`` of 1-based script ``line``: index into ``nb.cells``, 1-based line.

    Raises ``NotebookError`` for a marker line or a line outside the script.
    """
    if not 1 <= line <= len(joined.lines):
        raise NotebookError(f"line {line} is outside the joined script (1..{len(joined.lines)})")
    where = joined.lines[line - 1]
    if where is None:
        raise NotebookError(f"line {line} is a cell marker, not a line of any cell")
    return where


def map_origin(joined: JoinedScript, origin: Any) -> Any:
    """An ``Origin`` in script coordinates → the same place in the notebook.

    ``path`` becomes the notebook's path, ``line``/``end_line`` lines within
    the cell, and ``cell`` the cell's number among the code cells (1-based).
    Columns are unchanged (cell lines are not re-indented). ``None`` → ``None``.
    """
    if origin is None:
        return None
    cell, line = origin_to_cell(joined, origin.line)
    try:
        end_cell, end_line = origin_to_cell(joined, origin.end_line)
    except NotebookError:
        end_cell, end_line = cell, line
    if end_cell != cell:  # a span cannot cross cells; keep its start
        end_line = line
    return replace(origin, path=joined.path or origin.path, line=line, end_line=end_line, cell=joined.number(cell))


# ---------------------------------------------------------------------------
# Rewritten script → notebook.


def _split(script: str) -> list[str]:
    lines = script.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def _leading_imports_end(lines: list[str]) -> int:
    """How many lines of a cell precede the place for a new import.

    After the cell's leading imports (and docstring, ``__future__``), else
    after its leading comments and hidden magics (``%pip install`` before the
    import it enables).
    """
    text = "\n".join(lines)
    end = 0
    try:
        body = ast.parse(text).body
    except (SyntaxError, ValueError):
        body = []
    for i, stmt in enumerate(body):
        if isinstance(stmt, (ast.Import, ast.ImportFrom)):
            end = stmt.end_lineno or stmt.lineno
        elif i == 0 and isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant) and isinstance(stmt.value.value, str):
            continue
        else:
            break
    if end:
        return end
    for i, line in enumerate(lines):
        if line.strip() and not line.lstrip().startswith("#"):
            return _last_comment_before(lines, i)
    return _last_comment_before(lines, len(lines))


def _last_comment_before(lines: list[str], stop: int) -> int:
    last = 0
    for i in range(stop):
        if lines[i].lstrip().startswith("#"):
            last = i + 1
    return last


def script_to_notebook(joined: JoinedScript, new_script: str) -> NotebookNode:
    """The notebook with ``new_script``'s changes put back into their cells.

    Each line belongs to the cell whose marker precedes it. Only cells whose
    lines changed get a new ``source`` (magics restored exactly); everything
    else — outputs, execution counts, ids, metadata, other cells — is the
    original. Lines before the first marker must be imports; they go into the
    first code cell after its imports. Raises ``NotebookError`` when a change
    cannot be mapped (markers lost or reordered, a magic line removed, moved or
    duplicated, non-import code above the first cell).
    """
    nb = copy.deepcopy(joined.notebook)
    if not joined.cells:
        if new_script.strip():
            raise NotebookError("the notebook has no code cells to put the rewritten script into")
        return nb
    lines = _split(new_script)
    positions: list[int] = []
    for part in joined.cells:
        marker = joined.marker(part.index)
        found = [i for i, line in enumerate(lines) if line == marker]
        if len(found) != 1:
            raise NotebookError(
                f"the rewritten script {'lost' if not found else 'duplicated'} the marker of cell {joined.number(part.index)}")
        positions.append(found[0])
    if positions != sorted(positions):
        raise NotebookError("the rewritten script reordered the notebook's cells")
    chunks = [lines[p + 1: q] for p, q in zip(positions, [*positions[1:], len(lines)], strict=True)]
    preamble = [line for line in lines[: positions[0]] if line.strip()]
    if preamble:
        text = "\n".join(preamble)
        try:
            body = ast.parse(text).body
        except SyntaxError:
            body = []
        if not body or not all(isinstance(s, (ast.Import, ast.ImportFrom)) for s in body):
            raise NotebookError("the rewritten script has code before the first cell that is not an import")
        # The first cell with Python in it (not one that is all `%pip install`).
        first = next((k for k, part in enumerate(joined.cells) if len(part.magics) < len(part.lines)), 0)
        at = _leading_imports_end(chunks[first])
        chunks[first] = chunks[first][:at] + preamble + chunks[first][at:]
    _check_magics(joined, chunks)
    for part, chunk in zip(joined.cells, chunks, strict=True):
        restored = []
        for line in chunk:
            m = _MAGIC_TOKEN.search(line)
            restored.append(joined.magics[m.group(0)] if m and m.group(1) == joined.nonce else line)
        if tuple(chunk) == part.lines:
            continue  # unchanged: keep the original source string exactly
        nb.cells[part.index]["source"] = "\n".join(restored) + ("\n" if part.trailing_newline and restored else "")
    return nb


def _check_magics(joined: JoinedScript, chunks: list[list[str]]) -> None:
    """Every hidden magic line must still be there, once, in its own cell."""
    where: dict[str, list[int]] = {}
    for part, chunk in zip(joined.cells, chunks, strict=True):
        for line in chunk:
            m = _MAGIC_TOKEN.search(line)
            if m and m.group(1) == joined.nonce:
                where.setdefault(m.group(0), []).append(part.index)
    for part in joined.cells:
        for token in part.magics:
            found = where.get(token, [])
            what = f"the magic line {joined.magics[token].strip()!r} of cell {joined.number(part.index)}"
            if not found:
                raise NotebookError(f"the rewritten script removed {what}")
            if len(found) > 1:
                raise NotebookError(f"the rewritten script duplicated {what}")
            if found[0] != part.index:
                raise NotebookError(f"the rewritten script moved {what} to cell {joined.number(found[0])}")


# ---------------------------------------------------------------------------
# Showing the change.


def cell_diffs(old_nb: NotebookNode, new_nb: NotebookNode, path: str) -> str:
    """A unified diff per changed cell, headed ``a/PATH [cell N]`` / ``b/PATH [cell N]`` (N counts code cells).

    Cells are compared line by line (a cell's source normally has no final
    newline; that is not shown as a change). Empty when no cell changed.
    """
    if len(old_nb.cells) != len(new_nb.cells):
        raise NotebookError("the notebooks do not have the same cells")
    name = path.lstrip("/")
    out: list[str] = []
    for i, (old, new) in enumerate(zip(old_nb.cells, new_nb.cells, strict=True)):
        a, b = _source(old), _source(new)
        if a == b:
            continue
        label = f"[cell {code_cell_number(new_nb, i)}]"
        diff = difflib.unified_diff(a.splitlines(), b.splitlines(), fromfile=f"a/{name} {label}",
                                    tofile=f"b/{name} {label}", lineterm="")
        out.extend(line + "\n" for line in diff)
    return "".join(out)


__all__ = [
    "CellPart",
    "JoinedScript",
    "NotebookError",
    "NotebookStyle",
    "cell_diffs",
    "code_cell_number",
    "dumps",
    "map_origin",
    "notebook_to_script",
    "origin_to_cell",
    "read_notebook",
    "script_to_notebook",
]
