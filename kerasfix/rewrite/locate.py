"""Finding the nodes an edit talks about, by source position, and what surrounds them."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import libcst as cst
from libcst.metadata import CodeRange, MetadataWrapper, ParentNodeProvider, PositionProvider, Scope, ScopeProvider

from kerasfix.rewrite.errors import RewriteError
from kerasfix.types import Origin

#: A body of statements: the module's or a compound statement's.
Block = cst.Module | cst.IndentedBlock

Span = tuple[int, int, int, int]


@dataclass(frozen=True)
class ListSite:
    """The layer call is an element of a list/tuple literal (a Sequential list)."""

    container: cst.List | cst.Tuple
    element: cst.BaseElement


@dataclass(frozen=True)
class AddSite:
    """The layer call is the argument of ``receiver.add(...)``, a statement of its own."""

    block: Block
    statement: cst.SimpleStatementLine
    receiver: cst.BaseExpression


@dataclass(frozen=True)
class CalleeSite:
    """The layer is called on the spot, functional style: ``Dense(10)(x)``."""

    outer: cst.Call


@dataclass(frozen=True)
class AttributeSite:
    """The layer is made in a subclassed model's ``__init__`` (``self.d1 = Dense(128)``) and used in its
    ``call`` (``x = self.d1(x)``)."""

    block: Block
    statement: cst.SimpleStatementLine
    owner: str  # ``self``
    attribute: str  # ``d1``
    cls: cst.ClassDef


Site = ListSite | AddSite | CalleeSite | AttributeSite


def _same_file(a: str, b: str) -> bool:
    return os.path.normcase(os.path.abspath(a)) == os.path.normcase(os.path.abspath(b))


class SourceIndex:
    """One metadata pass over a module: call nodes by span, each node's parent, position and scope.

    ``module`` is the tree the nodes belong to; transform that tree, so the nodes
    found here can be recognised by identity.
    """

    def __init__(self, module: cst.Module, path: str | None = None) -> None:
        wrapper = MetadataWrapper(module)
        resolved = wrapper.resolve_many([PositionProvider, ParentNodeProvider])
        positions: Mapping[cst.CSTNode, CodeRange] = resolved[PositionProvider]  # type: ignore[assignment]
        self._positions = positions
        self._parents: Mapping[cst.CSTNode, cst.CSTNode] = resolved[ParentNodeProvider]  # type: ignore[assignment]
        # Scopes let a value at a call be followed to where it is defined (``rewrite/provenance.py``). That is
        # a nicety: code libcst's scope analysis cannot follow gets its fixes as literals, never no fix at all.
        self._scopes: Mapping[cst.CSTNode, Scope | None]
        try:
            self._scopes = wrapper.resolve(ScopeProvider)
        except Exception:  # noqa: BLE001 - any failure of the analysis means: no provenance
            self._scopes = {}
        self.module = wrapper.module
        self.path = path
        self._by_span: dict[Span, list[cst.Call]] = {}
        self._by_start: dict[tuple[int, int], list[tuple[Span, cst.Call]]] = {}
        for node, where in positions.items():
            if isinstance(node, cst.Call):
                span = (where.start.line, where.start.column, where.end.line, where.end.column)
                self._by_span.setdefault(span, []).append(node)
                self._by_start.setdefault(span[:2], []).append((span, node))

    def parent(self, node: cst.CSTNode) -> cst.CSTNode | None:
        """The node's parent, or None for the module."""
        return self._parents.get(node)

    def scope(self, node: cst.CSTNode) -> Scope | None:
        """The scope ``node`` is in (None for nodes libcst gives no scope)."""
        return self._scopes.get(node)

    def line(self, node: cst.CSTNode) -> int | None:
        """The 1-based line ``node`` starts on."""
        where = self._positions.get(node)
        return where.start.line if where is not None else None

    def code(self, node: cst.CSTNode) -> str:
        """Source text of a node of this module."""
        return self.module.code_for_node(node)

    def call_at(
        self,
        origin: Origin | None,
        what: str,
        methods: frozenset[str] | None = None,
        accept: Callable[[cst.Call], bool] | None = None,
    ) -> cst.Call:
        """The call at ``origin``: exactly that span, else the one starting there.

        The fallback only takes ``obj.<method>(...)`` calls when ``methods`` is
        given, and only calls ``accept`` agrees to (e.g. of the right layer class,
        so a stale position fails instead of editing a neighbour); of those, the
        innermost is taken (the layer constructor in ``Dense(10)(x)``).
        """
        if origin is None:
            raise RewriteError(f"{what[0].upper()}{what[1:]} has no recorded position in the source.")
        if self.path is not None and not _same_file(origin.path, self.path):
            raise RewriteError(f"{what[0].upper()}{what[1:]} was written in {origin.path}, not in {self.path}.")
        exact = self._by_span.get((origin.line, origin.column, origin.end_line, origin.end_column), [])
        if len(exact) == 1:
            return exact[0]
        candidates = self._by_start.get((origin.line, origin.column), [])
        if methods is not None:
            candidates = [
                (span, call)
                for span, call in candidates
                if isinstance(call.func, cst.Attribute) and call.func.attr.value in methods
            ]
        if accept is not None:
            candidates = [(span, call) for span, call in candidates if accept(call)]
        if not candidates:
            raise RewriteError(f"Could not find {what} at {origin}; the file may have changed since it was checked.")
        return min(candidates, key=lambda found: found[0][2:])[1]

    def site_of(self, call: cst.Call) -> Site | None:
        """Where a layer constructor call sits: list element, ``.add`` argument or callee."""
        parent = self.parent(call)
        if isinstance(parent, cst.BaseElement):
            container = self.parent(parent)
            if isinstance(container, (cst.List, cst.Tuple)):
                return ListSite(container, parent)
        if isinstance(parent, cst.Arg):
            add_site = self._add_site(parent)
            if add_site is not None:
                return add_site
        if isinstance(parent, cst.Call) and parent.func is call:
            return CalleeSite(parent)
        if isinstance(parent, cst.Assign):
            return self._attribute_site(parent)
        return None

    def _attribute_site(self, assign: cst.Assign) -> AttributeSite | None:
        if len(assign.targets) != 1:
            return None
        target = assign.targets[0].target
        if not (isinstance(target, cst.Attribute) and isinstance(target.value, cst.Name)):
            return None
        line = self.parent(assign)
        block = self.parent(line) if isinstance(line, cst.SimpleStatementLine) else None
        if not isinstance(line, cst.SimpleStatementLine) or not isinstance(block, (cst.Module, cst.IndentedBlock)):
            return None
        current: cst.CSTNode | None = block
        while current is not None and not isinstance(current, cst.ClassDef):
            current = self.parent(current)
        if not isinstance(current, cst.ClassDef):
            return None
        return AttributeSite(block, line, target.value.value, target.attr.value, current)

    def _add_site(self, arg: cst.Arg) -> AddSite | None:
        add = self.parent(arg)
        if not (
            isinstance(add, cst.Call)
            and isinstance(add.func, cst.Attribute)
            and add.func.attr.value == "add"
            and len(add.args) == 1
        ):
            return None
        expr = self.parent(add)
        line = self.parent(expr) if isinstance(expr, cst.Expr) else None
        if not isinstance(line, cst.SimpleStatementLine) or len(line.body) != 1:
            return None
        block = self.parent(line)
        if not isinstance(block, (cst.Module, cst.IndentedBlock)):
            return None
        return AddSite(block, line, add.func.value)

    def in_loop(self, node: cst.CSTNode) -> bool:
        """Whether ``node`` runs once per iteration of a loop in its function (or module)."""
        return self.enclosing_loop(node) is not None

    def enclosing_loop(self, node: cst.CSTNode) -> cst.For | cst.While | None:
        """The innermost loop ``node`` runs in, within its function (or module)."""
        current = self.parent(node)
        while current is not None and not isinstance(current, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
            if isinstance(current, (cst.For, cst.While)):
                return current
            current = self.parent(current)
        return None

    def statement_of(self, node: cst.CSTNode) -> tuple[Block, cst.BaseStatement] | None:
        """The statement holding ``node`` and the block that statement is directly in."""
        current: cst.CSTNode | None = node
        while current is not None:
            parent = self.parent(current)
            if isinstance(parent, (cst.Module, cst.IndentedBlock)) and isinstance(current, cst.BaseStatement):
                return parent, current
            current = parent
        return None
