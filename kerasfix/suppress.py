"""``# kerasfix: ignore[kind, …]`` comments: reading them, and what they silence (as ruff's ``# noqa``).

A comment ``# kerasfix: ignore[units_mismatch]`` silences findings of that
kind whose span (``origin.line`` to ``origin.end_line``: every line of a
multi-line call) includes the comment's line. Several kinds (or families, as
``--select`` takes them) are separated by commas; a bare ``# kerasfix: ignore``
silences every kind there. Comments are read with ``tokenize``, so the same
text inside a string is not a suppression.

Pure functions on source text and findings; nothing here imports TensorFlow.
"""

from __future__ import annotations

import io
import re
import tokenize
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from kerasfix.kinds import Family, Kind
from kerasfix.types import Finding, Origin

_DIRECTIVE = re.compile(r"#\s*kerasfix:\s*ignore\b(?:\s*\[(?P<kinds>[^\]]*)\])?", re.IGNORECASE)

#: Every name a suppression (or ``select``/``ignore``) may use: kinds and families.
KNOWN_NAMES: frozenset[str] = frozenset(k.value for k in Kind) | frozenset(f.value for f in Family)


@dataclass(frozen=True)
class Suppression:
    """One ``# kerasfix: ignore`` comment: its line (1-based), column (0-based) and names (empty: all kinds)."""

    line: int
    column: int
    names: tuple[str, ...] = ()

    @property
    def bare(self) -> bool:
        return not self.names

    def covers(self, kind: str, family: str | None = None) -> bool:
        """Whether this comment names ``kind`` (or its ``family``), or is bare."""
        return self.bare or kind in self.names or (family is not None and family in self.names)


@dataclass(frozen=True)
class Unused:
    """A suppression (or one name in it) that silenced nothing: ``name`` None for a bare comment."""

    origin: Origin
    name: str | None
    known: bool = True

    def describe(self, where: str) -> str:
        """``unused suppression of units_mismatch at line 12`` (``where``: ``line 12`` or ``cell 2, line 3``)."""
        if self.name is None:
            return f"unused suppression (kerasfix: ignore) at {where}"
        tail = "" if self.known else f" ({self.name!r} is not a kind or family kerasfix knows)"
        return f"unused suppression of {self.name} at {where}{tail}"


def parse(source: str) -> tuple[Suppression, ...]:
    """Every ``# kerasfix: ignore`` comment of ``source``, in order (none when it does not tokenize)."""
    found: list[Suppression] = []
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.type != tokenize.COMMENT:
                continue
            m = _DIRECTIVE.search(tok.string)  # also after another tool's directive: ``# noqa: E501  # kerasfix: …``
            if m is None:
                continue
            names = tuple(n.strip() for n in (m.group("kinds") or "").split(",") if n.strip())
            found.append(Suppression(tok.start[0], tok.start[1] + m.start(), names))
    except (tokenize.TokenError, SyntaxError):  # a file that does not tokenize is reported elsewhere
        return tuple(found)
    return tuple(found)


def covering(finding: Finding, suppressions: Iterable[Suppression], family: str | None = None) -> Suppression | None:
    """The comment that silences ``finding`` (on a line of its span and naming its kind), if any."""
    o = finding.origin
    if o is None:
        return None
    last = max(o.line, o.end_line)
    for s in suppressions:
        if o.line <= s.line <= last and s.covers(finding.kind.value, family):
            return s
    return None


def _no_family(_kind: str) -> str | None:
    return None


@dataclass
class Ledger:
    """What the comments of one script silenced, and which of their names were used (for ``-v``)."""

    suppressions: tuple[Suppression, ...]
    family_of: Callable[[str], str | None] = _no_family
    silenced: list[Finding] = field(default_factory=list)
    used: set[tuple[int, str | None]] = field(default_factory=set)

    def split(self, findings: Iterable[Finding], *, record: bool = True) -> tuple[tuple[Finding, ...], tuple[Finding, ...]]:
        """``(kept, silenced)``; ``record`` notes the silenced findings and the names that silenced them."""
        kept: list[Finding] = []
        quiet: list[Finding] = []
        for f in findings:
            family = self.family_of(f.kind.value)
            s = covering(f, self.suppressions, family)
            if s is None:
                kept.append(f)
                continue
            quiet.append(f)
            if record:
                if f not in self.silenced:
                    self.silenced.append(f)
                name = None if s.bare else (f.kind.value if f.kind.value in s.names else family)
                self.used.add((s.line, name))
        return tuple(kept), tuple(quiet)

    def silences(self, finding: Finding) -> bool:
        return covering(finding, self.suppressions, self.family_of(finding.kind.value)) is not None

    def unused(self, path: str, selected: Callable[[str], bool] = lambda _name: True) -> tuple[Unused, ...]:
        """The names (or bare comments) that silenced nothing; names not ``selected`` are not judged."""
        out: list[Unused] = []
        for s in self.suppressions:
            origin = Origin(path, s.line, s.column, s.line, s.column)
            if s.bare:
                if (s.line, None) not in self.used:
                    out.append(Unused(origin, None))
                continue
            for name in s.names:
                if name not in KNOWN_NAMES:
                    out.append(Unused(origin, name, known=False))
                elif (s.line, name) not in self.used and selected(name):
                    out.append(Unused(origin, name))
        return tuple(out)


__all__ = ["KNOWN_NAMES", "Ledger", "Suppression", "Unused", "covering", "parse"]
