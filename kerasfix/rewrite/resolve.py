"""Edits → operations on the original tree (every position is looked up here)."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import replace
from functools import partial
from typing import cast

import libcst as cst

from kerasfix.rewrite.args import (
    has_declaration,
    remove_argument,
    set_argument,
    set_declared_input_shape,
    set_input_layer_shape,
)
from kerasfix.rewrite.bindings import assigns, binds
from kerasfix.rewrite.errors import RewriteError
from kerasfix.rewrite.imports import (
    ImportSpec,
    ImportTable,
    Named,
    label_encoder_name,
    layer_constructor,
    numpy_name,
    to_categorical_name,
)
from kerasfix.rewrite.locate import AddSite, AttributeSite, Block, CalleeSite, ListSite, Site, SourceIndex
from kerasfix.rewrite.ops import (
    ArgOp,
    InsertItem,
    InsertStatement,
    MoveItem,
    MoveStatement,
    Plan,
    Wrap,
)
from kerasfix.rewrite.provenance import calls_of, place
from kerasfix.rewrite.render import (
    Template,
    base_of,
    callee_name,
    code_of,
    is_layer_call,
    is_wrapped,
    layer_call,
    literal_value,
    same_code,
    template,
    unwrap,
)
from kerasfix.structure import WRAPPERS
from kerasfix.types import (
    AppendLayer,
    CastData,
    Edit,
    EncodeLabels,
    FixWeightShape,
    InsertLayer,
    LayerRef,
    LayerSpec,
    LiteralValue,
    MoveLayer,
    Origin,
    RemoveLayerArgument,
    ReplaceLayerClass,
    ReplaceMetric,
    ReshapeData,
    ReturnFromCall,
    SetCompileArgument,
    SetInputShape,
    SetLayerArgument,
    render_literal,
)

#: Keras 3 ``Model.compile`` parameter order (Keras 2 had ``metrics`` third).
COMPILE_POSITIONS = {
    "optimizer": 0,
    "loss": 1,
    "loss_weights": 2,
    "metrics": 3,
    "weighted_metrics": 4,
    "run_eagerly": 5,
    "steps_per_execution": 6,
    "jit_compile": 7,
    "auto_scale_loss": 8,
}

#: Model methods whose data a data edit changes.
DATA_METHODS = frozenset({"fit", "predict", "evaluate", "train_on_batch", "test_on_batch", "predict_on_batch"})

_DATA_POSITIONS = {"x": 0, "y": 1}
_INPUT_CLASSES = ("Input", "InputLayer")


def plan_edits(index: SourceIndex, table: ImportTable, edits: Sequence[Edit], *, literal: bool = False,
               data: bool = True) -> Plan:
    """Resolve every edit against the original tree; RewriteError if one cannot be placed.

    ``literal`` writes every value as a literal at its call (the behaviour before values were
    followed to their definitions): what is tried when the user's terms do not verify. ``data=False``
    writes no expression over the data (``X.shape[1:]``), whose value only a run of the script can check.
    """
    planner = _Planner(index, table, literal, data)
    for edit in edits:
        if isinstance(edit, ReshapeData) and edit.which == "x" and edit.how in _PER_SAMPLE:
            planner.note_reshape(edit)
    for edit in edits:
        planner.add(edit)
    return planner.plan


def _said(ref: LayerRef) -> str:
    """A layer in a sentence about where a fix cannot be written: as the user wrote it, else by Keras's name."""
    return ref.describe() if ref.written is not None else f"layer '{ref.name}'"


def _is_add_of(statement: cst.BaseStatement, receiver: str) -> cst.Call | None:
    """The ``.add(...)`` call if ``statement`` is ``<receiver>.add(...)``."""
    if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
        return None
    expr = statement.body[0]
    if not isinstance(expr, cst.Expr) or not isinstance(expr.value, cst.Call):
        return None
    call = expr.value
    if not (isinstance(call.func, cst.Attribute) and call.func.attr.value == "add" and len(call.args) == 1):
        return None
    return call if same_code(call.func.value, cst.parse_expression(receiver)) else None


def added_layer(statement: cst.BaseStatement, receiver: str) -> cst.BaseExpression | None:
    """The layer expression in ``<receiver>.add(<layer>)``, if that is what ``statement`` is."""
    call = _is_add_of(statement, receiver)
    return call.args[0].value if call is not None else None


class _Planner:
    def __init__(self, index: SourceIndex, table: ImportTable, literal: bool = False, data: bool = True) -> None:
        self.index = index
        self.table = table
        self.literal = literal
        self.data = data
        self.plan = Plan()
        #: Literals changed at their definitions, with the value each now gets: a second edit that
        #: wants another value there is written at its call instead.
        self._defined: dict[cst.CSTNode, LiteralValue] = {}
        #: Each array a per-sample data edit reshapes, by name: the block and the statement it is reshaped after.
        self._reshaped: list[Change] = []

    def note_reshape(self, edit: ReshapeData) -> None:
        """Where ``edit`` will reshape named arrays, found before any edit is planned: the declared shape's
        edit may come first in the fix, and whether it follows the data depends on this."""
        for at in (edit.call, *edit.also):
            try:
                call = self.index.call_at(at, "the fit()/predict() call", DATA_METHODS)
            except RewriteError:
                continue  # the data edit itself says so when it is planned
            arg = _data_argument(call, "x")
            given = next((a.value for a in call.args if a.keyword is not None and a.keyword.value == "validation_data"),
                         None)
            features = [arg.value] if arg is not None else []
            if isinstance(given, (cst.Tuple, cst.List)) and given.elements \
                    and not isinstance(given.elements[0], cst.StarredElement):
                features.append(given.elements[0].value)
            for expr in features:
                if isinstance(expr, cst.Subscript):
                    expr = expr.value  # ``X[:240]``: per-sample edits go on ``X`` itself (``_data_of``)
                if not isinstance(expr, cst.Name):
                    continue  # reshaped at the call: no name whose reads see it
                expr = self._split_from(call, expr) or expr  # ``X_train``: on the X it was split from
                anchor = self._last_assignment(call, expr.value)
                if anchor is not None:
                    self._reshaped.append((expr.value, anchor[0], anchor[1]))

    def _reads_reshaped(self, name: cst.Name) -> bool:
        """Whether this read of an array sees it reshaped by a per-sample data edit."""
        return _sees_change(self.index, name, self._reshaped)

    def add(self, edit: Edit) -> None:
        if isinstance(edit, InsertLayer):
            call = self._layer(edit.before)
            self._insert_before(call, edit.before, edit.layer, edit.input_index)
        elif isinstance(edit, AppendLayer):
            self._append_after(edit)
        elif isinstance(edit, FixWeightShape):
            self._fix_weight_shape(edit)
        elif isinstance(edit, ReturnFromCall):
            self._return_from_call(edit)
        elif isinstance(edit, MoveLayer):
            self._move(edit)
        elif isinstance(edit, ReplaceLayerClass):
            self._replace_class(edit)
        elif isinstance(edit, SetLayerArgument):
            call = self._layer(edit.layer)
            if edit.layer.class_name in WRAPPERS and edit.name not in _WRAPPER_ARGUMENTS:
                call, edit = self._wrapped(call, edit), replace(edit, position=None)
            code = self._all_but_last(call, edit) if edit.except_last else None
            arg = _argument(call, (edit.name,), edit.position)
            if code is None and edit.offset and self._offset(arg, edit.offset):
                return
            if code is None and self._in_user_terms(arg, edit.value, count=edit.name == "units"):
                return
            self._arg_op(call, partial(set_argument, name=edit.name, value=edit.value, position=edit.position,
                                       code=code))
        elif isinstance(edit, RemoveLayerArgument):
            call = self._layer(edit.layer)
            self._arg_op(call, partial(remove_argument, name=edit.name, position=edit.position))
        elif isinstance(edit, SetInputShape):
            self._set_input_shape(edit)
        elif isinstance(edit, SetCompileArgument):
            call = self.index.call_at(edit.call, "the compile() call", frozenset({"compile"}))
            position = COMPILE_POSITIONS.get(edit.name)
            if self._in_user_terms(_argument(call, (edit.name,), position), edit.value):
                return
            self._arg_op(call, partial(set_argument, name=edit.name, value=edit.value, position=position))
        elif isinstance(edit, ReplaceMetric):
            self._replace_metric(edit)
        elif isinstance(edit, (CastData, EncodeLabels, ReshapeData)):
            self._data(edit)
        else:  # pragma: no cover - the Edit union is closed
            raise RewriteError(f"kerasfix cannot write a {type(edit).__name__} edit into source.")

    # -- layers ------------------------------------------------------------

    def _layer(self, ref: LayerRef) -> cst.Call:
        def of_its_class(call: cst.Call) -> bool:
            name = self.table.class_name(call.func)
            return name == ref.class_name or (ref.class_name == "InputLayer" and name in _INPUT_CLASSES)

        return self.index.call_at(ref.origin, _said(ref), accept=of_its_class)

    def _append_after(self, edit: AppendLayer) -> None:
        call = self._layer(edit.after)
        site = self.index.site_of(call)
        named = layer_constructor(self.table, call.func, edit.layer.class_name)

        def make_layer() -> cst.Call:
            return layer_call(named.code, edit.layer)

        def present(expr: cst.BaseExpression) -> bool:
            return is_layer_call(expr, edit.layer, self.table.class_name)

        if isinstance(site, ListSite):
            op = InsertItem(site.element, make_layer, present, named.imports, after=True)
            self.plan.items.setdefault(site.container, []).append(op)
        elif isinstance(site, AddSite):
            self._not_in_loop(site, edit.after)
            receiver = self.index.code(site.receiver)

            def make_statement() -> cst.SimpleStatementLine:
                text = f"{receiver}.add({code_of(make_layer())})\n"
                return cst.ensure_type(cst.parse_statement(text), cst.SimpleStatementLine)

            def statement_present(statement: cst.BaseStatement) -> bool:
                layer = added_layer(statement, receiver)
                return layer is not None and present(layer)

            self.plan.statements.setdefault(site.block, []).append(
                InsertStatement(cast(cst.BaseStatement, site.statement), True, make_statement, statement_present,
                                named.imports))
        elif isinstance(site, CalleeSite):
            # ``out = Flatten()(x)`` → ``out = Dense(8, ...)(Flatten()(x))``: the new layer takes the old output.
            def wrap(expr: cst.BaseExpression) -> cst.BaseExpression:
                return cst.Call(func=make_layer(), args=[cst.Arg(expr)])

            def wrapped(expr: cst.BaseExpression) -> bool:
                return isinstance(expr, cst.Call) and present(expr.func)

            self.plan.wraps.setdefault(site.outer, []).append(Wrap(wrap, wrapped, named.imports))
        else:
            raise RewriteError(f"Cannot add {edit.layer} after {_said(edit.after)}: it is not written in a "
                               "Sequential list, in a .add() statement of its own, or called on the spot.")

    def _return_from_call(self, edit: ReturnFromCall) -> None:
        name = edit.layer.class_name
        call = _method(self._custom_class(name), "call")
        if call is None or not isinstance(call.body, cst.IndentedBlock) or not call.body.body:
            raise RewriteError(f"{name} has no call() that ends in statements kerasfix could extend.")
        last = call.body.body[-1]
        assign = last.body[0] if isinstance(last, cst.SimpleStatementLine) and len(last.body) == 1 else None
        if isinstance(assign, cst.Assign) and len(assign.targets) == 1:
            target: cst.BaseExpression = assign.targets[0].target
        elif isinstance(assign, (cst.AugAssign, cst.AnnAssign)):
            target = assign.target
        else:
            raise RewriteError(f"{name}.call does not end by computing a value it could return.")
        if not isinstance(target, cst.Name):
            raise RewriteError(f"{name}.call ends by assigning to {code_of(target)}, not to a name it could return.")
        text = f"return {target.value}\n"

        def make() -> cst.SimpleStatementLine:
            return cst.ensure_type(cst.parse_statement(text), cst.SimpleStatementLine)

        def present(statement: cst.BaseStatement) -> bool:
            return isinstance(statement, cst.SimpleStatementLine) and isinstance(statement.body[0], cst.Return)

        self.plan.statements.setdefault(call.body, []).append(InsertStatement(last, True, make, present))

    def _custom_class(self, name: str) -> cst.ClassDef:
        """The one definition of a custom layer class in this file (its code is what a repair edits)."""
        classes = [c for c in _class_defs(self.index.module) if c.name.value == name]
        if len(classes) != 1:
            raise RewriteError(f"Cannot find the one definition of custom layer class {name} in this file.")
        return classes[0]

    def _fix_weight_shape(self, edit: FixWeightShape) -> None:
        name = edit.layer.class_name
        cls = self._custom_class(name)
        if edit.how == "swap":
            shapes = [shape for call in _add_weight_calls(cls) if (shape := _shape_argument(call)) is not None]
            matrices = [s for s in shapes if isinstance(s, (cst.Tuple, cst.List)) and len(s.elements) == 2]
            if len(matrices) != 1:
                raise RewriteError(f"{name}.build creates {len(matrices)} two-axis weights; which to swap is unclear.")
            matrix = matrices[0]

            def swap(expr: cst.BaseExpression) -> cst.BaseExpression:
                assert isinstance(expr, (cst.Tuple, cst.List))
                first, second = expr.elements
                return expr.with_changes(elements=[first.with_changes(value=second.value),
                                                   second.with_changes(value=first.value)])

            self.plan.wraps.setdefault(matrix, []).append(Wrap(swap, lambda _e: False))
            return
        build = _method(cls, "build")
        params = build.params.params if build is not None else ()
        batch_axis = _first_axis_subscripts(build, params[1].name.value) if build is not None and len(params) > 1 else []
        if not batch_axis:
            raise RewriteError(f"{name}.build reads no input_shape[0].")
        for sub in batch_axis:
            self.plan.wraps.setdefault(sub, []).append(
                Wrap(lambda e: cst.parse_expression(f"{code_of(cast(cst.Subscript, e).value)}[-1]"), lambda _e: False))

    def _replace_class(self, edit: ReplaceLayerClass) -> None:
        call = self._layer(edit.layer)
        named = layer_constructor(self.table, call.func, edit.class_name)

        def present(expr: cst.BaseExpression) -> bool:
            return self.table.class_name(expr) == edit.class_name

        self.plan.wraps.setdefault(call.func, []).append(
            Wrap(lambda _old: cst.parse_expression(named.code), present, named.imports))
        if isinstance(call.func, cst.Name):
            # ``from keras.layers import Conv1D``: its last use may be the one replaced.
            qualified = self.table.bindings.get(call.func.value)
            if qualified is not None and "." in qualified:
                module, obj = qualified.rsplit(".", 1)
                asname = call.func.value if call.func.value != obj else None
                self.plan.unused.append(ImportSpec(module, obj, asname))

    def _in_user_terms(self, arg: cst.Arg | None, value: LiteralValue, *, shape: bool = False,
                       count: bool = False) -> bool:
        """Write ``value`` where the script defines it, or as an expression over its data (``provenance``).

        False: nothing planned, the caller writes the literal at the call.
        """
        if self.literal or arg is None:
            return False
        placement = place(self.index, arg.value, value, shape=shape, count=count, data=self.data,
                          reshaped=self._reads_reshaped if shape else None)
        if placement is None:
            return False
        if placement.code is not None:
            new = cst.parse_expression(placement.code)

            def write(expr: cst.BaseExpression, code: str = placement.code) -> cst.BaseExpression:
                return cst.parse_expression(code)

            self.plan.wraps.setdefault(arg.value, []).append(Wrap(write, partial(same_code, new)))
        else:
            if any(c.node in self._defined and self._defined[c.node] != c.value for c in placement.changes):
                return False
            for change in placement.changes:
                self._defined[change.node] = change.value

                def swap(expr: cst.BaseExpression, make: Callable[[], cst.BaseExpression] = change.new_node
                         ) -> cst.BaseExpression:
                    return make()

                self.plan.wraps.setdefault(change.node, []).append(Wrap(swap, change.present))
        self.plan.placed.append(placement)
        return True

    def _wrapped(self, call: cst.Call, edit: SetLayerArgument) -> cst.Call:
        """The layer a ``Bidirectional(LSTM(…))`` wraps, written in its call: where its settings go."""
        inner = next((a.value for a in call.args if a.keyword is None and not a.star), None)
        if inner is None:
            inner = next((a.value for a in call.args if a.keyword is not None and a.keyword.value == "layer"), None)
        if not isinstance(inner, cst.Call):
            raise RewriteError(f"{_said(edit.layer)} wraps a layer made elsewhere: set {edit.name} where it is made.")
        return inner

    def _offset(self, arg: cst.Arg | None, offset: int) -> bool:
        """``expr + offset`` where the argument is an expression of the script's (``vocab_size`` → ``vocab_size
        + 1``); False for a literal, or none (the caller writes the number)."""
        if self.literal or arg is None or literal_value(arg.value)[0]:
            return False
        if _adds(arg.value, offset):
            return True  # written so already (the edit made again on its own output)
        plain = isinstance(arg.value, (cst.Name, cst.Attribute, cst.Call, cst.Subscript, cst.BinaryOperation))
        base = code_of(arg.value) if plain else f"({code_of(arg.value)})"
        self._replace(arg.value, cst.parse_expression(f"{base} + {offset}" if offset > 0 else f"{base} - {-offset}"))
        return True

    def _arg_op(self, call: cst.Call, change: partial[bool]) -> None:
        self.plan.args.setdefault(call, []).append(ArgOp(change))

    def _insert_before(self, call: cst.Call, ref: LayerRef, spec: LayerSpec, input_index: int | None = None) -> None:
        site = self.index.site_of(call)
        named = layer_constructor(self.table, call.func, spec.class_name)

        def make_layer() -> cst.Call:
            return layer_call(named.code, spec)

        def present(expr: cst.BaseExpression) -> bool:
            return is_layer_call(expr, spec, self.table.class_name)

        if present(call):
            # ``before`` is the very layer to insert: a position from before the
            # insertion, pointing at what was inserted. Nothing left to do.
            return

        if isinstance(site, ListSite):
            op = InsertItem(site.element, make_layer, present, named.imports)
            self.plan.items.setdefault(site.container, []).append(op)
        elif isinstance(site, AddSite):
            block, anchor = site.block, cast(cst.BaseStatement, site.statement)
            loop = self.index.enclosing_loop(site.statement)
            if loop is not None and _first_in_body(loop, site.statement):
                # The layer is the first the loop adds (its first iteration's): the new layer goes before the loop.
                found = self.index.statement_of(loop)
                if found is None:
                    raise RewriteError(f"Cannot place {spec} before the loop that adds {_said(ref)}.")
                block, anchor = found
            else:
                self._not_in_loop(site, ref)
            receiver = self.index.code(site.receiver)

            def make_statement() -> cst.SimpleStatementLine:
                text = f"{receiver}.add({code_of(make_layer())})\n"
                return cst.ensure_type(cst.parse_statement(text), cst.SimpleStatementLine)

            def statement_present(statement: cst.BaseStatement) -> bool:
                layer = added_layer(statement, receiver)
                return layer is not None and present(layer)

            self.plan.statements.setdefault(block, []).append(
                InsertStatement(anchor, False, make_statement, statement_present, named.imports)
            )
        elif isinstance(site, CalleeSite):
            target = _first_input(site.outer)
            if target is not None and input_index is not None:
                # One branch of a merge: ``Concatenate()([x, t])`` → ``Concatenate()([Flatten()(x), t])``.
                if not isinstance(target, (cst.List, cst.Tuple)) or input_index >= len(target.elements):
                    raise RewriteError(f"Cannot find input {input_index + 1} of {_said(ref)} in its call.")
                target = target.elements[input_index].value
            if target is None:
                raise RewriteError(f"Cannot insert {spec} before {_said(ref)}: its call passes no input.")

            def wrap(expr: cst.BaseExpression) -> cst.BaseExpression:
                return cst.Call(func=make_layer(), args=[cst.Arg(expr)])

            def wrapped(expr: cst.BaseExpression) -> bool:
                return isinstance(expr, cst.Call) and present(expr.func)

            self.plan.wraps.setdefault(target, []).append(Wrap(wrap, wrapped, named.imports))
        elif isinstance(site, AttributeSite):
            self._insert_attribute(site, ref, spec, named, make_layer, present)
        else:
            raise RewriteError(
                f"Cannot insert {spec} before {_said(ref)}: it is not written directly in a Sequential"
                " list, in a .add() statement of its own, called on the spot in functional code, or made in a"
                " subclassed model's __init__."
            )

    def _insert_attribute(
        self, site: AttributeSite, ref: LayerRef, spec: LayerSpec, named: Named,
        make_layer: Callable[[], cst.Call], present: Callable[[cst.BaseExpression], bool],
    ) -> None:
        """A subclassed model: ``self.flatten = Flatten()`` made right before the consumer in ``__init__``, and
        the consumer's input wrapped in ``call()``: ``self.d1(x)`` → ``self.d1(self.flatten(x))``."""
        owner = site.owner
        uses = [node for node in _calls_of_attribute(site.cls, owner, site.attribute) if node.args]
        if not uses:
            raise RewriteError(f"Cannot find where {_said(ref)} ({owner}.{site.attribute}) is called in the model.")
        taken = _attributes_of(site.cls, owner)
        attribute, n = _snake_case(spec.class_name), 1
        while attribute in taken:
            n += 1
            attribute = f"{_snake_case(spec.class_name)}_{n}"
        text = f"{owner}.{attribute} = {code_of(make_layer())}\n"
        new = cst.parse_statement(text)

        def make() -> cst.SimpleStatementLine:
            return cst.ensure_type(cst.parse_statement(text), cst.SimpleStatementLine)

        def same(statement: cst.BaseStatement) -> bool:
            return same_code(statement, new)

        self.plan.statements.setdefault(site.block, []).append(
            InsertStatement(site.statement, False, make, same, named.imports))
        for use in uses:
            def wrap(expr: cst.BaseExpression) -> cst.BaseExpression:
                return cst.Call(func=cst.parse_expression(f"{owner}.{attribute}"), args=[cst.Arg(expr)])

            def wrapped(expr: cst.BaseExpression) -> bool:
                return isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute) and \
                    expr.func.attr.value == attribute

            self.plan.wraps.setdefault(use.args[0].value, []).append(Wrap(wrap, wrapped))

    def _all_but_last(self, call: cst.Call, edit: SetLayerArgument) -> str:
        """``i < n - 1`` for a layer made in ``for i in range(n)`` (or ``enumerate(seq)``): true for all but the
        last layer the loop makes, written with the loop's own names."""
        loop = self.index.enclosing_loop(call)
        if not isinstance(loop, cst.For) or not isinstance(loop.iter, cst.Call):
            raise RewriteError(f"Cannot set {edit.name} on all but the last {_said(edit.layer)}: no loop over a range.")
        func, args = callee_name(loop.iter.func), [a for a in loop.iter.args if a.keyword is None]
        value = render_literal(edit.value)
        if func == "range" and 1 <= len(args) <= 2 and isinstance(loop.target, cst.Name):
            stop = code_of(args[-1].value)
            test = f"{loop.target.value} < {stop} - 1"
        elif (func == "enumerate" and len(args) == 1 and isinstance(loop.target, cst.Tuple)
              and isinstance(loop.target.elements[0].value, cst.Name)):
            test = f"{loop.target.elements[0].value.value} < len({code_of(args[0].value)}) - 1"
        else:
            raise RewriteError(f"Cannot set {edit.name} on all but the last {_said(edit.layer)}: the loop has no index.")
        return test if value == "True" else f"{value} if {test} else {render_literal(not edit.value)}"

    def _not_in_loop(self, site: AddSite, ref: LayerRef) -> None:
        # A statement added in a loop body would run once per iteration, not once.
        if self.index.in_loop(site.statement):
            raise RewriteError(f"Cannot change the layers around {_said(ref)}: it is added inside a loop.")

    def _move(self, edit: MoveLayer) -> None:
        site = self.index.site_of(self._layer(edit.layer))
        before: Site | None = None
        if edit.before is not None:
            before = self.index.site_of(self._layer(edit.before))
        if isinstance(site, ListSite) and (
            before is None or (isinstance(before, ListSite) and before.container is site.container)
        ):
            element = before.element if isinstance(before, ListSite) else None
            self.plan.items.setdefault(site.container, []).append(MoveItem(site.element, element))
            return
        receiver = self.index.code(site.receiver) if isinstance(site, AddSite) else ""
        if isinstance(site, AddSite) and (
            before is None
            or (
                isinstance(before, AddSite) and before.block is site.block and same_code(before.receiver, site.receiver)
            )
        ):
            self._not_in_loop(site, edit.layer)
            statement = before.statement if isinstance(before, AddSite) else None
            self.plan.statements.setdefault(site.block, []).append(MoveStatement(site.statement, statement, receiver))
            return
        raise RewriteError(
            f"Cannot move {_said(edit.layer)}: only layers in the same Sequential list"
            " or the same run of .add() calls can be reordered."
        )

    def _set_input_shape(self, edit: SetInputShape) -> None:
        call = self._layer(edit.target)
        if edit.target.class_name == "InputLayer" or self.table.class_name(call.func) in _INPUT_CLASSES:
            if not self._in_user_terms(_input_shape_argument(call), edit.shape, shape=True):
                self._arg_op(call, partial(set_input_layer_shape, shape=edit.shape))
            return
        if has_declaration(call):
            declared = _argument(call, ("input_shape",), None)
            dim = _argument(call, ("input_dim",), None) if declared is None and len(edit.shape) == 1 else None
            if not (self._in_user_terms(declared, edit.shape, shape=True) or self._in_user_terms(dim, edit.shape[0])):
                self._arg_op(call, partial(set_declared_input_shape, shape=edit.shape))
            return
        site = self.index.site_of(call)
        previous = self._previous_layer(site)
        if previous is not None and self.table.class_name(previous.func) in _INPUT_CLASSES:
            # The declaration already is right before the target: fix it, do not add another.
            if not self._in_user_terms(_input_shape_argument(previous), edit.shape, shape=True):
                self._arg_op(previous, partial(set_input_layer_shape, shape=edit.shape))
            return
        if not isinstance(site, (ListSite, AddSite)):
            raise RewriteError(
                f"Cannot declare the input shape at {_said(edit.target)}: in functional code"
                " the model's Input must be changed instead."
            )
        self._insert_before(call, edit.target, LayerSpec("Input", (("shape", edit.shape),)))

    def _previous_layer(self, site: Site | None) -> cst.Call | None:
        if isinstance(site, ListSite):
            elements = list(site.container.elements)
            i = next(k for k, e in enumerate(elements) if e is site.element)
            value = elements[i - 1].value if i > 0 else None
            return value if isinstance(value, cst.Call) else None
        if isinstance(site, AddSite):
            body = list(site.block.body)
            i = next(k for k, s in enumerate(body) if s is site.statement)
            if i == 0:
                return None
            layer = added_layer(body[i - 1], self.index.code(site.receiver))
            return layer if isinstance(layer, cst.Call) else None
        return None

    def _replace_metric(self, edit: ReplaceMetric) -> None:
        """The string ``edit.old`` in ``compile(metrics=[...])`` becomes ``edit.new``, in the file's own quotes."""
        call = self.index.call_at(edit.call, "the compile() call", frozenset({"compile"}))
        arg = next((a for a in call.args if a.keyword is not None and a.keyword.value == "metrics"), None)
        positional = [a for a in call.args if a.keyword is None and not a.star]
        if arg is None and len(positional) > COMPILE_POSITIONS["metrics"]:
            arg = positional[COMPILE_POSITIONS["metrics"]]
        if arg is None or not isinstance(arg.value, (cst.List, cst.Tuple)):
            raise RewriteError("The compile() call does not list its metrics where kerasfix can change one.")
        for element in arg.value.elements:
            value = element.value
            if isinstance(value, cst.SimpleString) and value.evaluated_value == edit.old:
                quote = value.quote
                new = cst.SimpleString(f"{value.prefix}{quote}{edit.new}{quote}")

                def swap(expr: cst.BaseExpression, new: cst.SimpleString = new) -> cst.BaseExpression:
                    return new

                self.plan.wraps.setdefault(value, []).append(Wrap(swap, lambda e: False))
                return
        if any(isinstance(e.value, cst.SimpleString) and e.value.evaluated_value == edit.new
               for e in arg.value.elements):
            return  # already there
        raise RewriteError(f"The metric {edit.old!r} is not a plain string in the compile() call.")

    # -- data ----------------------------------------------------------------

    def _data(self, edit: CastData | EncodeLabels | ReshapeData) -> None:
        if isinstance(edit, ReshapeData) and edit.how == "reorder":
            for origin in (edit.call, *edit.also):
                self._reorder(origin, edit.order)
            return
        if isinstance(edit, ReshapeData) and edit.how == "batch_dataset":
            for origin in (edit.call, *edit.also):
                self._batch_dataset(origin)
            return
        if isinstance(edit, ReshapeData) and edit.how == "rename_keys":
            for origin in (edit.call, *edit.also):
                self._rename_keys(origin, edit.which, dict(edit.keys))
            return
        if isinstance(edit, EncodeLabels) and edit.how == "label_encoder" and edit.also:
            self._shared_encoder(edit)
            return
        named, wrap = self._data_template(edit)
        rows = _commutes_with_rows(edit)
        changed: list[Change] = []  # each array changed where it was made, so far
        done = self._data_at(edit.call, edit.which, named, wrap, rows=rows, changed=changed)
        for origin in edit.also:
            done = self._data_at(origin, edit.which, named, wrap, rows=rows, done=done, changed=changed) or done
        if isinstance(edit, ReshapeData) and edit.which == "x" and edit.how in _PER_SAMPLE:
            # The validation features reach the same model: without the same axes they fail, or lean on
            # Keras adding the axis where the training data has it written out.
            for at in (edit.call, *edit.also):
                done = self._validation_at(at, named, wrap, done, changed) or done

    def _given(self, origin: Origin | None, which: str) -> tuple[cst.Call, cst.BaseExpression | None]:
        """The data call at ``origin`` and what it passes as ``which`` (None when not an argument we can see)."""
        call = self.index.call_at(origin, "the fit()/predict() call", DATA_METHODS)
        arg = _data_argument(call, which)
        return call, arg.value if arg is not None else None

    def _replace(self, old: cst.BaseExpression, new: cst.BaseExpression) -> None:
        """``old`` becomes ``new`` (nothing to do where ``new`` is written already)."""
        self.plan.wraps.setdefault(old, []).append(Wrap(lambda _e: new, partial(same_code, new)))

    def _reorder(self, origin: Origin | None, order: tuple[int, ...]) -> None:
        """The list of inputs a call passes, in the model's order (each element keeps its own text)."""
        call, given = self._given(origin, "x")
        if not isinstance(given, (cst.List, cst.Tuple)) or len(given.elements) != len(order) \
                or any(isinstance(e, cst.StarredElement) for e in given.elements):
            method = callee_name(call.func) or "fit"
            raise RewriteError(f"The {method}() call does not pass its inputs as a list kerasfix can reorder.")
        elements = list(given.elements)
        close = given.rbracket if isinstance(given, cst.List) else given.rpar[-1] if given.rpar else None
        # Each element's end-of-line comment: after its comma, or (the last one) before the closing bracket.
        lines = [_line_after(e.comma) for e in elements]
        lines[-1] = lines[-1] or (_line_after(close) if close is not None else None)
        moved = [_with_line(elements[i], elements[k].comma, lines[i]) for k, i in enumerate(order)]
        new = given.with_changes(elements=moved)
        if close is not None and _line_after(close) is not None:
            ending = close.with_changes(whitespace_before=close.whitespace_before.with_changes(
                first_line=lines[order[-1]] or cst.TrailingWhitespace()))
            new = new.with_changes(**({"rbracket": ending} if isinstance(given, cst.List)
                                      else {"rpar": [*given.rpar[:-1], ending]}))
        self._replace(given, new)

    def _batch_dataset(self, origin: Origin | None) -> None:
        """``.batch(n)`` on the pipeline a call is given, where it is made (before a final ``.prefetch``); ``n``
        as the script batches its other pipelines, else the call's ``batch_size``, else 32."""
        call, target = self._given(origin, "x")
        if target is None:
            raise RewriteError("The data call does not pass a dataset kerasfix can batch.")
        if isinstance(target, cst.Name):
            anchor = self._last_assignment(call, target.value)
            if anchor is not None:
                statement = anchor[1]
                assign = next((s for s in cst.ensure_type(statement, cst.SimpleStatementLine).body
                               if isinstance(s, cst.Assign)), None)
                if assign is not None:
                    target = assign.value
        size = self._batch_size(call)

        def write(expr: cst.BaseExpression) -> cst.BaseExpression:
            return _batched(expr, size)

        self.plan.wraps.setdefault(target, []).append(Wrap(write, _is_batched))

    def _batch_size(self, call: cst.Call) -> str:
        for other in calls_of(self.index.module, "batch", method=True):
            if other.args and other.args[0].keyword is None:
                return code_of(other.args[0].value)
        given = next((a.value for a in call.args if a.keyword is not None and a.keyword.value == "batch_size"), None)
        return code_of(given) if given is not None else "32"

    def _rename_keys(self, origin: Origin | None, which: str, names: dict[str, str]) -> None:
        """The keys of the dict a call passes (written there), renamed to the model's names; quotes kept."""
        call, given = self._given(origin, which)
        if not isinstance(given, cst.Dict):
            method = callee_name(call.func) or "fit"
            raise RewriteError(f"The {method}() call does not write its {which} as a dict kerasfix can rename.")
        elements = []
        for element in given.elements:
            key = element.key if isinstance(element, cst.DictElement) else None
            if isinstance(key, cst.SimpleString) and key.evaluated_value in names:
                new_key = cst.SimpleString(f"{key.quote}{names[str(key.evaluated_value)]}{key.quote}")
                element = element.with_changes(key=new_key)
            elements.append(element)
        self._replace(given, given.with_changes(elements=elements))

    def _shared_encoder(self, edit: EncodeLabels) -> None:
        """One ``LabelEncoder`` fitted on the labels of the first call and reused for the others'
        (``fit_transform`` on train, ``transform`` on the rest: the same classes get the same ids)."""
        le = label_encoder_name(self.table)
        var = self._fresh_name("label_encoder")
        first = self._data_at(edit.call, edit.which, le, template(var + ".fit_transform({E})"),
                              prelude=f"{var} = {le.code}()\n")
        for origin in edit.also:
            self._data_at(origin, edit.which, Named(""), template(var + ".transform({E})"), done=first)

    def _fresh_name(self, base: str) -> str:
        used = _names_in(self.index.module)
        name, n = base, 1
        while name in used:
            n += 1
            name = f"{base}_{n}"
        return name

    def _data_at(
        self, origin: Origin | None, which: str, named: Named, wrap: Template, *, prelude: str | None = None,
        done: tuple[str, cst.BaseStatement] | None = None, rows: bool = False,
        changed: list[Change] | None = None,
    ) -> tuple[str, cst.BaseStatement] | None:
        """Change the data one call passes: after the statement that last assigns it (a name), else at the call.

        ``prelude`` is a statement that must come first (the shared encoder);
        ``done`` is (name, statement) already changed for an earlier call: the
        same variable from the same assignment is not changed twice. Returns
        what this call changed, in that form. ``changed`` collects every array changed where it was made:
        an array made from one of them afterwards (``x_val = x[:16]``) has the change already.
        """
        call, given = self._given(origin, which)
        if given is None:
            method = callee_name(call.func) or "fit"
            raise RewriteError(f"The {method}() call does not pass {which} as an argument kerasfix can change.")
        return self._data_of(call, given, named, wrap, prelude=prelude, done=done, rows=rows, changed=changed)

    def _validation_at(self, origin: Origin | None, named: Named, wrap: Template,
                       done: tuple[str, cst.BaseStatement] | None,
                       changed: list[Change]) -> tuple[str, cst.BaseStatement] | None:
        """The features of a ``fit``'s ``validation_data=(x, y)`` changed like its ``x`` (nothing else given)."""
        call = self.index.call_at(origin, "the fit()/predict() call", DATA_METHODS)
        given = next((a.value for a in call.args if a.keyword is not None and a.keyword.value == "validation_data"),
                     None)
        if not isinstance(given, (cst.Tuple, cst.List)) or not given.elements \
                or isinstance(given.elements[0], cst.StarredElement):
            return None  # a dataset, or a name for the pair: what it holds is not at the call to change
        return self._data_of(call, given.elements[0].value, named, wrap, done=done, rows=True, changed=changed)

    def _data_of(
        self, call: cst.Call, expr: cst.BaseExpression, named: Named, wrap: Template, *, prelude: str | None = None,
        done: tuple[str, cst.BaseStatement] | None = None, rows: bool = False,
        changed: list[Change] | None = None,
    ) -> tuple[str, cst.BaseStatement] | None:
        """``_data_at`` for the expression ``expr`` the data ``call`` passes."""
        method = callee_name(call.func) or "fit"
        if rows and isinstance(expr, cst.Subscript) and isinstance(expr.value, cst.Name):
            # ``X[:240]``: a change that works row by row goes on ``X`` itself, so every slice of it
            # (validation data, the test rows) gets it too.
            expr = expr.value
        elif rows and isinstance(expr, cst.Subscript) and is_wrapped(expr.value, wrap):
            return None  # ``f(X)[:240]``: changed at the call already (the edits made twice)
        elif rows and isinstance(expr, cst.Name):
            # ``X_train`` from ``train_test_split(X, y)``: the same goes for X, and for X_test with it.
            expr = self._split_from(call, expr) or expr
        if isinstance(expr, cst.Name):
            anchor = self._last_assignment(call, expr.value)
            if anchor is not None:
                block, statement, position = anchor
                if done is not None and done == (expr.value, statement):
                    return done  # the same labels, already changed where they were made
                if changed is not None and _made_from_changed(self.index, statement, changed):
                    return expr.value, statement
                text = f"{expr.value} = {code_of(wrap(cst.Name(expr.value)))}\n"
                new = cst.parse_statement(text)
                if changed is not None:
                    changed.append((expr.value, block, statement))
                if self._chain_has(block, position, expr.value, new):
                    return expr.value, statement  # written already (a second run of the same fix)
                for line in ([prelude] if prelude else []) + [text]:
                    self._statement(block, statement, True, line, named.imports)
                return expr.value, statement
        if prelude:
            found = self.index.statement_of(call)
            if found is None:
                raise RewriteError(f"Cannot place {prelude.strip()} before this {method}() call.")
            block, statement = found
            self._statement(block, statement, False, prelude, named.imports)
        self.plan.wraps.setdefault(expr, []).append(Wrap(wrap, partial(_is_wrapped, wrap=wrap), named.imports))
        return None

    def _statement(self, block: Block, anchor: cst.BaseStatement, after: bool, text: str,
                   imports: tuple[ImportSpec, ...]) -> None:
        new = cst.parse_statement(text)

        def make() -> cst.SimpleStatementLine:
            return cst.ensure_type(cst.parse_statement(text), cst.SimpleStatementLine)

        def present(statement: cst.BaseStatement) -> bool:
            return same_code(statement, new)

        self.plan.statements.setdefault(block, []).append(InsertStatement(anchor, after, make, present, imports))

    def _data_template(self, edit: CastData | EncodeLabels | ReshapeData) -> tuple[Named, Template]:
        if isinstance(edit, CastData):
            return Named(""), template("{E}.astype(" + render_literal(edit.dtype) + ")")
        if isinstance(edit, EncodeLabels):
            if edit.how == "label_encoder":
                named = label_encoder_name(self.table)
                return named, template(named.code + "().fit_transform({E})")
            if edit.how == "argmax":
                return Named(""), template("{E}.argmax(axis=-1)")
            if edit.how == "one_hot":
                named = to_categorical_name(self.table)
                return named, template(named.code + "({E})")
        if isinstance(edit, ReshapeData):
            if edit.how in ("add_batch", "add_channel"):
                named = numpy_name(self.table)
                axis = "0" if edit.how == "add_batch" else "-1"
                return named, template(named.code + ".expand_dims({E}, " + axis + ")")
            if edit.how == "transpose":
                return Named(""), template("{E}.T")
            if edit.how == "to_array":
                named = numpy_name(self.table)
                return named, template(named.code + ".array({E})")
            if edit.how == "channels_last":
                named = numpy_name(self.table)
                return named, template(named.code + ".moveaxis({E}, 1, -1)")
            if edit.how == "column":
                return Named(""), template("{E}.reshape(-1, 1)")
            if edit.how == "drop_first_column":
                return Named(""), template("{E}[:, 1:]")
            if edit.how == "drop_last_column":
                return Named(""), template("{E}[:, :-1]")
            if edit.how == "to_rgb":
                named = numpy_name(self.table)
                return named, template(named.code + ".repeat({E}, 3, axis=-1)")
        raise RewriteError(f"kerasfix does not know how to write '{edit.describe()}' into source.")

    def _split_from(self, call: cst.Call, name: cst.Name) -> cst.Name | None:
        """The array ``name`` was split from, when its last assignment is ``a_tr, a_te, … =
        train_test_split(a, …)`` (outputs come in pairs, one pair per array given)."""
        anchor = self._last_assignment(call, name.value)
        statement = anchor[1] if anchor is not None else None
        assign = next((s for s in statement.body if isinstance(s, cst.Assign)), None) \
            if isinstance(statement, cst.SimpleStatementLine) else None
        if assign is None or len(assign.targets) != 1 or not isinstance(assign.value, cst.Call) \
                or callee_name(assign.value.func) != "train_test_split":
            return None
        target = assign.targets[0].target
        if not isinstance(target, (cst.Tuple, cst.List)):
            return None
        names = [e.value.value if isinstance(e.value, cst.Name) else None for e in target.elements]
        arrays = [a.value for a in assign.value.args if a.keyword is None and not a.star]
        if name.value not in names or len(names) != 2 * len(arrays):
            return None
        source = arrays[names.index(name.value) // 2]
        return source if isinstance(source, cst.Name) else None

    def _last_assignment(self, call: cst.Call, name: str) -> tuple[Block, cst.BaseStatement, int] | None:
        """The last statement before the call's statement, in its block, that assigns ``name``.

        None when the last statement binding ``name`` there is not a plain assignment
        (a loop, a ``with``, an import...): then the data is changed at the call.
        """
        found = self.index.statement_of(call)
        if found is None:
            return None
        block, call_statement = found
        body = list(block.body)
        end = next(k for k, s in enumerate(body) if s is call_statement)
        for position in range(end - 1, -1, -1):
            statement = body[position]
            if not binds(statement, name):
                continue
            if isinstance(statement, cst.SimpleStatementLine) and any(assigns(s, name) for s in statement.body):
                return block, statement, position
            return None
        return None

    def _chain_has(self, block: Block, position: int, name: str, new: cst.BaseStatement) -> bool:
        """Whether ``new`` is among the ``name = f(name)`` fixes right above the call already."""
        body = list(block.body)
        for statement in reversed(body[: position + 1]):
            if not binds(statement, name):
                continue
            if not _is_fix_of(statement, name):
                return False
            if same_code(statement, new):
                return True
        return False


#: An array a data edit changes: its name, and the block and statement after which it is changed.
Change = tuple[str, Block, cst.BaseStatement]


def _sees_change(index: SourceIndex, name: cst.Name, changes: list[Change]) -> bool:
    """Whether this read of an array sees it changed: it comes later in the block the change is written in,
    and nothing in between assigns the name again."""
    found = index.statement_of(name)
    if found is None:
        return False
    block, statement = found
    body = list(block.body)
    for array, where, anchor in changes:
        if array != name.value or where is not block:
            continue
        start = next(k for k, s in enumerate(body) if s is anchor)
        end = next(k for k, s in enumerate(body) if s is statement)
        if start < end and not any(binds(s, array) for s in body[start + 1:end]):
            return True
    return False


def _made_from_changed(index: SourceIndex, statement: cst.BaseStatement, changed: list[Change]) -> bool:
    """Whether ``statement`` makes its array from one the same edit changed before it (``x_val, y_val =
    x[:16], y[:16]`` after ``x = np.moveaxis(x, 1, -1)``): it has the change already."""
    reads: list[cst.Name] = []

    class Values(cst.CSTVisitor):
        def visit_Assign(self, node: cst.Assign) -> None:
            node.value.visit(Names())

    class Names(cst.CSTVisitor):
        def visit_Name(self, node: cst.Name) -> None:
            reads.append(node)

    statement.visit(Values())
    return any(_sees_change(index, name, changed) for name in reads)


def _class_defs(module: cst.Module) -> list[cst.ClassDef]:
    found: list[cst.ClassDef] = []

    class Visitor(cst.CSTVisitor):
        def visit_ClassDef(self, node: cst.ClassDef) -> None:
            found.append(node)

    module.visit(Visitor())
    return found


def _method(cls: cst.ClassDef, name: str) -> cst.FunctionDef | None:
    return next((f for f in cls.body.body if isinstance(f, cst.FunctionDef) and f.name.value == name), None)


def _add_weight_calls(cls: cst.ClassDef) -> list[cst.Call]:
    found: list[cst.Call] = []

    class Visitor(cst.CSTVisitor):
        def visit_Call(self, node: cst.Call) -> None:
            if isinstance(node.func, cst.Attribute) and node.func.attr.value == "add_weight":
                found.append(node)

    cls.visit(Visitor())
    return found


def _shape_argument(call: cst.Call) -> cst.BaseExpression | None:
    """``add_weight``'s ``shape``: by keyword, else its first positional argument (Keras 3's order)."""
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == "shape":
            return arg.value
    positional = [a for a in call.args if a.keyword is None and not a.star]
    if positional and isinstance(positional[0].value, (cst.Tuple, cst.List)):
        return positional[0].value
    return None


def _first_axis_subscripts(build: cst.FunctionDef, shape_param: str) -> list[cst.Subscript]:
    """``input_shape[0]`` in a layer's ``build``: the batch axis (None), where the features were meant."""
    found: list[cst.Subscript] = []

    class Visitor(cst.CSTVisitor):
        def visit_Subscript(self, node: cst.Subscript) -> None:
            if (isinstance(node.value, cst.Name) and node.value.value == shape_param and len(node.slice) == 1
                    and isinstance(node.slice[0].slice, cst.Index)
                    and isinstance(node.slice[0].slice.value, cst.Integer)
                    and node.slice[0].slice.value.value == "0"):
                found.append(node)

    build.visit(Visitor())
    return found

def _argument(call: cst.Call, names: tuple[str, ...], position: int | None) -> cst.Arg | None:
    """The argument a value is read from: positional ``position`` or keyword in ``names``; None behind ``*args``."""
    if any(a.star for a in call.args):
        return None
    plain = [a for a in call.args if a.keyword is None]
    if position is not None and position < len(plain):
        return plain[position]
    return next((a for a in call.args if a.keyword is not None and a.keyword.value in names), None)


def _input_shape_argument(call: cst.Call) -> cst.Arg | None:
    """The shape of an ``Input(...)``, where ``set_input_layer_shape`` would write it (not ``batch_shape=``)."""
    return _argument(call, ("shape",), 0) or _argument(call, ("input_shape",), None)


def _first_in_body(loop: cst.For | cst.While, statement: cst.BaseStatement) -> bool:
    body = loop.body
    return isinstance(body, cst.IndentedBlock) and bool(body.body) and body.body[0] is statement


#: Reshapes of each sample alike (the features' own layout): every array of features the model reads needs them.
#: What a wrapper itself takes; any other setting is its wrapped layer's.
_WRAPPER_ARGUMENTS = frozenset({"layer", "merge_mode", "weights", "backward_layer", "name", "trainable", "dtype"})

_PER_SAMPLE = frozenset({"add_channel", "channels_last", "drop_first_column", "drop_last_column", "to_rgb"})


def _commutes_with_rows(edit: CastData | EncodeLabels | ReshapeData) -> bool:
    """Whether the change gives the same rows whether it is made before or after taking some rows."""
    if isinstance(edit, CastData):
        return True
    if isinstance(edit, EncodeLabels):
        return edit.how in ("argmax", "one_hot")
    return edit.how in ("channels_last", "add_channel", "column", "drop_first_column", "drop_last_column", "to_rgb")


def _calls_of_attribute(cls: cst.ClassDef, owner: str, attribute: str) -> list[cst.Call]:
    """``owner.attribute(...)`` calls in the class's methods other than ``__init__`` (its ``call``)."""
    found: list[cst.Call] = []

    class _Find(cst.CSTVisitor):
        def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
            return node.name.value != "__init__"

        def visit_Call(self, node: cst.Call) -> None:
            func = node.func
            if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and \
                    func.value.value == owner and func.attr.value == attribute:
                found.append(node)

    cls.body.visit(_Find())
    return found


def _attributes_of(cls: cst.ClassDef, owner: str) -> set[str]:
    """Every ``owner.<name>`` the class mentions (a new attribute must not clash)."""
    found: set[str] = set()

    class _Find(cst.CSTVisitor):
        def visit_Attribute(self, node: cst.Attribute) -> None:
            if isinstance(node.value, cst.Name) and node.value.value == owner:
                found.add(node.attr.value)

    cls.visit(_Find())
    return found


def _snake_case(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _names_in(module: cst.Module) -> set[str]:
    """Every name the module uses or binds (a new variable must not clash with any)."""
    found: set[str] = set()

    class _Names(cst.CSTVisitor):
        def visit_Name(self, node: cst.Name) -> None:
            found.add(node.value)

    module.visit(_Names())
    return found


def _is_fix_of(statement: cst.BaseStatement, name: str) -> bool:
    """Whether ``statement`` is ``name = <one of our wrappers around name>``."""
    if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
        return False
    assign = statement.body[0]
    if not isinstance(assign, cst.Assign) or len(assign.targets) != 1:
        return False
    target = assign.targets[0].target
    base = base_of(assign.value)
    return (
        isinstance(target, cst.Name)
        and target.value == name
        and unwrap(assign.value) is not None
        and isinstance(base, cst.Name)
        and base.value == name
    )


def _is_wrapped(expr: cst.BaseExpression, wrap: Template) -> bool:
    return is_wrapped(expr, wrap)


def _data_argument(call: cst.Call, which: str) -> cst.Arg | None:
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == which:
            return arg
    positional = [a for a in call.args if a.keyword is None and not a.star]
    if any(a.star == "*" for a in call.args):
        return None
    position = _DATA_POSITIONS[which]
    return positional[position] if position < len(positional) else None


def _first_input(outer: cst.Call) -> cst.BaseExpression | None:
    for arg in outer.args:
        if arg.keyword is None and not arg.star:
            return arg.value
    for arg in outer.args:
        if arg.keyword is not None and arg.keyword.value == "inputs":
            return arg.value
    return None


def _adds(expr: cst.BaseExpression, offset: int) -> bool:
    """``expr`` is ``something + offset`` (or ``- -offset``): what ``_offset`` writes."""
    if not isinstance(expr, cst.BinaryOperation) or not isinstance(expr.right, cst.Integer):
        return False
    n = int(expr.right.value)
    return (isinstance(expr.operator, cst.Add) and n == offset) or (isinstance(expr.operator, cst.Subtract) and -n == offset)



def _line_after(node: object) -> cst.TrailingWhitespace | None:
    """The rest of the line after a comma or before a closing bracket, when a line break follows it."""
    ws = getattr(node, "whitespace_after", None) if isinstance(node, cst.Comma) else getattr(node, "whitespace_before", None)
    return ws.first_line if isinstance(ws, cst.ParenthesizedWhitespace) else None


def _with_line(element: cst.BaseElement, comma: cst.Comma | cst.MaybeSentinel,
               line: cst.TrailingWhitespace | None) -> cst.BaseElement:
    """``element`` in another slot: that slot's comma and line break, its own end-of-line comment."""
    if isinstance(comma, cst.Comma) and isinstance(comma.whitespace_after, cst.ParenthesizedWhitespace):
        comma = comma.with_changes(whitespace_after=comma.whitespace_after.with_changes(
            first_line=line or cst.TrailingWhitespace()))
    return element.with_changes(comma=comma)


def _batched(expr: cst.BaseExpression, size: str) -> cst.BaseExpression:
    """``expr.batch(size)``, placed before a final ``.prefetch(…)`` (which works on batches)."""
    if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute) and expr.func.attr.value == "prefetch":
        return expr.with_changes(func=expr.func.with_changes(value=_batched(expr.func.value, size)))
    base = expr if isinstance(expr, (cst.Name, cst.Attribute, cst.Call, cst.Subscript)) else \
        expr.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
    return cst.Call(func=cst.Attribute(value=base, attr=cst.Name("batch")),
                    args=[cst.Arg(cst.parse_expression(size))])


def _is_batched(expr: cst.BaseExpression) -> bool:
    """The pipeline batches already (``.batch``/``.padded_batch`` anywhere in its chain)."""
    node: cst.BaseExpression | None = expr
    while isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute):
        if node.func.attr.value in ("batch", "padded_batch"):
            return True
        node = node.func.value
    return False
