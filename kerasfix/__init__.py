"""kerasfix: diagnose a Keras model that fails to connect or trains on nonsense, and repair it.

In code::

    from kerasfix import diagnose, suggest_fixes
    print(diagnose(model, x, y))
    fixes = suggest_fixes(model, x, y)
    fixed = fixes[0].apply(model)
    fixed.fit(*fixes[0].apply_data(x, y))

On the command line: ``kerasfix check train.py`` and ``kerasfix apply train.py``.
"""

from __future__ import annotations

from typing import Any

from kerasfix.fix import Fix
from kerasfix.kinds import Kind
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


def install() -> None:
    """Explain Keras shape/dtype errors where they happen (see ``kerasfix.session``)."""
    from kerasfix.session import install as _install

    _install()


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
    "Fix",
    "Kind",
    "LayerRef",
    "LayerTrace",
    "Origin",
    "Severity",
    "TensorSpec",
    "diagnose",
    "install",
    "load_ipython_extension",
    "suggest_fixes",
    "unload_ipython_extension",
]
