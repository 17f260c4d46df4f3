"""A capture run: the user's script under the hooks, then the diagnosis and the plan, as JSON-able data.

``run_request`` is the target the warm worker pool (``kerasfix.capture.pool``)
calls in a process forked for this one run, with the script's folder as the
working directory. ``payload["source"]``, when given (base64), is the text to
run *as if* it were the script (a patch checked before it is written). The
script's own output goes to this process's stdout/stderr, which the pool keeps
apart from the parent's.
"""

from __future__ import annotations

import ast
import base64
import contextlib
import os
import sys
import time
import tokenize
import traceback
from collections.abc import Callable, Collection
from dataclasses import replace
from typing import Any, cast

import numpy as np

from kerasfix import faults
from kerasfix.capture.hooks import Captured, Hooks, char_col, tensorflow_on_demand
from kerasfix.capture.sites import TRAINING, Recorder, Site
from kerasfix.diagnosis import examine
from kerasfix.faults.base import Context
from kerasfix.faults.data import (
    DataShapeDetail,
    InputShapeDetail,
    detect_data_shape,
    detect_input_shape,
    usage_error,
)
from kerasfix.fix import Fix
from kerasfix.losses import loss_info
from kerasfix.plan import plan, unverified_fixes
from kerasfix.problem import problem_for
from kerasfix.sample import Sample, SampleError, feature_shape, take_sample
from kerasfix.structure import Structure, copies_of, entry_for, is_custom, layer_ref, structure_of
from kerasfix.trace import Failure, Trace, clean_message, spec_of
from kerasfix.types import (
    DATA_EDITS,
    DATA_METHODS,
    Calls,
    Diagnosis,
    Finding,
    LayerTrace,
    Origin,
    ReshapeData,
    to_jsonable,
)


def _method_calls(source: str, methods: Collection[str]) -> list[ast.Call]:
    """The script's ``.<method>(...)`` calls for ``methods``, in ``ast.walk`` order; none if it does not parse.

    For a script that died before making them: what they would have been given is read from the source.
    """
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    return [n for n in ast.walk(tree)
            if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr in methods]


def _fit_args_from_source(source: str, namespace: dict[str, Any]) -> tuple[Any, Any] | None:
    """When the script died before ``fit``, evaluate the names it would have passed."""
    for node in _method_calls(source, ("fit",)):
        args = list(node.args[:2])
        for kw in node.keywords:
            if kw.arg in ("x", "y"):
                args.append(kw.value)
        values = []
        for arg in args[:2]:
            if isinstance(arg, ast.Name) and arg.id in namespace:
                values.append(namespace[arg.id])
            else:
                values.append(None)
        if values and values[0] is not None:
            return values[0], values[1] if len(values) > 1 else None
    return None


def _compile_args_from_source(source: str) -> dict[str, Any]:
    """The literal arguments of the script's ``compile`` call, for a script that died before reaching it."""
    for node in _method_calls(source, ("compile",)):
        found: dict[str, Any] = {}
        for name, arg in [*zip(("optimizer", "loss"), node.args, strict=False), *((k.arg, k.value) for k in node.keywords)]:
            if name in ("optimizer", "loss"):
                try:
                    found[name] = ast.literal_eval(arg)
                except ValueError:
                    continue
        return found
    return {}


def _call_origin_from_source(source: str, path: str, method: str) -> Any:
    """Where the script calls ``.<method>(...)`` (its first such call), for a call the script died before making."""
    calls = _method_calls(source, (method,))
    if not calls:
        return None
    node = min(calls, key=lambda n: (n.lineno, n.col_offset))
    return _origin_of(node, source.splitlines(), path)


def _origin_of(node: ast.expr, lines: list[str], path: str) -> Origin:
    end_line = node.end_lineno or node.lineno
    return Origin(path, node.lineno, char_col(lines[node.lineno - 1], node.col_offset),
                  end_line, char_col(lines[end_line - 1], node.end_col_offset or 0))


def _held_arrays(source: str, path: str, namespace: dict[str, Any], *,
                 elements: bool = False) -> list[tuple[np.ndarray, Origin]]:
    """The arrays the script holds that its data calls pass as features, and where (the training calls first,
    each kind in source order); with ``elements``, also each array of a list of inputs (``fit([img, meta], y)``).

    For a Functional model that failed to connect: the script died before any of these calls, so what they
    would pass is read from the source and looked up by name (``x`` or ``x[:n]``) among what it had made.
    """
    def named(arg: ast.expr | None) -> np.ndarray | None:
        if isinstance(arg, ast.Subscript) and isinstance(arg.slice, ast.Slice):
            arg = arg.value  # some rows of the array: the same per-sample shape
        value = namespace.get(arg.id) if isinstance(arg, ast.Name) else None
        return value if isinstance(value, np.ndarray) else None

    lines = source.splitlines()
    found: list[tuple[bool, np.ndarray, Origin]] = []
    for node in sorted(_method_calls(source, DATA_METHODS), key=lambda n: (n.lineno, n.col_offset)):
        arg = next((k.value for k in node.keywords if k.arg == "x"), node.args[0] if node.args else None)
        given = arg.elts if elements and isinstance(arg, (ast.List, ast.Tuple)) else [arg]
        method = cast(ast.Attribute, node.func).attr  # _method_calls gives attribute calls only
        for value in (named(a) for a in given):
            if value is not None:
                found.append((method not in TRAINING, value, _origin_of(node, lines, path)))
    found.sort(key=lambda t: t[0])  # stable: the training calls first, each kind in source order
    return [(value, origin) for _, value, origin in found]


def _held_features(source: str, path: str, namespace: dict[str, Any],
                   per_sample: tuple[int | None, ...]) -> list[tuple[np.ndarray, Origin]]:
    """The features the script holds for its data calls (``_held_arrays``) whose samples have shape ``per_sample``."""
    return [(value, origin) for value, origin in _held_arrays(source, path, namespace)
            if value.ndim == len(per_sample) + 1
            and all(d is None or d == v for d, v in zip(per_sample, value.shape[1:], strict=True))]


def _held_one_axis_short(source: str, path: str, namespace: dict[str, Any],
                         declared: tuple[int | None, ...]) -> list[tuple[np.ndarray, Origin]]:
    """The features the script holds for its data calls (also one input of several) whose samples have the
    shape declared without its first axis: ``keras.Input(shape=x.shape)``, a number of samples declared as an
    axis of each (``x``'s own, or that of the whole set ``x`` was split from). Exact matches first."""
    found = [(value, origin) for value, origin in _held_arrays(source, path, namespace, elements=True)
             if value.ndim == len(declared) > 1 and tuple(value.shape[1:]) == declared[1:]]
    return sorted(found, key=lambda t: tuple(t[0].shape) != declared)


#: Exceptions that mean the script wanted the network (``keras.datasets.*.load_data()``, ``urlopen``, ``get_file``).
_NETWORK_ERRORS = ("URLError", "HTTPError", "gaierror", "ConnectionError", "ConnectionRefusedError",
                   "RemoteDisconnected", "ProxyError", "SSLError", "NewConnectionError", "MaxRetryError")


def _needs_network(exc: BaseException | None) -> bool:
    """Whether the script died fetching something from the network (its own error, or Keras's ``get_file``)."""
    seen = 0
    while exc is not None and seen < 8:
        if type(exc).__name__ in _NETWORK_ERRORS or str(exc).startswith("URL fetch failure"):
            return True
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return False


def _script_error(exc: BaseException, path: str) -> dict[str, Any]:
    line = None
    for frame in traceback.extract_tb(exc.__traceback__):
        if os.path.abspath(frame.filename) == os.path.abspath(path):
            line = frame.lineno
    return {"type": type(exc).__name__, "message": clean_message(exc), "line": line, "network": _needs_network(exc)}


def run_request(payload: dict[str, Any]) -> dict[str, Any]:
    """The pool's entry point: ``{"script": path, "source": base64 or None}`` → what the run found.

    ``scratch`` (given by the pool) is a folder every run of this script shares.
    """
    source = payload.get("source")
    _compile_for_one_batch(payload.get("scratch"))
    return run(payload["script"], base64.b64decode(source) if source is not None else None)


#: XLA's optimisation of the code it generates (LLVM's level): for one batch, compiling is the cost, not running.
_QUICK_XLA = "--xla_backend_optimization_level=0"


def _compile_for_one_batch(scratch: str | None) -> None:
    """Under JAX, compile as befits a run cut to one batch: quickly, and each thing once per script.

    JAX compiles every new shape, even a weight initializer's, and the compiling is most of a cut run:
    LLVM's optimisation level 0 roughly halves it (the library convolutions and matrix products are not
    generated code and run as fast). What is compiled is kept in ``scratch``, where the patched run finds
    it: it builds the model kerasfix built and tried here. Numbers differ at most in their last bits (LLVM
    orders some float operations differently), which no verdict depends on; a script that sets the level in
    ``XLA_FLAGS`` keeps its own. Read at JAX's first compile, so set before it.
    """
    import keras

    if keras.backend.backend() != "jax":
        return
    flags = os.environ.get("XLA_FLAGS", "")
    if "xla_backend_optimization_level" not in flags:
        os.environ["XLA_FLAGS"] = f"{flags} {_QUICK_XLA}".strip()
    if not scratch:
        return
    import jax

    with contextlib.suppress(Exception):  # an older JAX without these options just compiles again
        jax.config.update("jax_compilation_cache_dir", scratch)
        jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
        jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)


def run(script: str, raw: bytes | None = None) -> dict[str, Any]:
    """Run ``script`` (or ``raw`` as if it were it) to its end under the hooks; what its calls showed, and the plan."""
    with tensorflow_on_demand():
        return _run(script, raw)


def _run(script: str, raw: bytes | None) -> dict[str, Any]:
    import keras

    started = time.monotonic()
    script = os.path.abspath(script)
    if raw is None:
        with open(script, "rb") as fh:
            raw = fh.read()
    source = _decode(raw)
    code = compile(raw, script, "exec")  # bytes: the coding cookie is honoured
    namespace: dict[str, Any] = {"__name__": "__main__", "__file__": script, "__builtins__": __builtins__}
    if script.endswith(".ipynb"):
        # Jupyter's built-in; plain Python would stop the notebook at its first display().
        namespace["display"] = lambda *args, **kwargs: None
    sys.path.insert(0, os.path.dirname(script))
    # The same rows and the same initial weights on every run: a verdict never depends on luck.
    keras.utils.set_random_seed(0)
    script_error = None
    hooks = Hooks(script, source.splitlines())
    recorder = Recorder(hooks.captured)
    hooks.on_call = recorder
    with hooks as captured:
        try:
            exec(code, namespace)
        except SystemExit as exc:
            if exc.code not in (None, 0):
                script_error = {"type": "SystemExit", "message": f"the script called sys.exit({exc.code!r})",
                                "line": None, "network": False}
        except BaseException as exc:  # the user's script failing is data, not our crash
            script_error = _script_error(exc, script)
        finally:
            recorder.remove_written()
    result = _analyse(captured, recorder, hooks, namespace, source, script_error)
    result["script_error"] = script_error
    result["completed"] = script_error is None
    result["trains"] = recorder.trains
    result["calls"] = [s.summary() for s in recorder.sites]
    result["seconds"] = round(time.monotonic() - started, 3)
    return result


def _decode(raw: bytes) -> str:
    lines = iter(raw.splitlines(keepends=True))  # a lone \r ends a line too, as for Python's tokenizer
    encoding, _ = tokenize.detect_encoding(lambda: next(lines, b""))
    return raw.decode(encoding)


def _analyse(captured: Captured, recorder: Recorder, hooks: Hooks, namespace: dict[str, Any], source: str,
             script_error: dict[str, Any] | None) -> dict[str, Any]:
    """What the run found: the first call site with findings planned for, or why there is nothing to plan."""
    faulty = recorder.with_findings()
    if faulty:
        return _plan_sites(faulty, recorder.sites)
    if recorder.sites:
        if script_error is not None:
            return {"status": "script_error"}
        first = next((s for s in recorder.sites if s.exam is not None), None)
        return {"status": "ok", "diagnosis": to_jsonable(first.exam.diagnosis) if first and first.exam else None,
                "fixes": [], "rejected": []}
    models = [ref() for ref in captured.models if ref() is not None]
    if not models:
        if script_error is not None and captured.call_failure is not None:
            return _construction_failure(captured.call_failure, namespace, source, hooks.path)
        return {"status": "script_error" if script_error is not None else "no_model"}
    return _no_data_call(captured, hooks, models[-1], namespace, source, script_error)


def _same_fault(a: Finding, b: Finding) -> bool:
    """The same fault seen at two call sites (e.g. string labels given to ``fit`` and to ``evaluate``)."""
    if a.kind != b.kind or type(a.detail) is not type(b.detail):
        return False
    return all(getattr(a.detail, k, None) == getattr(b.detail, k, None) for k in ("which", "cause", "what", "at"))


def _reach(fix: Fix, primary: Site, sites: list[Site]) -> Fix:
    """The fix's data edits extended to every other call site given the same faulty data (fit on train,
    transform the rest: one label encoder, the same cast, the same reshape)."""
    def others(part: Fix) -> tuple[Origin, ...]:
        # A reshape of the features reaches only features shaped alike: ``x[..., None]`` at another call
        # already has the axis that the reshape adds.
        reshapes = any(isinstance(e, ReshapeData) and e.which == "x" for e in part.edits)
        return tuple(s.origin for s in sites if s is not primary and s.origin is not None
                     and any(_same_fault(part.finding, g) for g in s.findings)
                     and (not reshapes or feature_shape(s.x) == feature_shape(primary.x)))

    return _also(fix, others)


def _also(fix: Fix, others: Callable[[Fix], tuple[Origin, ...]]) -> Fix:
    """``fix`` with each part's data edits reaching the other calls ``others`` names for that part."""
    parts = []
    for part in fix.parts:
        more = others(part)
        edits = tuple(replace(e, also=more) if isinstance(e, DATA_EDITS) and more else e for e in part.edits)
        parts.append(replace(part, edits=edits))
    if not fix.steps:
        return parts[0]
    return replace(fix, steps=tuple(parts), edits=tuple(e for p in parts for e in p.edits))


def _plan_sites(faulty: list[Site], sites: list[Site]) -> dict[str, Any]:
    """Plan for the first call site with findings; report the findings of every site."""
    primary = faulty[0]
    assert primary.problem is not None and primary.exam is not None
    result = plan(primary.problem, primary.exam)
    findings: list[Finding] = []
    for s in faulty:
        findings.extend(f for f in s.findings if f not in findings)
    diag = replace(primary.exam.diagnosis, findings=tuple(findings))
    fixes = tuple(_reach(f, primary, sites) for f in result.fixes)
    return {"status": "ok", "method": primary.method, "diagnosis": to_jsonable(diag), "fixes": to_jsonable(fixes),
            "rejected": to_jsonable(result.rejected),
            "verify_by_rerun": primary.exam.context.structure.kind == "subclassed"
            or bool(result.fixes) and not any(f.verified for f in result.fixes)}


#: Names under which scripts usually keep their features and labels (checked in this order).
_DATA_NAMES = ("X_train", "x_train", "X", "x", "train_x", "features", "data", "inputs", "x_data", "X_data")
_LABEL_NAMES = ("y_train", "Y_train", "y", "Y", "train_y", "labels", "targets", "target", "y_data")


def _data_in_namespace(namespace: dict[str, Any], declared: tuple[int | None, ...] | None) -> tuple[Any, Any]:
    """The features (and labels) a script that never called its model holds: by their usual names, else by shape.

    Labels count only when there are as many as samples: they tell the data is a training set, not one sample.
    """
    def array(v: Any, min_ndim: int = 2) -> Any:
        if hasattr(v, "iloc") and hasattr(v, "to_numpy"):
            v = v.to_numpy()
        return v if isinstance(v, np.ndarray) and v.ndim >= min_ndim else None

    x = next((array(namespace[n]) for n in _DATA_NAMES if array(namespace.get(n)) is not None), None)
    if x is None and declared is not None:
        x = next((a for name, v in namespace.items()
                  if not name.startswith("_") and (a := array(v)) is not None
                  and (tuple(a.shape) == declared or tuple(a.shape[1:]) == declared)), None)
    if x is None:
        return None, None
    y = next((a for n in _LABEL_NAMES if (a := array(namespace.get(n), 1)) is not None and len(a) == len(x)), None)
    return x, y


def _no_data_call(captured: Captured, hooks: Hooks, model: Any, namespace: dict[str, Any], source: str,
                  script_error: dict[str, Any] | None) -> dict[str, Any]:
    """A model the script never called with data: judged on the data the script holds, if it holds any."""
    x = y = None
    if script_error is not None:
        found = _fit_args_from_source(source, namespace)
        if found:
            x, y = found
    compile_kwargs, compile_origin = captured.compile_kwargs.get(id(model), ({}, None))
    if not compile_kwargs and script_error is not None:
        compile_kwargs = _compile_args_from_source(source)
    try:
        structure_declared = structure_of(model).input_shape
    except TypeError as exc:
        return {"status": "unsupported", "reason": str(exc)}
    whole_set = x is None
    if x is None:
        x, y = _data_in_namespace(namespace, structure_declared)
    if x is None:
        if script_error is not None:
            return {"status": "script_error"}
        return {"status": "ok", "diagnosis": None, "fixes": [], "rejected": [], "note": "no_data"}
    unbuilt = None
    fit_origin = None
    if script_error is not None:
        # The script died before compile/fit: their positions come from the source instead.
        compile_origin = compile_origin or _call_origin_from_source(source, hooks.path, "compile")
        fit_origin = _call_origin_from_source(source, hooks.path, "fit")
        if not captured.build_errors:
            unbuilt = usage_error(script_error["message"], bool(getattr(model, "built", True)))
    try:
        problem = problem_for(
            model, x, y, loss=compile_kwargs.get("loss"), optimizer=compile_kwargs.get("optimizer"),
            metrics=compile_kwargs.get("metrics"),
            calls=Calls(compile=compile_origin, fit=fit_origin), usage_error=unbuilt, whole_set=whole_set,
        )
    except (TypeError, SampleError) as exc:
        return {"status": "unsupported", "reason": str(exc)}
    exam = examine(problem)
    if exam.diagnosis.ok:
        if script_error is not None:
            return {"status": "script_error"}
        return {"status": "ok", "diagnosis": to_jsonable(exam.diagnosis), "fixes": [], "rejected": []}
    result = plan(problem, exam)
    return {"status": "ok", "diagnosis": to_jsonable(exam.diagnosis), "fixes": to_jsonable(result.fixes),
            "rejected": to_jsonable(result.rejected)}


def _construction_failure(call_failure: tuple[Any, tuple[Any, ...], BaseException], namespace: dict[str, Any],
                          source: str, path: str) -> dict[str, Any]:
    """A Functional model that failed to connect: the script died there, so there is no model to rebuild.

    The finding is exact; the catalogue's candidate fixes cannot be pruned
    here (there is no model), so they are verified by the parent, which
    re-runs the patched script. When the failing layer reads the declared
    input, the arrays the script holds for its later data calls are the data:
    a repair on the data reaches each of those calls.
    """
    import keras


    layer, args, exc = call_failure
    tensors = [t for a in args for t in (a if isinstance(a, (list, tuple)) else [a])]
    producers = [t._keras_history[0] for t in tensors if getattr(t, "_keras_history", None)]
    producer = producers[0] if len(producers) == 1 else None
    from_input = isinstance(producer, keras.layers.InputLayer)
    specs = tuple(spec_of(t) for t in tensors)
    # The part of the graph that the failing call saw: the consumer, and the layers above it.
    rows, above, reached = _graph_above(tensors)
    copies = copies_of([*above, layer])
    rows = tuple(replace(row, layer=layer_ref(op, copies)) for row, op in zip(rows, above, strict=True))
    failure = Failure(
        -1, layer_ref(layer, copies), "input" if from_input else (producer.name if producer else None), specs,
        type(exc).__name__, clean_message(exc), is_custom(type(layer)), "symbolic",
        producers=tuple(p.name for p in producers) if len(producers) == len(tensors) else (),
        layers=tuple(row.layer for row in rows),
    )
    finding = faults.classify_failure(failure, [])
    if from_input and producer is not None:
        structure = Structure("functional", (entry_for(layer, copies),), tuple(producer.batch_shape[1:]),
                              input_ref=layer_ref(producer))
    else:
        structure = Structure("functional", tuple(entry_for(lyr, copies) for lyr in [*above, layer]), None)
    trace = Trace(rows, None, None, failure)
    ctx = Context(structure, Sample(None, None, 0), loss_info(None), trace=trace)
    calls, others = Calls(), tuple[Origin, ...]()
    held = _held_features(source, path, namespace, structure.input_shape) \
        if from_input and structure.input_shape is not None else []
    if held:
        x, first = held[0]
        with contextlib.suppress(SampleError):  # data that cannot be sampled: model-side candidates only
            ctx = replace(ctx, sample=take_sample(x), x_shape=tuple(int(d) for d in x.shape))
            calls, others = Calls(fit=first), tuple(origin for _, origin in held[1:])
            layout = _channels_first_data(ctx, x, first)
            if layout is not None:
                finding, ctx = layout
    else:
        declared = _batch_axis_declared(reached, layer, copies, ctx, source, path, namespace)
        if declared is not None:
            finding, ctx, calls = declared
    fixes = [_also(f, lambda _part: others) for f in unverified_fixes(finding, ctx, calls)]
    diag = Diagnosis((finding,), (), failing_layer=layer.name)
    return {
        "status": "ok", "method": None, "diagnosis": to_jsonable(diag), "fixes": to_jsonable(fixes),
        "rejected": [], "trains": None, "loss": None, "verify_by_rerun": True,
    }


def _with_data(ctx: Context, x: np.ndarray, **more: Any) -> Context:
    """``ctx`` with the features ``x`` the script holds for its data calls: sampled, and a whole data set (never
    one sample without its batch axis). Raises ``SampleError`` for data that cannot be sampled."""
    return replace(ctx, sample=take_sample(x), x_shape=tuple(int(d) for d in x.shape),
                   data_shape=tuple(int(d) for d in x.shape[1:]), full_rows=len(x), whole_set=True, **more)


def _channels_first_data(ctx: Context, x: np.ndarray, first: Origin) -> tuple[Finding, Context] | None:
    """Images given channels first to a model that reads them channels last, where the first image layer fails
    (its kernel wider than the 1 or 3 "pixels" it sees): the data's layout, not the layer, is the fault, and
    ``padding="same"`` would only hide it."""
    sized = _with_data(ctx, x, call=first)
    found = [f for f in detect_data_shape(sized, ())
             if isinstance(f.detail, DataShapeDetail) and f.detail.cause == "channels_first"]
    return (found[0], sized) if found else None


def _batch_axis_declared(inputs: list[Any], layer: Any, copies: dict[int, tuple[int, int]], ctx: Context, source: str,
                         path: str, namespace: dict[str, Any]) -> tuple[Finding, Context, Calls] | None:
    """The ``keras.Input`` above the failing layer declared with the number of samples as an axis of each
    sample (``shape=x.shape``, ``x`` or a split of it then given to ``fit``): that declaration, not the layer
    where the model broke, is the fault."""
    for inp in inputs:
        declared = tuple(inp.batch_shape[1:])
        for x, first in _held_one_axis_short(source, path, namespace, declared):
            structure = Structure("functional", (entry_for(layer, copies),), declared, input_ref=layer_ref(inp))
            try:
                sized = _with_data(ctx, x, structure=structure)
            except SampleError:
                continue
            found = [f for f in detect_input_shape(sized, ()) if isinstance(f.detail, InputShapeDetail)]
            if found:
                return found[0], sized, Calls(fit=first)
    return None


def _graph_above(tensors: list[Any], limit: int = 200) -> tuple[tuple[LayerTrace, ...], list[Any], list[Any]]:
    """The layers that made ``tensors`` (walking their Keras history up to the inputs), as trace rows, those
    layers, and the ``InputLayer``s the walk reached."""
    import keras

    rows: dict[str, LayerTrace] = {}
    layers: list[Any] = []
    inputs: dict[str, Any] = {}
    todo = list(tensors)
    while todo and len(rows) < limit:
        history = getattr(todo.pop(), "_keras_history", None)
        if history is None:
            continue
        op, node_index = history[0], history[1]
        if isinstance(op, keras.layers.InputLayer):
            inputs.setdefault(op.name, op)
            continue
        if op.name in rows:
            continue
        nodes = getattr(op, "_inbound_nodes", [])
        if node_index >= len(nodes):
            continue
        node = nodes[node_index]
        given = list(node.input_tensors)
        producers = tuple(t._keras_history[0].name for t in given if getattr(t, "_keras_history", None))
        rows[op.name] = LayerTrace(layer_ref(op), tuple(spec_of(t) for t in given),
                                   tuple(spec_of(t) for t in node.outputs), producers, None, is_custom(type(op)))
        layers.append(op)
        todo.extend(node.input_tensors)
    return tuple(reversed(list(rows.values()))), list(reversed(layers)), list(inputs.values())


def run_plain(payload: dict[str, Any]) -> dict[str, Any]:
    """Run a script as ``python script.py`` would, without hooks (the pool's target for checking a result runs).

    ``{"ok": bool, "error": {...} | None}``: whether it ran to its end, else what it died of.
    """
    script = os.path.abspath(payload["script"])
    with open(script, "rb") as fh:
        raw = fh.read()
    sys.path.insert(0, os.path.dirname(script))
    namespace: dict[str, Any] = {"__name__": "__main__", "__file__": script, "__builtins__": __builtins__}
    try:
        exec(compile(raw, script, "exec"), namespace)
    except SystemExit as exc:
        if exc.code not in (None, 0):
            return {"ok": False, "error": {"type": "SystemExit", "message": repr(exc.code), "line": None}}
    except BaseException as exc:  # the script's own failure is the answer
        return {"ok": False, "error": _script_error(exc, script)}
    return {"ok": True, "error": None}
