"""``keras2_api``: methods and functions Keras 3 removed, and NumPy aliases removed alongside.

``fit_generator``/``predict_classes`` and friends are matched on any receiver not
known to be another library's object: nothing else in the Python world has
those names. ``predict_proba`` (scikit-learn has it) and ``reset_states`` (RNN
layers still have it) need the receiver to be known as a Keras model.
"""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

from kerasfix.keras2.calls import has_star, keyword, literal_int, literal_str, method, positionals, same_string
from kerasfix.keras2.edits import (
    ArgsEdit,
    Edit,
    Found,
    Replace,
    drop_keyword,
    keywords_for_positionals,
    rename_keyword,
    template,
)
from kerasfix.keras2.migration import Hints, ModelOutput
from kerasfix.keras2.names import split_keras
from kerasfix.keras2.source import Receiver, Source, code_of
from kerasfix.rewrite.imports import Named, layer_constructor, numpy_name
from kerasfix.rewrite.seq import Carried, Seq

KIND = "keras2_api"

#: Keras 2 signatures, after the generator, of the removed ``*_generator`` methods (unambiguous prefix only).
GENERATOR_METHODS = {
    "fit_generator": ("fit", ("steps_per_epoch", "epochs", "verbose", "callbacks", "validation_data", "validation_steps")),
    "evaluate_generator": ("evaluate", ("steps",)),
    "predict_generator": ("predict", ("steps",)),
}
#: Keywords only Keras 1's ``fit_generator`` had: its positional arguments meant samples, not steps.
KERAS1_GENERATOR_KEYWORDS = frozenset({"nb_epoch", "samples_per_epoch", "nb_val_samples", "max_q_size", "nb_worker", "pickle_safe"})

#: NumPy aliases of builtins removed in NumPy 1.24/2.0. (``np.bool`` and ``np.long`` exist again in NumPy 2.)
NUMPY_ALIASES = {"float": "float", "int": "int", "object": "object", "str": "str", "complex": "complex", "unicode": "str"}

#: ``keras.backend`` math (gone from standalone Keras 3) → ``keras.ops``, with defaults ``ops`` lacks.
BACKEND_OPS: dict[str, tuple[str, str | None]] = {
    **{
        name: (name, None)
        for name in (
            "mean", "sum", "max", "min", "prod", "std", "var", "any", "all", "square", "sqrt", "abs", "exp",
            "log", "tanh", "sigmoid", "softmax", "maximum", "minimum", "equal", "not_equal", "greater",
            "greater_equal", "less", "less_equal", "cast", "reshape", "transpose", "stack", "round", "sign",
            "ones_like", "zeros_like", "dot", "clip", "binary_crossentropy", "categorical_crossentropy",
            "sparse_categorical_crossentropy", "cumsum", "cumprod", "squeeze", "tile",
        )
    },
    # Keras 2 defaulted these to the last axis; keras.ops to 0 / None / a required axis.
    "concatenate": ("concatenate", "-1"),
    "argmax": ("argmax", "-1"),
    "argmin": ("argmin", "-1"),
    "expand_dims": ("expand_dims", "-1"),
    "pow": ("power", None),
    "l2_normalize": ("normalize", None),
}

_REDUCTIONS = ("mean", "sum", "max", "min", "prod", "std", "var", "any", "all")
#: Keywords of ``keras.backend`` math and their ``keras.ops`` names (``axis`` is the same everywhere).
BACKEND_KEYWORDS: dict[str, dict[str, str]] = {
    **{name: {"keepdims": "keepdims"} for name in _REDUCTIONS},
    "reshape": {"shape": "newshape"},
    "clip": {"min_value": "x_min", "max_value": "x_max"},
    "cast": {"dtype": "dtype"},
    "binary_crossentropy": {"from_logits": "from_logits"},
    "categorical_crossentropy": {"from_logits": "from_logits"},
    "sparse_categorical_crossentropy": {"from_logits": "from_logits"},
}

#: ``keras.backend`` functions with no Keras 3 counterpart to rewrite to (display only).
BACKEND_GONE = {
    "function": ("backend_function", "call the model (or a keras.Model of the wanted outputs) on the data"),
    "placeholder": ("backend_placeholder", "keras.Input(shape=…)"),
    "get_session": ("backend_session", "nothing: Keras 3 has no sessions (tf.compat.v1 for TF 1 code)"),
    "set_session": ("backend_session", "nothing: Keras 3 has no sessions (tf.config for GPU memory growth)"),
    "learning_phase": ("backend_learning_phase", "pass training=True/False when calling a layer or model"),
    "set_learning_phase": ("backend_learning_phase", "pass training=True/False when calling a layer or model"),
    "set_image_dim_ordering": ("backend_image_dim_ordering", "keras.backend.set_image_data_format(…)"),
    "image_dim_ordering": ("backend_image_dim_ordering", "keras.backend.image_data_format()"),
}
#: Standalone-only: ``tf.keras.backend`` still has these.
BACKEND_STANDALONE_GONE = {
    "int_shape": "x.shape",
    "variable": "keras.Variable(…)",
    "constant": "keras.ops.convert_to_tensor(…)",
    "get_value": "keras.ops.convert_to_numpy(v)",
    "set_value": "v.assign(value)",
    "batch_dot": "keras.ops.einsum or keras.ops.matmul",
    "flatten": "keras.ops.reshape(x, (-1,))",
    "count_params": "layer.count_params()",
    "gather": "keras.ops.take(…)",
}

#: TF ops with an exact ``keras.ops`` counterpart (same positional arguments), and keyword renames.
TF_OPS: dict[str, tuple[str, dict[str, str]]] = {
    "concat": ("concatenate", {"values": "xs", "axis": "axis"}),
    "reduce_mean": ("mean", {"axis": "axis", "keepdims": "keepdims"}),
    "reduce_sum": ("sum", {"axis": "axis", "keepdims": "keepdims"}),
    "reduce_max": ("max", {"axis": "axis", "keepdims": "keepdims"}),
    "reduce_min": ("min", {"axis": "axis", "keepdims": "keepdims"}),
    "reduce_prod": ("prod", {"axis": "axis", "keepdims": "keepdims"}),
    "expand_dims": ("expand_dims", {"axis": "axis"}),
    "squeeze": ("squeeze", {"axis": "axis"}),
    "stack": ("stack", {"axis": "axis"}),
    "reshape": ("reshape", {"shape": "newshape"}),
    "transpose": ("transpose", {"perm": "axes"}),
    "cast": ("cast", {"dtype": "dtype"}),
    "matmul": ("matmul", {}),
    "multiply": ("multiply", {}),
    "add": ("add", {}),
    "subtract": ("subtract", {}),
    "maximum": ("maximum", {}),
    "minimum": ("minimum", {}),
    "square": ("square", {}),
    "sqrt": ("sqrt", {}),
    "exp": ("exp", {}),
    "abs": ("abs", {}),
    "tanh": ("tanh", {}),
    "sigmoid": ("sigmoid", {}),
    "nn.relu": ("relu", {}),
    "nn.softmax": ("softmax", {"axis": "axis"}),
    "nn.sigmoid": ("sigmoid", {}),
    "math.log": ("log", {}),
    "math.reduce_mean": ("mean", {"axis": "axis", "keepdims": "keepdims"}),
    "math.reduce_sum": ("sum", {"axis": "axis", "keepdims": "keepdims"}),
    "math.add": ("add", {}),
    "math.multiply": ("multiply", {}),
    "math.subtract": ("subtract", {}),
    "math.maximum": ("maximum", {}),
    "math.minimum": ("minimum", {}),
}

#: Per op in ``TF_OPS``: how many leading positional arguments ``keras.ops`` takes in TF's order, and the
#: position of TF's ``name`` (``keras.ops`` has none; past the mapped ones ``transpose`` has ``conjugate``,
#: ``matmul`` its ``transpose_a``, …, ``reduce_max`` nothing that ``ops.max``'s ``initial`` would be).
TF_POSITIONS: dict[str, tuple[int, int]] = {
    "concat": (2, 2),
    "reduce_mean": (3, 3),
    "reduce_sum": (3, 3),
    "reduce_max": (3, 3),
    "reduce_min": (3, 3),
    "reduce_prod": (3, 3),
    "expand_dims": (2, 2),
    "squeeze": (2, 2),
    "stack": (2, 2),
    "reshape": (2, 2),
    "transpose": (2, 3),
    "cast": (2, 2),
    "matmul": (2, 11),
    "multiply": (2, 2),
    "add": (2, 2),
    "subtract": (2, 2),
    "maximum": (2, 2),
    "minimum": (2, 2),
    "square": (1, 1),
    "sqrt": (1, 1),
    "exp": (1, 1),
    "abs": (1, 1),
    "tanh": (1, 1),
    "sigmoid": (1, 1),
    "nn.relu": (1, 1),
    "nn.softmax": (2, 2),
    "nn.sigmoid": (1, 1),
    "math.log": (1, 1),
    "math.reduce_mean": (3, 3),
    "math.reduce_sum": (3, 3),
    "math.add": (2, 2),
    "math.multiply": (2, 2),
    "math.subtract": (2, 2),
    "math.maximum": (2, 2),
    "math.minimum": (2, 2),
}

#: TF ops on Keras tensors that a merge layer does: the layer is what Keras 3 code writes (and what shows in
#: ``model.summary()``, as tf.keras 2's TFOpLambda layer did), where ``keras.ops`` only adds an operation.
TF_OP_LAYERS: dict[str, str] = {
    "concat": "Concatenate",
    "add": "Add",
    "math.add": "Add",
    "multiply": "Multiply",
    "math.multiply": "Multiply",
    "subtract": "Subtract",
    "math.subtract": "Subtract",
    "maximum": "Maximum",
    "math.maximum": "Maximum",
    "minimum": "Minimum",
    "math.minimum": "Minimum",
}


def find(src: Source, hints: Hints) -> Iterator[Found]:
    keras_tensors = _keras_tensor_names(src)
    for call in src.calls:
        found = method(call)
        if found is not None:
            receiver, name = found
            if name in GENERATOR_METHODS:
                yield from _generator_method(src, call, receiver, name)
            elif name == "predict_classes":
                yield from _predict_classes(src, call, receiver, hints)
            elif name == "predict_proba":
                yield from _predict_proba(src, call, receiver)
            elif name == "reset_states" and not call.args:
                yield from _reset_states(src, call, receiver)
            elif name == "to_yaml" and src.receiver(receiver) is not Receiver.OTHER:
                yield _found(src, call, "yaml", "`to_yaml()` was removed in Keras 3", "display", "to_json() / model.save(\"….keras\")")
        yield from _backend(src, call, keras_tensors)
        yield from _functions(src, call)
    for attribute in src.attributes:
        yield from _attribute(src, attribute)


def _generator_method(src: Source, call: cst.Call, receiver: cst.BaseExpression, name: str) -> Iterator[Found]:
    if src.receiver(receiver) is Receiver.OTHER:
        return
    new, slots = GENERATOR_METHODS[name]
    message = f"`{name}` was removed in Keras 3: `{new}` takes generators and datasets itself"
    extra = positionals(call)[1:]
    keras1 = any(a.keyword is not None and a.keyword.value in KERAS1_GENERATOR_KEYWORDS for a in call.args)
    if len(extra) > len(slots) or (keras1 and extra) or any(a.star == "*" for a in call.args):
        yield _found(src, call, name, message, "display", f"call {new}(…) with the same arguments by keyword")
        return
    assert isinstance(call.func, cst.Attribute)
    edits: list[Edit] = [Replace(call.func.attr, lambda n: n.with_changes(value=new))]
    generator = keyword(call, "generator")
    if generator is not None:
        edits.append(rename_keyword(generator, "x"))
    if extra:
        edits.append(keywords_for_positionals(call, slots))
    replacement = f"rename {name} to {new}" + (", passing the arguments after the generator by keyword" if extra else "")
    yield _found(src, call, name, message, "safe", replacement, tuple(edits))


#: Layers between the last Dense and the model's output that change neither its width nor (but Activation) its range.
_PASS_THROUGH = frozenset(
    {"Dropout", "AlphaDropout", "GaussianDropout", "GaussianNoise", "ActivityRegularization", "Flatten", "Activation"}
)


def _model_layers(src: Source, receiver: cst.Name) -> list[cst.Call] | None:
    """The layer calls of a Sequential model built in this file, in order (list first, then ``add``), if known."""
    layers: list[cst.Call] = []
    known = False
    for value in src.assignments.get(receiver.value, []):
        if isinstance(value, cst.Call) and src.is_keras(value, ("Sequential", "models.Sequential")):
            known = True
            given = value.args[0].value if value.args else None
            if isinstance(given, (cst.List, cst.Tuple)):
                layers = [e.value for e in given.elements if isinstance(e.value, cst.Call)]
    code = code_of(receiver)
    for call in src.calls:
        found = method(call)
        if found is not None and found[1] == "add" and code_of(found[0]) == code and call.args:
            added = call.args[0].value
            if isinstance(added, cst.Call):
                layers.append(added)
    return layers if known or layers else None


def _int_value(src: Source, expr: cst.BaseExpression, depth: int = 0) -> int | None:
    """An int literal, or a name this file assigns one int literal only."""
    value = literal_int(expr)
    if value is not None or not isinstance(expr, cst.Name) or depth > 2:
        return value
    values = src.assignments.get(expr.value, [])
    return _int_value(src, values[0], depth + 1) if len(values) == 1 else None


def model_output(src: Source, receiver: cst.BaseExpression, depth: int = 0) -> ModelOutput | None:
    """The output width and activation of a model defined in this file, if they can be read.

    Looks back from the last layer through Dropout/Flatten/Activation to the Dense that sets the width;
    an ``Activation`` after it sets the activation.
    """
    if not isinstance(receiver, cst.Name) or depth > 2:
        return None
    layers: list[cst.Call] = []
    for value in src.assignments.get(receiver.value, []):
        if isinstance(value, cst.Call) and src.is_keras(value, ("Model", "models.Model")):
            outputs = keyword(value, "outputs") or keyword(value, "output")
            if outputs is None and len(positionals(value)) > 1:
                outputs = positionals(value)[1]
            if outputs is not None and isinstance(outputs.value, cst.Name):
                produced = src.assignments.get(outputs.value.value, [])
                if len(produced) == 1 and isinstance(produced[0], cst.Call) and isinstance(produced[0].func, cst.Call):
                    layers = [produced[0].func]
    if not layers:
        layers = _model_layers(src, receiver) or []
    activation: str | None = None
    for last in reversed(layers):
        layer = src.keras_layer(last)
        if layer == "Dense":
            units_arg = keyword(last, "units") or (positionals(last)[0] if positionals(last) else None)
            own = keyword(last, "activation")
            return ModelOutput(
                _int_value(src, units_arg.value) if units_arg is not None else None,
                activation or (literal_str(own.value) if own is not None else "linear"),
            )
        if layer == "Activation":
            if activation is None:
                if not last.args:
                    return None
                activation = literal_str(last.args[0].value)
                if activation is None:
                    return None
            continue
        if layer not in _PASS_THROUGH:
            break
    return ModelOutput(None, activation) if activation is not None else None


def _predict_classes(src: Source, call: cst.Call, receiver: cst.BaseExpression, hints: Hints) -> Iterator[Found]:
    if src.receiver(receiver) is Receiver.OTHER:
        return
    message = "`predict_classes` was removed in Keras 3"
    output = hints.outputs.get(src.start(call)) or model_output(src, receiver)
    # Keras 2's own rule: argmax over several outputs, a 0.5 threshold on one.
    argmax = output is not None and (
        (output.units is not None and output.units > 1) or (output.units is None and output.activation == "softmax")
    )
    threshold = output is not None and output.units == 1
    if not (argmax or threshold):
        yield _found(
            src, call, "predict_classes", message, "display",
            'np.argmax(model.predict(x), axis=-1) for several outputs, (model.predict(x) > 0.5).astype("int32") for one',
        )
        return
    numpy = numpy_name(src.table)
    quoted = src.string("int32")
    # Keras 2 returned one column, (n, 1); a file that only reads it back one number at a time (``'%d' %
    # p[i]``, ``int(p[i])``) relied on NumPy < 2 turning a one-element array into a number, which NumPy 2 refuses.
    flat = ".ravel()" if threshold and _read_as_numbers(src, call) else ""

    def make(node: cst.Call) -> cst.BaseExpression:
        assert isinstance(node.func, cst.Attribute)
        predict = node.with_changes(func=node.func.with_changes(attr=cst.Name("predict")))
        if argmax:
            return template(f"{numpy.code}.argmax({{p}}, axis=-1)", p=predict)
        return template(f"({{p}} > 0.5).astype({quoted}){flat}", p=predict)

    shown = f"{numpy.code}.argmax(….predict(x), axis=-1)" if argmax else f"(….predict(x) > 0.5).astype({quoted}){flat}"
    if flat:
        shown += " (flat: the file reads each class as a number, which NumPy 2 refuses to make of a one-element array)"
    imports = numpy.imports if argmax else ()
    yield _found(src, call, "predict_classes", message, "review", shown, (Replace(call, make, imports),))


def _read_as_numbers(src: Source, call: cst.Call) -> bool:
    """``name = call`` where every later use of ``name`` is ``name[i]`` made into a number: a ``%`` format's
    operand, ``int()``/``float()``, ``'…'.format()``, or an f-string field with a format spec."""
    assign = src.parent(call)
    if not (isinstance(assign, cst.Assign) and len(assign.targets) == 1 and isinstance(assign.targets[0].target, cst.Name)):
        return False
    target = assign.targets[0].target
    uses = [n for n in src.positions if isinstance(n, cst.Name) and n.value == target.value and n is not target]
    return bool(uses) and len(src.assignments.get(target.value, [])) == 1 and all(_number_of(src, n) for n in uses)


def _number_of(src: Source, name: cst.Name) -> bool:
    item = src.parent(name)
    if not (isinstance(item, cst.Subscript) and item.value is name and len(item.slice) == 1):
        return False
    index = item.slice[0].slice
    if not isinstance(index, cst.Index) or isinstance(index.value, cst.Tuple) or index.star is not None:
        return False
    parent = src.parent(item)
    if isinstance(parent, cst.Element):
        parent = src.parent(parent)  # one of the ``%`` format's operands
        if not isinstance(parent, cst.Tuple):
            return False
        operand: cst.CSTNode = parent
        parent = src.parent(parent)
    else:
        operand = item
    if isinstance(parent, cst.BinaryOperation):
        strings = (cst.SimpleString, cst.ConcatenatedString)
        return isinstance(parent.operator, cst.Modulo) and parent.right is operand and isinstance(parent.left, strings)
    if isinstance(parent, cst.FormattedStringExpression):
        return parent.format_spec is not None
    if isinstance(parent, cst.Arg) and parent.keyword is None and parent.star == "":
        func = getattr(src.parent(parent), "func", None)
        if isinstance(func, cst.Name):
            return func.value in ("int", "float")
        return isinstance(func, cst.Attribute) and func.attr.value == "format" and isinstance(func.value, cst.SimpleString)
    return False


def _predict_proba(src: Source, call: cst.Call, receiver: cst.BaseExpression) -> Iterator[Found]:
    if src.receiver(receiver) is not Receiver.KERAS:
        return
    assert isinstance(call.func, cst.Attribute)
    yield _found(
        src, call, "predict_proba",
        "`predict_proba` was removed in Keras 3; `predict` returns the same probabilities",
        "review", "rename predict_proba to predict",
        (Replace(call.func.attr, lambda n: n.with_changes(value="predict")),),
    )


def _reset_states(src: Source, call: cst.Call, receiver: cst.BaseExpression) -> Iterator[Found]:
    if src.receiver(receiver) is not Receiver.KERAS:
        return
    message = "`Model.reset_states()` was removed in Keras 3 (stateful layers still have it)"
    replacement = "reset each layer that has states: for layer in model.layers: …"
    expr = src.parent(call)
    line = src.parent(expr) if isinstance(expr, cst.Expr) else None
    if not isinstance(line, cst.SimpleStatementLine) or len(line.body) != 1:
        yield _found(src, call, "model_reset_states", message, "display", replacement)
        return
    variable = next(n for n in ("layer", "layer_", "lyr") if not src.bound(n))
    model = code_of(receiver)
    q = src.quote
    loop = cst.parse_statement(
        f"for {variable} in {model}.layers:\n"
        f"    if hasattr({variable}, {q}reset_states{q}):\n"
        f"        {variable}.reset_states()\n"
    )
    assert isinstance(loop, cst.For)

    def make(node: cst.SimpleStatementLine) -> cst.For:
        return loop.with_changes(
            leading_lines=node.leading_lines,
            body=loop.body.with_changes(header=node.trailing_whitespace),
        )

    yield _found(src, call, "model_reset_states", message, "review", replacement, (Replace(line, make),))


def _backend(src: Source, call: cst.Call, keras_tensors: set[str]) -> Iterator[Found]:
    qualified = src.qualified(call.func)
    split = split_keras(qualified) if qualified is not None else None
    if split is None:
        if qualified is not None and qualified.startswith("tensorflow.") and not qualified.startswith("tensorflow.keras"):
            yield from _tf_op(src, call, qualified[len("tensorflow.") :], keras_tensors)
        return
    root, rest = split
    if not rest.startswith("backend.") or rest.count(".") != 1:
        return
    name = rest.split(".")[1]
    if name in ("image_dim_ordering", "set_image_dim_ordering"):
        yield _dim_ordering(src, call, name)
        return
    if name in BACKEND_GONE:
        rule, instead = BACKEND_GONE[name]
        yield _found(src, call, rule, f"`backend.{name}` was removed in Keras 3", "display", instead)
        return
    standalone = root == "keras"
    if standalone and name in BACKEND_STANDALONE_GONE:
        yield _found(src, call, "backend_removed", f"`keras.backend.{name}` was removed in Keras 3", "display", BACKEND_STANDALONE_GONE[name])
        return
    if name not in BACKEND_OPS:
        return
    on_keras_tensor = any(_is_keras_tensor(src, a.value, keras_tensors) for a in call.args)
    if standalone or on_keras_tensor:
        message = (
            f"`keras.backend.{name}` was removed in Keras 3; `keras.ops` has it"
            if standalone
            else f"`tf.keras.backend.{name}` runs TensorFlow, which cannot take a Keras tensor in Keras 3"
        )
        yield _to_ops(src, call, "backend_math", name, BACKEND_OPS[name], BACKEND_KEYWORDS.get(name, {}), message)


#: Keras 2's ``image_dim_ordering`` values and the ``image_data_format`` each one is.
DIM_ORDERINGS = {"th": "channels_first", "tf": "channels_last"}


def _dim_ordering(src: Source, call: cst.Call, name: str) -> Found:
    """``K.set_image_dim_ordering('th')`` → ``K.set_image_data_format('channels_first')``; ``K.image_dim_ordering()``
    → a test of ``K.image_data_format()``. Keras 2 kept both spellings in step, so the meaning is kept (safe)."""
    rule = "backend_image_dim_ordering"
    message = f"`backend.{name}` was removed in Keras 3 (Keras 2 named it `{name.replace('dim_ordering', 'data_format')}`)"
    func = call.func
    if not isinstance(func, cst.Attribute) or has_star(call):
        instead = "keras.backend.set_image_data_format(…)" if name.startswith("set_") else "keras.backend.image_data_format()"
        return _found(src, call, rule, message, "display", instead)
    data_format = func.with_changes(attr=cst.Name("image_data_format"))
    if name == "set_image_dim_ordering":
        value = call.args[0].value if len(call.args) == 1 and call.args[0].keyword is None else None
        ordering = literal_str(value) if value is not None else None
        if value is None or ordering not in DIM_ORDERINGS:
            return _found(src, call, rule, message, "display", "keras.backend.set_image_data_format('channels_first' or 'channels_last')")
        assert isinstance(value, cst.SimpleString)
        new_value = same_string(value, DIM_ORDERINGS[ordering])
        edits: tuple[Edit, ...] = (
            Replace(func.attr, lambda n: n.with_changes(value="set_image_data_format")),
            Replace(value, lambda v: new_value),
        )
        return _found(src, call, rule, message, "safe", f"set_image_data_format({code_of(new_value)})", edits)
    if call.args:
        return _found(src, call, rule, message, "display", "keras.backend.image_data_format()")
    comparison = src.parent(call)
    q = src.quote
    if (
        isinstance(comparison, cst.Comparison)
        and comparison.left is call
        and len(comparison.comparisons) == 1
        and isinstance(comparison.comparisons[0].operator, (cst.Equal, cst.NotEqual))
        and isinstance(comparison.comparisons[0].comparator, cst.SimpleString)
        and literal_str(comparison.comparisons[0].comparator) in DIM_ORDERINGS
    ):
        # ``K.image_dim_ordering() == 'th'`` → ``K.image_data_format() == 'channels_first'``.
        target = comparison.comparisons[0].comparator
        assert isinstance(target, cst.SimpleString)
        new_target = same_string(target, DIM_ORDERINGS[literal_str(target) or ""])
        edits = (
            Replace(func.attr, lambda n: n.with_changes(value="image_data_format")),
            Replace(target, lambda t: new_target),
        )
        return _found(src, call, rule, message, "safe", f"compare image_data_format() with {code_of(new_target)}", edits)
    expression = f"({q}th{q} if {code_of(data_format)}() == {q}channels_first{q} else {q}tf{q})"
    return _found(
        src, call, rule, message, "safe", expression,
        (Replace(call, lambda n: cst.parse_expression(expression)),),
    )


def _to_ops(
    src: Source,
    call: cst.Call,
    rule: str,
    name: str,
    op: tuple[str, str | None],
    keywords: dict[str, str],
    message: str,
    tf_positions: tuple[int, int] | None = None,
) -> Found:
    """``tf_positions``: a TF op's ``TF_POSITIONS`` entry, whose ``name`` is dropped (``keras.ops`` takes none)."""
    new, default_axis = op
    ops = src.keras_name(_ops_root(src), f"ops.{new}", module_import=True)
    replacement = f"use {ops.code}(…)"
    present = [a.keyword.value for a in call.args if a.keyword is not None]
    droppable = {"name"} if tf_positions is not None else set()
    if any(a.star for a in call.args) or any(k not in keywords for k in present if k not in {"axis", *droppable}):
        return _found(src, call, rule, message, "display", replacement)
    if name == "relu" and len(call.args) > 1:
        return _found(src, call, rule, message, "display", replacement)
    edits: list[Edit] = [Replace(call.func, lambda f: cst.parse_expression(ops.code), ops.imports)]
    if tf_positions is not None:
        mapped, name_at = tf_positions
        given = len(positionals(call))
        if given > mapped:
            if given != name_at + 1 or name_at != mapped:
                # A TF-only option (``conjugate``, ``transpose_a``, …) given by position: no keras.ops spelling.
                return _found(src, call, rule, message, "display", replacement)
            edits.append(_drop_positional(call, name_at))
        elif "name" in present:
            edits.append(drop_keyword(call, "name"))
        if given > mapped or "name" in present:
            replacement += ", without TF's name (the op is no layer in Keras 3)"
    for arg in call.args:
        if arg.keyword is not None and keywords.get(arg.keyword.value, arg.keyword.value) != arg.keyword.value:
            edits.append(rename_keyword(arg, keywords[arg.keyword.value]))
    if default_axis is not None and keyword(call, "axis") is None and len(positionals(call)) < 2:
        edits.append(_append_axis(call, default_axis))
        replacement += f" with axis={default_axis}, Keras 2's default"
    return _found(src, call, rule, message, "review", replacement, tuple(edits))


def _drop_positional(call: cst.Call, index: int) -> ArgsEdit:
    def change(seq: Seq[cst.Arg]) -> None:
        seq.remove(index)

    return ArgsEdit(call, change)


def _append_axis(call: cst.Call, value: str) -> ArgsEdit:
    def change(seq: Seq[cst.Arg]) -> None:
        equal = next((a.equal for a in seq.items if isinstance(a.equal, cst.AssignEqual)), None)
        if equal is None:
            equal = cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace(""))
        axis = cst.Arg(cst.parse_expression(value), keyword=cst.Name("axis"), equal=equal.deep_clone())
        seq.insert(len(seq.items), Carried(axis))

    return ArgsEdit(call, change)


def _ops_root(src: Source) -> str:
    """``keras`` unless the file only knows Keras as ``tensorflow.keras``."""
    targets = set(src.table.bindings.values())
    uses_standalone = any(t == "keras" or t.startswith("keras.") for t in targets)
    uses_tf_keras = any(t.startswith("tensorflow.keras") for t in targets) or "tensorflow" in targets
    return "tensorflow.keras" if uses_tf_keras and not uses_standalone else "keras"


def _tf_op(src: Source, call: cst.Call, op: str, keras_tensors: set[str]) -> Iterator[Found]:
    if op not in TF_OPS:
        return
    if not any(_is_keras_tensor(src, a.value, keras_tensors) for a in call.args):
        return
    new, keywords = TF_OPS[op]
    message = f"`tf.{op}` cannot take a Keras tensor in Keras 3 (a symbolic `Input`/layer output)"
    layer = _merge_layer(src, call, op, keras_tensors)
    if layer is not None:
        yield _found(src, call, "tf_op_on_keras_tensor", message, "review", layer[0], layer[1])
        return
    yield _to_ops(src, call, "tf_op_on_keras_tensor", op, (new, None), keywords, message, TF_POSITIONS[op])


def _merge_layer(src: Source, call: cst.Call, op: str, keras_tensors: set[str]) -> tuple[str, tuple[Edit, ...]] | None:
    """``tf.concat([a, b], axis=1)`` → ``Concatenate(axis=1)([a, b])``, ``tf.add(a, b)`` → ``Add()([a, b])``.

    Only when every input is a Keras tensor (a merge layer takes no constants) and the call has nothing
    but the inputs, the axis and ``name=``; else None (``keras.ops`` then).
    """
    if op not in TF_OP_LAYERS:
        return None
    parts = _merge_parts(call, op)
    if parts is None:
        return None
    inputs = parts["tensors"]
    assert isinstance(inputs, (cst.List, cst.Tuple))
    tensors = [e.value for e in inputs.elements]
    if len(tensors) < 2 or any(isinstance(e, cst.StarredElement) for e in inputs.elements):
        return None
    if not all(_is_keras_tensor(src, e, keras_tensors) for e in tensors):
        return None
    named = _layer_named(src, call, TF_OP_LAYERS[op])
    text = named.code + "(" + ", ".join(f"{k}={{{k}}}" for k in ("axis", "name") if k in parts) + ")({tensors})"

    def make(rewritten: cst.Call) -> cst.BaseExpression:
        # From the call as rewritten so far: an op nested in its inputs has become a layer already.
        now = _merge_parts(rewritten, op)
        assert now is not None
        return template(text, **now).with_changes(lpar=rewritten.lpar, rpar=rewritten.rpar)

    return f"use the {TF_OP_LAYERS[op]} layer: {code_of(template(text, **parts))}", (Replace(call, make, named.imports),)


def _merge_parts(call: cst.Call, op: str) -> dict[str, cst.BaseExpression] | None:
    """The inputs (as one list), axis and name of a TF op a merge layer can do; None for any other call."""
    if has_star(call):
        return None
    given = {a.keyword.value: a.value for a in call.args if a.keyword is not None}
    args = [a.value for a in positionals(call)]
    if len(args) == 3 and "name" not in given:  # TF's signatures end in ``name``
        given["name"] = args.pop()
    parts = {k: v for k, v in given.items() if k == "name"}
    if op == "concat":
        if set(given) - {"values", "axis", "name"} or len(args) + len(given.keys() & {"values", "axis"}) != 2:
            return None
        tensors = args[0] if args else given.get("values")
        axis = args[1] if len(args) == 2 else given.get("axis")
        if not isinstance(tensors, (cst.List, cst.Tuple)) or axis is None:
            return None
        return {**parts, "tensors": tensors, "axis": axis}
    if set(given) - {"name"} or len(args) != 2:
        return None
    return {**parts, "tensors": cst.List([cst.Element(args[0]), cst.Element(args[1])])}


def _layer_named(src: Source, call: cst.Call, layer: str) -> Named:
    """``layer`` spelled like the layer constructed nearest before ``call`` (else after it)."""
    line = src.start(call)
    constructors = [c for c in src.calls if src.keras_layer(c) is not None]
    before = [c for c in constructors if src.start(c) < line]
    after = [c for c in constructors if src.start(c) > line]
    neighbour = before[-1] if before else after[0] if after else None
    if neighbour is not None:
        named = layer_constructor(src.table, neighbour.func, layer)
        # A Keras 1 module (``keras.layers.core``) is being migrated itself: import from ``layers`` then.
        if all(i.module in ("keras.layers", "tensorflow.keras.layers") for i in named.imports):
            return named
    return src.keras_name(_ops_root(src), f"layers.{layer}")


def _keras_tensor_names(src: Source) -> set[str]:
    """Names assigned a symbolic Keras tensor: ``keras.Input(…)`` or ``SomeLayer(…)(…)``."""
    names: set[str] = set()
    for _ in range(3):  # follow short chains (x = Dense(…)(inputs); y = tf.concat([x, …]))
        for name, values in src.assignments.items():
            if name not in names and any(_makes_keras_tensor(src, v, names) for v in values):
                names.add(name)
    return names


def _makes_keras_tensor(src: Source, value: cst.BaseExpression, known: set[str]) -> bool:
    if not isinstance(value, cst.Call):
        return False
    if src.is_keras(value, ("Input", "layers.Input")):
        return True
    if isinstance(value.func, cst.Call) and src.keras_layer(value.func) is not None:
        return True
    qualified = src.qualified(value.func)
    if qualified is not None and qualified.startswith("tensorflow.") and qualified[len("tensorflow.") :] in TF_OPS:
        return any(_is_keras_tensor(src, a.value, known) for a in value.args)
    return False


def _is_keras_tensor(src: Source, expr: cst.BaseExpression, known: set[str]) -> bool:
    if isinstance(expr, cst.Name):
        return expr.value in known and _reaches_as_keras_tensor(src, expr, known)
    if isinstance(expr, (cst.List, cst.Tuple)):
        return any(_is_keras_tensor(src, e.value, known) for e in expr.elements)
    if isinstance(expr, cst.Attribute) and expr.attr.value in ("output", "input"):
        return src.receiver(expr.value) is Receiver.KERAS
    return _makes_keras_tensor(src, expr, known)


def _function_of(src: Source, node: cst.CSTNode) -> cst.FunctionDef | None:
    parent = src.parent(node)
    while parent is not None and not isinstance(parent, cst.FunctionDef):
        parent = src.parent(parent)
    return parent


def _reaches_as_keras_tensor(src: Source, name: cst.Name, known: set[str]) -> bool:
    """Whether the assignment of ``name`` that reaches this use made a Keras tensor: the last one before it in
    the same function. ``logits = Dense(…)(x)`` in ``build_model`` says nothing of ``logits = model.predict(…)``
    in ``main``. A name assigned only elsewhere (a parameter, a global) is judged by all its assignments."""
    here, at = _function_of(src, name), src.start(name)
    around = set()  # the statement the use is in: ``x = tf.nn.relu(x)`` reads the x of the line before
    node: cst.CSTNode | None = name
    while node is not None:
        around.add(id(node))
        node = src.parent(node)
    local = [v for v in src.assignments.get(name.value, []) if _function_of(src, v) is here]
    before = [v for v in local if src.start(v) < at and id(v) not in around]
    if not before:
        return True
    return _makes_keras_tensor(src, max(before, key=lambda v: src.start(v)), known)


def _functions(src: Source, call: cst.Call) -> Iterator[Found]:
    path = src.keras_path(call.func)
    if path is None:
        return
    rest = path[1]
    if rest in ("utils.multi_gpu_model", "utils.training_utils.multi_gpu_model"):
        yield _found(src, call, "multi_gpu_model", "`multi_gpu_model` was removed in Keras 3", "display", "build and compile the model inside tf.distribute.MirroredStrategy().scope()")
    elif rest == "models.model_from_yaml":
        yield _found(src, call, "yaml", "`model_from_yaml` was removed in Keras 3", "display", "keras.models.model_from_json / keras.models.load_model(\"….keras\")")
    elif rest.startswith("layers.") and rest.split(".")[-1] in ("Merge", "Highway", "MaxoutDense", "AtrousConvolution1D", "AtrousConvolution2D", "LocallyConnected1D", "LocallyConnected2D"):
        yield _found(src, call, "removed_layer", f"`{rest.split('.')[-1]}` was removed in Keras 3", "display", "keras.layers.Concatenate/Add/… for Merge; no drop-in replacement for the others")


def _attribute(src: Source, node: cst.Attribute) -> Iterator[Found]:
    name = node.attr.value
    if name == "lr" and src.is_optimizer(node.value):
        yield _found(
            src, node, "optimizer_lr_attribute",
            "an optimizer's `lr` attribute was renamed `learning_rate`; Keras 3 has only `learning_rate`",
            "safe", "rename .lr to .learning_rate",
            (Replace(node.attr, lambda n: n.with_changes(value="learning_rate")),),
        )
        return
    if name in NUMPY_ALIASES and src.qualified(node) == f"numpy.{name}":
        builtin = NUMPY_ALIASES[name]
        yield _found(
            src, node, f"np_{name}_alias",
            f"`np.{name}` was an alias of the builtin `{builtin}`, removed in NumPy 1.24/2.0",
            "safe", f"use {builtin}",
            (Replace(node, lambda n: cst.Name(builtin, lpar=n.lpar, rpar=n.rpar)),),
        )
        return
    if name in ("output_shape", "input_shape") and _is_layer(src, node.value):
        yield _found(
            src, node, "layer_output_shape", f"layers have no `{name}` in Keras 3 (models still do)", "display",
            f"layer.{name.split('_')[0]}.shape",
        )


def _is_layer(src: Source, expr: cst.BaseExpression) -> bool:
    """``model.layers[i]`` or ``model.get_layer(…)``."""
    if isinstance(expr, cst.Subscript):
        return isinstance(expr.value, cst.Attribute) and expr.value.attr.value == "layers"
    if isinstance(expr, cst.Call):
        found = method(expr)
        return found is not None and found[1] == "get_layer"
    return False


def _found(
    src: Source, node: cst.CSTNode, rule: str, message: str, applicability: str, replacement: str, edits: tuple[Edit, ...] = ()
) -> Found:
    return Found(src.migration(node, KIND, rule, message, applicability, replacement), edits if applicability != "display" else ())
