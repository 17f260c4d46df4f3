"""Notebooks: code cells joined into one script, and a rewritten script mapped back into its cells."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import libcst as cst
import nbformat
import pytest
from conftest import FIXTURES
from libcst.codemod import CodemodContext
from libcst.codemod.visitors import AddImportsVisitor
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from kerasfix.notebook import (
    NotebookError,
    cell_diffs,
    dumps,
    map_origin,
    notebook_to_script,
    origin_to_cell,
    script_to_notebook,
)
from kerasfix.types import Origin

NOTEBOOKS = FIXTURES / "notebooks"
BUGGY = NOTEBOOKS / "cnn_no_flatten.ipynb"
FIXED = NOTEBOOKS / "cnn_no_flatten.fixed.ipynb"


def _nb(*cells: object) -> bytes:
    """A notebook as Jupyter writes it (ids fixed so the bytes are stable)."""
    made = []
    for i, cell in enumerate(cells):
        if isinstance(cell, str):
            made.append(new_code_cell(cell, id=f"c{i}", execution_count=i + 1,
                                      outputs=[new_output("stream", name="stdout", text=f"out {i}\n")]))
        else:
            made.append(cell)
    nb = new_notebook(cells=made, metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})
    return (nbformat.writes(nb) + "\n").encode("utf-8")


def _md(text: str, i: int = 99) -> object:
    return new_markdown_cell(text, id=f"m{i}")


def _replace_line(script: str, old: str, new: str) -> str:
    lines = script.split("\n")
    assert lines.count(old) == 1, old
    lines[lines.index(old)] = new
    return "\n".join(lines)


# -- round trip --------------------------------------------------------------


@pytest.mark.parametrize("path", [BUGGY, FIXED], ids=lambda p: p.name)
def test_unchanged_notebook_round_trips_byte_for_byte(path: Path) -> None:
    raw = path.read_bytes()
    joined = notebook_to_script(raw)
    back = script_to_notebook(joined, joined.script)
    assert back == joined.notebook
    assert joined.dumps(back).encode("utf-8") == raw


@pytest.mark.parametrize("style", [
    {"indent": 2, "sort_keys": True, "ensure_ascii": False},
    {"indent": 4, "sort_keys": False, "ensure_ascii": False},
    {"indent": 1, "sort_keys": True, "ensure_ascii": True},
], ids=["indent2", "indent4-unsorted", "ascii-escapes"])
@pytest.mark.parametrize("final_newline", [True, False])
def test_other_json_styles_round_trip_and_keep_their_style(style: dict[str, object], final_newline: bool) -> None:
    nb = json.loads(_nb("x = 1  # café", _md("naïve — ünïcode"), "y = x"))
    if not style["sort_keys"]:
        nb = {"nbformat_minor": nb["nbformat_minor"], "nbformat": 4, "metadata": nb["metadata"], "cells": nb["cells"]}
    text = json.dumps(nb, separators=(",", ": "), **style) + ("\n" if final_newline else "")  # type: ignore[arg-type]
    joined = notebook_to_script(text.encode("utf-8"))
    assert joined.dumps(script_to_notebook(joined, joined.script)) == text
    changed = script_to_notebook(joined, _replace_line(joined.script, "y = x", "y = x + 1"))
    out = joined.dumps(changed)
    assert out.startswith("{\n" + " " * int(style["indent"]) + '"')  # type: ignore[call-overload]
    assert out.replace('"y = x + 1"', '"y = x"') == text  # only the changed cell differs


def test_crlf_notebook_round_trips() -> None:
    raw = _nb("a = 1", "b = 2").replace(b"\n", b"\r\n")
    joined = notebook_to_script(raw)
    assert joined.dumps(script_to_notebook(joined, joined.script)).encode() == raw


def test_bom_and_an_invalid_notebook_round_trip_unrepaired() -> None:
    nb = json.loads(_nb("a = 1", "b = 2"))
    for cell in nb["cells"]:
        del cell["id"]  # invalid in nbformat 4.5; nbformat's validation would invent random ids
    raw = b"\xef\xbb\xbf" + (json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n").encode()
    joined = notebook_to_script(raw)
    assert joined.to_bytes(script_to_notebook(joined, joined.script)) == raw
    changed = joined.to_bytes(script_to_notebook(joined, _replace_line(joined.script, "b = 2", "b = 3")))
    assert changed == raw.replace(b'"b = 2"', b'"b = 3"')


def test_not_a_notebook_is_a_clear_error() -> None:
    with pytest.raises(NotebookError, match="not a readable Jupyter notebook"):
        notebook_to_script(b"{ not json")
    v3 = {"nbformat": 3, "nbformat_minor": 0, "metadata": {}, "worksheets": []}
    with pytest.raises(NotebookError, match="nbformat 3"):
        notebook_to_script(json.dumps(v3))


# -- the joined script and its mapping -------------------------------------


def test_code_cells_are_joined_with_markers_and_mapped_line_by_line() -> None:
    raw = _nb(_md("# Title", 0), "import numpy as np\nx = np.ones(3)", _md("text", 2), "", "y = x * 2\nprint(y)\n")
    joined = notebook_to_script(raw, "nb.ipynb")
    lines = joined.script.splitlines()
    assert lines == [
        joined.marker(1), "import numpy as np", "x = np.ones(3)",
        joined.marker(3),
        joined.marker(4), "y = x * 2", "print(y)",
    ]
    assert [origin_to_cell(joined, n) for n in (2, 3, 6, 7)] == [(1, 1), (1, 2), (4, 1), (4, 2)]
    for marker_line in (1, 4, 5):
        with pytest.raises(NotebookError, match="marker"):
            origin_to_cell(joined, marker_line)
    with pytest.raises(NotebookError, match="outside"):
        origin_to_cell(joined, 8)
    assert "Title" not in joined.script  # markdown is not code
    # A trailing newline in a cell's source survives a change to that cell.
    back = script_to_notebook(joined, _replace_line(joined.script, "print(y)", "print(y, x)"))
    assert back.cells[4].source == "y = x * 2\nprint(y, x)\n"
    assert back.cells[1].source == "import numpy as np\nx = np.ones(3)"


def test_cells_are_numbered_among_the_code_cells_as_jupyter_users_see_them() -> None:
    """Markdown cells are not counted: cell N is the N-th code cell (``In [N]`` after Restart & Run All)."""
    raw = _nb(_md("# Title", 0), "import numpy as np", _md("text", 2), "x = np.ones(3)\ny = x.T")
    joined = notebook_to_script(raw, "nb.ipynb")
    line = joined.script.splitlines().index("y = x.T") + 1
    assert map_origin(joined, Origin("joined.py", line, 0, line, 7)) == Origin("nb.ipynb", 2, 0, 2, 7, cell=2)
    back = script_to_notebook(joined, _replace_line(joined.script, "y = x.T", "y = x.T + 1"))
    assert "[cell 2]" in cell_diffs(joined.notebook, back, "nb.ipynb")
    lines = joined.script.split("\n")
    with pytest.raises(NotebookError, match="lost the marker of cell 2"):
        script_to_notebook(joined, "\n".join(line for line in lines if line != joined.marker(3)))


def test_notebooks_need_no_extra_after_a_plain_install() -> None:
    """nbformat is a base dependency, and the pipeline imports the notebook module itself."""
    import subprocess
    import sys

    from conftest import ROOT

    from kerasfix.config import tomllib  # tomllib, or tomli on Python 3.10

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert any(dep.replace(" ", "").startswith("nbformat") for dep in project["dependencies"])
    assert project["optional-dependencies"].get("notebook", []) == []  # kept as an empty alias
    code = "import sys, kerasfix.pipeline; assert 'kerasfix.notebook' in sys.modules and 'nbformat' in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def test_map_origin_gives_the_cell_and_the_line_in_it() -> None:
    joined = notebook_to_script(BUGGY.read_bytes(), "fixtures/notebooks/cnn_no_flatten.ipynb")
    line = joined.script.splitlines().index('    layers.Dense(10, activation="softmax"),') + 1
    mapped = map_origin(joined, Origin("/tmp/joined.py", line, 4, line, 43))
    assert mapped == Origin("fixtures/notebooks/cnn_no_flatten.ipynb", 5, 4, 5, 43, cell=2)
    assert map_origin(joined, None) is None


def test_magics_become_harmless_python_and_come_back_exactly() -> None:
    cells = [
        "%matplotlib inline\n%pip install -q scikit-learn\nimport numpy as np",
        "!ls -la | head\nfiles = !ls\nnp.ones?\n%time total = sum(range(10))\n%timeit -n 1 \\\n    sum(range(5))",
        "for i in range(2):\n    !echo $i\n    print(i)",
        "%%time\nz = 3\nprint(z)",
        "%%bash\necho hello\nfor f in *; do echo $f; done",
        's = """\n%d items\n!important\n"""\nv = (10\n% 3)',  # Python that merely looks like magic
    ]
    raw = _nb(*cells)
    joined = notebook_to_script(raw)
    tree = ast.parse(joined.script)  # the whole script is Python now
    assert tree is not None
    lines = joined.script.splitlines()
    assert len(lines) == sum(len(c.split("\n")) for c in cells) + len(cells)  # numbering kept
    assert "%d items" in lines and "% 3)" in lines  # a cell that parses is left alone
    assert "z = 3" in lines and "print(z)" in lines  # %%time's body is Python
    assert not any(line.startswith(("echo", "for f in")) for line in lines)  # %%bash's is not
    assert any(line.startswith("    pass  # kerasfix-magic") for line in lines)  # indented shell line
    # Nothing of IPython is left to run: what still looks like it is the Python cell's.
    code = [line for line in lines if line.strip() and not line.lstrip().startswith(("#", "pass"))]
    assert [line for line in code if line.lstrip().startswith(("%", "!")) or line.endswith("?")] == \
        ["%d items", "!important", "% 3)"]
    # Rewriting a line next to the magics restores every magic exactly, in every cell.
    new = _replace_line(joined.script, "import numpy as np", "import numpy as np  # numbers")
    new = _replace_line(new, "    print(i)", "    print(i * 2)")
    back = script_to_notebook(joined, new)
    assert back.cells[0].source == cells[0].replace("import numpy as np", "import numpy as np  # numbers")
    assert back.cells[2].source == cells[2].replace("print(i)", "print(i * 2)")
    assert [c.source for c in back.cells[3:]] == cells[3:]
    assert joined.dumps(script_to_notebook(joined, joined.script)).encode() == raw


def test_magic_lines_must_survive_the_rewrite() -> None:
    joined = notebook_to_script(_nb("%matplotlib inline\nimport numpy as np", "x = 1"))
    lines = joined.script.split("\n")
    magic = lines[1]
    assert "kerasfix-magic" in magic
    with pytest.raises(NotebookError, match="removed the magic line '%matplotlib inline' of cell 1"):
        script_to_notebook(joined, "\n".join(lines[:1] + lines[2:]))
    moved = lines[:1] + lines[2:4] + [magic] + lines[4:]
    with pytest.raises(NotebookError, match="moved the magic line '%matplotlib inline' of cell 1 to cell 2"):
        script_to_notebook(joined, "\n".join(moved))
    with pytest.raises(NotebookError, match="duplicated"):
        script_to_notebook(joined, "\n".join([*lines[:2], magic, *lines[2:]]))


def test_lost_or_reordered_markers_cannot_be_mapped() -> None:
    joined = notebook_to_script(_nb("a = 1", "b = 2", "c = 3"))
    lines = joined.script.split("\n")
    with pytest.raises(NotebookError, match="lost the marker of cell 2"):
        script_to_notebook(joined, "\n".join(line for line in lines if line != joined.marker(1)))
    swapped = [lines[2], lines[3], lines[0], lines[1], *lines[4:]]
    with pytest.raises(NotebookError, match="reordered"):
        script_to_notebook(joined, "\n".join(swapped))


# -- rewrites that insert lines ----------------------------------------------


def test_line_inserted_at_a_cell_boundary_stays_in_the_cell_it_follows() -> None:
    raw = _nb('import numpy as np\ny = np.array(["a", "b"])', "model_fit(y)")
    joined = notebook_to_script(raw)
    new = _replace_line(joined.script, 'y = np.array(["a", "b"])',
                        'y = np.array(["a", "b"])\ny = LabelEncoder().fit_transform(y)')
    back = script_to_notebook(joined, new)
    assert back.cells[0].source == 'import numpy as np\ny = np.array(["a", "b"])\ny = LabelEncoder().fit_transform(y)'
    assert back.cells[1] == joined.notebook.cells[1]
    # Only the source of the changed cell is new; its outputs, count, id and metadata are not.
    assert {k: v for k, v in back.cells[0].items() if k != "source"} == \
        {k: v for k, v in joined.notebook.cells[0].items() if k != "source"}
    assert back.metadata == joined.notebook.metadata


def _add_label_encoder(script: str) -> str:
    """What the rewriter does for an import: libcst's AddImportsVisitor on the whole script."""
    context = CodemodContext()
    AddImportsVisitor.add_needed_import(context, "sklearn.preprocessing", "LabelEncoder")
    return AddImportsVisitor(context).transform_module(cst.parse_module(script)).code


def test_import_added_by_the_rewriter_goes_into_the_first_cell_after_its_imports() -> None:
    first = "%matplotlib inline\nimport numpy as np\nimport keras\n\nrng = np.random.default_rng(0)"
    raw = _nb(_md("# Title", 0), first, 'y = np.array(["a", "b"])')
    joined = notebook_to_script(raw)
    new = _add_label_encoder(joined.script)
    new = _replace_line(new, 'y = np.array(["a", "b"])', 'y = np.array(["a", "b"])\ny = LabelEncoder().fit_transform(y)')
    back = script_to_notebook(joined, new)
    assert back.cells[1].source == ("%matplotlib inline\nimport numpy as np\nimport keras\n"
                                    "from sklearn.preprocessing import LabelEncoder\n\nrng = np.random.default_rng(0)")
    assert back.cells[2].source.endswith("y = LabelEncoder().fit_transform(y)")
    assert back.cells[0] == joined.notebook.cells[0]


@pytest.mark.parametrize(("first", "expected"), [
    ("import numpy as np\nfrom keras import (\n    layers,\n)\nx = 1",
     "import numpy as np\nfrom keras import (\n    layers,\n)\nfrom sklearn.preprocessing import LabelEncoder\nx = 1"),
    ("%pip install -q scikit-learn\nx = 1",
     "%pip install -q scikit-learn\nfrom sklearn.preprocessing import LabelEncoder\nx = 1"),
])
def test_imports_above_the_first_cell_move_into_it_after_its_imports(first: str, expected: str) -> None:
    joined = notebook_to_script(_nb(first, "y = 2"))
    back = script_to_notebook(joined, "from sklearn.preprocessing import LabelEncoder\n\n" + joined.script)
    assert back.cells[0].source == expected
    assert back.cells[1] == joined.notebook.cells[1]


def test_imports_skip_a_first_cell_that_is_only_shell_commands() -> None:
    joined = notebook_to_script(_nb("!pip install -q scikit-learn", "import numpy as np\nx = 1"))
    back = script_to_notebook(joined, "import sklearn\n" + joined.script)
    assert back.cells[0].source == "!pip install -q scikit-learn"
    assert back.cells[1].source == "import numpy as np\nimport sklearn\nx = 1"


def test_code_above_the_first_cell_cannot_be_mapped() -> None:
    joined = notebook_to_script(_nb("x = 1"))
    with pytest.raises(NotebookError, match="not an import"):
        script_to_notebook(joined, "x = 0\n" + joined.script)


# -- diffs ------------------------------------------------------------------


def test_cell_diffs_show_each_changed_cell_under_its_own_header() -> None:
    raw = _nb("a = 1\nb = 2", _md("text", 1), "c = 3", "d = 4")
    joined = notebook_to_script(raw)
    new = _replace_line(_replace_line(joined.script, "b = 2", "b = 20"), "d = 4", "d = 4\ne = 5")
    back = script_to_notebook(joined, new)
    diff = cell_diffs(joined.notebook, back, "/work/nb.ipynb")
    assert diff == (
        "--- a/work/nb.ipynb [cell 1]\n+++ b/work/nb.ipynb [cell 1]\n@@ -1,2 +1,2 @@\n a = 1\n-b = 2\n+b = 20\n"
        "--- a/work/nb.ipynb [cell 3]\n+++ b/work/nb.ipynb [cell 3]\n@@ -1 +1,2 @@\n d = 4\n+e = 5\n"
    )
    assert cell_diffs(joined.notebook, joined.notebook, "nb.ipynb") == ""
    with pytest.raises(NotebookError):
        cell_diffs(joined.notebook, new_notebook(), "nb.ipynb")


def test_fixture_pair_differs_only_in_cell_2() -> None:
    old = notebook_to_script(BUGGY.read_bytes()).notebook
    new = notebook_to_script(FIXED.read_bytes()).notebook
    diff = cell_diffs(old, new, "cnn_no_flatten.ipynb")
    assert diff.count("+++ ") == 1 and "[cell 2]" in diff
    assert [line for line in diff.splitlines() if line.startswith(("+", "-")) and not line.startswith(("+++", "---"))] == \
        ["+    layers.Flatten(),"]


# -- end to end: the real capture and rewrite on the joined script ------------


def test_kerasfix_apply_repairs_the_notebook_in_its_cell(tmp_path: Path) -> None:
    """The whole pipeline on the .ipynb itself: found at its cell, rewritten there, outputs untouched."""
    import shutil

    from kerasfix.pipeline import Options, process

    target = tmp_path / BUGGY.name
    shutil.copyfile(BUGGY, target)
    result = process(str(target), Options(write=True))
    assert result.status == "fixed", result.message
    finding = next(f for f in result.findings if f.kind == "rank_mismatch")
    assert finding.origin is not None and (finding.origin.cell, finding.origin.line) == (2, 5)
    assert "[cell 2]" in result.diff and "+    layers.Flatten()," in result.diff
    assert result.trains_after is True
    assert target.read_bytes() == FIXED.read_bytes()


def test_text_json_and_diff_name_the_same_cell(tmp_path: Path) -> None:
    """A markdown cell first: the finding line, the JSON and the diff all say cell 2 (the second code cell)."""
    import jsonschema

    from kerasfix.pipeline import Options, process
    from kerasfix.report import Report, concise_lines, json_schema, render_json

    nb = nbformat.reads(BUGGY.read_text(encoding="utf-8"), as_version=4)
    nb.cells.insert(0, new_markdown_cell("# A CNN", id="title"))
    target = tmp_path / "nb.ipynb"
    target.write_text(nbformat.writes(nb) + "\n", encoding="utf-8")
    result = process(str(target), Options(diff=True))
    assert result.status == "would_fix", result.message
    assert concise_lines(result)[0].startswith(f"{target}:cell 2:5:5: rank_mismatch: ")
    assert f"a{target} [cell 2]" in result.diff and "+    layers.Flatten()," in result.diff
    doc = json.loads(render_json(Report([result], diff_mode=True)))
    jsonschema.Draft202012Validator(json_schema()).validate(doc)
    finding = next(f for f in doc["files"][0]["findings"] if f["kind"] == "rank_mismatch")
    assert (finding["cell"], finding["location"], finding["origin"]["path"]) == (2, {"row": 5, "column": 5}, str(target))


def test_dumps_defaults_to_jupyters_style() -> None:
    nb = notebook_to_script(BUGGY.read_bytes()).notebook
    assert dumps(nb).encode("utf-8") == BUGGY.read_bytes()
