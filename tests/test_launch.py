"""The console script starts the Keras worker from a glance at the command line, before importing the rest."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from kerasfix.launch import wants_worker


@pytest.fixture()
def files(tmp_path: Path) -> dict[str, str]:
    keras_file = tmp_path / "train.py"
    keras_file.write_text("import keras\n", encoding="utf-8")
    plain = tmp_path / "util.py"
    plain.write_text("import numpy\n", encoding="utf-8")
    return {"keras": str(keras_file), "plain": str(plain), "dir": str(tmp_path)}


@pytest.mark.parametrize(("argv", "expected"), [
    (["check", "{keras}"], True),
    (["apply", "--diff", "{keras}"], True),
    (["check", "{dir}"], True),
    (["check", "{plain}"], False),
    (["check", "--cwd", "{dir}", "{plain}"], False),  # an option's value is not a path to check
    (["check", "-j", "2", "{plain}", "{keras}"], True),
    (["check", "--select", "keras2", "{keras}"], False),  # may migrate without running anything
    (["check", "--help"], False),
    (["apply", "{plain}", "--", "{keras}"], False),  # the script's own arguments
    (["rule", "units_mismatch"], False),
    (["run", "{keras}"], False),
    ([], False),
])
def test_wants_worker(files: dict[str, str], argv: list[str], expected: bool) -> None:
    assert wants_worker([a.format(**files) for a in argv]) is expected


def test_python_m_kerasfix_imports_keras_only_in_its_worker() -> None:
    # The parent never imports TensorFlow (the worker does): the early start must not change that.
    code = ("import sys, runpy; sys.argv = ['kerasfix', 'rule', 'units_mismatch']\n"
            "try:\n    runpy.run_module('kerasfix', run_name='__main__')\nexcept SystemExit:\n    pass\n"
            "assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules, 'imported in the parent'\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "units_mismatch" in done.stdout
