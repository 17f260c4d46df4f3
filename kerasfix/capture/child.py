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
import os
import sys
import time
import tokenize
import traceback
from typing import Any

from kerasfix import faults
from kerasfix.capture.hooks import Hooks, StopCapture, char_col
from kerasfix.diagnosis import examine
from kerasfix.faults.base import Context
from kerasfix.faults.data import usage_error
from kerasfix.losses import loss_info
from kerasfix.plan import plan, train_step, unverified_fixes
from kerasfix.problem import problem_for
from kerasfix.sample import Sample, SampleError
from kerasfix.structure import Structure, entry_for, is_custom, layer_ref
from kerasfix.trace import Failure, Trace, clean_message, spec_of
from kerasfix.types import Calls, Diagnosis, Origin, to_jsonable


def _fit_args_from_source(source: str, namespace: dict[str, Any]) -> tuple[Any, Any] | None:
    """When the script died before ``fit``, evaluate the names it would have passed."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "fit":
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
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "compile":
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

    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    lines = source.splitlines()
    calls = [n for n in ast.walk(tree)
             if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == method]
    if not calls:
        return None
    node = min(calls, key=lambda n: (n.lineno, n.col_offset))
    end_line = node.end_lineno or node.lineno
    return Origin(path, node.lineno, char_col(lines[node.lineno - 1], node.col_offset),
                  end_line, char_col(lines[end_line - 1], node.end_col_offset or 0))


def _script_error(exc: BaseException, path: str) -> dict[str, Any]:
    line = None
    for frame in traceback.extract_tb(exc.__traceback__):
        if os.path.abspath(frame.filename) == os.path.abspath(path):
            line = frame.lineno

    return {"type": type(exc).__name__, "message": clean_message(exc), "line": line}


def run_request(payload: dict[str, Any]) -> dict[str, Any]:
    """The pool's entry point: ``{"script": path, "source": base64 or None}`` → what the run found."""
    source = payload.get("source")
    return run(payload["script"], base64.b64decode(source) if source is not None else None)


def run(script: str, raw: bytes | None = None) -> dict[str, Any]:
    """Run ``script`` (or ``raw`` as if it were it) under the hooks; what it showed, diagnosed and planned."""
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
    sys.argv = [script]
    sys.path.insert(0, os.path.dirname(script))
    result: dict[str, Any] = {"status": "ok", "script_error": None}
    hooks = Hooks(script, source.splitlines())
    with hooks as captured:
        try:
            exec(code, namespace)
        except StopCapture:
            pass
        except SystemExit as exc:
            result["script_error"] = {"type": "SystemExit", "message": f"the script called sys.exit({exc.code!r})", "line": None}
        except BaseException as exc:  # the user's script failing is data, not our crash
            result["script_error"] = _script_error(exc, script)
    result.update(_analyse(captured, hooks, namespace, source, result["script_error"]))
    result["seconds"] = round(time.monotonic() - started, 3)
    return result


def _decode(raw: bytes) -> str:
    lines = iter(raw.splitlines(keepends=True))  # a lone \r ends a line too, as for Python's tokenizer
    encoding, _ = tokenize.detect_encoding(lambda: next(lines, b""))
    return raw.decode(encoding)


def _analyse(captured: Any, hooks: Any, namespace: dict[str, Any], source: str, script_error: Any) -> dict[str, Any]:

    call = captured.call
    model = call["model"] if call else None
    x = call["x"] if call else None
    y = call["y"] if call else None
    if model is None:
        models = [ref() for ref in captured.models if ref() is not None]
        model = models[-1] if models else None
    if x is None and script_error is not None:
        found = _fit_args_from_source(source, namespace)
        if found:
            x, y = found
    if model is None:
        if script_error is not None and captured.call_failure is not None:
            return _construction_failure(captured.call_failure)
        if script_error is not None:
            return {"status": "script_error"}
        return {"status": "no_model"}
    if x is None:
        return {"status": "no_data" if script_error is None else "script_error"}
    compile_kwargs, compile_origin = captured.compile_kwargs.get(id(model), ({}, None))
    if not compile_kwargs and script_error is not None:
        compile_kwargs = _compile_args_from_source(source)
    fit_origin = call["origin"] if call else None
    unbuilt = None
    if script_error is not None:
        # The script died before compile/fit: their positions come from the source instead.
        compile_origin = compile_origin or _call_origin_from_source(source, hooks.path, "compile")
        fit_origin = fit_origin or _call_origin_from_source(source, hooks.path, "fit")
        if not captured.build_errors:
            unbuilt = usage_error(script_error["message"], bool(getattr(model, "built", True)))
    try:
        problem = problem_for(
            model, x, y, loss=compile_kwargs.get("loss"), optimizer=compile_kwargs.get("optimizer"),
            calls=Calls(compile=compile_origin, fit=fit_origin), usage_error=unbuilt,
        )
    except (TypeError, SampleError) as exc:
        return {"status": "unsupported", "reason": str(exc)}
    exam = examine(problem)
    diag = exam.diagnosis
    if script_error is not None and diag.ok:
        return {"status": "script_error"}
    result = plan(problem, exam) if not diag.ok else None
    trains = loss_value = None
    if diag.ok and problem.sample.y is not None:
        step = train_step(problem)
        trains = not isinstance(step, str)
        loss_value = step if isinstance(step, float) else None
    return {
        "status": "ok",
        "method": call["method"] if call else None,
        "diagnosis": to_jsonable(diag),
        "fixes": to_jsonable(result.fixes if result else ()),
        "rejected": to_jsonable(result.rejected if result else ()),
        "trains": trains,
        "loss": loss_value,
    }


def _construction_failure(call_failure: tuple[Any, tuple[Any, ...], BaseException]) -> dict[str, Any]:
    """A Functional model that failed to connect: the script died there, so there is no model to rebuild.

    The finding is exact; the catalogue's candidate fixes cannot be pruned
    here (there is no model), so they are verified by the parent, which
    re-runs the patched script.
    """
    import keras


    layer, args, exc = call_failure
    tensors = [t for a in args for t in (a if isinstance(a, (list, tuple)) else [a])]
    producers = [t._keras_history[0] for t in tensors if getattr(t, "_keras_history", None)]
    producer = producers[0] if len(producers) == 1 else None
    from_input = isinstance(producer, keras.layers.InputLayer)
    specs = tuple(spec_of(t) for t in tensors)
    failure = Failure(
        -1, layer_ref(layer), "input" if from_input else (producer.name if producer else None), specs,
        type(exc).__name__, clean_message(exc), is_custom(type(layer)), "symbolic",
    )
    finding = faults.classify_failure(failure, [])
    # The part of the graph that the failing call saw: the consumer, and its producer or the Input feeding it.
    if from_input and producer is not None:
        structure = Structure("functional", (entry_for(layer),), tuple(producer.batch_shape[1:]),
                              input_ref=layer_ref(producer))
    else:
        entries = tuple(entry_for(lyr) for lyr in ([producer] if producer is not None else []) + [layer])
        structure = Structure("functional", entries, None)
    trace = Trace((), None, None, failure)
    ctx = Context(structure, Sample(None, None, 0), loss_info(None), trace=trace)
    fixes = unverified_fixes(finding, ctx, Calls())
    diag = Diagnosis((finding,), (), failing_layer=layer.name)
    return {
        "status": "ok", "method": None, "diagnosis": to_jsonable(diag), "fixes": to_jsonable(fixes),
        "rejected": [], "trains": None, "loss": None, "verify_by_rerun": True,
    }
