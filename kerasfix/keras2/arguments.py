"""``keras2_argument``: keyword arguments Keras 1/2 took and Keras 3 rejects, and argument values it reads differently.

Layer and optimizer keywords are matched only on calls that resolve to a Keras
class through the file's imports. Keywords of ``fit``/``evaluate``/``predict``
are matched on any receiver not known to be another library's object when the
keyword is distinctive (``nb_epoch``, ``use_multiprocessing``…); a common word
(``workers``) needs the receiver to be known as a Keras model.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import libcst as cst

from kerasfix.keras2.calls import argument, has_star, keyword, literal, literal_int, method, positionals
from kerasfix.keras2.edits import ArgsEdit, Found, Replace, drop_keyword, parenthesized, rename_keyword, template
from kerasfix.keras2.migration import Hints
from kerasfix.keras2.source import OPTIMIZERS, Receiver, Source, code_of

KIND = "keras2_argument"

RNN = frozenset({"LSTM", "GRU", "SimpleRNN", "ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D"})
DROPOUTS = frozenset(
    {"Dropout", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D", "GaussianDropout", "AlphaDropout"}
)


@dataclass(frozen=True)
class Rename:
    """A layer keyword renamed in Keras 2 (``classes`` None: on any layer)."""

    rule: str
    new: str
    classes: frozenset[str] | None = None


LAYER_RENAMES: dict[str, Rename] = {
    "output_dim": Rename("dense_output_dim", "units", frozenset({"Dense"}) | RNN),
    "border_mode": Rename("border_mode", "padding"),
    "init": Rename("layer_init", "kernel_initializer"),
    "inner_init": Rename("rnn_inner_init", "recurrent_initializer", RNN),
    "subsample": Rename("subsample", "strides"),
    "subsample_length": Rename("subsample", "strides"),
    "filter_length": Rename("filter_length", "kernel_size"),
    "pool_length": Rename("pool_length", "pool_size"),
    "nb_filter": Rename("nb_filter", "filters"),
    "W_regularizer": Rename("w_regularizer", "kernel_regularizer"),
    "b_regularizer": Rename("b_regularizer", "bias_regularizer"),
    "U_regularizer": Rename("u_regularizer", "recurrent_regularizer", RNN),
    "W_constraint": Rename("w_constraint", "kernel_constraint"),
    "b_constraint": Rename("b_constraint", "bias_constraint"),
    "dim_ordering": Rename("dim_ordering", "data_format"),
    "dropout_W": Rename("rnn_dropout_w", "dropout", RNN),
    "dropout_U": Rename("rnn_dropout_u", "recurrent_dropout", RNN),
    "p": Rename("dropout_p", "rate", DROPOUTS),
    "sigma": Rename("gaussian_noise_sigma", "stddev", frozenset({"GaussianNoise"})),
    "bias": Rename("layer_bias", "use_bias"),
}

#: ``dim_ordering`` values and their ``data_format`` spelling.
DIM_ORDERING = {"th": "channels_first", "tf": "channels_last"}


@dataclass(frozen=True)
class Drop:
    """A layer keyword Keras 3 rejects and that did nothing we must keep."""

    rule: str
    classes: frozenset[str]
    why: str


LAYER_DROPS: dict[str, Drop] = {
    "consume_less": Drop("rnn_consume_less", RNN, "was a Keras 1 speed hint"),
    "mode": Drop("batchnorm_mode", frozenset({"BatchNormalization"}), "was Keras 1's normalization mode"),
    "fused": Drop("batchnorm_fused", frozenset({"BatchNormalization"}), "was a TF 1 speed hint"),
    "input_length": Drop("embedding_input_length", frozenset({"Embedding"}), "is ignored by Keras 3 (with a warning)"),
    "dropout": Drop(
        "embedding_dropout", frozenset({"Embedding"}),
        "was Keras 1's word dropout (whole rows of the embedding matrix), which no Keras 3 layer does",
    ),
}

FIT = frozenset({"fit", "fit_generator"})
EVALUATE = frozenset({"evaluate", "evaluate_generator"})
PREDICT = frozenset({"predict", "predict_generator"})
GENERATOR_METHODS = frozenset({"fit_generator", "evaluate_generator", "predict_generator"})

#: Data-loading options ``fit``/``evaluate``/``predict`` no longer take (Keras 1 names too); True when distinctive.
LOADER_OPTIONS = {
    "workers": False,
    "use_multiprocessing": True,
    "max_queue_size": True,
    "max_q_size": True,
    "nb_worker": True,
    "pickle_safe": True,
}

#: ``steps`` arguments that must be integers, per method family.
STEP_ARGS = {"steps_per_epoch": FIT, "validation_steps": FIT, "steps": EVALUATE | PREDICT}

#: NumPy functions that return NumPy scalars (not Python ints) when given arrays.
NUMPY_SCALARS = frozenset(
    {"max", "amax", "min", "amin", "sum", "prod", "argmax", "argmin", "ceil", "floor", "round", "rint", "trunc"}
    | {f"{kind}{bits}" for kind in ("int", "uint") for bits in (8, 16, 32, 64)}
    | {"intp", "float32", "float64"}
)
_SCALAR_METHODS = frozenset({"max", "min", "sum", "prod", "argmax", "argmin"})

#: Keras 3 default learning rates, for ``decay=`` on an optimizer given none.
DEFAULT_LEARNING_RATE = {"SGD": "0.01"}


def find(src: Source, hints: Hints) -> Iterator[Found]:
    for call in src.calls:
        layer = src.keras_layer(call)
        if layer is not None:
            yield from _layer_keywords(src, call, layer)
            yield from _numpy_units(src, call, layer)
        elif src.is_keras(call, OPTIMIZERS):
            yield from _optimizer(src, call)
        elif src.is_keras(call, ("Model", "models.Model")):
            yield from _model_input_output(src, call)
        elif src.is_keras(call, ("utils.to_categorical",)):
            yield from _to_categorical(src, call)
        found = method(call)
        if found is not None and found[1] in FIT | EVALUATE | PREDICT | {"compile"}:
            yield from _training_call(src, call, found[0], found[1], hints)


def _layer_keywords(src: Source, call: cst.Call, layer: str) -> Iterator[Found]:
    present = {a.keyword.value for a in call.args if a.keyword is not None}
    for arg in call.args:
        if arg.keyword is None:
            continue
        old = arg.keyword.value
        rename = LAYER_RENAMES.get(old)
        if rename is not None and (rename.classes is None or layer in rename.classes):
            yield _rename(src, call, arg, layer, rename, present)
        drop = LAYER_DROPS.get(old)
        if drop is not None and layer in drop.classes:
            message = f"`{old}=` on {layer} {drop.why}; Keras 3 rejects it"
            applicability = "safe"
            if old == "mode" and literal(arg.value) != (True, 0):
                message = f"`mode=` on {layer} chose a Keras 1 normalization Keras 3 does not have"
                applicability = "display"
            if old == "input_length":
                message = f"`input_length=` on {layer} {drop.why}"
            replacement = f"remove {old}="
            if old == "dropout":
                # Dropping a regulariser changes how the model trains: the user decides.
                applicability = "review"
                replacement = "remove dropout= (a SpatialDropout1D after the Embedding is the nearest Keras 3 layer)"
            yield _found(src, arg, drop.rule, message, applicability, replacement, (drop_keyword(call, old),))
        if old == "batch_input_shape":
            yield _batch_input_shape(src, call, arg, layer, present)
        if old == "input_length" and layer in RNN:
            yield _rnn_input_length(src, call, arg, layer, present)


def _rnn_input_length(src: Source, call: cst.Call, arg: cst.Arg, layer: str, present: set[str]) -> Found:
    """``LSTM(…, input_dim=d, input_length=t)`` (Keras 1) → ``input_shape=(t, d)``: the same input (safe)."""
    message = f"`input_length=` on {layer} was removed in Keras 3 (Keras 1 gave the time steps and features apart)"
    dim = keyword(call, "input_dim")
    if dim is None or "input_shape" in present or "batch_input_shape" in present:
        return _found(src, arg, "rnn_input_length", message, "display", "input_shape=(time steps, features)")
    length, features = arg.value, dim.value
    shape = template("({t}, {d})", t=length, d=features)
    edits = (
        Replace(dim, lambda a: a.with_changes(keyword=cst.Name("input_shape"), value=shape)),
        drop_keyword(call, "input_length"),
    )
    return _found(src, arg, "rnn_input_length", message, "safe", f"input_shape=({code_of(length)}, {code_of(features)})", edits)


def _batch_input_shape(src: Source, call: cst.Call, arg: cst.Arg, layer: str, present: set[str]) -> Found:
    """``model.add(LSTM(…, batch_input_shape=s))`` → ``model.add(Input(batch_shape=s))`` then the layer without it;
    ``Sequential([LSTM(…, batch_input_shape=s), …])`` → an ``Input(batch_shape=s)`` first. The model is the same (safe)."""
    message = f"`batch_input_shape=` on {layer} was removed in Keras 3"
    replacement = "start the model with keras.Input(batch_shape=…) instead"
    path = src.keras_path(call.func)
    if path is None or present & {"input_shape", "input_dim", "batch_size", "input_length"} or has_star(call):
        return _found(src, arg, "batch_input_shape", message, "display", replacement)
    named = src.keras_name(path[0], "Input")
    shape = arg.value

    def input_call() -> cst.Call:
        made = template(f"{named.code}(batch_shape={{s}})", s=shape.deep_clone())
        assert isinstance(made, cst.Call)
        return made

    drop = drop_keyword(call, "batch_input_shape")
    parent = src.parent(call)
    holder = src.parent(parent) if parent is not None else None
    if isinstance(parent, cst.Arg) and isinstance(holder, cst.Call):
        found = method(holder)
        expr = src.parent(holder)
        line = src.parent(expr) if isinstance(expr, cst.Expr) else None
        if (
            found is not None and found[1] == "add" and len(holder.args) == 1 and src.receiver(found[0]) is Receiver.KERAS
            and isinstance(line, cst.SimpleStatementLine) and len(line.body) == 1
        ):
            receiver = code_of(found[0])

            def add_input(updated: cst.SimpleStatementLine) -> cst.FlattenSentinel[cst.BaseStatement]:
                first = cst.SimpleStatementLine(
                    body=[cst.Expr(template(f"{receiver}.add({{i}})", i=input_call()))], leading_lines=updated.leading_lines
                )
                return cst.FlattenSentinel([first, updated.with_changes(leading_lines=[])])

            edits = (drop, Replace(line, add_input, named.imports))
            return _found(src, arg, "batch_input_shape", message, "safe", f"{receiver}.add({named.code}(batch_shape=…)) first", edits)
    if isinstance(parent, cst.Element) and isinstance(holder, (cst.List, cst.Tuple)):
        sequential = src.parent(src.parent(holder) or holder)
        first = holder.elements[0] if holder.elements else None
        if (
            first is not None and first.value is call and isinstance(sequential, cst.Call)
            and src.is_keras(sequential, ("Sequential", "models.Sequential"))
        ):
            def prepend(updated: cst.List | cst.Tuple) -> cst.List | cst.Tuple:
                comma = updated.elements[0].comma
                if not isinstance(comma, cst.Comma):
                    comma = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
                element = cst.Element(input_call(), comma=comma.deep_clone())
                return updated.with_changes(elements=[element, *updated.elements])

            edits = (drop, Replace(holder, prepend, named.imports))
            return _found(src, arg, "batch_input_shape", message, "safe", f"start the list with {named.code}(batch_shape=…)", edits)
    return _found(src, arg, "batch_input_shape", message, "display", replacement)


def _rename(src: Source, call: cst.Call, arg: cst.Arg, layer: str, rename: Rename, present: set[str]) -> Found:
    assert arg.keyword is not None
    old, new = arg.keyword.value, rename.new
    message = f"`{old}` on {layer} was renamed `{new}` in Keras 2 and removed in Keras 3"
    if new in present:
        return _found(src, arg, rename.rule, message, "display", f"remove {old}= (the call also sets {new}=)")
    if old == "dim_ordering":
        value = literal(arg.value)
        if not (value[0] and value[1] in DIM_ORDERING):
            return _found(src, arg, rename.rule, message, "display", "set data_format= to the matching value")
        assert isinstance(arg.value, cst.SimpleString)
        mapped = DIM_ORDERING[value[1]]
        q = arg.value.quote
        edit = rename_keyword(arg, new, arg.value.with_changes(value=f"{arg.value.prefix}{q}{mapped}{q}"))
        return _found(src, arg, rename.rule, message, "safe", f'rename dim_ordering="{value[1]}" to data_format="{mapped}"', (edit,))
    return _found(src, arg, rename.rule, message, "safe", f"rename {old}= to {new}=", (rename_keyword(arg, new),))


def _optimizer(src: Source, call: cst.Call) -> Iterator[Found]:
    name = code_of(call.func).rsplit(".", 1)[-1]
    lr = keyword(call, "lr")
    learning_rate = keyword(call, "learning_rate")
    if lr is not None:
        message = f"`lr` on {name} was renamed `learning_rate` and is rejected by Keras 3"
        if learning_rate is not None:
            yield _found(src, lr, "optimizer_lr", message, "display", "remove lr= (the call also sets learning_rate=)")
        else:
            yield _found(src, lr, "optimizer_lr", message, "safe", "rename lr= to learning_rate=", (rename_keyword(lr, "learning_rate"),))
    decay = keyword(call, "decay")
    if decay is not None:
        yield _decay(src, call, name, decay, lr or learning_rate)


def _decay(src: Source, call: cst.Call, name: str, decay: cst.Arg, rate: cst.Arg | None) -> Found:
    message = f"`decay=` on {name} is ignored by Keras 3 (with a warning), so the learning rate no longer decays"
    if literal(decay.value)[1] in (0, 0.0) and literal(decay.value)[0]:
        return _found(src, decay, "optimizer_decay", f"`decay=0` on {name} is rejected by name in Keras 3 and did nothing", "safe", "remove decay=0", (drop_keyword(call, "decay"),))
    if rate is None:
        args = positionals(call)
        rate = args[0] if args else None
    path = src.keras_path(call.func)
    assert path is not None
    schedule = src.keras_name(path[0], "optimizers.schedules.InverseTimeDecay")
    replacement = "learning_rate=InverseTimeDecay(lr, decay_steps=1, decay_rate=decay), the schedule Keras 2's decay followed"
    if has_star(call):
        return _found(src, decay, "optimizer_decay", message, "display", replacement)

    def scheduled(initial: cst.BaseExpression) -> cst.BaseExpression:
        return template(
            f"{schedule.code}({{initial}}, decay_steps=1, decay_rate={{rate}})", initial=initial, rate=decay.value
        )

    if rate is not None:
        edits: tuple[Replace | ArgsEdit, ...] = (
            Replace(rate, lambda a: a.with_changes(value=scheduled(a.value)), schedule.imports),
            drop_keyword(call, "decay"),
        )
        if rate.keyword is not None and rate.keyword.value == "lr":
            edits = (rename_keyword(rate, "learning_rate"), *edits)
    else:
        default = DEFAULT_LEARNING_RATE.get(name, "0.001")
        edits = (
            Replace(
                decay,
                lambda a: a.with_changes(keyword=cst.Name("learning_rate"), value=scheduled(cst.parse_expression(default))),
                schedule.imports,
            ),
        )
    return _found(src, decay, "optimizer_decay", message, "review", replacement, edits)


def _model_input_output(src: Source, call: cst.Call) -> Iterator[Found]:
    for old, new in (("input", "inputs"), ("output", "outputs")):
        arg = keyword(call, old)
        if arg is None:
            continue
        message = f"`Model({old}=…)` was renamed `{new}=` in Keras 2 and is rejected by Keras 3"
        if keyword(call, new) is not None:
            yield _found(src, arg, "model_input_output", message, "display", f"remove {old}=")
        else:
            yield _found(src, arg, "model_input_output", message, "safe", f"rename {old}= to {new}=", (rename_keyword(arg, new),))


def _to_categorical(src: Source, call: cst.Call) -> Iterator[Found]:
    arg = keyword(call, "nb_classes")
    if arg is None:
        return
    message = "`nb_classes` of to_categorical was renamed `num_classes` in Keras 2 and removed in Keras 3"
    if keyword(call, "num_classes") is not None:
        yield _found(src, arg, "to_categorical_nb_classes", message, "display", "remove nb_classes=")
    else:
        yield _found(src, arg, "to_categorical_nb_classes", message, "safe", "rename nb_classes= to num_classes=",
                     (rename_keyword(arg, "num_classes"),))


def _numpy_units(src: Source, call: cst.Call, layer: str) -> Iterator[Found]:
    slots = {"Dense": (("units", 0),), "Embedding": (("input_dim", 0), ("output_dim", 1))}.get(layer, ())
    for name, position in slots:
        arg = argument(call, name, position)
        if arg is None or not numpy_scalar(src, arg.value):
            continue
        yield _found(
            src,
            arg,
            "numpy_int_units",
            f"{layer} `{name}` is a NumPy number here, and Keras 3 accepts only a Python int",
            "safe",
            f"wrap {name} in int(…)",
            (Replace(arg.value, lambda v: template("int({v})", v=v)),),
        )


def numpy_scalar(src: Source, expr: cst.BaseExpression, depth: int = 0) -> bool:
    """Whether ``expr`` (best effort) evaluates to a NumPy scalar rather than a Python number."""
    if isinstance(expr, cst.Call):
        qualified = src.qualified(expr.func)
        if qualified is not None:
            module, _, name = qualified.rpartition(".")
            return module == "numpy" and name in NUMPY_SCALARS
        found = method(expr)
        return found is not None and found[1] in _SCALAR_METHODS and not expr.args and isinstance(found[0], cst.Name)
    if isinstance(expr, cst.BinaryOperation):
        return numpy_scalar(src, expr.left, depth) or numpy_scalar(src, expr.right, depth)
    if isinstance(expr, cst.Name) and depth < 3:
        values = src.assignments.get(expr.value, [])
        return bool(values) and all(numpy_scalar(src, v, depth + 1) for v in values)
    return False


def _training_call(src: Source, call: cst.Call, receiver: cst.BaseExpression, name: str, hints: Hints) -> Iterator[Found]:
    kind = src.receiver(receiver)
    if kind is Receiver.OTHER:
        return
    distinctive = {"nb_epoch", "show_accuracy", "samples_per_epoch", "nb_val_samples"} | {
        option for option, telling in LOADER_OPTIONS.items() if telling
    }
    # A distinctive Keras keyword in the same call is evidence enough for the common ones.
    known = (
        kind is Receiver.KERAS
        or name in GENERATOR_METHODS
        or any(a.keyword is not None and a.keyword.value in distinctive for a in call.args)
    )
    nb_epoch = keyword(call, "nb_epoch")
    if nb_epoch is not None and name in FIT:
        message = "`nb_epoch` was renamed `epochs` in Keras 2 and removed in Keras 3"
        if keyword(call, "epochs") is not None:
            yield _found(src, nb_epoch, "fit_nb_epoch", message, "display", "remove nb_epoch=")
        else:
            yield _found(src, nb_epoch, "fit_nb_epoch", message, "safe", "rename nb_epoch= to epochs=", (rename_keyword(nb_epoch, "epochs"),))
    mode = keyword(call, "sample_weight_mode") if name == "compile" else None
    if mode is not None and literal(mode.value)[0] and literal(mode.value)[1] in ("temporal", None):
        yield _found(
            src, mode, "compile_sample_weight_mode",
            "`sample_weight_mode=` was removed from `compile` in Keras 3: a (samples, time steps) sample_weight is "
            "applied per time step by itself",
            "safe", "remove sample_weight_mode=", (drop_keyword(call, "sample_weight_mode"),),
        )
    show = keyword(call, "show_accuracy")
    if show is not None and name in FIT | EVALUATE:
        yield _found(
            src, show, "fit_show_accuracy", f"`show_accuracy=` (Keras 0.x) is rejected by `{name}` in Keras 3; accuracy is a metric now",
            "safe", "remove show_accuracy=", (drop_keyword(call, "show_accuracy"),),
        )
    for arg in call.args:
        option = arg.keyword.value if arg.keyword is not None else None
        if option in LOADER_OPTIONS and name != "compile" and (LOADER_OPTIONS[option] or known):
            yield _found(
                src, arg, "fit_workers",
                f"`{option}=` is no longer an argument of `{name}` in Keras 3 (a keras.utils.PyDataset takes workers)",
                "safe", f"remove {option}=", (drop_keyword(call, option),),
            )
    for step, methods in STEP_ARGS.items():
        steps = keyword(call, step)
        if steps is not None and name in methods:
            yield from _float_steps(src, steps)
    if name in FIT:
        for old, new in (("samples_per_epoch", "steps_per_epoch"), ("nb_val_samples", "validation_steps")):
            samples = keyword(call, old)
            if samples is not None:
                yield _samples(src, call, samples, old, new, hints)
    val_samples = keyword(call, "val_samples")
    if val_samples is not None and name in EVALUATE | PREDICT:
        yield _samples(src, call, val_samples, "val_samples", "steps", hints)


def _float_steps(src: Source, arg: cst.Arg) -> Iterator[Found]:
    assert arg.keyword is not None
    step = arg.keyword.value
    value = arg.value
    how = _float_kind(src, value)
    if how is None:
        return
    message = f"`{step}` is a float here ({code_of(value)}), and Keras 3 needs an integer"
    if how == "int":
        yield _found(src, arg, "float_steps", message, "safe", f"wrap {step} in int(…)", (Replace(value, lambda v: template("int({v})", v=v)),))
        return
    # Keras 2 ran ceil(steps) batches for a fractional count (its loop ran while steps_done < steps): keep that.
    ceil = src.name_for("math.ceil")
    yield _found(
        src, arg, "float_steps", message, "safe", f"wrap {step} in {ceil.code}(…), the batch count Keras 2 ran",
        (Replace(value, lambda v: template(f"{ceil.code}({{v}})", v=v), ceil.imports),),
    )


def _float_kind(src: Source, expr: cst.BaseExpression, depth: int = 0) -> str | None:
    """``"ceil"`` for a true division or float literal, ``"int"`` for a NumPy float; None for anything else."""
    if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, cst.Divide):
        return "ceil"
    if isinstance(expr, cst.Float):
        return "ceil"
    if isinstance(expr, cst.Call):
        qualified = src.qualified(expr.func)
        if qualified in ("numpy.ceil", "numpy.floor", "numpy.round", "numpy.rint"):
            return "int"
    if isinstance(expr, cst.Name) and depth < 3:
        kinds = {_float_kind(src, v, depth + 1) for v in src.assignments.get(expr.value, [])}
        if len(kinds) == 1:
            return kinds.pop()
    return None


def _samples(src: Source, call: cst.Call, arg: cst.Arg, old: str, new: str, hints: Hints) -> Found:
    rule = old
    message = f"`{old}` (Keras 1) counted samples; Keras 3 takes `{new}`, a number of batches"
    replacement = f"{new}=ceil({code_of(arg.value)} / batch_size)"
    if keyword(call, new) is not None:
        return _found(src, arg, rule, message, "display", f"remove {old}= (the call also sets {new}=)")
    batch = _batch_size(src, call, old, hints)
    if batch is None:
        return _found(src, arg, rule, message, "display", replacement + " (the batch size is not known from the file)")
    ceil = src.name_for("math.ceil")
    value = template(f"{ceil.code}({{n}} / {{b}})", n=parenthesized(arg.value), b=parenthesized(batch))
    return _found(
        src, arg, rule, message, "review", f"{new}={code_of(value)}",
        (Replace(arg, lambda a: a.with_changes(keyword=cst.Name(new), value=value), ceil.imports),),
    )


_FLOWS = frozenset({"flow", "flow_from_directory", "flow_from_dataframe"})


def _batch_size(src: Source, call: cst.Call, old: str, hints: Hints) -> cst.BaseExpression | None:
    """The batch size behind a call: its ``batch_size=``, a hint, or the ``flow(…)`` feeding it."""
    own = keyword(call, "batch_size")
    if own is not None:
        return own.value
    hinted = hints.batch_size_at(src.start(call))
    if hinted is not None:
        return cst.Integer(str(hinted))
    data: cst.Arg | None = (
        argument(call, "validation_data", None) if old == "nb_val_samples" else argument(call, "generator", 0)
    )
    if data is None and old != "nb_val_samples":
        data = keyword(call, "x")
    return None if data is None else _generator_batch_size(src, data.value)


#: Parameter names that hold the batch size of a generator function.
_BATCH_PARAMETERS = ("batch_size", "batchsize", "batch", "bs")


def _generator_batch_size(src: Source, value: cst.BaseExpression, depth: int = 0) -> cst.BaseExpression | None:
    """The batch size a generator yields: ``flow(…, batch_size=)``, or the ``batch_size`` argument of a
    generator function of this file (``batch_generator(X, y, 32)``), through a name assigned once."""
    if isinstance(value, cst.Name) and depth < 2:
        values = src.assignments.get(value.value, [])
        return _generator_batch_size(src, values[0], depth + 1) if len(values) == 1 else None
    if not isinstance(value, cst.Call):
        return None
    found = method(value)
    if found is not None and found[1] in _FLOWS:
        size = keyword(value, "batch_size")
        # ImageDataGenerator.flow* default to batches of 32.
        return size.value if size is not None else cst.Integer("32")
    if not isinstance(value.func, cst.Name) or has_star(value):
        return None
    functions = src.functions.get(value.func.value, [])
    if len(functions) != 1 or not _is_generator(functions[0]):
        return None
    params = functions[0].params
    names = [p.name.value for p in (*params.posonly_params, *params.params)]
    for i, name in enumerate(names):
        if name not in _BATCH_PARAMETERS:
            continue
        given = argument(value, name, i)
        if given is not None:
            return given.value
        default = next((p.default for p in params.params if p.name.value == name), None)
        return default if default is not None and literal_int(default) is not None else None
    return None


def _is_generator(function: cst.FunctionDef) -> bool:
    """The function yields (in its own body, not a nested one)."""
    found = False

    class _Yields(cst.CSTVisitor):
        def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
            return node is function

        def visit_Lambda(self, node: cst.Lambda) -> bool:
            return False

        def visit_Yield(self, node: cst.Yield) -> None:
            nonlocal found
            found = True

    function.visit(_Yields())
    return found


def _found(
    src: Source,
    node: cst.CSTNode,
    rule: str,
    message: str,
    applicability: str,
    replacement: str,
    edits: tuple[Replace | ArgsEdit, ...] = (),
) -> Found:
    if applicability == "display":
        edits = ()
    return Found(src.migration(node, KIND, rule, message, applicability, replacement), edits)


__all__ = ["find", "literal_int", "numpy_scalar"]
