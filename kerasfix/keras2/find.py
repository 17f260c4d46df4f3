"""Running every rule over a file, and applying the migrations a caller selects."""

from __future__ import annotations

from collections.abc import Callable

import libcst as cst

from kerasfix.keras2 import api, arguments, conv, imports, metrics, saving, sessions
from kerasfix.keras2.edits import Found, apply_edits
from kerasfix.keras2.migration import NO_HINTS, Hints, Migration
from kerasfix.keras2.source import Source
from kerasfix.rewrite.errors import RewriteError


def _parse(source: str) -> Source:
    try:
        return Source(source)
    except cst.ParserSyntaxError as exc:
        raise RewriteError(f"The file could not be parsed ({exc.message}).") from exc


def _runs_keras2(src: Source) -> bool:
    """The file imports ``tf_keras`` (Keras 2 kept as a package): its Keras-2 code is meant."""
    return any(target == "tf_keras" or target.startswith("tf_keras.") for target in src.table.bindings.values())


def find_all(src: Source, hints: Hints) -> list[Found]:
    if _runs_keras2(src):
        return []
    found = [
        *imports.find(src),
        *arguments.find(src, hints),
        *api.find(src, hints),
        *saving.find(src),
        *metrics.find(src),
        *sessions.find(src),
        *conv.find(src),
    ]
    unique: dict[Migration, Found] = {}
    for item in found:
        unique.setdefault(item.migration, item)
    m = lambda f: f.migration  # noqa: E731
    return sorted(unique.values(), key=lambda f: (m(f).line, m(f).column, m(f).end_line, m(f).end_column, m(f).rule))


def find_migrations(source: str, *, hints: Hints | None = None) -> tuple[Migration, ...]:
    """Every Keras-2 (and Keras-1) API use in ``source`` that Keras 3 rejects or reads differently.

    Ordered by position. Raises RewriteError if the source does not parse.
    """
    return tuple(f.migration for f in find_all(_parse(source), hints or NO_HINTS))


def apply_migrations(
    source: str,
    *,
    include: Callable[[Migration], bool] = lambda m: m.applicability != "display",
    hints: Hints | None = None,
) -> str:
    """``source`` with every migration ``include`` selects rewritten; all or nothing.

    ``display`` migrations have no edit and are never applied. Raises RewriteError
    (and returns nothing) if the file does not parse or an edit cannot be made.
    Applying to the result changes nothing more.
    """
    src = _parse(source)
    selected = [f for f in find_all(src, hints or NO_HINTS) if f.edits and include(f.migration)]
    if not selected:
        return source
    try:
        updated = apply_edits(src.module, [edit for f in selected for edit in f.edits])
    except RewriteError:
        raise
    except Exception as exc:  # a rule's edit that does not fit this tree: nothing is written
        raise RewriteError(f"A Keras 3 migration could not be applied ({type(exc).__name__}: {exc}).") from exc
    return updated.code
