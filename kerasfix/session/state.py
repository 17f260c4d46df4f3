"""What the session keeps between calls: which hooks are its own, and where the user reads what it last said.

The hooks (``handlers``, ``watch``) and the package's entry points share ``_state``; it lives here, below all
of them, so that none imports the package's ``__init__``. ``last``/``last_check`` stay attributes of the
package itself (``from kerasfix.session import last``): ``remember`` sets them there.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import Any


@dataclass
class _State:
    """Which hooks are the session's own: ``uninstall()`` takes back exactly these.

    Typed loosely: the hook, registration and checker classes live in modules that import this one.
    """

    hook: Any = None  # handlers._ExceptHook
    shells: dict[int, Any] = field(default_factory=dict)  # id(shell) -> handlers._Registration
    checker: Any = None  # watch._FitChecker


_state = _State()


def remember(name: str, value: Any) -> None:
    """Set ``kerasfix.session.<name>`` (``last``, ``last_check``): what the user reads at the prompt."""
    package = sys.modules.get("kerasfix.session")
    if package is not None:
        setattr(package, name, value)


__all__ = ["remember"]
