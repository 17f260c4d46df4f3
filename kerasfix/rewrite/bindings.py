"""Which statements (re)bind a name, so data fixes go after the last assignment."""

from __future__ import annotations

import libcst as cst


def target_names(target: cst.BaseExpression) -> set[str]:
    """Names bound by an assignment target (``x``, ``x, y``, ``(a, b), c``, ``*rest``)."""
    if isinstance(target, cst.Name):
        return {target.value}
    if isinstance(target, (cst.Tuple, cst.List)):
        names: set[str] = set()
        for element in target.elements:
            names |= target_names(element.value)
        return names
    if isinstance(target, cst.StarredElement):
        return target_names(target.value)
    return set()


def assigns(statement: cst.BaseSmallStatement, name: str) -> bool:
    """Whether a small statement is an assignment (``=``, ``+=``, annotated) to ``name``."""
    if isinstance(statement, cst.Assign):
        return any(name in target_names(t.target) for t in statement.targets)
    if isinstance(statement, (cst.AugAssign, cst.AnnAssign)):
        return name in target_names(statement.target)
    return False


class _Binds(cst.CSTVisitor):
    def __init__(self, name: str) -> None:
        self.name = name
        self.found = False

    def _check(self, names: set[str]) -> None:
        if self.name in names:
            self.found = True

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        self._check({node.name.value})
        return False  # its body is another scope

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        self._check({node.name.value})
        return False

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return False

    def visit_AssignTarget(self, node: cst.AssignTarget) -> None:
        self._check(target_names(node.target))

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self._check(target_names(node.target))

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self._check(target_names(node.target))

    def visit_For(self, node: cst.For) -> None:
        self._check(target_names(node.target))

    def visit_AsName(self, node: cst.AsName) -> None:
        if isinstance(node.name, cst.Name):
            self._check({node.name.value})
        else:
            self._check(target_names(node.name))

    def visit_ImportAlias(self, node: cst.ImportAlias) -> None:
        if node.asname is None:
            name = node.name
            while isinstance(name, cst.Attribute):
                name = name.value  # type: ignore[assignment]
            if isinstance(name, cst.Name):
                self._check({name.value})

    def visit_NamedExpr(self, node: cst.NamedExpr) -> None:
        self._check(target_names(node.target))

    def visit_Del(self, node: cst.Del) -> None:
        self._check(target_names(node.target))


def binds(statement: cst.CSTNode, name: str) -> bool:
    """Whether running ``statement`` may rebind ``name`` in the enclosing scope."""
    visitor = _Binds(name)
    statement.visit(visitor)
    return visitor.found
