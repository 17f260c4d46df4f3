"""Never lose a user's file: bad input, scripts that hang, exit, crash or flood, and faults mid-write.

Every bad input must give exit code 2, one line on stderr saying what went
wrong, and leave the file byte for byte as it was: so each case runs ``apply``
(the mode that writes). Scripts that fail before building a model still cost a
child process with Keras imported (~3 s); the cheap ones come first.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from conftest import FIXTURES

import kerasfix.patch as patch_mod
from kerasfix import pipeline
from kerasfix.cli import main

CNN = FIXTURES / "rank_mismatch" / "cnn_no_flatten.py"
CNN_FIXED = FIXTURES / "rank_mismatch" / "cnn_no_flatten.fixed.py"
UNITS = FIXTURES / "units_mismatch" / "seed_12_classes.py"
UNITS_FIXED = FIXTURES / "units_mismatch" / "seed_12_classes.fixed.py"
CLEAN = FIXTURES / "clean" / "functional_two_inputs.py"
SUMMARY = "kerasfix: "


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, list[str]]:
    """``kerasfix ARGV`` in this process: (exit code, stdout, stderr lines)."""
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err.splitlines()


def script(tmp_path: Path, name: str, body: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(textwrap.dedent(body).lstrip("\n").encode(encoding))
    return path


#: Lines that make a file look like a training script (so kerasfix runs it); placed after what the test does.
TRAINS = "\nimport keras\nmodel = keras.Sequential([keras.layers.Dense(1)])\n"


def assert_refused(code: int, out: str, err: list[str], path: Path, before: bytes, *expected: str) -> str:
    """Exit 2, nothing on stdout, one line on stderr (then the summary) naming the file, the file untouched."""
    assert code == 2, err
    assert out == ""
    assert err[-1] == f"{SUMMARY}1 file could not be analysed", err
    assert len(err) == 2, err
    line = err[0]
    assert line.startswith(f"{path}:"), line
    for text in expected:
        assert text in line, line
    assert path.read_bytes() == before
    return line


# -- bad paths and bad source: no script is run ---------------------------------------------


def test_a_path_that_does_not_exist(tmp_path, capsys) -> None:
    missing = tmp_path / "nope.py"
    code, out, err = run(capsys, "apply", str(missing))
    assert (code, out) == (2, "")
    assert err == [f"kerasfix: {missing}: no such file or directory"]
    assert not missing.exists()


def test_a_directory_with_no_python_files(tmp_path, capsys) -> None:
    (tmp_path / "notes.txt").write_text("not python\n")
    (tmp_path / ".hidden").mkdir()
    (tmp_path / ".hidden" / "skipped.py").write_text("x = 1\n")
    code, out, err = run(capsys, "check", str(tmp_path))
    assert (code, out) == (2, "")
    assert err == [f"kerasfix: {tmp_path}: directory has no Python files"]


@pytest.mark.parametrize("body, where, what", [
    ("import keras\nmodel = keras.Sequential([\n    keras.layers.Dense(3),\n\nmodel.fit(x, y)\n", ":2:26:", "never closed"),
    ("a = 1\nb = = 2\n", ":2:5:", "invalid syntax"),
    ("def f():\n    x = 1\n  y = 2\n", ":3:", "unindent"),
    ("return 5\n", ":1:1:", "'return' outside function"),  # libcst accepts it; Python does not
])
def test_a_file_that_does_not_parse_names_line_and_column(tmp_path, capsys, body: str, where: str, what: str) -> None:
    path = script(tmp_path, "broken.py", body)
    before = path.read_bytes()
    code, out, err = run(capsys, "apply", str(path))
    line = assert_refused(code, out, err, path, before, "the file does not parse", what)
    assert line.startswith(f"{path}{where}"), line


def test_an_undecodable_file_is_refused(tmp_path, capsys) -> None:
    path = tmp_path / "bytes.py"
    path.write_bytes(b"x = '\xe9t\xe9'\n")  # latin-1 bytes, no coding cookie: not valid UTF-8
    code, out, err = run(capsys, "apply", str(path))
    assert_refused(code, out, err, path, b"x = '\xe9t\xe9'\n", "cannot read the file",
                   "line 1, column 6", "0xe9", "not valid utf-8", "coding: latin-1")


# -- scripts that do not give us a model (each one runs in a child process) -----------------


def test_a_script_that_never_builds_a_keras_model(tmp_path, capsys) -> None:
    path = script(tmp_path, "plain.py", """
        import keras

        def build():  # never called
            return keras.Sequential([keras.layers.Dense(1)])

        print("done")
    """)
    before = path.read_bytes()
    assert_refused(*run(capsys, "apply", str(path)), path, before, "never built a Keras model")


def test_a_file_that_is_no_training_script_is_skipped_without_being_run(tmp_path, capsys) -> None:
    marker = tmp_path / "ran.txt"
    path = script(tmp_path, "data_utils.py", f"""
        import numpy as np
        open({str(marker)!r}, "w").write("executed")

        def load(n):
            return np.zeros((n, 4))
    """)
    code, out, err = run(capsys, "check", "-v", str(path))
    assert code == 0 and not marker.exists()
    assert f"{path}: skipped: it never builds, loads or trains a Keras model (not run)" in out
    assert err[-1] == f"{SUMMARY}1 file skipped"


def test_a_script_that_fails_outside_the_catalogue_shows_its_own_error(tmp_path, capsys) -> None:
    path = script(tmp_path, "train.py", textwrap.dedent("""
        import numpy as np
        x_train = np.load("train_images.npy")
    """) + TRAINS)
    before = path.read_bytes()
    assert_refused(*run(capsys, "apply", str(path)), path, before,
                   "the script failed for a reason kerasfix does not repair", "(line 2)",
                   "FileNotFoundError", "train_images.npy")


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")  # a zombie is dead
    except FileNotFoundError:
        return False
    except OSError:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True


def test_a_script_that_hangs_is_stopped_at_the_timeout_with_what_it_started(tmp_path, capsys) -> None:
    pid_file = tmp_path / "helper.pid"
    path = script(tmp_path, "hang.py", textwrap.dedent(f"""
        import subprocess, sys, time
        helper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
        open({str(pid_file)!r}, "w").write(str(helper.pid))
        while True:
            time.sleep(1)
    """) + TRAINS)
    before = path.read_bytes()
    started = time.monotonic()
    assert_refused(*run(capsys, "apply", "--timeout", "15", str(path)), path, before,
                   "did not finish within 15 s", "--timeout")
    assert time.monotonic() - started < 40
    assert pid_file.exists(), "the script never ran: raise the timeout of this test"
    helper = int(pid_file.read_text())
    deadline = time.monotonic() + 5
    while _alive(helper) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(helper), "a process the script started outlived the timeout"


@pytest.mark.parametrize("body, expected", [
    ("import sys\nsys.exit(3)\n", "the script called sys.exit(3) before kerasfix could capture a model"),
    ("import os\nos._exit(4)\n", "the script exited (code 4) before kerasfix could capture a model"),
    ("import os, signal\nos.kill(os.getpid(), signal.SIGKILL)\n",
     "the script was killed by SIGKILL before kerasfix could capture a model"),
], ids=["sys_exit", "os_exit", "sigkill"])
def test_a_script_that_exits_or_kills_itself(tmp_path, capsys, body: str, expected: str) -> None:
    path = script(tmp_path, "quits.py", body + TRAINS)
    before = path.read_bytes()
    assert_refused(*run(capsys, "apply", str(path)), path, before, expected)


def test_a_script_that_prints_megabytes_neither_floods_nor_hangs(tmp_path, capsys) -> None:
    path = script(tmp_path, "noisy.py", textwrap.dedent("""
        import sys
        line = "x" * 1023 + "\\n"
        for _ in range(8 * 1024):  # 8 MB on stdout
            sys.stdout.write(line)
        sys.stderr.write("e" * (2 << 20))  # 2 MB on stderr, no newline
        sys.stdout.write("the last words\\n")
        raise FileNotFoundError(2, "No such file or directory", "data.csv")
    """) + TRAINS)
    before = path.read_bytes()
    started = time.monotonic()
    code = main(["apply", "--verbose", str(path)])  # --verbose shows the script's output: its tail only
    out, err = capsys.readouterr()
    assert time.monotonic() - started < 60
    assert code == 2 and out == ""
    assert len(err) < 10_000
    assert "earlier bytes of output not kept" in err and "the last words" in err
    assert f"{path}: the script failed for a reason kerasfix does not repair" in err
    assert path.read_bytes() == before


def test_a_script_that_reads_stdin_gets_end_of_file_and_is_told_why(tmp_path, capsys) -> None:
    path = script(tmp_path, "ask.py", 'name = input("data file? ")\n' + TRAINS)
    before = path.read_bytes()
    assert_refused(*run(capsys, "apply", str(path)), path, before,
                   "EOFError", "(line 1)", "standard input closed")


def test_a_detached_process_holding_the_output_open_does_not_hang_kerasfix(tmp_path, capsys) -> None:
    pid_file = tmp_path / "daemon.pid"
    path = script(tmp_path, "daemon.py", textwrap.dedent(f"""
        import os, time
        if os.fork() == 0:          # a daemon in its own session, keeping the script's stdout open
            os.setsid()
            open({str(pid_file)!r}, "w").write(str(os.getpid()))
            time.sleep(600)
            os._exit(0)
        while not os.path.exists({str(pid_file)!r}):
            time.sleep(0.05)
        raise RuntimeError("no data today")
    """) + TRAINS)
    before = path.read_bytes()
    started = time.monotonic()
    try:
        assert_refused(*run(capsys, "apply", "--timeout", "60", str(path)), path, before,
                       "RuntimeError: no data today")
        assert time.monotonic() - started < 45
    finally:
        if pid_file.exists():  # the daemon escaped the script's session: end it ourselves
            os.kill(int(pid_file.read_text()), signal.SIGKILL)


# -- scripts that do build a model, in files that are not plain UTF-8 ------------------------


def test_a_latin1_script_with_a_coding_cookie_is_fixed_and_stays_latin1(tmp_path, capsys) -> None:
    text = UNITS.read_text(encoding="utf-8")
    text = "# -*- coding: latin-1 -*-\n" + text.replace('"""The seed', '"""Étiquettes: the seed')
    text = text.replace("keras.layers.Dense(10, activation='softmax')",
                        "keras.layers.Dense(10, activation='softmax', name='sortie_é')")
    path = script(tmp_path, "latin.py", text, encoding="latin-1")
    code, out, err = run(capsys, "apply", "--no-verify", str(path))  # --no-verify: one child run, not two
    assert code == 0, err
    assert err[-1] == f"{SUMMARY}1 file fixed"
    expected = text.replace("Dense(10, activation='softmax', name='sortie_é')",
                            "Dense(12, activation='softmax', name='sortie_é')")
    assert path.read_bytes() == expected.encode("latin-1")


def test_a_bom_and_crlf_script_is_fixed_keeping_both(tmp_path, capsys) -> None:
    def dos(p: Path) -> bytes:
        return b"\xef\xbb\xbf" + p.read_text(encoding="utf-8").replace("\n", "\r\n").encode("utf-8")

    path = tmp_path / "windows.py"
    path.write_bytes(dos(CNN))
    os.chmod(path, 0o750)
    code, out, err = run(capsys, "apply", "--no-verify", str(path))
    assert code == 0, err
    assert path.read_bytes() == dos(CNN_FIXED)
    assert (os.stat(path).st_mode & 0o777) == 0o750


# -- many files ------------------------------------------------------------------------------


def test_one_bad_file_does_not_stop_the_others(tmp_path, capsys) -> None:
    src = tmp_path / "src"
    (src / "pkg").mkdir(parents=True)
    a = script(src, "a_broken.py", "x = (\n")
    b = src / "b_cnn.py"
    b.write_bytes(CNN.read_bytes())
    c = script(src / "pkg", "c_missing_data.py", "import numpy as np\nx = np.load('x.npy')\n" + TRAINS)
    d = src / "pkg" / "d_clean.py"
    d.write_bytes(CLEAN.read_bytes())
    before = {p: p.read_bytes() for p in (a, c, d)}
    code, out, err = run(capsys, "apply", "--no-verify", str(src))
    assert code == 2  # the worst of the four
    assert b.read_bytes() == CNN_FIXED.read_bytes()  # fixed although others failed around it
    assert all(p.read_bytes() == data for p, data in before.items())
    assert err[0].startswith(f"{a}:1:5: the file does not parse")
    assert err[1].startswith(f"{c}: the script failed") and "FileNotFoundError" in err[1]
    assert len(err) == 3
    parts = set(err[2].removeprefix(SUMMARY).split(", "))
    assert parts == {"2 files could not be analysed", "1 file fixed", "1 file clean"}
    assert f"{b}: fixed: insert Flatten()" in out


def test_the_script_changing_its_own_file_mid_run_makes_apply_refuse(tmp_path, capsys) -> None:
    text = CNN.read_text(encoding="utf-8").replace(
        "rng = np.random", 'open(__file__, "a").write("# the script was here\\n")\nrng = np.random')
    path = script(tmp_path, "selfmod.py", text)
    code, out, err = run(capsys, "apply", "--no-verify", str(path))
    assert code == 2 and len(err) == 2, err
    assert err[0] == f"{path}: {path} changed since kerasfix read it; nothing was written"
    assert path.read_text(encoding="utf-8") == text + "# the script was here\n"  # theirs, not ours


# -- our own bugs ----------------------------------------------------------------------------


def test_an_internal_error_is_one_line_and_the_other_files_go_on(tmp_path, capsys, monkeypatch) -> None:
    first = script(tmp_path, "first.py", "x = 1\n")
    second = script(tmp_path, "second.py", "x = (\n")  # a parse error: its own message, no child needed
    real = pipeline.process

    def flaky(path: str, *args, **kwargs):
        if path == str(first):
            raise RuntimeError("boom in the planner")
        return real(path, *args, **kwargs)

    monkeypatch.setattr(pipeline, "process", flaky)
    code, out, err = run(capsys, "apply", str(first), str(second))
    assert (code, out) == (2, "")
    assert err[0] == f"{first}: kerasfix internal error: RuntimeError: boom in the planner (run with --verbose for details)"
    assert err[1].startswith(f"{second}:1:5: the file does not parse")
    assert err[2] == f"{SUMMARY}2 files could not be analysed"
    assert not any("Traceback" in ln for ln in err)

    code, out, err = run(capsys, "apply", "--verbose", str(first))
    assert code == 2
    text = "\n".join(err)
    assert "Traceback (most recent call last)" in text and "RuntimeError: boom in the planner" in text


# -- a process killed in the middle of a write -----------------------------------------------

_WRITER = """
import os, sys, time
import kerasfix.patch as patch_mod
from kerasfix.patch import Patch, SourceFile

path, point, unnamed = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
patch_mod._USE_TMPFILE = unnamed
source = SourceFile.read(path)

def block(*_args):
    print("BLOCKED", flush=True)
    time.sleep(600)

if point == "write":  # half of the new bytes reach the disk, then the process is stuck
    real_write = os.write
    def half(fd, data):
        real_write(fd, bytes(data[: len(data) // 2]))
        block()
    os.write = half
elif point == "fsync":
    os.fsync = block
elif point == "replace":
    os.replace = block
Patch(source, source.text.replace("old", "new"), ()).write()
print("WRITTEN", flush=True)
"""


def _tmpfile_works(directory: Path) -> bool:
    try:
        fd = os.open(directory, os.O_TMPFILE | os.O_WRONLY, 0o600)
    except (AttributeError, OSError):
        return False
    os.close(fd)
    return True


@pytest.mark.parametrize("unnamed", [True, False], ids=["o_tmpfile", "named_temp"])
@pytest.mark.parametrize("point", ["write", "fsync", "replace"])
def test_sigkill_in_the_middle_of_a_write_leaves_the_original_intact(tmp_path, point: str, unnamed: bool) -> None:
    original = ("x = 'old'\n" * 50_000).encode()  # 500 kB
    work = tmp_path / "work"
    work.mkdir()
    target = work / "model.py"
    target.write_bytes(original)
    writer = tmp_path / "writer.py"
    writer.write_text(_WRITER)
    proc = subprocess.Popen([sys.executable, str(writer), str(target), point, "1" if unnamed else "0"],
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "BLOCKED"
    finally:
        proc.kill()
        proc.wait(10)
    assert proc.returncode == -signal.SIGKILL
    assert target.read_bytes() == original
    strays = sorted(n for n in os.listdir(work) if n != "model.py")
    assert all(n.startswith(patch_mod.TEMP_PREFIX) and n.endswith(patch_mod.TEMP_SUFFIX) for n in strays), strays
    if unnamed and point != "replace" and _tmpfile_works(work):
        assert strays == []  # the temp file had no name yet: nothing is left behind


def test_sigkill_at_random_moments_leaves_either_the_old_file_or_the_new_one(tmp_path) -> None:
    old = ("x = 'old'\n" * 200_000).encode()  # 2 MB: the write takes a while
    new = old.replace(b"old", b"new")
    work = tmp_path / "work"
    work.mkdir()
    target = work / "model.py"
    writer = tmp_path / "writer.py"
    writer.write_text(_WRITER)
    for delay in (0.0, 0.02, 0.04, 0.06, 0.08, 0.1, 0.15, 0.2, 0.3, 0.5):
        target.write_bytes(old)
        proc = subprocess.Popen([sys.executable, str(writer), str(target), "none", "1"], stdout=subprocess.DEVNULL)
        time.sleep(delay)
        proc.kill()
        proc.wait(10)
        data = target.read_bytes()
        assert data in (old, new), f"a mix of old and new after a kill at {delay} s"
        strays = [n for n in os.listdir(work) if n != "model.py"]
        assert all(n.startswith(patch_mod.TEMP_PREFIX) for n in strays), strays
        for n in strays:
            os.unlink(work / n)


def test_a_fix_that_changes_nothing_is_never_reported_as_fixed(tmp_path) -> None:
    """The rewriter may judge a data edit already present (`x = x.T` written twice); the fault remains."""
    from kerasfix.pipeline import Options, process

    script = tmp_path / "transposed_twice.py"
    script.write_text(
        "import numpy as np\nimport keras\n\nrng = np.random.default_rng(0)\n"
        "x = rng.random((64, 5)).astype('float32')\nx = x.T\ny = rng.random(64).astype('float32')\n"
        "model = keras.Sequential([keras.Input(shape=(5,)), keras.layers.Dense(1)])\n"
        "model.compile(optimizer='adam', loss='mse')\nmodel.fit(x, y, epochs=1, verbose=0)\n"
    )
    before = script.read_bytes()
    result = process(str(script), Options(write=True))
    assert result.status != "fixed"
    assert any(f.kind == "data_shape_mismatch" for f in result.findings)
    assert script.read_bytes() == before
