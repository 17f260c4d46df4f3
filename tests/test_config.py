"""``[tool.kerasfix]`` in pyproject.toml: found from a parent folder, checked, and overridden by the command line.

No test here runs a script: the checks use Keras-2 findings, which are read from the source alone.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from kerasfix import config
from kerasfix.cli import main
from kerasfix.config import Config, ConfigError, Overrides, excluded, find, parse, render, resolve

SCRIPT = '''\
import numpy as np
import keras
from keras.layers.core import Dense

model = keras.Sequential([keras.Input(shape=(8,)), Dense(3, activation="softmax")])
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
model.fit(np.ones((4, 8)), np.zeros(4), nb_epoch=1)
'''


@pytest.fixture(autouse=True)
def _fresh() -> None:
    config.clear_cache()


def project(root: Path, table: str, *, script: str = "src/deep/train.py") -> Path:
    """A project whose pyproject.toml holds ``table`` and a script two folders below it."""
    (root / "pyproject.toml").write_text("[project]\nname = 'demo'\n\n" + textwrap.dedent(table))
    path = root / script
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(SCRIPT)
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# -- reading --------------------------------------------------------------------------------------------


def test_every_key_is_read_and_checked() -> None:
    table = {"select": ["connection", "keras2"], "ignore": ["rank_silent"], "exclude": ["old/*"], "timeout": 30,
             "safe-only": True, "args": ["--epochs", "1"]}
    assert parse(table, "p/pyproject.toml") == Config(
        "p/pyproject.toml", ("connection", "keras2"), ("rank_silent",), ("old/*",), 30.0, True, ("--epochs", "1"))
    assert parse({"args": "--epochs 1 --name 'a b'"}, "p").args == ("--epochs", "1", "--name", "a b")
    for bad, message in [
        ({"ignroe": ["x"]}, "unknown key 'ignroe'"),
        ({"ignore": ["units_mismatc"]}, "unknown kind or family 'units_mismatc'"),
        ({"select": "keras2"}, "select must be a list of strings"),
        ({"timeout": 0}, "timeout must be a positive number"),
        ({"timeout": True}, "timeout must be a positive number"),
        ({"safe-only": "yes"}, "safe-only must be true or false"),
    ]:
        with pytest.raises(ConfigError, match=message):
            parse(bad, "p/pyproject.toml")


def test_the_closest_pyproject_with_the_table_applies(tmp_path) -> None:
    path = project(tmp_path, "[tool.kerasfix]\ntimeout = 30\n")
    (tmp_path / "src" / "pyproject.toml").write_text("[tool.ruff]\nline-length = 100\n")  # no table: passed over
    found = find(str(path))
    assert found is not None and found.path == str(tmp_path / "pyproject.toml") and found.timeout == 30
    (tmp_path / "src" / "deep" / "pyproject.toml").write_text("[tool.kerasfix]\ntimeout = 5\n")
    config.clear_cache()
    assert find(str(path)).timeout == 5  # type: ignore[union-attr]
    assert find(str(tmp_path / "src")).timeout == 30  # type: ignore[union-attr]


def test_exclude_patterns_match_names_anywhere_or_paths_from_the_project_root(tmp_path) -> None:
    cfg = Config(str(tmp_path / "pyproject.toml"), exclude=("*_old.py", "scratch", "src/legacy/*", "nb.ipynb/"))
    assert excluded(str(tmp_path / "a" / "train_old.py"), cfg)
    assert excluded(str(tmp_path / "deep" / "scratch"), cfg)
    assert excluded(str(tmp_path / "src" / "legacy" / "x.py"), cfg)
    assert excluded(str(tmp_path / "nb.ipynb"), cfg)
    assert not excluded(str(tmp_path / "legacy" / "x.py"), cfg)  # a path pattern is anchored at the root
    assert not excluded(str(tmp_path / "train.py"), cfg)
    assert not excluded(str(tmp_path / "train_old.py"), None)


def test_the_command_line_wins_over_the_file_which_wins_over_the_defaults() -> None:
    cfg = Config("pyproject.toml", ignore=("rank_silent",), timeout=30.0, safe_only=True, args=("--fast",))
    s = resolve(cfg, Overrides(timeout=5.0, safe_only=False, args=()), default_timeout=120)
    assert (s.select, s.ignore, s.timeout, s.safe_only, s.args) == ((), ("rank_silent",), 5.0, False, ())
    assert s.sources == {"select": "default", "ignore": "pyproject.toml", "timeout": "command line",
                         "safe_only": "command line", "args": "command line", "exclude": "default"}
    assert resolve(None, Overrides(), default_timeout=120).timeout == 120
    text = render(s, "train.py")
    assert "  timeout = 5" in text and "# command line" in text
    assert 'ignore = ["rank_silent"]' in text and "config file: pyproject.toml" in text


# -- on the command line ----------------------------------------------------------------------------------


def test_configuration_from_a_parent_folder_is_used(tmp_path, capsys) -> None:
    path = project(tmp_path, '[tool.kerasfix]\nignore = ["keras2_argument"]\n')
    code, out, _ = run(capsys, "check", "--select", "keras2", "--output-format", "concise", str(path))
    assert code == 1
    assert [line.split(": ")[1] for line in out.splitlines()] == ["keras2_import"]


def test_flags_override_the_configuration(tmp_path, capsys) -> None:
    path = project(tmp_path, '[tool.kerasfix]\nignore = ["keras2_argument"]\nselect = ["connection"]\n')
    # --select replaces select; --ignore replaces ignore (here: nothing ignored any more).
    code, out, _ = run(capsys, "check", "--select", "keras2", "--ignore", "", "--output-format", "concise", str(path))
    assert code == 1
    assert [line.split(": ")[1] for line in out.splitlines()] == ["keras2_import", "keras2_argument"]
    code, out, _ = run(capsys, "check", "--select", "keras2", "--ignore", "keras2_import,keras2_argument", str(path))
    assert code == 0


def test_show_settings_prints_what_applies_and_exits_0(tmp_path, capsys) -> None:
    path = project(tmp_path, '[tool.kerasfix]\nignore = ["rank_silent"]\ntimeout = 30\nargs = ["--epochs", "1"]\n')
    code, out, err = run(capsys, "apply", "--show-settings", "--timeout", "9", str(path), "--", "--fast")
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert lines[:2] == [f"Settings for {path}", f"  config file: {tmp_path / 'pyproject.toml'}"]
    assert any(line.startswith('  ignore = ["rank_silent"]') and line.endswith(f"# {tmp_path / 'pyproject.toml'}")
               for line in lines)
    assert any(line.startswith("  timeout = 9 ") and line.endswith("# command line") for line in lines)
    assert any(line.startswith('  args = ["--fast"]') and line.endswith("# command line") for line in lines)
    assert any(line.startswith("  select = []") and "every kind" in line for line in lines)


def test_exclude_leaves_files_out_of_a_folder_search_but_not_a_named_path(tmp_path, capsys) -> None:
    path = project(tmp_path, '[tool.kerasfix]\nexclude = ["deep"]\n')
    (tmp_path / "src" / "keep.py").write_text(SCRIPT)
    code, out, err = run(capsys, "check", "--select", "keras2", "--json", str(tmp_path / "src"))
    assert [f["path"] for f in json.loads(out)["files"]] == [str(tmp_path / "src" / "keep.py")]
    for named in (path, path.parent):  # named on the command line: taken, as ruff does
        code, out, err = run(capsys, "check", "--select", "keras2", "--json", str(named))
        assert [f["path"] for f in json.loads(out)["files"]] == [str(path)]
    (tmp_path / "src" / "keep.py").unlink()
    code, out, err = run(capsys, "check", "--select", "keras2", "--json", str(tmp_path / "src"))
    assert code == 2 and err == f"kerasfix: {tmp_path / 'src'}: every Python file in it is excluded (exclude in [tool.kerasfix])\n"


@pytest.mark.parametrize(("table", "argv", "message"), [
    ("[tool.kerasfix]\nignore = ['nope']\n", (), "unknown kind or family 'nope'"),
    ("[tool.kerasfix\n", (), "not valid TOML"),
    ("[tool.kerasfix]\n", ("--select", "keras3"), "--select: unknown kind or family 'keras3'"),
])
def test_a_configuration_or_flag_that_cannot_be_used_is_one_line_and_exit_2(tmp_path, capsys, table, argv,
                                                                                  message) -> None:
    path = project(tmp_path, table)
    code, out, err = run(capsys, "check", *argv, str(path))
    assert code == 2 and out == ""
    assert len(err.splitlines()) == 1 and message in err
