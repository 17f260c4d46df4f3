"""The check before ``fit``: what kerasfix finds in a model and its data before training, and the panel that says it.

``check_model`` runs the catalogue on a sample of the data (``examine(problem_for(model, x, y))``, as
``kerasfix check`` does) within a budget that ``estimate_ms`` guards; ``FitCheck`` is what it found,
``render_check`` the panel, ``SilentFaultError`` what ``mode="raise"`` stops ``fit`` with.
"""

from __future__ import annotations

import contextlib
import linecache
import math
import os
import sys
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from kerasfix.session.locate import Where
from kerasfix.session.quiet import _keras_names_kept, _native_stderr_quiet, _random_state_kept
from kerasfix.session.shell import _get_ipython
from kerasfix.types import Origin

#: How long the check before one ``fit`` may take, in ms, by its estimate (``bench/session_cost.py`` measures
#: it). A model over it is not checked, and one line says so.
DEFAULT_BUDGET_MS = 3000.0
# The estimate: a fixed part, the symbolic walk (per layer), the forward pass on the sample rows (the weights
# applied at every position), and the label statistics (per label). Calibrated on a 2-core CPU.
_FIXED_MS = 40.0
_PER_LAYER_MS = 5.0
_FLOP_PER_MS = 2.0e7
_PER_LABEL_MS = 1.0e-4
#: Planning the fix verifies candidates with a training step (measured: 1-4x the check): it is done when the
#: check so far used at most this share of the budget.
_PLAN_SHARE = 0.25


class SilentFaultError(Exception):
    """``model.fit`` stopped before training (``install(mode="raise")``): the model would train, on nonsense.

    ``findings`` are the faults, ``fix`` the suggested fix (``None`` when there is none), ``check`` all of it.
    """

    __module__ = "kerasfix.session"  # the user's traceback names it as the user imports it

    def __init__(self, check: FitCheck) -> None:
        super().__init__(render_check(check, stopped=True))
        self.check = check

    def __reduce__(self) -> tuple[Any, ...]:
        return type(self), (self.check,)

    @property
    def findings(self) -> tuple[Any, ...]:
        return self.check.reported

    @property
    def fix(self) -> Any:
        return self.check.fix


@dataclass(frozen=True)
class FitCheck:
    """What kerasfix found in a model and its data before training (``kerasfix.explain`` returns one)."""

    model_name: str
    #: Silent faults on the training data: Keras trains without a word, on nonsense.
    findings: tuple[Any, ...] = ()
    #: Faults Keras fails on at the first step (left to Keras and the exception path; ``explain`` shows them).
    errors: tuple[Any, ...] = ()
    #: Faults found only on ``validation_data``: Keras fails on them after the first epoch has trained.
    validation: tuple[Any, ...] = ()
    fixes: tuple[Any, ...] = ()
    #: The fix as unified diffs of the user's code, one per file or cell (empty when it cannot be located).
    diffs: tuple[str, ...] = ()
    #: False when the fix was not planned, the check having used its budget.
    planned: bool = True
    call: str = "fit"  # "fit", or "explain" (on demand)
    where: Where | None = None
    loss: str | None = None
    labels: str | None = None
    validation_labels: str | None = None
    #: Each traced layer (``LayerRef``): the connection line names them as the user wrote them.
    layers: tuple[Any, ...] = ()
    elapsed_ms: float = 0.0
    #: Of which planning the fix (verifying its candidates with a training step).
    planning_ms: float = 0.0
    #: Why the model was not checked, if it was not; ``quiet`` skips are said under ``verbose`` only.
    skipped: str | None = None
    quiet: bool = False
    interactive: bool = False

    @property
    def fix(self) -> Any:
        """The fix to apply (``None`` when kerasfix has none)."""
        return self.fixes[0] if self.fixes else None

    @property
    def reported(self) -> tuple[Any, ...]:
        """What the panel shows: the silent faults, then validation failures (on demand, the crashes first)."""
        errors = self.errors if self.call == "explain" else ()
        return errors + self.findings + self.validation

    @property
    def ok(self) -> bool:
        """Checked, and nothing found."""
        return self.skipped is None and not (self.findings or self.errors or self.validation)

    def __str__(self) -> str:
        return render_check(self)

    def __repr__(self) -> str:
        if self.skipped is not None:
            return f"<FitCheck {self.model_name}: not checked>"
        kinds = ", ".join(str(f.kind) for f in self.reported)
        return f"<FitCheck {self.model_name}: {kinds or 'nothing found'}>"


# -- rendering -------------------------------------------------------------------


def _source_label(path: str) -> str:
    """A file or cell as the user knows it: ``In[3]`` for an IPython cell, else the path (relative below the cwd)."""
    shell = _get_ipython()
    names = getattr(getattr(shell, "compile", None), "_filename_map", None)
    number = names.get(path) if isinstance(names, dict) else None
    if isinstance(number, int):
        return f"In[{number}]"
    if path.startswith("<ipython-input-"):
        return f"In[{path.split('-')[2]}]"
    with contextlib.suppress(ValueError):
        rel = os.path.relpath(path)
        if not rel.startswith(os.pardir):
            return rel
    return path


def _where_text(where: Where) -> str:
    """The ``fit`` call as the user finds it: ``line 3 of In[5]``, or ``train.py, line 18``."""
    label = _source_label(where.filename)
    return f"line {where.line} of {label}" if label.startswith("In[") else f"{label}, line {where.line}"


def _connection(f: Any, check: FitCheck) -> str:
    """Where the fault is: producer → consumer (for label faults: the output → the loss and labels), and the
    shapes or units expected and given."""
    from kerasfix import faults
    from kerasfix.kinds import Family

    refs = {ref.name: ref for ref in check.layers}

    def named(layer: str) -> str:
        return refs[layer].describe(f.origin) if layer in refs else layer

    consumer = named(f.layer) if f.layer else "the model"
    if f.origin is not None:
        consumer += f" at {_source_label(f.origin.path)}:{f.origin.line}"
    try:
        family = faults.entry(f.kind).family
    except (KeyError, ValueError):
        family = None
    if family is Family.LABELS:
        target = f"the loss {check.loss}" if check.loss else "the loss"
        labels = check.validation_labels if f in check.validation else check.labels
        text = f"{consumer} → {target}" + (f" on {labels}" if labels else "")
    elif f.producer:
        text = f"{', '.join(named(p) for p in f.producer.split(','))} → {consumer}"
    else:
        text = consumer
    if f.expected and f.actual:
        text += f": expected {f.expected}, got {f.actual}"
    return text


def _fix_lines(check: FitCheck) -> list[str]:
    fix = check.fix
    if fix is None:
        if not check.planned:
            return ["  fix: not planned within the check's budget; kerasfix.explain(model, x, y) plans it"]
        if check.findings or check.errors:
            return ["  kerasfix has no verified fix for this; the finding names the layer to change"]
        return []
    state = "verified: one training step runs" if fix.verified else "not verified"
    lines = [f"  fix [{fix.applicability.value}, {state}]: {fix.summary}"]
    if check.diffs:
        for diff in check.diffs:
            lines.extend(f"    {line}" for line in diff.rstrip("\n").splitlines())
    elif check.interactive or check.call == "explain":
        lines.append("    apply it here: model = kerasfix.session.last_check.fix.apply(model)  # a new model, compiled like yours")
        if fix.changes_data:
            lines.append("    and the data:  x, y = kerasfix.session.last_check.fix.apply_data(x, y)")
    elif check.where is not None and check.where.is_script:
        lines.append(f"    to write it into the script: kerasfix apply --diff {check.where.filename}")
    return lines


def render_check(check: FitCheck, *, stopped: bool = False, tail: str | None = None) -> str:
    """The panel: what is wrong and where, the connection, the suggested fix (a diff of the code when located)."""
    if check.skipped is not None:
        return f"kerasfix: {check.skipped}"
    if check.ok:
        return f"kerasfix: {check.model_name}: nothing wrong found on this data"
    if check.call == "fit":
        at = f" at {_where_text(check.where)}" if check.where else ""
        what = []
        if check.findings:
            what.append("would train without an error, on nonsense")
        if check.validation:
            what.append("would fail on validation_data after its first epoch")
        lines = [f"kerasfix: model.fit(...){at} " + " and ".join(what) + ":"]
    else:
        lines = [f"kerasfix: {check.model_name} on this data:"]
    for f in check.reported:
        crash = " (Keras fails on it)" if str(getattr(f.severity, "value", f.severity)) == "error" else ""
        prefix = "on validation_data: " if f in check.validation else ""
        lines.append(f"  {prefix}{f.kind}{crash}: {f.message}")
        lines.append(f"    {_connection(f, check)}")
    if check.findings or check.call == "explain":
        lines.extend(_fix_lines(check))
    if stopped:
        lines.append('  kerasfix stopped model.fit before training (install(mode="raise")).')
    elif tail:
        lines.append(f"  {tail}")
    return "\n".join(lines)


# -- the fix as a diff of the user's code -----------------------------------------


def _edit_origin(edit: Any) -> Any:
    """Where in source an edit applies: its layer's origin, or the call (compile, fit) it changes."""
    from kerasfix.types import LayerRef

    for name in ("before", "layer", "target"):
        ref = getattr(edit, name, None)
        if isinstance(ref, LayerRef):
            return ref.origin
    for name in ("call", "at"):
        origin = getattr(edit, name, None)
        if isinstance(origin, Origin):
            return origin
    return None


def _diffs(fix: Any) -> tuple[str, ...]:
    """The fix as unified diffs, one per file or cell; empty unless every edit is located and applies."""
    import difflib

    from kerasfix.rewrite import RewriteError, apply_edits

    groups: dict[str, list[Any]] = {}
    for edit in fix.edits:
        origin = _edit_origin(edit)
        if origin is None:
            return ()
        groups.setdefault(origin.path, []).append(edit)
    out = []
    for path, edits in groups.items():
        before = "".join(linecache.getlines(path))
        if not before:
            return ()
        try:
            after = apply_edits(before, edits, path=path)
        except (RewriteError, ValueError, SyntaxError):
            return ()
        if after == before:
            return ()
        label = _source_label(path)
        out.append("".join(difflib.unified_diff(before.splitlines(True), after.splitlines(True),
                                                f"a/{label}", f"b/{label}", n=1)))
    return tuple(out)


# -- the check ---------------------------------------------------------------------


@contextlib.contextmanager
def _checking() -> Iterator[None]:
    """Run the check without a trace in the session: no output (not even a custom layer's prints), no Keras
    warnings, the session's layer names and random generators as they were."""
    import io

    sink = io.StringIO()
    with contextlib.ExitStack() as stack:
        stack.enter_context(contextlib.redirect_stdout(sink))
        stack.enter_context(contextlib.redirect_stderr(sink))
        stack.enter_context(_native_stderr_quiet())
        stack.enter_context(warnings.catch_warnings())
        warnings.simplefilter("ignore")
        stack.enter_context(_keras_names_kept())
        stack.enter_context(_random_state_kept())
        yield


def _all_layers(model: Any) -> list[Any]:
    try:
        return list(model._flatten_layers(include_self=False, recursive=True))
    except Exception:  # not a Keras 3 layer tree: its top-level layers
        return list(getattr(model, "layers", []) or [])


def _positions(layer: Any) -> int:
    """How often a layer's weights are applied per sample: the positions (time steps, pixels) of its output,
    or of its input for a recurrent layer."""
    try:
        tensor = layer.input if hasattr(layer, "cell") else layer.output
        if isinstance(tensor, (list, tuple)):
            tensor = tensor[0]
        dims = [int(d) for d in tensor.shape[1:-1] if d]
    except Exception:  # a layer used twice, or not built: once
        return 1
    return max(1, math.prod(dims))


def estimate_ms(model: Any, y: Any = None) -> tuple[float, int, int]:
    """What the check before ``fit`` should cost, in ms, without running anything; and the layers and
    parameters it counted."""
    from kerasfix.diagnosis import FORWARD_ROWS

    layers = _all_layers(model)
    flop = 0.0
    params = 0
    for layer in layers:
        if getattr(layer, "layers", None):  # a nested model: its own layers are counted
            continue
        try:
            n = int(layer.count_params()) if getattr(layer, "built", False) else 0
        except Exception:  # a layer whose weights cannot be counted: nothing
            n = 0
        params += n
        if n and "Embedding" not in type(layer).__name__:  # a lookup costs nothing like a product
            flop += 2.0 * n * _positions(layer)
    labels = len(y) if isinstance(y, (list, tuple)) else int(getattr(y, "size", 0) or 0)
    ms = _FIXED_MS + _PER_LAYER_MS * len(layers) + flop * FORWARD_ROWS / _FLOP_PER_MS + _PER_LABEL_MS * labels
    return ms, len(layers), params


def _fault_key(f: Any) -> tuple[str, str | None, str]:
    """One fault of one model: its kind, its layer and its facts (the typed detail)."""
    return str(f.kind), f.layer, repr(f.detail)


def _validation_xy(data: Any) -> tuple[Any, Any] | None:
    if data is None:
        return None
    if isinstance(data, (list, tuple)):
        return (data[0], data[1] if len(data) > 1 else None) if data else None
    if isinstance(data, Iterator):
        return None  # a generator: reading from it would change what validates
    return data, None


def _interactive() -> bool:
    return _get_ipython() is not None or hasattr(sys, "ps1") or bool(sys.flags.interactive)


def check_model(model: Any, x: Any, y: Any = None, *, validation_data: Any = None, where: Where | None = None,
                calls: Any = None, budget_ms: float | None = None, call: str = "explain") -> FitCheck | None:
    """Check ``model`` on a sample of ``x``/``y`` (and ``validation_data``) with the whole catalogue.

    ``None`` when there is nothing to check (a ``fit`` of an uncompiled model: Keras refuses it itself). May
    raise if kerasfix fails; the hook before ``fit`` swallows that.
    """
    import keras

    name = str(getattr(model, "name", type(model).__name__))
    interactive = _interactive()

    def skip(why: str, quiet: bool = False) -> FitCheck:
        return FitCheck(name, call=call, where=where, skipped=why, quiet=quiet, interactive=interactive)

    if isinstance(model, keras.Model) and not (isinstance(model, keras.Sequential) or hasattr(model, "_nodes_by_depth")):
        return skip(f"{name} is a subclassed model: kerasfix checks Sequential and Functional models (not checked)",
                    quiet=True)
    if call == "fit" and not getattr(model, "compiled", True):
        return None
    if x is None or isinstance(x, Iterator):
        return skip(f"model.fit(...) of {name} reads a generator: a sample taken from it would change what trains "
                    "(not checked)", quiet=True)
    if budget_ms is not None:
        estimate, n_layers, n_params = estimate_ms(model, y)
        if estimate > budget_ms:
            return skip(f"not checking model.fit(...) of {name} before training: {n_layers} layers and "
                        f"{n_params:,} parameters would take ~{estimate / 1000:.1f} s (budget {budget_ms / 1000:g} s); "
                        "kerasfix.explain(model, x, y) checks it on demand")

    from kerasfix.diagnosis import examine
    from kerasfix.plan import plan
    from kerasfix.problem import problem_for
    from kerasfix.types import Severity

    start = time.perf_counter()
    with _checking():
        problem = problem_for(model, x, y, calls=calls)
        exam = examine(problem)
        errors = tuple(f for f in exam.findings if f.severity is not Severity.WARNING)
        silent = tuple(f for f in exam.findings if f.severity is Severity.WARNING)
        if call == "fit" and errors:
            silent = ()  # Keras fails at the first step; the explanation of that error lists everything
        validation: tuple[Any, ...] = ()
        validation_labels = None
        vxy = _validation_xy(validation_data)
        if vxy is not None and not errors:
            # Only failures: a validation set may hold fewer classes, which is no fault.
            vexam = examine(problem_for(model, vxy[0], vxy[1], calls=calls))
            known = {_fault_key(f) for f in exam.findings}
            validation = tuple(f for f in vexam.findings
                               if f.severity is not Severity.WARNING and _fault_key(f) not in known)
            validation_labels = vexam.diagnosis.labels
        fixes: tuple[Any, ...] = ()
        planned = True
        planning = time.perf_counter()
        if silent or (call == "explain" and errors):
            if budget_ms is None or (planning - start) * 1000 <= budget_ms * _PLAN_SHARE:
                fixes = tuple(plan(problem, exam, alternatives=1 if call == "explain" else 0).fixes)
            else:
                planned = False
        planning_ms = (time.perf_counter() - planning) * 1000
    diffs = _diffs(fixes[0]) if fixes else ()
    diag = exam.diagnosis
    return FitCheck(
        name, silent, errors, validation, fixes, diffs, planned, call, where, diag.loss, diag.labels,
        validation_labels, tuple(t.layer for t in diag.trace),
        (time.perf_counter() - start) * 1000, planning_ms, interactive=interactive,
    )
