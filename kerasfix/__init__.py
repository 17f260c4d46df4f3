"""kerasfix: diagnose a Keras model that fails to connect or trains on nonsense, and repair it.

In code::

    from kerasfix import diagnose, suggest_fixes
    print(diagnose(model, x, y))
    fixes = suggest_fixes(model, x, y)
    fixed = fixes[0].apply(model)
    fixed.fit(*fixes[0].apply_data(x, y))

In a session, ``kerasfix.install()`` (or ``%load_ext kerasfix``) explains Keras errors where they happen
and checks every ``model.fit`` for silent faults before it trains; ``kerasfix.explain(model, x, y)`` shows
the same on demand.

On the command line: ``kerasfix check train.py``, ``kerasfix apply train.py``, and ``kerasfix run train.py``
(the script, with every ``fit`` checked).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kerasfix.fix import Fix
    from kerasfix.kinds import Kind
    from kerasfix.session import FitCheck, SilentFaultError
    from kerasfix.types import (
        Applicability,
        Diagnosis,
        Edit,
        Finding,
        LayerRef,
        LayerTrace,
        Origin,
        Severity,
        TensorSpec,
    )

# The names are imported on first use (PEP 562): the command line imports this package before it starts its
# Keras worker, and every millisecond spent here is one the user waits for before that import can begin.
_LAZY = {
    "Fix": "kerasfix.fix",
    "Kind": "kerasfix.kinds",
    "FitCheck": "kerasfix.session",
    "SilentFaultError": "kerasfix.session",
    **dict.fromkeys(
        ("Applicability", "Diagnosis", "Edit", "Finding", "LayerRef", "LayerTrace", "Origin", "Severity",
         "TensorSpec"),
        "kerasfix.types",
    ),
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'kerasfix' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


__version__ = "0.1.0"


def diagnose(model: Any, x: Any, y: Any = None, *, loss: Any = None) -> Diagnosis:
    """Run ``model`` on a sample of ``x`` layer by layer and report what is wrong (a ``Diagnosis``)."""
    from kerasfix.diagnosis import diagnose as _diagnose

    return _diagnose(model, x, y, loss=loss)


def suggest_fixes(model: Any, x: Any, y: Any = None, *, loss: Any = None, optimizer: Any = None) -> list[Fix]:
    """Verified fixes for ``model`` on ``x``/``y``, best first; ``[]`` for a model that is fine.

    ``loss`` and ``optimizer`` default to what the model was compiled with.
    """
    from kerasfix.plan import suggest_fixes as _suggest

    return _suggest(model, x, y, loss=loss, optimizer=optimizer)


def install(mode: str | None = None, *, verbose: bool | None = None, budget_ms: float | None = None) -> None:
    """Explain Keras errors where they happen, and check every ``model.fit`` for silent faults before it trains.

    ``mode``: ``"warn"`` (a panel, once per model and fault; training goes on), ``"raise"``
    (``SilentFaultError`` instead of training) or ``"off"``; default: ``$KERASFIX``, else ``"warn"``.
    See ``kerasfix.session.install``.
    """
    from kerasfix.session import install as _install

    _install(mode, verbose=verbose, budget_ms=budget_ms)


def uninstall() -> None:
    """Undo ``install()``: Keras's ``fit`` and the previous exception hooks are back."""
    from kerasfix.session import uninstall as _uninstall

    _uninstall()


def explain(model: Any, x: Any, y: Any = None, *, validation_data: Any = None) -> FitCheck:
    """Print what ``model.fit(x, y)`` would be warned about (crash faults too), with the fix; return it.

    The returned ``FitCheck`` has ``.findings``, ``.errors`` and ``.fix`` (``fix.apply(model)`` gives a new model).
    """
    from kerasfix.session import explain_model

    return explain_model(model, x, y, validation_data=validation_data)


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext kerasfix``: explain Keras errors in the notebook where they happen."""
    from kerasfix.session import load_ipython_extension as _load

    _load(ipython)


def unload_ipython_extension(ipython: Any) -> None:
    """``%unload_ext kerasfix``: restore IPython's own error display."""
    from kerasfix.session import unload_ipython_extension as _unload

    _unload(ipython)


__all__ = [
    "Applicability",
    "Diagnosis",
    "Edit",
    "Finding",
    "FitCheck",
    "Fix",
    "Kind",
    "LayerRef",
    "LayerTrace",
    "Origin",
    "Severity",
    "SilentFaultError",
    "TensorSpec",
    "diagnose",
    "explain",
    "install",
    "load_ipython_extension",
    "suggest_fixes",
    "uninstall",
    "unload_ipython_extension",
]
