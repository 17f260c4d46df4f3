"""Source changes as operations on original nodes, and the one pass that applies them.

A rule describes its change against the tree it analysed: rename this keyword,
drop that argument, replace this node by a function of its rewritten self. The
transformer applies every operation while rebuilding the node it belongs to, so
operations on a node and on its children compose (``fit_generator(…, workers=4)``
loses ``workers`` and becomes ``fit`` in one pass), and everything else in the file
is reused as it was parsed: comments, quotes, blank lines, line endings.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import libcst as cst

from kerasfix.keras2.migration import Migration
from kerasfix.rewrite.args import keyword_index
from kerasfix.rewrite.errors import RewriteError
from kerasfix.rewrite.imports import ImportSpec
from kerasfix.rewrite.seq import Seq, args_seq, with_args

#: A new node (or statements, for a statement) from the rewritten node.
Make = Callable[[Any], Any]


@dataclass(frozen=True)
class Replace:
    """Replace ``node`` by ``make(node as rewritten so far)``."""

    node: cst.CSTNode
    make: Make
    imports: tuple[ImportSpec, ...] = ()


@dataclass(frozen=True)
class ArgsEdit:
    """Change the arguments of ``call``, in the author's comma and line style."""

    call: cst.Call
    change: Callable[[Seq[cst.Arg]], None]
    imports: tuple[ImportSpec, ...] = ()


Edit = Replace | ArgsEdit


@dataclass(frozen=True)
class Found:
    """A migration and the edits that carry it out (none for ``display``)."""

    migration: Migration
    edits: tuple[Edit, ...] = ()


# -- edits rules build from ------------------------------------------------------------------


def rename_keyword(arg: cst.Arg, new: str, value: cst.BaseExpression | None = None) -> Replace:
    """``old=v`` → ``new=v`` (or ``new=value``), keeping the ``=`` spacing."""

    def make(node: cst.Arg) -> cst.Arg:
        changes: dict[str, Any] = {"keyword": cst.Name(new)}
        if value is not None:
            changes["value"] = value
        return node.with_changes(**changes)

    return Replace(arg, make)


def drop_keyword(call: cst.Call, name: str) -> ArgsEdit:
    """Remove ``name=…`` from ``call``, mending commas and keeping comments of the other arguments."""

    def change(seq: Seq[cst.Arg]) -> None:
        index = keyword_index(seq, name)
        if index is None:
            raise RewriteError(f"The argument {name}= is no longer in the call.")
        seq.remove(index)

    return ArgsEdit(call, change)


def keywords_for_positionals(call: cst.Call, names: Sequence[str], start: int = 1) -> ArgsEdit:
    """Give the positional arguments from ``start`` on the keywords ``names`` (in order)."""

    def change(seq: Seq[cst.Arg]) -> None:
        equal = next((a.equal for a in seq.items if isinstance(a.equal, cst.AssignEqual)), None)
        if equal is None:
            equal = cst.AssignEqual(
                whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace("")
            )
        for i, arg in enumerate(seq.items):
            if i < start or arg.keyword is not None or arg.star:
                continue
            seq.items[i] = arg.with_changes(keyword=cst.Name(names[i - start]), equal=equal.deep_clone())

    return ArgsEdit(call, change)


def template(text: str, **parts: cst.BaseExpression) -> cst.BaseExpression:
    """An expression from source with ``{name}`` holes filled by nodes (kept as they are)."""
    holes = {name: f"__kerasfix_{name}__" for name in parts}
    parsed = cst.parse_expression(text.format(**holes))
    by_hole = {hole: parts[name] for name, hole in holes.items()}

    class _Fill(cst.CSTTransformer):
        def leave_Name(self, original_node: cst.Name, updated_node: cst.Name) -> cst.BaseExpression:
            return by_hole.get(updated_node.value, updated_node)

    filled = parsed.visit(_Fill())
    assert isinstance(filled, cst.BaseExpression)
    return filled


def parenthesized(expr: cst.BaseExpression) -> cst.BaseExpression:
    """``expr`` safe as an operand of ``/`` or ``>`` (a bare name or call stays as it is)."""
    atoms = (cst.Name, cst.Attribute, cst.Call, cst.Subscript, cst.Integer, cst.Float, cst.SimpleString)
    if isinstance(expr, atoms) or expr.lpar:
        return expr
    return expr.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])


# -- applying -----------------------------------------------------------------------------------


class _Apply(cst.CSTTransformer):
    def __init__(self, edits: Sequence[Edit]) -> None:
        super().__init__()
        self.args: dict[cst.CSTNode, list[ArgsEdit]] = {}
        self.replaces: dict[cst.CSTNode, list[Replace]] = {}
        for edit in edits:
            if isinstance(edit, ArgsEdit):
                self.args.setdefault(edit.call, []).append(edit)
            else:
                self.replaces.setdefault(edit.node, []).append(edit)

    def on_leave(self, original_node: Any, updated_node: Any) -> Any:
        result: Any = super().on_leave(original_node, updated_node)
        arg_edits = self.args.get(original_node)
        if arg_edits:
            seq = args_seq(result)
            for edit in arg_edits:
                edit.change(seq)
            result = with_args(result, seq)
        for replace in self.replaces.get(original_node, ()):
            result = replace.make(result)
        return result


def apply_edits(module: cst.Module, edits: Sequence[Edit]) -> cst.Module:
    """``module`` (the tree the edits were found in) with every edit applied, imports added."""
    updated = module.visit(_Apply(edits))
    imports = [spec for edit in edits for spec in edit.imports]
    if not imports:
        return updated
    # Imported here: libcst.codemod pulls in libcst.matchers, ~1 s of start-up for runs that write nothing.
    from libcst.codemod import CodemodContext
    from libcst.codemod.visitors import AddImportsVisitor

    context = CodemodContext()
    for spec in dict.fromkeys(imports):
        AddImportsVisitor.add_needed_import(context, spec.module, spec.obj, spec.asname)
    return AddImportsVisitor(context).transform_module(updated.deep_clone())
