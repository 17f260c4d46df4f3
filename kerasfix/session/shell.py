"""The IPython shell the session runs in, if any."""

from __future__ import annotations

import builtins
import sys
from typing import Any


def _get_ipython() -> Any:
    """The running IPython shell, or ``None`` (IPython puts ``get_ipython`` in builtins)."""
    fn = getattr(builtins, "get_ipython", None)
    if fn is None:
        fn = getattr(sys.modules.get("IPython"), "get_ipython", None)
    try:
        return fn() if callable(fn) else None
    except Exception:
        return None
