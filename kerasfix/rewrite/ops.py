"""Planned changes, attached to the original nodes they apply to.

Edits are resolved against the original tree first (positions refer to it);
each becomes one of these operations, keyed by the node that owns the change,
and the transformer applies them while rebuilding that node. Operations check
at apply time whether their change is already there, so applying twice, or two
equal edits at once, changes nothing more.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import libcst as cst

from kerasfix.rewrite.imports import ImportSpec
from kerasfix.rewrite.locate import Block
from kerasfix.rewrite.provenance import Placement
from kerasfix.rewrite.seq import Seq


@dataclass(frozen=True)
class ArgOp:
    """Change a call's arguments; ``change`` returns whether anything changed."""

    change: Callable[[Seq[cst.Arg]], bool]


@dataclass(frozen=True)
class InsertItem:
    """Insert an element right before ``before`` (or right after it) in a list/tuple literal."""

    before: cst.BaseElement
    make: Callable[[], cst.BaseExpression]
    present: Callable[[cst.BaseExpression], bool]
    imports: tuple[ImportSpec, ...] = ()
    after: bool = False


@dataclass(frozen=True)
class MoveItem:
    """Move ``item`` right before ``before`` (None: to the end) in its list/tuple literal."""

    item: cst.BaseElement
    before: cst.BaseElement | None


@dataclass(frozen=True)
class InsertStatement:
    """Insert a statement right before (or after) ``anchor`` in a block."""

    anchor: cst.BaseStatement
    after: bool
    make: Callable[[], cst.SimpleStatementLine]
    present: Callable[[cst.BaseStatement], bool]
    imports: tuple[ImportSpec, ...] = ()


@dataclass(frozen=True)
class MoveStatement:
    """Move ``statement`` right before ``before`` (None: after the last ``receiver.add(...)``)."""

    statement: cst.BaseStatement
    before: cst.BaseStatement | None
    receiver: str


@dataclass(frozen=True)
class Wrap:
    """Replace an expression ``e`` by ``wrap(e)``, unless ``present(e)``."""

    wrap: Callable[[cst.BaseExpression], cst.BaseExpression]
    present: Callable[[cst.BaseExpression], bool]
    imports: tuple[ImportSpec, ...] = ()


ItemOp = InsertItem | MoveItem
StatementOp = InsertStatement | MoveStatement


@dataclass
class Plan:
    """All operations, keyed by the original node they change."""

    args: dict[cst.Call, list[ArgOp]] = field(default_factory=dict)
    items: dict[cst.CSTNode, list[ItemOp]] = field(default_factory=dict)
    statements: dict[Block, list[StatementOp]] = field(default_factory=dict)
    wraps: dict[cst.CSTNode, list[Wrap]] = field(default_factory=dict)
    #: Values written in the user's terms (at their definition, or as an expression), for the fix's summary.
    placed: list[Placement] = field(default_factory=list)
    #: ``from m import name`` imports whose uses the plan replaces: removed if no use of the name is left.
    unused: list[ImportSpec] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.args or self.items or self.statements or self.wraps)
