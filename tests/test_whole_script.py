"""The whole script, as the user runs it: every call site checked, fixes verified by the script's own run.

Each test runs real scripts through the warm worker (one fork per run).
"""

from __future__ import annotations

import json
import shutil
import textwrap
from pathlib import Path

import pytest
from conftest import FIXTURES

from kerasfix.cli import main

SUMMARY = "kerasfix: "
CNN = FIXTURES / "rank_mismatch" / "cnn_no_flatten.py"
CNN_FIXED = FIXTURES / "rank_mismatch" / "cnn_no_flatten.fixed.py"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, list[str]]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err.splitlines()


def write(path: Path, body: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(body).lstrip("\n"), encoding="utf-8")
    return path


def test_a_folder_runs_only_its_training_scripts(tmp_path, capsys) -> None:
    marker = tmp_path / "helper_ran"
    write(tmp_path / "proj" / "data_utils.py", f"""
        import numpy as np
        open({str(marker)!r}, "w").write("the helper was executed")

        def load():
            return np.zeros((8, 4)), np.zeros(8)
    """)
    write(tmp_path / "proj" / "tests" / "test_model.py", f"""
        import keras
        open({str(marker)!r}, "w").write("the test was executed")

        def test_builds():
            assert keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)]).built
    """)
    shutil.copyfile(CNN, tmp_path / "proj" / "train.py")
    code, out, err = run(capsys, "check", "-v", "--output-format", "concise", str(tmp_path / "proj"))
    assert not marker.exists(), marker.read_text()
    assert code == 1  # the training script's finding, nothing else
    assert "rank_mismatch" in out and "data_utils.py: skipped: it never builds" in out
    assert "test_model.py: skipped: a test file (not run)" in out
    assert err[-1] == f"{SUMMARY}2 files skipped, 1 file with findings left"


def test_no_fixed_unless_the_patched_script_runs_to_its_end(tmp_path, capsys) -> None:
    # The Flatten is the right fix, but the script then fails on something kerasfix does not repair.
    text = CNN.read_text(encoding="utf-8") + 'open("results/summary.txt", "w").write("done")\n'
    path = write(tmp_path / "train.py", text)
    code, out, err = run(capsys, "apply", str(path))
    assert code == 1 and path.read_text(encoding="utf-8") == text
    assert "nothing written" in out and "FileNotFoundError" in out


def test_script_arguments_after_double_dash_and_the_working_directory(tmp_path, capsys) -> None:
    text = CNN.read_text(encoding="utf-8").replace(
        "rng = np.random.default_rng(0)",
        'import argparse\nparser = argparse.ArgumentParser()\nparser.add_argument("--epochs", type=int, required=True)\n'
        'args = parser.parse_args()\nassert open("settings.txt").read() == "ok"\nrng = np.random.default_rng(0)',
    )
    path = write(tmp_path / "proj" / "train.py", text)
    (tmp_path / "proj" / "settings.txt").write_text("ok")
    code, out, err = run(capsys, "check", str(path))  # no --epochs: argparse exits
    assert code == 2 and "sys.exit(2)" in err[0]
    code, out, err = run(capsys, "apply", str(path), "--", "--epochs", "3")  # run in its own folder, with args
    assert code == 0, err
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "settings.txt").write_text("no")
    code, out, err = run(capsys, "check", "--cwd", str(elsewhere), str(path), "--", "--epochs", "3")
    assert code == 2 and "AssertionError" in err[0]


@pytest.mark.parametrize("failure", [
    'import urllib.error\nraise urllib.error.URLError("[Errno -3] Temporary failure in name resolution")\n',
    'raise Exception("URL fetch failure on https://storage.googleapis.com/mnist.npz: None -- [Errno -3]")\n',
], ids=["urlopen", "keras_get_file"])
def test_a_script_that_needs_the_network_is_told_so(tmp_path, capsys, failure: str) -> None:
    path = write(tmp_path / "train.py", "import keras\n" + failure + "model = keras.Sequential()\n")
    code, out, err = run(capsys, "check", str(path))
    assert code == 2 and err[0].startswith(f"{path}: the script needs data from the network: ")


def test_results_are_the_same_one_file_at_a_time_and_in_parallel(tmp_path, capsys) -> None:
    folder = tmp_path / "many"
    for name in ("rank_mismatch/cnn_no_flatten", "units_mismatch/seed_5_classes", "clean/mnist_cnn"):
        target = folder / f"{name.replace('/', '_')}.py"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(FIXTURES / f"{name}.py", target)
    one = run(capsys, "check", "--json", "-j", "1", str(folder))
    two = run(capsys, "check", "--json", "-j", "2", str(folder))
    assert one[0] == two[0] == 1
    assert json.loads(one[1]) == json.loads(two[1])  # the same findings, fixes and measurements: runs are seeded
    assert [f["path"] for f in json.loads(two[1])["files"]] == sorted(str(p) for p in folder.glob("*.py"))
