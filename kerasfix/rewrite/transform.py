"""Applying a plan in one pass over the tree, then adding the imports it needs."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar, cast

import libcst as cst
import libcst.helpers

from kerasfix.rewrite.errors import RewriteError
from kerasfix.rewrite.imports import ImportSpec, scan_imports
from kerasfix.rewrite.locate import SourceIndex
from kerasfix.rewrite.ops import ItemOp, MoveItem, MoveStatement, Plan, StatementOp
from kerasfix.rewrite.provenance import Placement
from kerasfix.rewrite.resolve import added_layer, plan_edits
from kerasfix.rewrite.seq import Carried, Seq, args_seq, elements_seq, with_args, with_elements
from kerasfix.rewrite.unused import remove_unused
from kerasfix.types import Edit

B = TypeVar("B", cst.Module, cst.IndentedBlock)
C = TypeVar("C", cst.List, cst.Tuple)
N = TypeVar("N", bound=cst.CSTNode)


class _After:
    """Tag of a statement inserted after ``anchor`` (keeps several in edit order)."""

    def __init__(self, anchor: cst.BaseStatement) -> None:
        self.anchor = anchor


class _Apply(cst.CSTTransformer):
    def __init__(self, plan: Plan) -> None:
        super().__init__()
        self.plan = plan
        self.imports: list[ImportSpec] = []

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.Call:
        ops = self.plan.args.get(original_node)
        if not ops:
            return updated_node
        seq = args_seq(updated_node)
        changed = False
        for op in ops:
            changed = op.change(seq) or changed
        return with_args(updated_node, seq) if changed else updated_node

    def leave_List(self, original_node: cst.List, updated_node: cst.List) -> cst.List:
        return self._items(original_node, updated_node)

    def leave_Tuple(self, original_node: cst.Tuple, updated_node: cst.Tuple) -> cst.Tuple:
        return self._items(original_node, updated_node)

    def _items(self, original: C, updated: C) -> C:
        ops = self.plan.items.get(original)
        if not ops:
            return updated
        seq = elements_seq(updated, tags=list(original.elements))
        changed = False
        for op in ops:
            changed = self._item_op(seq, op) or changed
        return with_elements(updated, seq) if changed else updated

    def _item_op(self, seq: Seq[cst.BaseElement], op: ItemOp) -> bool:
        if isinstance(op, MoveItem):
            return seq.move(op.item, op.before)
        index = seq.index_of(op.before)
        if index is None:
            raise RewriteError("The layer to insert before is no longer in its list.")
        if op.after:
            index += 1
            if index < len(seq.items) and op.present(seq.items[index].value):
                return False
        elif index > 0 and op.present(seq.items[index - 1].value):
            return False
        seq.insert(index, Carried(cst.Element(op.make())))
        self.imports.extend(op.imports)
        return True

    def leave_IndentedBlock(
        self, original_node: cst.IndentedBlock, updated_node: cst.IndentedBlock
    ) -> cst.IndentedBlock:
        return self._block(original_node, updated_node)

    def leave_Module(self, original_node: cst.Module, updated_node: cst.Module) -> cst.Module:
        return self._block(original_node, updated_node)

    def _block(self, original: B, updated: B) -> B:
        ops = self.plan.statements.get(original)
        if not ops:
            return updated
        body: list[cst.BaseStatement] = list(updated.body)
        tags: list[object | None] = list(original.body)
        changed = False
        for op in ops:
            changed = self._statement_op(body, tags, op) or changed
        return updated.with_changes(body=body) if changed else updated

    def _statement_op(self, body: list[cst.BaseStatement], tags: list[object | None], op: StatementOp) -> bool:
        if isinstance(op, MoveStatement):
            return _move_statement(body, tags, op)
        index = _index(tags, op.anchor)
        if op.after:
            index += 1
            # Walk past fixes already inserted after this anchor, keeping edit order.
            while index < len(body) and _inserted_after(tags[index], op.anchor):
                if op.present(body[index]):
                    return False
                index += 1
            tag: object | None = _After(op.anchor)
        else:
            if index > 0 and op.present(body[index - 1]):
                return False
            tag = None
        body.insert(index, op.make())
        tags.insert(index, tag)
        self.imports.extend(op.imports)
        return True

    def on_leave(self, original_node: N, updated_node: N) -> N | cst.RemovalSentinel | cst.FlattenSentinel[N]:
        result = super().on_leave(original_node, updated_node)
        wraps = self.plan.wraps.get(original_node)
        if not wraps:
            return result
        assert isinstance(result, cst.BaseExpression)
        expr: cst.BaseExpression = result
        for wrap in wraps:
            if not wrap.present(expr):
                expr = wrap.wrap(expr)
                self.imports.extend(wrap.imports)
        # An expression stays an expression; the parent's field accepts any.
        return cast(N, expr)


def _inserted_after(tag: object | None, anchor: cst.BaseStatement) -> bool:
    return isinstance(tag, _After) and tag.anchor is anchor


def _index(tags: Sequence[object | None], node: object) -> int:
    for i, tag in enumerate(tags):
        if tag is node:
            return i
    raise RewriteError("A statement kerasfix meant to edit next to has been moved or removed.")


def _move_statement(body: list[cst.BaseStatement], tags: list[object | None], op: MoveStatement) -> bool:
    index = _index(tags, op.statement)
    if op.before is not None:
        if _index(tags, op.before) == index + 1:
            return False
    else:
        last = max(i for i, s in enumerate(body) if added_layer(s, op.receiver) is not None)
        if last == index:
            return False
    statement, tag = body.pop(index), tags.pop(index)
    if op.before is not None:
        destination = _index(tags, op.before)
    else:
        destination = max(i for i, s in enumerate(body) if added_layer(s, op.receiver) is not None) + 1
    body.insert(destination, statement)
    tags.insert(destination, tag)
    return True


def _add_imports(module: cst.Module, imports: Sequence[ImportSpec]) -> cst.Module:
    if not imports:
        return module
    # Imported here: libcst.codemod pulls in libcst.matchers, ~1 s of start-up for runs that write nothing.
    from libcst.codemod import CodemodContext
    from libcst.codemod.visitors import AddImportsVisitor

    context = CodemodContext()
    for spec in dict.fromkeys(imports):
        AddImportsVisitor.add_needed_import(context, spec.module, spec.obj, spec.asname)
    # A fresh copy: the transform may share unchanged subtrees between places.
    added = AddImportsVisitor(context).transform_module(module.deep_clone())
    names: set[tuple[str, str | None]] = {(spec.module, spec.obj) for spec in imports if spec.asname is None}
    return added.visit(_KeepSorted(names))


class _KeepSorted(cst.CSTTransformer):
    """Names added to ``from m import a, b, c`` go where they sort, when the names were sorted (as isort keeps them).

    libcst's ``AddImportsVisitor`` puts it first. One-line imports only: a
    parenthesised, commented list is left as libcst wrote it.
    """

    def __init__(self, added: set[tuple[str, str | None]]) -> None:
        super().__init__()
        self.added = added

    def leave_ImportFrom(self, original_node: cst.ImportFrom, updated_node: cst.ImportFrom) -> cst.ImportFrom:
        if updated_node.module is None or isinstance(updated_node.names, cst.ImportStar) or updated_node.lpar:
            return updated_node
        module = cst.helpers.get_full_name_for_node(updated_node.module)
        aliases = list(updated_node.names)
        new = [a for a in aliases if (module, cst.helpers.get_full_name_for_node(a.name)) in self.added and a.asname is None]
        if not new or any(a is not b for a, b in zip(aliases[: len(new)], new, strict=True)) or len(aliases) <= len(new):
            return updated_node

        def key(alias: cst.ImportAlias) -> str:
            return (cst.helpers.get_full_name_for_node(alias.name) or "").lower()

        rest = aliases[len(new):]
        if [key(a) for a in rest] != sorted(key(a) for a in rest):
            return updated_node
        ordered = sorted(aliases, key=key)
        last_comma = aliases[-1].comma
        between = aliases[1].comma if len(aliases) > 2 else aliases[0].comma  # the file's own separator
        names = [a.with_changes(comma=between if i < len(ordered) - 1 else last_comma) for i, a in enumerate(ordered)]
        return updated_node.with_changes(names=names)


@dataclass(frozen=True)
class Written:
    """A rewritten source, and the values it wrote in the user's terms rather than as literals at a call."""

    source: str
    placed: tuple[Placement, ...] = ()

    @property
    def notes(self) -> tuple[str, ...]:
        """One sentence per value written at its definition or as an expression (for the fix's summary)."""
        return tuple(p.note for p in self.placed if p.note)

    @property
    def shared(self) -> bool:
        """A changed definition is read elsewhere too, so the fix is for review."""
        return any(p.shared for p in self.placed)


def apply_edits(source: str, edits: Sequence[Edit], *, path: str | None = None, literal: bool = False) -> str:
    """Return ``source`` with all ``edits`` applied.

    Positions in the edits refer to ``source``. Raises RewriteError, and changes
    nothing, if any edit cannot be placed. Edits whose change is already there
    are no-ops, so applying the edits re-diagnosed on the output returns it
    unchanged. ``path``, when given, must be the file the edits' origins name.
    A value is written where the script defines it, or as an expression over
    its data, when that can be told (``rewrite/provenance.py``); ``literal``
    writes every value as a literal at its call instead.
    """
    return write_edits(source, edits, path=path, literal=literal).source


def write_edits(source: str, edits: Sequence[Edit], *, path: str | None = None, literal: bool = False,
                data: bool = True) -> Written:
    """``apply_edits``, also telling which values were written in the user's terms and where.

    ``data=False``: no expression over the data (``X.shape[1:]``, ``int(y.max()) + 1``), for a write
    that no run of the script will check.
    """
    if not edits:
        return Written(source)
    try:
        module = cst.parse_module(source)
    except cst.ParserSyntaxError as exc:
        raise RewriteError(f"The file could not be parsed ({exc.message}).") from exc
    index = SourceIndex(module, path)
    plan = plan_edits(index, scan_imports(index.module), edits, literal=literal, data=data)
    if not plan:
        return Written(source)
    applier = _Apply(plan)
    updated = index.module.visit(applier)
    updated = _add_imports(updated, applier.imports)
    updated = remove_unused(updated, plan.unused)
    return Written(updated.code, tuple(plan.placed))
