"""Where an exception reaching the top level is explained: ``sys.excepthook``, and IPython's custom handler.

Each shows the user's traceback first, exactly as it would have been, then the explanation; kerasfix
failing never hides the user's exception.
"""

from __future__ import annotations

import contextlib
import sys
import types
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TextIO

from kerasfix.session.explanation import explain
from kerasfix.session.state import _state, remember

ExcHook = Callable[[type[BaseException], BaseException, Any], Any]


def _explain_to(stream: TextIO, exc: BaseException) -> None:
    """Print the explanation of ``exc``, if there is one; never raise."""
    try:
        expl = explain(exc)
        if expl is None:
            return
        remember("last", expl)
        print("\n" + str(expl), file=stream)
        stream.flush()
    except (Exception, KeyboardInterrupt):  # kerasfix failing must never hide the user's error
        return


# ---------------------------------------------------------------------------
# sys.excepthook.


class _ExceptHook:
    """Shows the previous hook's traceback, then kerasfix's explanation."""
    def __init__(self, previous: ExcHook) -> None:
        self.previous = previous
        self.enabled = True

    def __call__(self, etype: type[BaseException], value: BaseException, tb: types.TracebackType | None) -> None:
        # The user's traceback first, exactly as before, so nothing of it can be lost.
        self.previous(etype, value, tb)
        if self.enabled:
            _explain_to(sys.stderr, value)


def _install_excepthook() -> None:
    hook: _ExceptHook | None = _state.hook
    if hook is not None and sys.excepthook is hook:
        hook.enabled = True
        return
    _state.hook = _ExceptHook(sys.excepthook)
    sys.excepthook = _state.hook


def _uninstall_excepthook() -> None:
    hook: _ExceptHook | None = _state.hook
    if hook is None:
        return
    hook.enabled = False
    if sys.excepthook is hook:
        sys.excepthook = hook.previous
    # Else another hook wraps ours: leave the chain alone; ours now only passes through.
    _state.hook = None


# ---------------------------------------------------------------------------
# IPython.


@dataclass
class _Registration:
    shell: Any
    previous_types: tuple[type[BaseException], ...]
    previous_handler: Any
    ours: Any  # the CustomTB IPython made from our handler
    types: tuple[type[BaseException], ...]
    refresh: Callable[..., None] | None = None


def _exception_types() -> tuple[type[BaseException], ...]:
    """What the IPython handler is registered for: Keras's errors, and TensorFlow's once it is imported."""
    found: list[type[BaseException]] = [ValueError, TypeError]
    tf = sys.modules.get("tensorflow")
    if tf is not None:
        with contextlib.suppress(Exception):
            found.append(tf.errors.OpError)
    return tuple(found)


def _ipython_handler(shell: Any, etype: type[BaseException], value: BaseException, tb: Any,
                     tb_offset: int | None = None) -> None:
    """IPython's custom exception handler: its normal traceback, then the explanation."""
    # showtraceback also sets sys.last_type/last_value/last_traceback (%debug works).
    shell.showtraceback((etype, value, tb), tb_offset=tb_offset)
    _explain_to(sys.stderr, value)


def _register(shell: Any) -> None:
    if id(shell) in _state.shells:
        return
    previous_types = tuple(getattr(shell, "custom_exceptions", ()) or ())
    previous_handler = getattr(shell, "CustomTB", None)
    kinds = _exception_types()
    shell.set_custom_exc(kinds, _ipython_handler)
    reg = _Registration(shell, previous_types, previous_handler, getattr(shell, "CustomTB", None), kinds)

    def refresh(*_args: Any) -> None:
        # TensorFlow is usually imported after the extension is loaded: add its errors then.
        kinds = _exception_types()
        if kinds != reg.types and getattr(shell, "CustomTB", None) is reg.ours:
            shell.set_custom_exc(kinds, _ipython_handler)
            reg.ours, reg.types = shell.CustomTB, kinds

    events = getattr(shell, "events", None)
    if events is not None:
        with contextlib.suppress(Exception):
            events.register("post_run_cell", refresh)
            reg.refresh = refresh
    _state.shells[id(shell)] = reg


def _unregister(shell: Any) -> None:
    reg = _state.shells.pop(id(shell), None)
    if reg is None:
        return
    if getattr(shell, "CustomTB", None) is reg.ours:
        shell.custom_exceptions = reg.previous_types
        shell.CustomTB = reg.previous_handler
    if reg.refresh is not None:
        with contextlib.suppress(Exception):
            shell.events.unregister("post_run_cell", reg.refresh)
