"""The child process: run the user's script under the hooks, diagnose, plan, write JSON.

Usage (by ``runner.py``, never by hand)::

    python -m kerasfix.capture.child RESULT.json SCRIPT [SOURCE_FILE]

``SOURCE_FILE``, when given, holds the text to run *as if* it were ``SCRIPT``
(used to check a patch before it is written). The script's own output goes to
this process's stdout/stderr, which the parent keeps apart from its own.
"""

from __future__ import annotations

import ast
import json
import os
import sys
import time
import traceback
from typing import Any


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
    from kerasfix.capture.hooks import char_col
    from kerasfix.types import Origin

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
    from kerasfix.trace import clean_message

    return {"type": type(exc).__name__, "message": clean_message(exc), "line": line}


def run(result_path: str, script: str, source_file: str | None) -> dict[str, Any]:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    started = time.monotonic()
    script = os.path.abspath(script)
    with open(source_file or script, "rb") as fh:
        raw = fh.read()
    source = _decode(raw)
    code = compile(raw, script, "exec")  # bytes: the coding cookie is honoured

    import keras  # noqa: F401  (imported before the hooks so its own layers are not recorded)

    from kerasfix.capture.hooks import Hooks, StopCapture

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
    import tokenize

    lines = iter(raw.splitlines(keepends=True))  # a lone \r ends a line too, as for Python's tokenizer
    encoding, _ = tokenize.detect_encoding(lambda: next(lines, b""))
    return raw.decode(encoding)


def _analyse(captured: Any, hooks: Any, namespace: dict[str, Any], source: str, script_error: Any) -> dict[str, Any]:
    import numpy as np

    from kerasfix.plan import Calls, State, plan, train_step
    from kerasfix.sample import SampleError, full_labels, take_sample
    from kerasfix.structure import structure_of
    from kerasfix.types import to_jsonable

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
    loss = compile_kwargs.get("loss", getattr(model, "loss", None))
    optimizer = compile_kwargs.get("optimizer", "adam")
    try:
        structure = structure_of(model)
        n_inputs = len(model.inputs) if structure.kind == "functional" else 1
        sample = take_sample(x, y, n_inputs=n_inputs)
    except (TypeError, SampleError) as exc:
        return {"status": "unsupported", "reason": str(exc)}
    y_full = full_labels(y) if y is not None else sample.y
    full_rows = int(np.shape(x)[0]) if isinstance(x, np.ndarray) and np.ndim(x) else None
    state = State(structure, loss, sample, y_full, full_rows)
    fit_origin = call["origin"] if call else None
    if script_error is not None:
        # The script died before compile/fit: their positions come from the source instead.
        compile_origin = compile_origin or _call_origin_from_source(source, hooks.path, "compile")
        fit_origin = fit_origin or _call_origin_from_source(source, hooks.path, "fit")
    calls = Calls(compile=compile_origin, fit=fit_origin)
    exam = state.examine()
    diag = exam.diagnosis
    findings = list(diag.findings)
    opt_name = optimizer if isinstance(optimizer, str) else "adam"
    fixes = plan(state, calls, optimizer=opt_name, exam=exam) if findings else []
    if script_error is not None and diag.ok and not captured.build_errors:
        unbuilt = _unbuilt_input_fix(model, state, script_error, opt_name)
        if unbuilt is None:
            return {"status": "script_error"}
        findings, fixes = [unbuilt.finding], [unbuilt]
    trains = None
    loss_value = None
    if diag.ok and state.sample.y is not None:
        loss_value = train_step(state, opt_name)
        trains = loss_value is not None
    return {
        "status": "ok",
        "method": call["method"] if call else None,
        "findings": to_jsonable(findings),
        "fixes": to_jsonable(fixes),
        "trace": to_jsonable(diag.trace),
        "diagnosis": str(diag),
        "calls": to_jsonable(calls),
        "trains": trains,
        "loss": loss_value,
    }


def _construction_failure(call_failure: tuple[Any, tuple[Any, ...], BaseException]) -> dict[str, Any]:
    """A Functional model that failed to connect: the script died there, so there is no model to rebuild.

    The finding is exact; the candidate fixes are unverified here and are
    verified by the parent, which re-runs the patched script.
    """
    import keras

    from kerasfix.edits import positional_index
    from kerasfix.findings import RECURRENT, classify_failure
    from kerasfix.structure import is_custom, layer_ref
    from kerasfix.trace import Failure, Trace, clean_message, spec_of
    from kerasfix.types import (
        Applicability,
        Fix,
        InsertLayer,
        LayerSpec,
        SetInputShape,
        SetLayerArgument,
        to_jsonable,
    )

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
    finding = classify_failure(failure, Trace((), None, None, failure), [])
    candidates: list[tuple[Any, ...]] = []
    consumer = layer_ref(layer)
    if finding.kind == "rank_mismatch" and len(specs) == 1 and finding.expected:
        needed = int(finding.expected.split()[-1])
        extra = (1,) * max(needed - specs[0].rank, 0)
        if producer is not None and type(producer).__name__ in RECURRENT and not getattr(producer, "return_sequences", True):
            candidates.append((SetLayerArgument(layer_ref(producer), "return_sequences", True,
                                                positional_index(type(producer), "return_sequences")),))
        if from_input and extra:
            candidates.append((SetInputShape(layer_ref(producer), tuple(specs[0].shape[1:]) + extra),))
        if extra and all(d is not None for d in specs[0].shape[1:]):
            target = tuple(specs[0].shape[1:]) + extra
            candidates.append((InsertLayer(consumer, LayerSpec("Reshape", (("target_shape", target),))),))
    elif finding.kind == "spatial_too_small":
        candidates.append((SetLayerArgument(consumer, "padding", "same", positional_index(type(layer), "padding")),))
    fixes = [
        Fix(finding, edits, "; ".join(e.describe() for e in edits), Applicability.DISPLAY, False)
        for edits in candidates
    ]
    return {
        "status": "ok", "method": None, "findings": to_jsonable([finding]), "fixes": to_jsonable(fixes),
        "trace": [], "diagnosis": str(finding), "calls": None, "trains": None, "loss": None,
        "verify_by_rerun": True,
    }


_UNBUILT = ("no defined output shape", "isn't built", "has not yet been built", "not yet built", "unbuilt")


def _unbuilt_input_fix(model: Any, state: Any, script_error: dict[str, Any], optimizer: str) -> Any:
    """The script used the model before it knew its input shape: declare the shape from the data."""
    from kerasfix.applicability import applicability
    from kerasfix.plan import train_step
    from kerasfix.types import Finding, Fix, SetInputShape, Severity

    if getattr(model, "built", True) or not any(k in script_error["message"] for k in _UNBUILT):
        return None
    s = state.structure
    x = state.sample.x
    if s.kind != "sequential" or not s.layers or s.input_ref is None or not hasattr(x, "shape"):
        return None
    shape = tuple(int(d) for d in x.shape[1:])
    first = s.layers[0].ref
    finding = Finding(
        "missing_input_shape",
        f"the model has no input shape, so it is not built when the script uses it ({script_error['message']})",
        first.name, "input", f"an input shape such as {shape}", "none", first.origin, Severity.ERROR,
    )
    edits = (SetInputShape(s.input_ref, shape),)
    new = state.apply(edits)
    loss = train_step(new, optimizer) if new.examine().diagnosis.ok else None
    verified = loss is not None
    summary = f"declare the input shape {shape} before {first.name} (taken from the data)"
    return Fix(finding, edits, summary, applicability(edits, verified), verified, loss_after=loss)


def main() -> None:
    result_path, script = sys.argv[1], sys.argv[2]
    source_file = sys.argv[3] if len(sys.argv) > 3 else None
    try:
        result = run(result_path, script, source_file)
    except BaseException as exc:  # report our own failure to the parent instead of a traceback
        result = {"status": "internal_error", "error": f"{type(exc).__name__}: {exc}", "traceback": traceback.format_exc()}
    tmp = result_path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(result, fh, default=str)
    os.replace(tmp, result_path)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)  # skip interpreter teardown: TensorFlow's can take seconds


if __name__ == "__main__":
    main()
