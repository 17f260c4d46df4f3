"""``# kerasfix: ignore[kind]`` comments: what they silence, read with tokenize (no TensorFlow here but the last two
tests, which run scripts)."""

from __future__ import annotations

import json
import shutil
import textwrap
from pathlib import Path

import pytest
from conftest import FIXTURES

from kerasfix.cli import main
from kerasfix.kinds import Kind
from kerasfix.suppress import Ledger, Suppression, covering, parse
from kerasfix.types import Finding, Origin


def finding(kind: str, line: int, end_line: int | None = None) -> Finding:
    return Finding(Kind(kind), f"{kind} here", origin=Origin("t.py", line, 4, end_line or line, 20))


def test_comments_are_read_with_their_kinds_and_strings_are_not_comments() -> None:
    source = textwrap.dedent('''\
        x = 1  # kerasfix: ignore[units_mismatch]
        y = 2  # kerasfix: ignore[units_mismatch, rank_silent]
        z = 3  # KerasFix: Ignore
        s = "# kerasfix: ignore[rank_mismatch]"
        t = """
        # kerasfix: ignore
        """
        # kerasfix: expect rank_mismatch@7
        u = 4  #kerasfix:ignore[ labels ]  # and a remark
        v = 5  # noqa: E501  # kerasfix: ignore[rank_silent]
        ''')
    assert parse(source) == (
        Suppression(1, 7, ("units_mismatch",)),
        Suppression(2, 7, ("units_mismatch", "rank_silent")),
        Suppression(3, 7, ()),
        Suppression(9, 7, ("labels",)),
        Suppression(10, 21, ("rank_silent",)),
    )


def test_a_file_that_does_not_tokenize_has_no_suppressions_past_the_error() -> None:
    assert parse("x = (  # kerasfix: ignore\n") == (Suppression(1, 7, ()),)
    assert parse("def f(:\n") == ()


def test_a_suppression_silences_exactly_its_kinds_on_the_lines_of_the_finding() -> None:
    sups = parse(textwrap.dedent('''\
        a = 1
        b = 2  # kerasfix: ignore[units_mismatch]
        c = 3
        d = 4  # kerasfix: ignore
        '''))
    assert covering(finding("units_mismatch", 2), sups) == sups[0]
    assert covering(finding("rank_silent", 2), sups) is None  # another kind on that line
    assert covering(finding("units_mismatch", 1), sups) is None  # another line
    assert covering(finding("units_mismatch", 1, 3), sups) == sups[0]  # a multi-line call spanning the comment
    assert covering(finding("rank_silent", 4), sups) == sups[1]  # a bare ignore silences every kind
    assert covering(Finding(Kind.UNITS_MISMATCH, "no place"), sups) is None
    families = parse("x = 1  # kerasfix: ignore[labels]\n")
    assert covering(finding("units_mismatch", 1), families, family="labels") == families[0]


def test_the_ledger_keeps_what_is_not_silenced_and_reports_unused_names() -> None:
    sups = parse(textwrap.dedent('''\
        a = 1  # kerasfix: ignore[units_mismatch, rank_silent, no_such_kind]
        b = 2  # kerasfix: ignore
        c = 3  # kerasfix: ignore[keras2_api]
        '''))
    ledger = Ledger(sups)
    found = (finding("units_mismatch", 1), finding("rank_mismatch", 1), finding("rank_mismatch", 3))
    kept, quiet = ledger.split(found)
    assert kept == found[1:] and quiet == found[:1]
    assert ledger.silenced == [found[0]]
    unused = ledger.unused("t.py")
    assert [(u.origin.line, u.name, u.known) for u in unused] == [
        (1, "rank_silent", True), (1, "no_such_kind", False), (2, None, True), (3, "keras2_api", True)]
    assert unused[0].describe("line 1") == "unused suppression of rank_silent at line 1"
    assert "not a kind or family" in unused[1].describe("line 1")
    # Names of kinds that were not looked for (--select, ignore =) are not judged.
    assert [u.name for u in ledger.unused("t.py", selected=lambda name: name != "keras2_api")] == [
        "rank_silent", "no_such_kind", None]


K2 = '''\
import numpy as np
import keras
from keras.engine.topology import Layer{first}
from keras.layers.core import Dense{second}

model = keras.Sequential([keras.Input(shape=(8,)), Dense(3, activation="softmax")])
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
model.fit(np.ones((4, 8)), np.zeros(4), nb_epoch=1)
'''


def k2(tmp_path: Path, first: str = "", second: str = "") -> Path:
    """Two Keras-2 imports (lines 3, 4) and a Keras-2 argument (line 8): found from the source, no run."""
    path = tmp_path / "k2.py"
    path.write_text(K2.format(first=first, second=second))
    return path


def check(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["check", "--select", "keras2", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_a_comment_silences_that_kind_on_that_line_only(tmp_path, capsys) -> None:
    path = k2(tmp_path, first="  # kerasfix: ignore[keras2_import]")
    code, out, _ = check(capsys, "--output-format", "concise", str(path))
    assert code == 1
    assert [line.split(": ")[0:2] for line in out.splitlines()] == [
        [f"{path}:4:1", "keras2_import"], [f"{path}:8:41", "keras2_argument"]]


def test_bare_ignores_silence_everything_and_the_exit_code_is_0(tmp_path, capsys) -> None:
    path = k2(tmp_path, first="  # kerasfix: ignore", second="  # kerasfix: ignore[keras2]")
    path.write_text(path.read_text().replace("nb_epoch=1)", "nb_epoch=1)  # kerasfix: ignore[keras2_argument]"))
    code, out, err = check(capsys, str(path))
    assert code == 0 and "keras2" not in out
    assert err == "kerasfix: 1 file clean\n"


def test_verbose_lists_suppressed_findings_and_unused_suppressions(tmp_path, capsys) -> None:
    path = k2(tmp_path, first="  # kerasfix: ignore[keras2_import, keras2_api]", second="  # kerasfix: ignore[unit]")
    code, out, _ = check(capsys, "-v", "--output-format", "concise", str(path))
    assert code == 1
    assert f"{path}:3:1: keras2_import (suppressed): `keras.engine.topology` does not exist" in out
    assert f"{path}: unused suppression of keras2_api at line 3" in out
    assert f"{path}: unused suppression of unit at line 4 ('unit' is not a kind or family kerasfix knows)" in out
    code, out, _ = check(capsys, "--output-format", "concise", str(path))
    assert "(suppressed)" not in out and "unused suppression" not in out  # only with -v
    code, out, _ = check(capsys, "--json", str(path))
    [doc] = json.loads(out)["files"]
    assert [f["kind"] for f in doc["suppressed"]] == ["keras2_import"]
    assert [(u["name"], u["location"]) for u in doc["unused_suppressions"]] == [
        ("keras2_api", {"row": 3, "column": 42}), ("unit", {"row": 4, "column": 38})]


# -- end to end: a script that runs (one child process each) --------------------------------------------------


def test_a_suppressed_silent_finding_is_not_left(tmp_path, capsys) -> None:
    path = tmp_path / "softmax.py"
    lines = (FIXTURES / "activation_loss_mismatch" / "softmax_one_unit.py").read_text().splitlines(keepends=True)
    lines[13] = lines[13].rstrip("\n") + "  # kerasfix: ignore[activation_loss_mismatch]\n"
    path.write_text("".join(lines))
    code = main(["check", "-v", "--output-format", "concise", str(path)])
    out, err = capsys.readouterr()
    assert code == 0, out + err
    assert out.splitlines() == [
        f"{path}:14:5: activation_loss_mismatch (suppressed): the Dense(1) applies softmax to a single unit, "
        "so it always outputs 1.0"]
    assert err.endswith("kerasfix: 1 file clean\n")


def test_apply_fixes_the_rest_and_leaves_the_suppressed_fault_alone(tmp_path, capsys) -> None:
    """A Flatten is missing and the head has 12 units for 10 classes (kept on purpose): only the Flatten goes in."""
    path = tmp_path / "cnn.py"
    source = (FIXTURES / "rank_mismatch" / "cnn_no_flatten.py").read_text()
    head = 'layers.Dense(10, activation="softmax"),'
    path.write_text(source.replace(head, 'layers.Dense(12, activation="softmax"),  # kerasfix: ignore[units_mismatch]'))
    shutil.copyfile(path, tmp_path / "before.py")
    code = main(["apply", "-v", str(path)])
    out, err = capsys.readouterr()
    assert code == 0, out + err
    after = (tmp_path / "before.py").read_text().replace(
        "    layers.MaxPooling2D(),\n", "    layers.MaxPooling2D(),\n    layers.Flatten(),\n")
    assert path.read_text() == after
    assert f"{path}:15:5: units_mismatch (suppressed): the Dense(12) has 12 output units" in out
