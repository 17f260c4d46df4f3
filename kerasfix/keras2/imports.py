"""``keras2_import``: modules Keras 3 removed, in import statements and in dotted uses.

The root stays what the file wrote: a ``tensorflow.keras.layers.core`` import
becomes ``tensorflow.keras.layers``, never ``keras.layers``, because
``tensorflow.keras`` still carries shims standalone Keras 3 dropped. The one
move across roots goes the other way: ``ImageDataGenerator``, ``Tokenizer`` and
friends survive only under ``tensorflow.keras.preprocessing``, so a standalone
``keras.preprocessing`` import of them moves there.
"""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst
from libcst.helpers import get_full_name_for_node

from kerasfix.keras2 import merge, sessions
from kerasfix.keras2.edits import Edit, Found, Replace
from kerasfix.keras2.names import LEGACY_PREPROCESSING, ModuleMove, join, module_move, name_target, split_keras
from kerasfix.keras2.source import Source, code_of
from kerasfix.rewrite.imports import ImportSpec, Named

KIND = "keras2_import"

#: (module, imported name, as-name) of one name after the move.
Moved = tuple[str, str, str | None]

_SCIKIT_LEARN = "wrappers.scikit_learn"
_TF_BACKEND = "backend.tensorflow_backend"


def find(src: Source) -> Iterator[Found]:
    for node in src.imports:
        if isinstance(node, cst.ImportFrom):
            yield from _import_from(src, node)
        else:
            yield from _import(src, node)
    for attribute in src.attributes:
        yield from _dotted_use(src, attribute)


def _message(module: str, where: str) -> str:
    return f"`{module}` does not exist in Keras 3; its contents are in `{where}`"


def _display(src: Source, node: cst.CSTNode, rest: str, module: str) -> Iterator[Found]:
    if rest == _SCIKIT_LEARN or rest.startswith(_SCIKIT_LEARN + "."):
        yield Found(
            src.migration(
                node, KIND, "scikit_learn_wrapper", f"`{module}` (KerasClassifier/KerasRegressor) was removed in Keras 3",
                "display", "keras.wrappers.SKLearnClassifier/SKLearnRegressor (model=… instead of build_fn=), or scikeras",
            )
        )
    elif rest == _TF_BACKEND:
        message = f"`{module}` was removed (Keras 3 has no sessions)"
        instead = "tf.config.experimental.set_memory_growth / tf.config.list_physical_devices"
        removal = sessions.set_session_removal(src, node) if isinstance(node, cst.ImportFrom) else None
        if removal is None:
            yield Found(src.migration(node, KIND, "tensorflow_backend_module", message, "display", instead))
        else:
            yield Found(
                src.migration(
                    node, KIND, "tensorflow_backend_module", message + "; `set_session(…)` does nothing to set", "review",
                    f"remove the import and the set_session(…) statements (for what the session configured: {instead})",
                ),
                removal,
            )


def _legacy_names(rest: str) -> frozenset[str] | None:
    return LEGACY_PREPROCESSING[rest]


def _import_from(src: Source, node: cst.ImportFrom) -> Iterator[Found]:
    if node.relative or node.module is None or isinstance(node.names, cst.ImportStar):
        return
    module = get_full_name_for_node(node.module)
    split = split_keras(module) if module is not None else None
    if module is None or split is None:
        return
    root, rest = split
    yield from _display(src, node, rest, module)
    moved: list[Moved] = []
    rules: list[str] = []
    unknown: list[str] = []
    gone: dict[str, str] = {}
    move = module_move(rest)
    for alias in node.names:
        name = get_full_name_for_node(alias.name) or ""
        asname = alias.asname.name.value if alias.asname is not None and isinstance(alias.asname.name, cst.Name) else None
        if move is not None:
            sub_move = module_move(join(rest, name))
            if sub_move is not None and sub_move.rest == join(rest, name) and sub_move is not move:
                # ``from keras.layers.experimental import preprocessing``: the name is a removed module
                # itself → ``from keras import layers as preprocessing``.
                parent, _, last = join(root, sub_move.target).rpartition(".")
                if parent:
                    moved.append((parent, last, asname or name))
                    rules.append(sub_move.rule)
                    continue
            target = name_target(move, name)
            if target is None:
                unknown.append(name)
                target = move.target
            moved.append((join(root, target), name, asname))
            rules.append(move.rule)
            continue
        if root == "keras" and rest in LEGACY_PREPROCESSING:
            legacy = _legacy_names(rest)
            if legacy is None or name in legacy:
                rules.append("preprocessing_legacy_module")
            moved.append((module, name, asname))
            continue
        sub = join(rest, name)
        sub_move = module_move(sub)
        if sub == "layers.merge" and merge.merge_calls(src, asname or name):
            # Keras 1's merge() function, not the Keras 2 module: the calls become layers, the import goes.
            yield from merge.find_calls(src, asname or name, root)
            if not merge.all_rewritable(src, asname or name, root):
                return
            moved.append(_DROP)
            rules.append("merge_mode")
            continue
        if sub_move is not None and sub_move.rest == sub:
            # ``from keras.utils import np_utils`` → ``from keras import utils as np_utils``.
            parent, _, last = join(root, sub_move.target).rpartition(".")
            if parent:
                moved.append((parent, last, asname or name))
                rules.append(sub_move.rule)
                gone[join(module, name)] = join(root, sub_move.target)
                continue
        if root == "keras" and sub in LEGACY_PREPROCESSING and _uses_legacy(src, f"keras.{sub}", sub):
            moved.append((f"tensorflow.keras.{rest}", name, asname))
            rules.append("preprocessing_legacy_module")
            continue
        moved.append((module, name, asname))
    if not rules:
        return
    rule = rules[0]
    if set(rules) == {"merge_mode"}:
        message = "Keras 1's `merge` function was removed; its calls are now layers of `keras.layers`"
        kept = [m for m in moved if m[0]]
        edit = _rewrite_from(src, node, moved) if kept else _remove_line(src, node)
        if edit is None:
            yield Found(src.migration(node, KIND, rule, message, "display", "import the merge layers instead of merge"))
        else:
            yield Found(src.migration(node, KIND, rule, message, "safe", "drop merge from the import"), (edit,))
        return
    rules = [r for r in rules if r != "merge_mode"]
    rule = rules[0]
    if "preprocessing_legacy_module" in rules and move is None and root == "keras" and rest in LEGACY_PREPROCESSING:
        # Every name of a legacy module import goes along (they all exist under tensorflow.keras).
        moved = [(f"tensorflow.keras.{rest}", n, a) for _, n, a in moved]
    targets = list(dict.fromkeys(m for m, _, _ in moved))
    if rule == "preprocessing_legacy_module":
        legacy = _legacy_names(rest) if rest in LEGACY_PREPROCESSING else None
        names = [n for _, n, _ in moved if legacy is None or n in legacy] if move is None else []
        where = f"tensorflow.keras.{rest}" if rest in LEGACY_PREPROCESSING else "tensorflow.keras.preprocessing"
        message = f"`{module}` has no {', '.join(names) or 'legacy API'} in Keras 3; it survives only under `{where}`"
    elif move is not None:
        message = _message(module, " and ".join(targets))
    else:
        message = _message(" and ".join(gone), " and ".join(dict.fromkeys(gone.values())))
    if unknown:
        yield Found(src.migration(node, KIND, rule, message + f" (except {', '.join(unknown)}, which Keras 3 removed)", "display", "import from " + " / ".join(targets)))
        return
    replacement = "import from " + " and ".join(targets)
    edit = _rewrite_from(src, node, moved)
    if edit is None:
        yield Found(src.migration(node, KIND, rule, message, "display", replacement))
        return
    yield Found(src.migration(node, KIND, rule, message, "safe", replacement), (edit,))


#: A ``Moved`` entry for a name the import loses.
_DROP: Moved = ("", "", None)


def _remove_line(src: Source, node: cst.ImportFrom) -> Edit | None:
    line = src.parent(node)
    if not isinstance(line, cst.SimpleStatementLine) or len(line.body) != 1:
        return None
    return Replace(line, lambda _n: cst.RemovalSentinel.REMOVE)


def _uses_legacy(src: Source, module: str, rest: str) -> bool:
    legacy = _legacy_names(rest)
    if legacy is None:
        return True
    for attribute in src.attributes:
        qualified = src.qualified(attribute)
        if qualified is not None and qualified.rpartition(".")[0] == module and attribute.attr.value in legacy:
            return True
    return False


def _alias(name: str, asname: str | None, original: cst.ImportAlias | None) -> cst.ImportAlias:
    new_name = cst.parse_expression(name)
    assert isinstance(new_name, (cst.Name, cst.Attribute))
    as_node = cst.AsName(cst.Name(asname)) if asname is not None else None
    if original is not None:
        if original.asname is not None and asname is not None and code_of(original.asname.name) == asname:
            as_node = original.asname
        return original.with_changes(name=new_name, asname=as_node)
    return cst.ImportAlias(name=new_name, asname=as_node)


def _module_expr(module: str) -> cst.Attribute | cst.Name:
    expr = cst.parse_expression(module)
    assert isinstance(expr, (cst.Attribute, cst.Name))
    return expr


def _rewrite_from(src: Source, node: cst.ImportFrom, moved: list[Moved]) -> Edit | None:
    assert not isinstance(node.names, cst.ImportStar)
    groups: dict[str, list[int]] = {}
    for i, (module, _, _) in enumerate(moved):
        if module:
            groups.setdefault(module, []).append(i)
    originals = list(node.names)
    if len(groups) == 1:
        module = next(iter(groups))

        def make(updated: cst.ImportFrom) -> cst.ImportFrom:
            assert not isinstance(updated.names, cst.ImportStar)
            names = [
                alias if (get_full_name_for_node(alias.name), _asname(alias)) == (name, asname) else _alias(name, asname, alias)
                for alias, (target, name, asname) in zip(updated.names, moved, strict=True)
                if target
            ]
            if len(names) < len(updated.names):
                # A name dropped: the new last name takes the original last's comma (none, or a trailing one).
                names[-1] = names[-1].with_changes(comma=updated.names[-1].comma)
            return updated.with_changes(module=_module_expr(module), names=names)

        return Replace(node, make)
    line = src.parent(node)
    if not isinstance(line, cst.SimpleStatementLine) or len(line.body) != 1:
        return None

    def split(updated: cst.SimpleStatementLine) -> cst.FlattenSentinel[cst.BaseStatement]:
        lines: list[cst.BaseStatement] = []
        for n, (module, indices) in enumerate(groups.items()):
            aliases = [_alias(moved[i][1], moved[i][2], None) for i in indices]
            aliases = [
                a.with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")) if k < len(aliases) - 1 else cst.MaybeSentinel.DEFAULT)
                for k, a in enumerate(aliases)
            ]
            statement = cst.ImportFrom(module=_module_expr(module), names=aliases)
            lines.append(
                cst.SimpleStatementLine(
                    body=[statement],
                    leading_lines=updated.leading_lines if n == 0 else [],
                    trailing_whitespace=updated.trailing_whitespace if n == len(groups) - 1 else cst.TrailingWhitespace(),
                )
            )
        return cst.FlattenSentinel(lines)

    del originals
    return Replace(line, split)


def _asname(alias: cst.ImportAlias) -> str | None:
    if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
        return alias.asname.name.value
    return None


def _import(src: Source, node: cst.Import) -> Iterator[Found]:
    for alias in node.names:
        module = get_full_name_for_node(alias.name)
        split = split_keras(module) if module is not None else None
        if module is None or split is None:
            continue
        root, rest = split
        yield from _display(src, alias, rest, module)
        move = module_move(rest)
        if move is not None:
            target = join(root, move.target)
            yield Found(
                src.migration(alias, KIND, move.rule, _message(module, target), "safe", f"import {target}"),
                (_replace_module(alias.name, target),),
            )
        elif root == "keras" and rest in LEGACY_PREPROCESSING and alias.asname is not None:
            target = f"tensorflow.keras.{rest}"
            yield Found(
                src.migration(alias, KIND, "preprocessing_legacy_module", f"`{module}`'s legacy API survives only as `{target}`", "safe", f"import {target}"),
                (_replace_module(alias.name, target),),
            )


def _replace_module(node: cst.CSTNode, module: str, imports: tuple[ImportSpec, ...] = ()) -> Replace:
    def make(_node: cst.CSTNode) -> cst.BaseExpression:
        return _module_expr(module)

    return Replace(node, make, imports)


def _dotted_use(src: Source, node: cst.Attribute) -> Iterator[Found]:
    """``keras.layers.core.Dense`` → ``keras.layers.Dense``: the module part of a dotted use."""
    if node in src.local or node not in src.qualified_names:
        return
    split = split_keras(src.qualified_names[node])
    if split is None:
        return
    root, rest = split
    move = module_move(rest)
    parent = src.parent(node)
    parent_rest = join(rest, parent.attr.value) if isinstance(parent, cst.Attribute) and parent.value is node else None
    if move is not None and move.rest == rest:
        parent_move = module_move(parent_rest) if parent_rest is not None else None
        if parent_move is not None and parent_move.rest == parent_rest:
            return  # the longer module path is the one to move
        target = _spell(src, node, join(root, move.target))
        if target is None:
            return
        module = join(root, rest)
        yield Found(
            src.migration(node, KIND, move.rule, _message(module, join(root, move.target)), "safe", f"use {target}"),
            (_replace_module(node, target),),
        )
    elif root == "keras" and rest in LEGACY_PREPROCESSING and isinstance(parent, cst.Attribute):
        legacy = _legacy_names(rest)
        if legacy is not None and parent.attr.value not in legacy:
            return
        tf = src.table.local_for("tensorflow")
        named = Named(f"{tf or 'tf'}.keras.{rest}", () if tf else (ImportSpec("tensorflow", None, "tf"),))
        yield Found(
            src.migration(
                node, KIND, "preprocessing_legacy_module", f"`keras.{rest}.{parent.attr.value}` survives only under `tensorflow.keras.{rest}`",
                "safe", f"use {named.code}",
            ),
            (_replace_module(node, named.code, named.imports),),
        )


def _spell(src: Source, node: cst.BaseExpression, target: str) -> str | None:
    """``target`` (a module) written from the longest part of ``node``'s chain that names a prefix of it."""
    current: cst.BaseExpression = node
    while isinstance(current, cst.Attribute):
        current = current.value
        qualified = src.qualified(current)
        if qualified == target:
            return code_of(current)
        if qualified is not None and target.startswith(qualified + "."):
            return code_of(current) + target[len(qualified) :]
    return None


__all__ = ["ModuleMove", "find"]
