"""Where a value at a call comes from, so a fix is written in the user's own terms.

``Dense(args.num_classes)`` gets its units from ``add_argument("--num-classes",
default=3)``: writing ``Dense(4)`` would leave the flag doing nothing, so the
fix goes to the default instead. In order of preference (issue 14):

1. an expression over the data already at the call (``input_shape=X.shape``
   becomes ``X.shape[1:]``: the declared value was the array's whole shape,
   batch axis included);
2. the definition of the value: an argparse default, a dict literal's entry, a
   module constant, a function parameter's default, a simple assignment;
3. the literal at the call (``None`` here: the caller does what it always did).

Everything here reads the tree through a ``SourceIndex`` (parents, positions,
libcst scopes) and returns plain frozen values; nothing is changed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import cast

import libcst as cst
import libcst.matchers
from libcst.metadata import Assignment

from kerasfix.rewrite.locate import SourceIndex
from kerasfix.rewrite.render import (
    callee_name,
    code_of,
    has_literal,
    literal_expr,
    literal_value,
    same_code,
    same_literal,
)
from kerasfix.types import LiteralValue, render_literal

#: How many names deep a value is followed (``n = CONFIG["n"]``; ``Dense(n)``): far enough for real scripts,
#: short enough that a cycle of assignments cannot hang the rewrite.
_MAX_DEPTH = 4


@dataclass(frozen=True)
class Definition:
    """The literal a value at a call is read from, found by following the script's names."""

    #: The literal expression to change (the ``3`` of ``default=3``).
    node: cst.BaseExpression
    #: What the user calls it: ``the default of --num-classes``, ``CONFIG["n_classes"]``, ``NUM_CLASSES``.
    what: str
    line: int
    #: Lines where the same value is read again, other than the call being fixed: changing the
    #: definition changes those too, which is why the fix is then only ``review``.
    others: tuple[int, ...] = ()


@dataclass(frozen=True)
class Change:
    """A literal in the script that becomes ``value`` (at a definition, or an element at the call)."""

    node: cst.BaseExpression
    value: LiteralValue
    definition: Definition | None = None
    #: An expression over the data to write instead of the literal (``int(y.max()) + 1``): it gives ``value``
    #: on today's data and stays right when the data changes.
    code: str | None = None

    def new_node(self) -> cst.BaseExpression:
        """``code``, or ``value`` as a literal in the quotes the old one used (a file's own style is kept)."""
        if self.code is not None:
            return cst.parse_expression(self.code)
        return literal_like(self.node, self.value)

    def present(self, expr: cst.BaseExpression) -> bool:
        """Whether ``expr`` already is what this change writes (so writing twice changes nothing)."""
        if self.code is not None:
            return same_code(expr, cst.parse_expression(self.code))
        return has_literal(expr, self.value)


@dataclass(frozen=True)
class Placement:
    """How an edit's value is written, when not as a literal at the call.

    Either ``code`` (an expression written at the call in place of the argument)
    or ``changes`` (literals changed where they are defined); ``note`` says so
    in the fix's summary.
    """

    changes: tuple[Change, ...] = ()
    code: str | None = None
    note: str = ""

    @property
    def shared(self) -> bool:
        """A changed definition is read elsewhere too: the fix changes more than the call."""
        return any(c.definition is not None and c.definition.others for c in self.changes)


def literal_like(old: cst.BaseExpression, value: LiteralValue) -> cst.BaseExpression:
    """``value`` as a literal, single-quoted when ``old`` was a single-quoted string."""
    if isinstance(old, cst.SimpleString) and isinstance(value, str) and old.quote == "'" and "'" not in value \
            and "\\" not in value:
        return cst.SimpleString(f"'{value}'")
    return literal_expr(value)


# ---------------------------------------------------------------------------
# Choosing how to write a value.


def place(index: SourceIndex, expr: cst.BaseExpression, value: LiteralValue, *, shape: bool = False,
          count: bool = False, data: bool = True, reshaped: Callable[[cst.Name], bool] | None = None
          ) -> Placement | None:
    """How to write ``value`` where the call now has ``expr``; None for a literal at the call.

    ``shape`` says the value is a declared input shape (per sample, no batch
    axis), so an array's whole ``.shape`` there is the array's shape less its
    first axis. ``count`` says it is a number of classes (an output layer's
    units), so a count the script computes from its labels is computed right.
    ``data=False`` leaves expressions over the data out (only a run of the
    script tells they give ``value``): definitions, else the literal.
    ``reshaped`` tells whether a read of an array (the ``X`` of ``X.shape[1:]``)
    sees it after the same fix reshapes it: a declared shape read from it
    through names is then left to follow the data.
    """
    if shape and data and isinstance(value, tuple):
        base = _whole_shape_of(expr)
        if base is not None:
            code = f"{code_of(base)}.shape[1:]"
            return Placement(code=code, note=f"written as {code}, the data's shape without its batch axis")
        if _is_shape_less_batch(expr):
            return Placement()  # ``X.shape[1:]`` already: ours, or the user's own (the literal try is the pipeline's)
        array = shape_source(index, expr) if reshaped is not None else None
        if array is None and reshaped is not None:
            array = _axes_source(expr)
        if array is not None and reshaped is not None and reshaped(array):
            # ``build(X.shape[1:])`` → ``Input(shape=input_shape)``: once X is reshaped the user's parameter
            # gives the new shape, where a literal would leave the parameter, and the data, unheard.
            read = code_of(expr) if _axes_source(expr) is not None else f"{array.value}.shape[1:]"
            return Placement(note=f"the input shape is left to {read} at line "
                                  f"{index.line(array) or 0}, which gives it once the data is reshaped")
    if shape and isinstance(value, tuple):
        extended = _extended(index, expr, value)
        if extended is not None:
            return extended
    if isinstance(value, tuple) and isinstance(expr, (cst.Tuple, cst.List)):
        return _elements(index, expr, value)
    if literal_value(expr)[0]:
        return None  # a literal at the call already: it is the place
    found = definition_of(index, expr)
    if found is None:
        return _counted(index, expr, value) if count and data and isinstance(value, int) else None
    ok, defined = literal_value(found.node)
    if not ok or type(defined) is not type(_tupled(value)):
        return None  # ``input_shape=(n_features)`` reads an int where a tuple is wanted: the call must change
    if same_literal(defined, _tupled(value)):
        # Already written there (the edits applied twice): nothing more to change. Should the call still see
        # another value (a flag given on the command line), the pipeline's literal try is what fixes it.
        return Placement()
    change = Change(found.node, value, found)
    return Placement((change,), note=_note((change,)))


def _elements(index: SourceIndex, expr: cst.Tuple | cst.List, value: tuple[object, ...]) -> Placement | None:
    """``(n_features, 1)`` → each element that must change, changed where it is defined."""
    elements = [e.value for e in expr.elements]
    if len(elements) != len(value) or any(isinstance(e, cst.StarredElement) for e in expr.elements):
        return None
    changes: list[Change] = []
    defined_elsewhere = False
    for element, wanted in zip(elements, value, strict=True):
        read = _element_value(index, element)
        if read is None:
            return None  # an element we cannot read: the whole tuple is written at the call
        current, found = read
        if found is None:
            if not same_literal(current, wanted):
                changes.append(Change(element, wanted))  # type: ignore[arg-type]
            continue
        if type(current) is not type(wanted):
            return None
        defined_elsewhere = True
        if not same_literal(current, wanted):
            changes.append(Change(found.node, wanted, found))  # type: ignore[arg-type]
    if not defined_elsewhere:
        return None  # only literals: writing the whole tuple at the call reads the same
    return Placement(tuple(changes), note=_note(tuple(changes)))


def _element_value(index: SourceIndex, element: cst.BaseExpression) -> tuple[object, Definition | None] | None:
    """What an element of a written shape is: a literal (no definition), or the literal its name is defined as
    (with that definition); None when it cannot be read."""
    ok, current = literal_value(element)
    if ok:
        return current, None
    found = definition_of(index, element)
    if found is None:
        return None
    ok, defined = literal_value(found.node)
    return (defined, found) if ok else None


def _extended(index: SourceIndex, expr: cst.BaseExpression, value: tuple[object, ...]) -> Placement | None:
    """A declared shape the script writes with its own names, short of the axes the fix adds: the names kept.

    ``input_shape=n_features`` (an int where a tuple is wanted) becomes ``(n_features,)``, and
    ``input_shape=(N_READINGS,)`` for ``(20, 1)`` becomes ``(N_READINGS, 1)``: the leading axes are the user's
    own values (checked against what they are defined as), only the new ones are written as numbers.
    """
    if isinstance(expr, (cst.Tuple, cst.List)):
        if any(isinstance(e, cst.StarredElement) for e in expr.elements):
            return None
        elements = [e.value for e in expr.elements]
        if not elements or len(elements) >= len(value):
            return None
    elif isinstance(expr, cst.Name):
        elements = [expr]
    else:
        return None
    named = False
    for element, wanted in zip(elements, value, strict=False):
        read = _element_value(index, element)
        if read is None or not same_literal(read[0], wanted):
            return None
        named = named or read[1] is not None
    if not named:
        return None  # only literals: writing the whole tuple at the call reads the same
    bare = [e.with_changes(lpar=[], rpar=[]) if getattr(e, "lpar", None) else e for e in elements]  # ``(n_features)``
    parts = [code_of(e) for e in bare] + [render_literal(v) for v in value[len(elements):]]  # type: ignore[arg-type]
    code = f"({parts[0]},)" if len(parts) == 1 else f"({', '.join(parts)})"
    return Placement(code=code, note=f"written as {code}, with the script's own names")


def _counted(index: SourceIndex, expr: cst.BaseExpression, value: int) -> Placement | None:
    """A class count computed from the labels (``n = int(y.max())``, one short): computed right, where it is.

    The labels are the one data name the computation reads; ``len(enc.classes_)``
    when they come from a ``LabelEncoder``, ``y.shape[-1]`` when one-hot, else
    ``int(y.max()) + 1`` (integer ids). Whether that gives ``value`` on the data
    is for the script's run to tell: the pipeline tries the literal when not.
    """
    node, what, others = expr, "", cast(tuple[int, ...], ())
    for _ in range(_MAX_DEPTH):
        if not isinstance(node, cst.Name):
            break
        assignment = _assignment(index, node)
        value_node = _plain_value(index, assignment)
        if assignment is None or value_node is None:
            return None
        what, others = node.value, tuple(sorted({*others, *_others(index, assignment, node)}))
        node = value_node
    if isinstance(node, cst.Name) or literal_value(node)[0] or not (_reads_shape(node) or _calls(node)):
        return None  # ``args.n``, ``CONFIG["n"]``: a setting, not a count computed from data
    labels = _data_names(index, node)
    if len(labels) != 1:
        return None
    made = _plain_value(index, _assignment(index, labels[0]))
    if made is None or isinstance(made, (cst.Dict, cst.List, cst.Tuple, cst.Set)) or literal_value(made)[0]:
        return None  # ``len(CLASS_NAMES)``: a list the script wrote, not labels to count
    encoder = isinstance(made, cst.Call) and callee_name(made.func) == "LabelEncoder"
    if not (encoder or _are_labels(index.module, labels[0].value)):
        return None  # ``len(class_names)``: what else the script counts is not for us to rewrite
    code = _count_of(index, labels[0], one_hot=_reads_shape(node))
    if same_code(node, cst.parse_expression(code)):
        return Placement()  # already so: should the count still be wrong, the literal is the pipeline's next try
    line = index.line(node) or 0
    definition = Definition(node, f"{what} (computed at line {line})", line, others) if what else None
    change = Change(node, value, definition, code)
    where = f" where {what} is computed at line {line}" if what else ""
    note = f"written as {code}{where}, the class count of the labels (now {value})"
    if definition is not None and others:
        note += f"; {what} is also used at line{'s' if len(others) > 1 else ''} {', '.join(map(str, others))}"
    return Placement((change,), note=note)


def _plain_value(index: SourceIndex, assignment: Assignment | None) -> cst.BaseExpression | None:
    """The value of the one plain assignment ``name = value`` an assignment is."""
    if assignment is None or not isinstance(assignment.node, cst.Name):
        return None
    target = index.parent(assignment.node)
    statement = index.parent(target) if isinstance(target, cst.AssignTarget) else target
    return _assigned_value(statement, assignment.node)


def _data_names(index: SourceIndex, expr: cst.BaseExpression) -> list[cst.Name]:
    """The names ``expr`` reads that the script assigns (not builtins, modules, attributes or keywords)."""
    found: dict[str, cst.Name] = {}

    class _Find(cst.CSTVisitor):
        def visit_Attribute(self, node: cst.Attribute) -> bool:
            node.value.visit(self)
            return False

        def visit_Arg(self, node: cst.Arg) -> bool:
            node.value.visit(self)
            return False

        def visit_Name(self, node: cst.Name) -> None:
            if _plain_value(index, _assignment(index, node)) is not None:
                found.setdefault(node.value, node)

    expr.visit(_Find())
    return list(found.values())


#: What labels are called: ``y``, ``y_train``, ``labels``, ``train_labels``, ``targets`` (not ``n_labels``: a count).
_LABELS = re.compile(r"^(?!(n|num|nb)_)(.*_)?(y|labels?|targets?)($|_)", re.IGNORECASE)


def _are_labels(module: cst.Module, name: str) -> bool:
    """Whether ``name`` holds labels: it is given as ``y`` to ``fit`` (or ``train_on_batch``), or is called so."""
    if _LABELS.search(name):
        return True
    m = cst.matchers
    given = m.Arg(keyword=m.Name("y"), value=m.Name(name))
    for call in m.findall(module, m.Call(func=m.Attribute(attr=m.Name("fit") | m.Name("train_on_batch")))):
        if not isinstance(call, cst.Call):
            continue
        plain = [a for a in call.args if a.keyword is None]
        if (len(plain) > 1 and isinstance(plain[1].value, cst.Name) and plain[1].value.value == name) or \
                any(m.matches(a, given) for a in call.args):
            return True
    return False


def _reads_shape(expr: cst.BaseExpression) -> bool:
    """Whether ``expr`` reads a ``.shape`` (the script counts its classes as a one-hot width)."""
    found = False

    class _Find(cst.CSTVisitor):
        def visit_Attribute(self, node: cst.Attribute) -> None:
            nonlocal found
            found = found or node.attr.value == "shape"

    expr.visit(_Find())
    return found


def _calls(expr: cst.BaseExpression) -> bool:
    """Whether ``expr`` calls anything (``len(set(y))``, ``int(y.max())``)."""
    return bool(cst.matchers.findall(expr, cst.matchers.Call()))


def _count_of(index: SourceIndex, labels: cst.Name, *, one_hot: bool = False) -> str:
    """The expression that counts the classes of ``labels``, by how the labels were made (or are read)."""
    made = _plain_value(index, _assignment(index, labels))
    if isinstance(made, cst.Call) and callee_name(made.func) == "LabelEncoder":
        return f"len({labels.value}.classes_)"  # the encoder itself: its classes are the count
    if isinstance(made, cst.Call) and isinstance(made.func, cst.Attribute) and \
            made.func.attr.value in ("fit_transform", "transform") and isinstance(made.func.value, cst.Name):
        encoder = _plain_value(index, _assignment(index, made.func.value))
        if isinstance(encoder, cst.Call) and callee_name(encoder.func) == "LabelEncoder":
            return f"len({made.func.value.value}.classes_)"
    if one_hot or (isinstance(made, cst.Call) and callee_name(made.func) == "to_categorical"):
        return f"{labels.value}.shape[-1]"
    return f"int({labels.value}.max()) + 1"


def _note(changes: tuple[Change, ...]) -> str:
    """``written where the value is defined: NUM_CLASSES at line 4 (now 3)``, and where else it is read."""
    parts = []
    for change in changes:
        d = change.definition
        if d is None:
            continue
        part = f"written where the value is defined: {d.what} at line {d.line} (now {render_literal(change.value)})"
        if d.others:
            lines = ", ".join(str(n) for n in d.others)
            part += f"; it is also used at line{'s' if len(d.others) > 1 else ''} {lines}, which this changes too"
        parts.append(part)
    return "; ".join(parts)


def _tupled(value: LiteralValue) -> object:
    return tuple(value) if isinstance(value, list) else value


def shape_source(index: SourceIndex, expr: cst.BaseExpression) -> cst.Name | None:
    """The array ``X`` when a declared shape ``expr`` is read from ``X.shape[1:]`` through the script's names:
    simple assignments (``shape = X.shape[1:]``), a parameter's one caller or its default; None otherwise."""
    node = expr
    for _ in range(_MAX_DEPTH + 1):
        if _is_shape_less_batch(node):
            base = _whole_shape_of(cast(cst.Subscript, node).value)
            return base if isinstance(base, cst.Name) else None
        back = _one_step_back(index, node) if isinstance(node, cst.Name) else None
        if back is None:
            return None
        node = back[0]
    return None


def _axes_source(expr: cst.BaseExpression) -> cst.Name | None:
    """The array ``X`` of a shape written axis by axis from it, ``(X.shape[1],)`` or ``(X.shape[1], 1)``."""
    if not isinstance(expr, (cst.Tuple, cst.List)):
        return None
    arrays = []
    for element in expr.elements:
        value = element.value
        if literal_value(value)[0]:
            continue
        if not (isinstance(value, cst.Subscript) and len(value.slice) == 1
                and isinstance(value.slice[0].slice, cst.Index) and isinstance(value.slice[0].slice.value, cst.Integer)):
            return None
        base = _whole_shape_of(value.value)
        if not isinstance(base, cst.Name):
            return None
        arrays.append(base)
    return arrays[0] if arrays and all(a.value == arrays[0].value for a in arrays) else None


def _one_step_back(index: SourceIndex, name: cst.Name) -> tuple[cst.BaseExpression, bool] | None:
    """What ``name`` holds, one step back: the value of its one plain assignment, or what reaches it as a
    parameter (its one caller's argument, else its default; True then); None when that cannot be told."""
    assignment = _assignment(index, name)
    if assignment is None:
        return None
    if isinstance(assignment.node, cst.Param):
        reaching = _reaching(index, assignment.node)
        return (reaching[0], True) if reaching is not None else None
    value = _plain_value(index, assignment)
    return (value, False) if value is not None else None


def _whole_shape_of(expr: cst.BaseExpression) -> cst.BaseExpression | None:
    """``X`` when ``expr`` is ``X.shape`` (a name or attribute chain: data already in scope at the call)."""
    if isinstance(expr, cst.Attribute) and expr.attr.value == "shape" and _is_dotted(expr.value):
        return expr.value
    return None


def _is_shape_less_batch(expr: cst.BaseExpression) -> bool:
    """Whether ``expr`` is ``X.shape[1:]``."""
    if not (isinstance(expr, cst.Subscript) and len(expr.slice) == 1 and _whole_shape_of(expr.value) is not None):
        return False
    part = expr.slice[0].slice
    return isinstance(part, cst.Slice) and part.upper is None and part.step is None and \
        isinstance(part.lower, cst.Integer) and part.lower.value == "1"


def _is_dotted(expr: cst.BaseExpression) -> bool:
    while isinstance(expr, cst.Attribute):
        expr = expr.value
    return isinstance(expr, cst.Name)


# ---------------------------------------------------------------------------
# Following a value to its definition.


def definition_of(index: SourceIndex, expr: cst.BaseExpression, depth: int = 0) -> Definition | None:
    """The literal ``expr`` is read from, or None when it cannot be told for sure.

    A name assigned more than once, a dict that is changed after it is made, a
    parameter whose callers pass it from several places: all None, so the
    caller writes the literal at the call as before.
    """
    if depth > _MAX_DEPTH:
        return None
    if isinstance(expr, cst.Name):
        return _of_name(index, expr, depth)
    if isinstance(expr, cst.Attribute):
        return _of_argparse(index, expr) or _of_class_attribute(index, expr)
    if isinstance(expr, cst.Subscript):
        return _of_dict_entry(index, expr)
    return None


def _assignment(index: SourceIndex, name: cst.Name) -> Assignment | None:
    """The one assignment ``name`` (a read) refers to; None when there are several or none."""
    scope = index.scope(name)
    if scope is None:
        return None
    accesses = [a for a in scope.accesses[name] if a.node is name]
    if len(accesses) != 1:
        return None
    referents = list(accesses[0].referents)
    if len(referents) != 1 or not isinstance(referents[0], Assignment):
        return None
    return referents[0]


def _others(index: SourceIndex, assignment: Assignment, here: cst.CSTNode) -> tuple[int, ...]:
    """Lines of the reads of an assignment other than ``here``."""
    return _lines(index, (a.node for a in assignment.references if a.node is not here))


def _lines(index: SourceIndex, nodes: Iterable[cst.CSTNode]) -> tuple[int, ...]:
    return tuple(sorted({line for n in nodes if (line := index.line(n)) is not None}))


def _of_name(index: SourceIndex, name: cst.Name, depth: int) -> Definition | None:
    assignment = _assignment(index, name)
    if assignment is None:
        return None
    node = assignment.node
    others = _others(index, assignment, name)
    if isinstance(node, cst.Param):
        return _of_parameter(index, node, others, depth)
    if not isinstance(node, cst.Name):
        return None  # an import, a class, a function, a loop variable…
    target = index.parent(node)
    statement = index.parent(target) if isinstance(target, cst.AssignTarget) else target
    value = _assigned_value(statement, node)
    if value is None:
        return None  # ``a = b = 3``, ``a, b = …``, ``a += 1``: not one plain definition
    ok, _ = literal_value(value)
    if ok:
        return Definition(value, name.value, index.line(value) or 0, others)
    deeper = definition_of(index, value, depth + 1)
    if deeper is None:
        return None
    return Definition(deeper.node, deeper.what, deeper.line, tuple(sorted({*deeper.others, *others})))


def _assigned_value(statement: cst.CSTNode | None, target: cst.Name) -> cst.BaseExpression | None:
    """The value of ``target = value`` or ``target: T = value``, the only target of its statement."""
    if isinstance(statement, cst.Assign) and len(statement.targets) == 1 and statement.targets[0].target is target:
        return statement.value
    if isinstance(statement, cst.AnnAssign) and statement.target is target:
        return statement.value
    return None


def _of_parameter(index: SourceIndex, param: cst.Param, others: tuple[int, ...], depth: int) -> Definition | None:
    """A parameter's default, or what its one caller passes; None when callers pass it from several places."""
    reaching = _reaching(index, param)
    if reaching is None:
        return None
    node, passed = reaching
    function = cast(cst.FunctionDef, index.parent(index.parent(param) or param))
    if not literal_value(node)[0]:  # ``n_classes=NUM_CLASSES``, ``build(CONFIG["n"])``: follow it further
        deeper = definition_of(index, node, depth + 1)
        if deeper is None:
            return None
        return Definition(deeper.node, deeper.what, deeper.line, tuple(sorted({*deeper.others, *others})))
    name, of = param.name.value, function.name.value
    if of == "__init__" and _in_class(index, function):
        of = cast(cst.ClassDef, index.parent(index.parent(function) or function)).name.value  # what the user calls
    what = f"the {name}= passed to {of}()" if passed else f"the default of {name} in {of}()"
    return Definition(node, what, index.line(node) or 0, others)


def _reaching(index: SourceIndex, param: cst.Param) -> tuple[cst.BaseExpression, bool] | None:
    """What reaches a parameter, and whether a caller passes it (else it is the default); None when it
    cannot be told: a lambda, ``f(*args)``, several callers passing it, no default."""
    function = index.parent(index.parent(param) or param)
    if not isinstance(function, cst.FunctionDef):
        return None
    params = function.params
    positional = [*params.posonly_params, *params.params]
    position = next((i for i, p in enumerate(positional) if p is param), None)
    keyword = None if any(p is param for p in params.posonly_params) else param.name.value
    method = _in_class(index, function)
    if method:
        position = position - 1 if position else None  # ``self`` is passed by the attribute call
    passed: list[cst.BaseExpression] = []
    callers = calls_of(index.module, function.name.value, method=method)
    if method and function.name.value == "__init__":
        # A constructor is called by its class's name (``Classifier(num_classes=5)``); ``super().__init__``
        # calls are another class's business.
        cls = cast(cst.ClassDef, index.parent(index.parent(function) or function))
        callers = calls_of(index.module, cls.name.value)
    for call in callers:
        if any(a.star for a in call.args):
            return None  # ``f(*args)``/``f(**kw)``: cannot tell what reaches the parameter
        plain = [a for a in call.args if a.keyword is None]
        if position is not None and position < len(plain):
            passed.append(plain[position].value)
        elif keyword is not None:
            passed.extend(a.value for a in call.args if a.keyword is not None and a.keyword.value == keyword)
    if len(passed) > 1:
        return None
    if passed:
        return passed[0], True
    return (param.default, False) if param.default is not None else None


def _in_class(index: SourceIndex, function: cst.FunctionDef) -> bool:
    block = index.parent(function)
    return isinstance(block, cst.IndentedBlock) and isinstance(index.parent(block), cst.ClassDef)


def calls_of(module: cst.Module, name: str, *, method: bool | None = None) -> list[cst.Call]:
    """``name(...)`` (a function) or ``obj.name(...)`` (a method) calls anywhere in the module; both when
    ``method`` is None. A function ``build`` is not called by ``model.build(...)``."""
    found: list[cst.Call] = []

    class _Find(cst.CSTVisitor):
        def visit_Call(self, node: cst.Call) -> None:
            func = node.func
            if (method is not True and isinstance(func, cst.Name) and func.value == name) or \
                    (method is not False and isinstance(func, cst.Attribute) and func.attr.value == name):
                found.append(node)

    module.visit(_Find())
    return found


# -- argparse ------------------------------------------------------------------


def _of_argparse(index: SourceIndex, expr: cst.Attribute) -> Definition | None:
    """``args.num_classes`` where ``args = parser.parse_args()``: the ``default=`` of its ``add_argument``."""
    if not isinstance(expr.value, cst.Name):
        return None
    assignment = _assignment(index, expr.value)
    if assignment is None or not _is_parse_args(index, assignment):
        return None
    dest = expr.attr.value
    adds = [c for c in calls_of(index.module, "add_argument", method=True) if _dest(c) == dest]
    if len(adds) != 1 or any(_sets_default(c, dest) for c in calls_of(index.module, "set_defaults", method=True)):
        return None
    default = next((a.value for a in adds[0].args if a.keyword is not None and a.keyword.value == "default"), None)
    if default is None or not literal_value(default)[0]:
        return None  # a required flag or a computed default: the value is not written in one literal
    flag = _flag(adds[0]) or dest
    # Any ``<name>.<dest>`` counts: the parsed arguments may be passed around under other names.
    uses = [n for n in _attribute_reads(index.module, dest) if n is not expr]
    return Definition(default, f"the default of {flag}", index.line(default) or 0, _lines(index, uses))


def _is_parse_args(index: SourceIndex, assignment: Assignment) -> bool:
    """Whether a name holds what ``parse_args()`` returned: assigned from it, from a function of the script
    that returns it (``args = get_args()``), or a parameter (``def build(args)``) in a script that parses
    arguments. The flag's ``add_argument`` must also be the only one with that destination."""
    node = assignment.node
    parses = bool(calls_of(index.module, "parse_args", method=True))
    if isinstance(node, cst.Param):
        return parses
    value = _plain_value(index, assignment)
    if not isinstance(value, cst.Call):
        return False
    if isinstance(value.func, cst.Attribute) and value.func.attr.value == "parse_args":
        return True
    return isinstance(value.func, cst.Name) and parses and _returns_parse_args(index.module, value.func.value)


def _returns_parse_args(module: cst.Module, function: str) -> bool:
    """Whether the module's function ``function`` returns ``<parser>.parse_args(...)``."""
    m = cst.matchers
    returns = m.Return(value=m.Call(func=m.Attribute(attr=m.Name("parse_args"))))
    return any(
        isinstance(node, cst.FunctionDef) and node.name.value == function and m.findall(node, returns)
        for node in module.body
    )


def _strings(call: cst.Call) -> list[str]:
    return [str(a.value.evaluated_value) for a in call.args
            if a.keyword is None and isinstance(a.value, cst.SimpleString)]


def _flag(call: cst.Call) -> str | None:
    names = _strings(call)
    return next((n for n in names if n.startswith("--")), names[0] if names else None)


def _dest(call: cst.Call) -> str | None:
    """The attribute ``add_argument`` stores to, as argparse makes it."""
    for a in call.args:
        if a.keyword is not None and a.keyword.value == "dest" and isinstance(a.value, cst.SimpleString):
            return str(a.value.evaluated_value)
    flag = _flag(call)
    return flag.lstrip("-").replace("-", "_") if flag else None


def _sets_default(call: cst.Call, dest: str) -> bool:
    return any(a.keyword is not None and a.keyword.value == dest for a in call.args)


def _attribute_reads(module: cst.Module, attribute: str) -> list[cst.Attribute]:
    found: list[cst.Attribute] = []

    class _Find(cst.CSTVisitor):
        def visit_Attribute(self, node: cst.Attribute) -> None:
            if isinstance(node.value, cst.Name) and node.attr.value == attribute:
                found.append(node)

    module.visit(_Find())
    return found


# -- dict literals ---------------------------------------------------------------


def _of_dict_entry(index: SourceIndex, expr: cst.Subscript) -> Definition | None:
    """``CONFIG["n_classes"]`` (or ``CONFIG["model"]["units"]``) where ``CONFIG = {"n_classes": 10, …}``
    is a dict literal never changed afterwards; the dict may reach the call as a function's parameter."""
    path = _key_path(expr)
    if path is None:
        return None
    root, keys = path
    found = _dict_literal(index, root, 0)
    if found is None:
        return None
    named, owner = found
    entry = None
    for key in keys:
        entries = [e for e in owner.elements
                   if isinstance(e, cst.DictElement) and isinstance(e.key, cst.SimpleString)
                   and e.key.evaluated_value == key]
        if len(entries) != 1:
            return None
        entry = entries[0]
        if key != keys[-1]:
            if not isinstance(entry.value, cst.Dict):
                return None
            owner = entry.value
    if entry is None or not literal_value(entry.value)[0]:
        return None
    reads, written = _dict_uses(index, keys)
    if written:
        return None  # the entry (or the dict) is changed somewhere: the literal may not be what the call reads
    uses = [n for n in reads if n is not expr]
    value = entry.value
    what = named + "".join(f'["{k}"]' for k in keys) if len(keys) > 1 else f"{named}[{code_of(entry.key)}]"
    return Definition(value, what, index.line(value) or 0, _lines(index, uses))


def _key_path(expr: cst.BaseExpression) -> tuple[cst.Name, tuple[str, ...]] | None:
    """``CONFIG["model"]["units"]`` → (``CONFIG``, ("model", "units")); None for any other key or base."""
    keys: list[str] = []
    while isinstance(expr, cst.Subscript):
        key = _key(expr)
        if key is None:
            return None
        keys.insert(0, key)
        expr = expr.value
    return (expr, tuple(keys)) if isinstance(expr, cst.Name) and keys else None


def _dict_literal(index: SourceIndex, name: cst.Name, depth: int) -> tuple[str, cst.Dict] | None:
    """The dict literal ``name`` holds, and the name it was assigned to: assigned to ``name``, or passed by
    the one caller of the function ``name`` is a parameter of (``build(CONFIG)``)."""
    if depth > _MAX_DEPTH:
        return None
    back = _one_step_back(index, name)
    if back is None:
        return None
    value, parameter = back
    if parameter:
        # A dict literal written in the call has no name to speak of it by.
        return _dict_literal(index, value, depth + 1) if isinstance(value, cst.Name) else None
    return (name.value, value) if isinstance(value, cst.Dict) else None


def _key(expr: cst.Subscript) -> str | None:
    if len(expr.slice) != 1 or not isinstance(expr.slice[0].slice, cst.Index):
        return None
    inner = expr.slice[0].slice.value
    if isinstance(inner, cst.SimpleString):
        return str(inner.evaluated_value)
    return None


_MUTATORS = frozenset({"update", "setdefault", "pop", "popitem", "clear", "__setitem__"})


def _dict_uses(index: SourceIndex, keys: tuple[str, ...]) -> tuple[list[cst.CSTNode], bool]:
    """Reads of ``<any name>[k1]…[kn]`` (and ``….get(kn)``), and whether the entry may be changed.

    Any name: the dict may be passed around under other names, so every read
    with the same keys counts (a use too many makes a fix ``review``, never
    wrong), and so does every store on a path that contains or is inside it,
    and any ``update``-like call on a dict.
    """
    reads: list[cst.CSTNode] = []
    written = False

    class _Find(cst.CSTVisitor):
        def visit_Subscript(self, node: cst.Subscript) -> bool:
            nonlocal written
            path = _key_path(node)
            if path is None:
                return True
            found = path[1]
            short = min(len(found), len(keys))
            if found[:short] != keys[:short]:
                return False
            parent = index.parent(node)
            stored = isinstance(parent, (cst.AssignTarget, cst.AugAssign, cst.Del)) or \
                (isinstance(parent, cst.AnnAssign) and parent.target is node)
            if stored:
                written = True
            elif found == keys:
                reads.append(node)
            return False  # the inner subscripts are this one's own path

        def visit_Call(self, node: cst.Call) -> None:
            nonlocal written
            func = node.func
            if not isinstance(func, cst.Attribute):
                return
            method = func.attr.value
            if method in _MUTATORS and (isinstance(func.value, cst.Name) or _key_path(func.value) is not None):
                written = True
            elif method == "get" and node.args and isinstance(node.args[0].value, cst.SimpleString):
                inner = _key_path(func.value)
                prefix = inner[1] if inner is not None else ()
                if (*prefix, node.args[0].value.evaluated_value) == keys:
                    reads.append(node)

    index.module.visit(_Find())
    return reads, written


# -- class attributes ------------------------------------------------------------


def _class_value(small: cst.BaseSmallStatement, attr: str) -> cst.BaseExpression | None:
    """The value of ``attr = value`` / ``attr: T = value`` in a class body."""
    if isinstance(small, cst.Assign) and len(small.targets) == 1:
        target = small.targets[0].target
        return small.value if isinstance(target, cst.Name) and target.value == attr else None
    if isinstance(small, cst.AnnAssign) and isinstance(small.target, cst.Name) and small.target.value == attr:
        return small.value
    return None


def _of_class_attribute(index: SourceIndex, expr: cst.Attribute) -> Definition | None:
    """``CFG.num_classes`` where ``class CFG: num_classes = 10`` (a settings class) and nothing sets it again."""
    if not isinstance(expr.value, cst.Name):
        return None
    assignment = _assignment(index, expr.value)
    cls = assignment.node if assignment is not None else None
    if not isinstance(cls, cst.ClassDef) or not isinstance(cls.body, cst.IndentedBlock):
        return None
    attr = expr.attr.value
    values = [value for line in cls.body.body if isinstance(line, cst.SimpleStatementLine)
              for small in line.body if (value := _class_value(small, attr)) is not None]
    if len(values) != 1 or not literal_value(values[0])[0]:
        return None
    reads = _attribute_reads(index.module, attr)
    if any(isinstance(index.parent(r), (cst.AssignTarget, cst.AugAssign)) for r in reads):
        return None  # set again somewhere (``CFG.num_classes = 5``, ``self.num_classes = …``)
    value = values[0]
    uses = [r for r in reads if r is not expr]
    return Definition(value, f"{expr.value.value}.{attr}", index.line(value) or 0, _lines(index, uses))


__all__ = ["Change", "Definition", "Placement", "calls_of", "definition_of", "literal_like", "place", "shape_source"]
