"""The ``kerasfix`` console script: start the Keras worker first, then import the rest of kerasfix.

A single-file ``kerasfix check``/``apply`` is bound by two imports: ours (libcst, the catalogue; under a
second) and the worker's Keras (seconds). Started one after the other they add up; here the worker is
started from a glance at the command line, before ``kerasfix.cli`` is imported, so the two overlap. The
glance may be wrong both ways: the pipeline still starts the worker when it finds it needs one, and a worker
started for a file that turns out not to need it is stopped at exit, unused.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

#: ``apply``/``check`` options whose next word is a value, not a path.
_VALUED = frozenset({"--output-format", "--select", "--ignore", "--cwd", "-j", "--jobs", "--timeout"})
#: Options after which no script is run at all.
_NO_RUN = frozenset({"-h", "--help", "--show-settings"})


def wants_worker(argv: Sequence[str]) -> bool:
    """Whether ``kerasfix ARGV`` will run a script: a check or apply of a folder or of a file that mentions Keras.

    ``--select`` is taken as a reason not to guess (``--select keras2`` migrates without running anything).
    """
    if not argv or argv[0] not in ("apply", "check"):
        return False
    words = list(argv[1:argv.index("--")] if "--" in argv else argv[1:])
    if any(w in _NO_RUN or w == "--select" or w.startswith("--select=") for w in words):
        return False
    paths, skip = [], False
    for word in words:
        if skip:
            skip = False
        elif word in _VALUED:
            skip = True
        elif not word.startswith("-"):
            paths.append(word)
    return any(_mentions_keras(p) for p in paths)


def _mentions_keras(path: str) -> bool:
    if os.path.isdir(path):
        return True
    if not path.endswith((".py", ".ipynb")):
        return False
    try:
        with open(path, "rb") as f:
            text = f.read(4 << 20)
    except OSError:
        return False
    return b"keras" in text or b"tensorflow" in text


def entry() -> None:
    """Run the command line, with the worker started as early as the command allows."""
    if wants_worker(sys.argv[1:]):
        from kerasfix.capture.worker import prestart

        prestart()
    from kerasfix.cli import entry as _entry

    _entry()
