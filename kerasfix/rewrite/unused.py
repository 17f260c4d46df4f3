"""Imports a fix leaves unread: ``from keras.layers import Conv1D`` once its last ``Conv1D`` became ``Conv2D``.

Only names the fix replaced are candidates, and only ``from m import name``
imports: a name still read anywhere (scope analysis, any scope) keeps its
import, and ``import keras`` is never dropped. A removed name takes its own
comment with it; comment lines above an import statement that goes entirely
stay, above the statement that follows.
"""

from __future__ import annotations

from collections.abc import Sequence

import libcst as cst
from libcst.helpers import get_full_name_for_node
from libcst.metadata import ImportAssignment, MetadataWrapper, ScopeProvider

from kerasfix.rewrite.imports import ImportSpec
from kerasfix.rewrite.seq import Seq

B = cst.Module | cst.IndentedBlock


def remove_unused(module: cst.Module, imports: Sequence[ImportSpec]) -> cst.Module:
    """``module`` without the aliases of ``imports`` (``from`` imports) that nothing reads."""
    wanted = {(s.module, s.obj, s.asname) for s in imports if s.obj is not None}
    if not wanted:
        return module
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    scopes = wrapper.resolve(ScopeProvider)
    unread: set[cst.ImportAlias] = set()
    for scope in {s for s in scopes.values() if s is not None}:
        for assignment in scope.assignments:
            if not isinstance(assignment, ImportAssignment) or assignment.references:
                continue
            node = assignment.node
            if not isinstance(node, cst.ImportFrom) or node.relative or node.module is None:
                continue
            if isinstance(node.names, cst.ImportStar):
                continue
            for alias in node.names:
                obj = get_full_name_for_node(alias.name)
                asname = alias.asname.name.value if alias.asname and isinstance(alias.asname.name, cst.Name) else None
                if (get_full_name_for_node(node.module), obj, asname) in wanted and (asname or obj) == assignment.name:
                    unread.add(alias)
    if not unread:
        return module
    return wrapper.module.visit(_Remove(unread))


class _Remove(cst.CSTTransformer):
    def __init__(self, unread: set[cst.ImportAlias]) -> None:
        super().__init__()
        self.unread = unread

    def leave_Module(self, original_node: cst.Module, updated_node: cst.Module) -> cst.Module:
        body, footer = self._body(original_node, updated_node)
        return updated_node.with_changes(body=body, footer=[*footer, *updated_node.footer])

    def leave_IndentedBlock(self, original_node: cst.IndentedBlock, updated_node: cst.IndentedBlock) -> cst.IndentedBlock:
        body, footer = self._body(original_node, updated_node)
        if not body:  # a block cannot be empty: its one import stays
            return updated_node
        return updated_node.with_changes(body=body, footer=[*footer, *updated_node.footer])

    def _body(self, original: B, updated: B) -> tuple[list[cst.BaseStatement], list[cst.EmptyLine]]:
        """The statements left, and the comment lines of a dropped last statement (for the footer)."""
        body: list[cst.BaseStatement] = []
        carried: list[cst.EmptyLine] = []
        for old, new in zip(original.body, updated.body, strict=True):
            if carried and isinstance(new, (cst.SimpleStatementLine, cst.BaseCompoundStatement)):
                new = new.with_changes(leading_lines=[*carried, *new.leading_lines])
                carried = []
            if isinstance(old, cst.SimpleStatementLine) and isinstance(new, cst.SimpleStatementLine):
                small = self._small(old, new)
                if not small:
                    carried = list(new.leading_lines)
                    continue
                new = new.with_changes(body=small)
            body.append(new)
        return body, carried

    def _small(self, old: cst.SimpleStatementLine, new: cst.SimpleStatementLine) -> list[cst.BaseSmallStatement]:
        kept: list[cst.BaseSmallStatement] = []
        for before, after in zip(old.body, new.body, strict=True):
            if isinstance(before, cst.ImportFrom) and isinstance(after, cst.ImportFrom):
                names = self._names(before, after)
                if names is None:
                    continue
                after = names
            kept.append(after)
        if kept and len(kept) < len(new.body):
            # ``a; b`` with ``b`` gone: no ``;`` left dangling at the end.
            kept[-1] = kept[-1].with_changes(semicolon=cst.MaybeSentinel.DEFAULT)
        return kept

    def _names(self, old: cst.ImportFrom, new: cst.ImportFrom) -> cst.ImportFrom | None:
        """``new`` without the unread names; None when none is left."""
        if isinstance(old.names, cst.ImportStar) or isinstance(new.names, cst.ImportStar):
            return new
        gone = [i for i, alias in enumerate(old.names) if alias in self.unread]
        if not gone:
            return new
        if len(gone) == len(old.names):
            return None
        seq = _names_seq(new)
        for i in reversed(gone):
            seq.remove(i)
        return _with_names(new, seq)


def _names_seq(node: cst.ImportFrom) -> Seq[cst.ImportAlias]:
    assert not isinstance(node.names, cst.ImportStar)
    names = list(node.names)
    space = cst.SimpleWhitespace(" ")
    commas = [a.comma if isinstance(a.comma, cst.Comma) else cst.Comma(whitespace_after=space) for a in names[:-1]]
    items = [a.with_changes(comma=cst.MaybeSentinel.DEFAULT) for a in names]
    head: cst.BaseParenthesizableWhitespace = node.lpar.whitespace_after if node.lpar else cst.SimpleWhitespace("")
    last = names[-1].comma
    if isinstance(last, cst.Comma):
        # What is before ``)`` (the last name's comment, the newline) follows the trailing comma: the tail.
        return Seq(items, commas, last.with_changes(whitespace_after=cst.SimpleWhitespace("")), head, last.whitespace_after)
    tail: cst.BaseParenthesizableWhitespace = node.rpar.whitespace_before if node.rpar else cst.SimpleWhitespace("")
    return Seq(items, commas, None, head, tail)


def _with_names(node: cst.ImportFrom, seq: Seq[cst.ImportAlias]) -> cst.ImportFrom:
    n = len(seq.items)
    names = [item.with_changes(comma=seq.commas[i]) for i, item in enumerate(seq.items[:-1])]
    if seq.trailing is not None and node.lpar:
        names.append(seq.items[-1].with_changes(comma=seq.trailing.with_changes(whitespace_after=seq.tail)))
        tail = node.rpar.whitespace_before if node.rpar else cst.SimpleWhitespace("")
    else:
        names.append(seq.items[n - 1])
        tail = seq.tail
    if node.lpar and node.rpar:
        return node.with_changes(
            names=names,
            lpar=node.lpar.with_changes(whitespace_after=seq.head),
            rpar=node.rpar.with_changes(whitespace_before=tail),
        )
    return node.with_changes(names=names)
