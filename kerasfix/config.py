"""``[tool.kerasfix]`` in ``pyproject.toml``: finding it, reading it, and putting the command line over it.

As ruff does: a file's configuration is the closest ``pyproject.toml`` with a
``[tool.kerasfix]`` table, walking up from the file's folder (a
``pyproject.toml`` without the table is passed over). Keys::

    [tool.kerasfix]
    select = ["connection", "labels"]      # kinds or families to look for (default: all)
    ignore = ["rank_silent"]               # kinds or families never reported
    exclude = ["experiments/*", "*_old.py"]  # globs left out of folder searches
    timeout = 300                          # seconds a script may run
    safe-only = true                       # apply: hold back review fixes
    args = ["--epochs", "1"]               # arguments for the scripts (as after --)

A flag given on the command line wins over the file; the file wins over the
defaults. Everything here is a pure function except ``load``/``find``, which
read files.
"""

from __future__ import annotations

import fnmatch
import functools
import os
import shlex
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from kerasfix.kinds import Family, Kind

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

#: The keys ``[tool.kerasfix]`` may hold.
KEYS = ("select", "ignore", "exclude", "timeout", "safe-only", "args")

#: What ``select``/``ignore``/``--select``/``--ignore`` accept: finding kinds and families.
NAMES: tuple[str, ...] = tuple(k.value for k in Kind) + tuple(f.value for f in Family)

DEFAULT_TIMEOUT = 120.0


class ConfigError(ValueError):
    """The configuration cannot be used (a one-line message naming the file and the key)."""


@dataclass(frozen=True)
class Config:
    """One ``[tool.kerasfix]`` table; ``None`` for a key it does not set."""

    path: str
    select: tuple[str, ...] | None = None
    ignore: tuple[str, ...] | None = None
    exclude: tuple[str, ...] = ()
    timeout: float | None = None
    safe_only: bool | None = None
    args: tuple[str, ...] | None = None

    @property
    def root(self) -> str:
        """The folder holding the ``pyproject.toml``: ``exclude`` patterns are relative to it."""
        return os.path.dirname(os.path.abspath(self.path))


def check_names(names: tuple[str, ...], where: str) -> tuple[str, ...]:
    """``names`` if each is a kind or family, else a ``ConfigError`` listing the known ones."""
    for name in names:
        if name not in NAMES:
            raise ConfigError(f"{where}: unknown kind or family {name!r} (known: {', '.join(NAMES)})")
    return names


def split_names(text: str) -> tuple[str, ...]:
    """``"a, b"`` → ``("a", "b")`` (the form ``--select``/``--ignore`` take)."""
    return tuple(s.strip() for s in text.split(",") if s.strip())


def parse(table: Mapping[str, Any], path: str) -> Config:
    """A ``Config`` from the ``[tool.kerasfix]`` table of ``path``; ``ConfigError`` for what is not usable."""
    where = f"{path}: [tool.kerasfix]"
    unknown = sorted(set(table) - set(KEYS))
    if unknown:
        raise ConfigError(f"{where}: unknown key {unknown[0]!r} (known: {', '.join(KEYS)})")

    def strings(key: str) -> tuple[str, ...] | None:
        value = table.get(key)
        if value is None:
            return None
        if isinstance(value, str) and key == "args":
            return tuple(shlex.split(value))
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{where}: {key} must be a list of strings")
        return tuple(value)

    select, ignore = strings("select"), strings("ignore")
    timeout = table.get("timeout")
    if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0):
        raise ConfigError(f"{where}: timeout must be a positive number of seconds")
    safe_only = table.get("safe-only")
    if safe_only is not None and not isinstance(safe_only, bool):
        raise ConfigError(f"{where}: safe-only must be true or false")
    return Config(
        path=path,
        select=check_names(select, f"{where} select") if select is not None else None,
        ignore=check_names(ignore, f"{where} ignore") if ignore is not None else None,
        exclude=strings("exclude") or (),
        timeout=float(timeout) if timeout is not None else None,
        safe_only=safe_only,
        args=strings("args"),
    )


def load(pyproject: str) -> Config | None:
    """The ``[tool.kerasfix]`` of one ``pyproject.toml`` (None when it has no such table)."""
    try:
        with open(pyproject, "rb") as fh:
            data = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{pyproject}: not valid TOML: {exc}") from None
    except OSError as exc:
        raise ConfigError(f"{pyproject}: cannot be read: {exc.strerror or exc}") from None
    table = data.get("tool", {}).get("kerasfix") if isinstance(data.get("tool"), dict) else None
    if table is None:
        return None
    if not isinstance(table, dict):
        raise ConfigError(f"{pyproject}: [tool.kerasfix] must be a table")
    return parse(table, pyproject)


@functools.lru_cache(maxsize=256)
def _find_from(folder: str) -> Config | None:
    candidate = os.path.join(folder, "pyproject.toml")
    if os.path.isfile(candidate):
        found = load(candidate)
        if found is not None:
            return found
    parent = os.path.dirname(folder)
    return None if parent == folder else _find_from(parent)


def find(path: str) -> Config | None:
    """The configuration that applies to ``path`` (a file or folder): the closest ``[tool.kerasfix]`` above it."""
    start = os.path.abspath(path)
    if not os.path.isdir(start):
        start = os.path.dirname(start)
    return _find_from(start)


def clear_cache() -> None:
    """Forget the configurations read so far (a long-lived process whose files changed; tests)."""
    _find_from.cache_clear()


def excluded(path: str, config: Config | None) -> bool:
    """Whether a folder search leaves ``path`` out, by ``config``'s ``exclude``.

    As ruff reads its ``exclude``: a pattern without ``/`` matches a file or
    folder name anywhere (``*_old.py``, ``scratch``); one with ``/`` matches
    the path relative to the folder of the ``pyproject.toml``
    (``experiments/*``, ``src/legacy.py``).
    """
    if config is None or not config.exclude:
        return False
    rel = os.path.relpath(os.path.abspath(path), config.root).replace(os.sep, "/")
    name = os.path.basename(os.path.normpath(path))
    for pattern in config.exclude:
        pattern = pattern.rstrip("/")
        if "/" in pattern:
            if not rel.startswith("../") and fnmatch.fnmatchcase(rel, pattern.removeprefix("./")):
                return True
        elif fnmatch.fnmatchcase(name, pattern):
            return True
    return False


def is_excluded(path: str) -> bool:
    """``excluded`` by the configuration of the folder holding ``path`` (a file or a folder)."""
    return excluded(path, find(os.path.dirname(os.path.abspath(path))))


@dataclass(frozen=True)
class Overrides:
    """What the command line gave; ``None`` where a flag was not given."""

    select: tuple[str, ...] | None = None
    ignore: tuple[str, ...] | None = None
    timeout: float | None = None
    safe_only: bool | None = None
    args: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Settings:
    """What applies to one file, and where each value came from (``default``, a pyproject path, ``command line``)."""

    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    timeout: float = DEFAULT_TIMEOUT
    safe_only: bool = False
    args: tuple[str, ...] = ()
    config: str | None = None
    sources: Mapping[str, str] = field(default_factory=dict, hash=False, compare=False)


def resolve(config: Config | None, cli: Overrides, *, default_timeout: float = DEFAULT_TIMEOUT) -> Settings:
    """The command line over the configuration over the defaults."""
    sources: dict[str, str] = {}
    values: dict[str, Any] = {}
    defaults: dict[str, Any] = {"select": (), "ignore": (), "timeout": default_timeout, "safe_only": False,
                                "args": ()}
    for key, default in defaults.items():
        given = getattr(cli, key)
        configured = getattr(config, key) if config is not None else None
        if given is not None:
            values[key], sources[key] = given, "command line"
        elif configured is not None:
            values[key], sources[key] = configured, config.path if config is not None else "default"
        else:
            values[key], sources[key] = default, "default"
    sources["exclude"] = config.path if config is not None and config.exclude else "default"
    return Settings(exclude=config.exclude if config is not None else (), config=config.path if config else None,
                    sources=sources, **values)


def render(settings: Settings, path: str) -> str:
    """``--show-settings``: what applies to ``path``, one setting a line, each with where it came from."""
    def show(value: Any) -> str:
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, tuple):
            return "[" + ", ".join(f'"{v}"' for v in value) + "]"
        return f"{value:g}" if isinstance(value, float) else str(value)

    rows = [("select", settings.select), ("ignore", settings.ignore), ("exclude", settings.exclude),
            ("timeout", settings.timeout), ("safe-only", settings.safe_only), ("args", settings.args)]
    lines = [f"Settings for {path}", f"  config file: {settings.config or '(none: defaults)'}"]
    width = max(len(k) + 3 + len(show(v)) for k, v in rows)
    for key, value in rows:
        text = f"{key} = {show(value)}"
        note = settings.sources.get(key.replace("-", "_"), "default")
        if key == "select" and not value:
            note += " (empty: every kind)"
        lines.append(f"  {text.ljust(width)}  # {note}")
    return "\n".join(lines)


__all__ = [
    "DEFAULT_TIMEOUT",
    "KEYS",
    "NAMES",
    "Config",
    "ConfigError",
    "Overrides",
    "Settings",
    "check_names",
    "clear_cache",
    "excluded",
    "find",
    "is_excluded",
    "load",
    "parse",
    "render",
    "resolve",
    "split_names",
]
