"""``kerasfix apply --interactive`` through a pseudo-terminal, as a user at a keyboard uses it."""

from __future__ import annotations

import os
import pty
import select
import shutil
import sys
import time
from pathlib import Path

from conftest import FIXTURES

CASE = FIXTURES / "rank_mismatch" / "cnn_no_flatten.py"


def run_in_pty(args: list[str], answer: bytes, timeout: float = 180) -> tuple[str, int]:
    """Run ``kerasfix args`` on a pty, type ``answer`` at the first prompt; return the screen text and exit code."""
    exe = shutil.which("kerasfix") or sys.executable
    argv = [exe, *args] if exe.endswith("kerasfix") else [exe, "-m", "kerasfix", *args]
    pid, fd = pty.fork()
    if pid == 0:  # the child: become kerasfix
        os.execv(argv[0], argv)
    screen, sent = b"", False
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 1)
        if not ready:
            continue
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        screen += chunk
        if not sent and b"[y,n,q,?]" in screen:
            os.write(fd, answer)
            sent = True
    _, status = os.waitpid(pid, 0)
    return screen.decode(errors="replace"), os.waitstatus_to_exitcode(status)


def test_yes_writes_the_fix_and_shows_a_coloured_diff(tmp_path: Path) -> None:
    target = tmp_path / CASE.name
    shutil.copyfile(CASE, target)
    screen, code = run_in_pty(["apply", "--interactive", str(target)], b"y\n")
    assert "insert Flatten()" in screen and "[y,n,q,?]" in screen
    assert "\x1b[" in screen  # coloured on a terminal
    assert code == 0
    assert target.read_bytes() == CASE.with_name(CASE.stem + ".fixed.py").read_bytes()


def test_no_leaves_the_file_untouched_and_reports_the_finding(tmp_path: Path) -> None:
    target = tmp_path / CASE.name
    shutil.copyfile(CASE, target)
    screen, code = run_in_pty(["apply", "--interactive", str(target)], b"n\n")
    assert "declined" in screen
    assert code == 1
    assert target.read_bytes() == CASE.read_bytes()
