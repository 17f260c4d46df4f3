"""Explain a Keras shape/dtype error in the session where it happens.

``install()`` works like ``rich.traceback.install()``: it wraps
``sys.excepthook`` and, under IPython, registers a custom exception handler.
When an exception from ``model.fit(...)`` (or ``evaluate``/``predict``/…, or
``Sequential([...])`` itself) reaches the top level, the user's traceback is
shown first, exactly as it would have been, and then kerasfix's explanation:
the failing connection, the layer table and the suggested fix.

The model and data are found in the traceback's frames, never guessed from
globals:

1. a ``fit``/``evaluate``/``predict``… frame whose ``self`` is a Keras model
   (its ``x``/``y`` locals are the data) — present when Keras's traceback
   filtering is off;
2. Keras's traceback-filtering wrapper (``error_handler``), which keeps the
   wrapped method and its arguments — present when filtering is on (the
   default), which removes the ``fit`` frame itself;
3. a ``Sequential.__init__`` frame: its ``layers`` argument (no data exists
   yet, so the data is read from the script's ``fit`` call if it has already
   been defined, else a sample of zeros of the declared input shape is used);
4. the user's own frame: the ``model.fit(x, y)`` call at the failing line,
   its names looked up (not evaluated) in that frame.

kerasfix's own failure never hides the user's exception: the traceback is
printed before anything is analysed, and any error while analysing is
swallowed.

The modules, one job each: ``locate`` (the model and data in a traceback), ``explanation`` (what is said
about an exception), ``handlers`` (``sys.excepthook`` and IPython), ``fitcheck`` (the check before ``fit``
and its panel), ``keys`` (what a check is cached by), ``watch`` (``fit`` hooked to run the check), ``quiet``
(kerasfix's work leaves no trace in the session), ``shell`` (the IPython shell, if any). The session's state
(``last``, ``last_check`` and which hooks are ours) lives here, in the package.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Sequence
from typing import Any, TextIO

from kerasfix.session.explanation import Explanation, explain, render
from kerasfix.session.fitcheck import (
    DEFAULT_BUDGET_MS,
    FitCheck,
    SilentFaultError,
    check_model,
    estimate_ms,
    render_check,
)
from kerasfix.session.handlers import (
    _install_excepthook,
    _register,
    _uninstall_excepthook,
    _unregister,
)
from kerasfix.session.locate import FIT_METHODS as FIT_METHODS
from kerasfix.session.locate import SYNTHETIC_ROWS as SYNTHETIC_ROWS
from kerasfix.session.locate import Found, Where, find_model_and_data
from kerasfix.session.shell import _get_ipython
from kerasfix.session.state import _state
from kerasfix.session.watch import ENV_MODE, MODES, _resolve_mode, _start_fit_check, _stop_fit_check
from kerasfix.session.watch import ENV_VERBOSE as ENV_VERBOSE

#: The last explanation printed, for use at the prompt: ``from kerasfix.session import last; last.fix.apply(model)``.
last: Explanation | None = None
#: The last panel shown (or check raised), for use at the prompt: ``kerasfix.session.last_check.fix.apply(model)``.
last_check: FitCheck | None = None




def explain_model(model: Any, x: Any, y: Any = None, *, validation_data: Any = None,
                  file: TextIO | None = None) -> FitCheck:
    """Check ``model`` on ``x``/``y`` now, with no budget, and print the panel a ``fit`` would show
    (crash faults included); returns what was found (``.fix`` to apply)."""
    global last_check
    checker = _state.checker
    hooks = checker.hooks if checker is not None else None
    from kerasfix.types import Calls

    calls = Calls(compile=hooks.compile_sites.get(model) if hooks is not None else None)
    check = check_model(model, x, y, validation_data=validation_data, calls=calls, call="explain")
    assert check is not None  # only a fit of an uncompiled model is not checked
    last_check = check
    print(render_check(check), file=file if file is not None else sys.stdout)
    return check


def run_script(path: str, argv: Sequence[str] = (), *, mode: str | None = None, verbose: bool | None = None,
               budget_ms: float | None = None) -> int:
    """``kerasfix run script.py args…``: run the script as ``python script.py args…`` would, with every ``fit``
    checked first and Keras errors explained; the script's exit code."""
    import runpy

    if not os.path.isfile(path):
        print(f"kerasfix: {path}: no such file", file=sys.stderr)
        return 2
    full = os.path.abspath(path)
    install(mode, verbose=verbose, budget_ms=budget_ms)
    checker = _state.checker
    saved_env = os.environ.get(ENV_MODE)
    if checker is not None:  # the script's own kerasfix.install() (no mode given) keeps the run's mode
        os.environ[ENV_MODE] = checker.mode
    saved_argv, saved_path = sys.argv, list(sys.path)
    sys.argv = [path, *argv]
    sys.path.insert(0, os.path.dirname(full))
    try:
        runpy.run_path(full, run_name="__main__")
    except SystemExit as exc:
        if exc.code is None or isinstance(exc.code, int):
            return exc.code or 0
        print(exc.code, file=sys.stderr)
        return 1
    except BaseException as exc:  # the script's own error, shown as Python shows it (then explained)
        tb = exc.__traceback__
        while tb is not None and os.path.abspath(tb.tb_frame.f_code.co_filename) != full:
            tb = tb.tb_next  # kerasfix's and runpy's frames are not the script's
        if tb is not None:
            exc.__traceback__ = tb  # Python prints the exception's own traceback, whatever it is handed
        sys.excepthook(type(exc), exc, exc.__traceback__)
        return 130 if isinstance(exc, KeyboardInterrupt) else 1
    finally:
        sys.argv = saved_argv
        sys.path[:] = saved_path
        if saved_env is None:
            os.environ.pop(ENV_MODE, None)
        else:
            os.environ[ENV_MODE] = saved_env
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        uninstall()
    return 0


# ---------------------------------------------------------------------------
# Public switches.


def install(mode: str | None = None, *, verbose: bool | None = None, budget_ms: float | None = None) -> None:
    """Explain Keras errors where they happen, and check every ``Model.fit`` for silent faults before it trains.

    ``mode``: ``"warn"`` prints a panel (once per model and fault) and training goes on; ``"raise"`` raises
    ``SilentFaultError`` instead of training; ``"off"`` checks nothing (errors are still explained). By default
    the ``KERASFIX`` environment variable, else ``"warn"``. ``verbose``: kerasfix's own errors, skipped checks
    and each check's cost, one line each (default: ``KERASFIX_VERBOSE``). ``budget_ms``: a model whose check is
    estimated to take longer is not checked, and one line says so (``float("inf")``: no limit).

    Idempotent (a second call changes the settings); undone by ``uninstall()``.
    """
    resolved = _resolve_mode(mode)
    _install_excepthook()
    shell = _get_ipython()
    if shell is not None and hasattr(shell, "set_custom_exc"):
        _register(shell)
    _start_fit_check(resolved, verbose, budget_ms)


def uninstall() -> None:
    """Undo ``install()`` and ``load_ipython_extension``: the previous hooks and handlers are back."""
    _uninstall_excepthook()
    for reg in list(_state.shells.values()):
        _unregister(reg.shell)
    _stop_fit_check()


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext kerasfix``: explain Keras errors raised by this shell's cells, and check every ``fit`` first
    (mode from ``KERASFIX``, else ``warn``; ``kerasfix.install(mode=...)`` changes it)."""
    _register(ipython)
    if _state.checker is None or not _state.checker.active:
        _start_fit_check(None, None, None)


def unload_ipython_extension(ipython: Any) -> None:
    """``%unload_ext kerasfix``: restore the shell's previous exception handler, and ``fit``."""
    _unregister(ipython)
    if _state.hook is None:  # not also installed for the whole process by install()
        _stop_fit_check()


__all__ = [
    "DEFAULT_BUDGET_MS",
    "MODES",
    "Explanation",
    "FitCheck",
    "Found",
    "SilentFaultError",
    "Where",
    "check_model",
    "estimate_ms",
    "explain",
    "explain_model",
    "find_model_and_data",
    "install",
    "last",
    "last_check",
    "load_ipython_extension",
    "render",
    "render_check",
    "run_script",
    "uninstall",
    "unload_ipython_extension",
]
