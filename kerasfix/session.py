"""Explain a Keras shape/dtype error in the session where it happens.

``install()`` works like ``rich.traceback.install()``: it wraps
``sys.excepthook`` and, under IPython, registers a custom exception handler.
When an exception from ``model.fit(...)`` (or ``evaluate``/``predict``/…, or
``Sequential([...])`` itself) reaches the top level, the user's traceback is
shown first, exactly as it would have been, and then kerasfix's explanation:
the failing connection, the layer table and the suggested fix.

The model and data are found in the traceback's frames, never guessed from
globals:

1. a ``fit``/``evaluate``/``predict``… frame whose ``self`` is a Keras model
   (its ``x``/``y`` locals are the data) — present when Keras's traceback
   filtering is off;
2. Keras's traceback-filtering wrapper (``error_handler``), which keeps the
   wrapped method and its arguments — present when filtering is on (the
   default), which removes the ``fit`` frame itself;
3. a ``Sequential.__init__`` frame: its ``layers`` argument (no data exists
   yet, so the data is read from the script's ``fit`` call if it has already
   been defined, else a sample of zeros of the declared input shape is used);
4. the user's own frame: the ``model.fit(x, y)`` call at the failing line,
   its names looked up (not evaluated) in that frame.

kerasfix's own failure never hides the user's exception: the traceback is
printed before anything is analysed, and any error while analysing is
swallowed.
"""

from __future__ import annotations

import ast
import builtins
import contextlib
import functools
import hashlib
import importlib.abc
import importlib.util
import inspect
import linecache
import math
import os
import sys
import threading
import time
import types
import warnings
import weakref
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, TextIO

from kerasfix.capture.hooks import Captured, Hooks
from kerasfix.structure import CTOR_ATTR, ORIGIN_ATTR, WRITTEN_ATTR, is_custom
from kerasfix.types import Origin, Written
from kerasfix.written import written_call

#: Methods whose failure means "this model does not fit this data".
FIT_METHODS = frozenset({"fit", "evaluate", "predict", "train_on_batch", "test_on_batch", "predict_on_batch"})

#: Rows of zeros used when ``Sequential([...])`` failed before any data existed.
SYNTHETIC_ROWS = 4

ExcHook = Callable[[type[BaseException], BaseException, Any], Any]

#: The last explanation printed, for use at the prompt: ``from kerasfix.session import last; last.fix.apply(model)``.
last: Explanation | None = None


@dataclass(frozen=True)
class Where:
    """The user's line that called into Keras."""

    filename: str
    line: int
    code: str
    main: bool = False  # the frame runs in ``__main__``

    @property
    def is_script(self) -> bool:
        """The script being run (a ``.py`` file, not a module it imports or an IPython cell): ``kerasfix apply`` can fix it."""
        return self.main and self.filename.endswith(".py") and os.path.isfile(self.filename)

    def __str__(self) -> str:
        if self.filename.startswith("<ipython-input") or "ipykernel_" in self.filename:
            return f"line {self.line} of the cell"
        return f"{self.filename}, line {self.line}"


@dataclass(frozen=True)
class Found:
    """The model and data a failing call was given, as found in the traceback."""

    model: Any
    x: Any
    y: Any
    call: str  # "fit", "predict", …, or "Sequential"
    where: Where | None = None
    synthetic: bool = False  # x is zeros of the declared input shape, not the user's data


@dataclass(frozen=True)
class Explanation:
    """What kerasfix says about one exception: the diagnosis and the fixes, best first."""

    exception: BaseException
    found: Found
    diagnosis: Any  # kerasfix.diagnosis.Diagnosis
    fixes: tuple[Any, ...] = ()  # kerasfix.types.Fix
    interactive: bool = False  # IPython or the Python prompt: the session goes on after the error

    @property
    def fix(self) -> Any:
        """The fix to apply (``None`` when kerasfix has none)."""
        return self.fixes[0] if self.fixes else None

    def __str__(self) -> str:
        return render(self)


@dataclass
class _State:
    hook: _ExceptHook | None = None
    shells: dict[int, _Registration] = field(default_factory=dict)
    checker: _FitChecker | None = None


@dataclass
class _Registration:
    shell: Any
    previous_types: tuple[type[BaseException], ...]
    previous_handler: Any
    ours: Any  # the CustomTB IPython made from our handler
    types: tuple[type[BaseException], ...]
    refresh: Callable[..., None] | None = None


_state = _State()


# ---------------------------------------------------------------------------
# Finding the model and the data in a traceback.


def _entries(tb: types.TracebackType | None) -> Iterator[types.TracebackType]:
    while tb is not None:
        yield tb
        tb = tb.tb_next


def _library_dirs() -> tuple[str, ...]:
    dirs = []
    for name in ("keras", "tensorflow", "tf_keras", "kerasfix"):
        mod = sys.modules.get(name)
        path = getattr(mod, "__file__", None)
        if path:
            dirs.append(os.path.dirname(os.path.abspath(path)) + os.sep)
    return tuple(dirs)


def _user_entry(tb: types.TracebackType | None) -> types.TracebackType | None:
    """The last frame before the traceback enters Keras/TensorFlow: the user's call."""
    libs = _library_dirs()
    user = None
    for entry in _entries(tb):
        filename = os.path.abspath(entry.tb_frame.f_code.co_filename)
        if filename.startswith(libs):
            break
        user = entry
    return user


def _where(entry: types.TracebackType | None) -> Where | None:
    if entry is None:
        return None
    frame = entry.tb_frame
    filename = frame.f_code.co_filename
    code = linecache.getline(filename, entry.tb_lineno, frame.f_globals).strip()
    return Where(filename, entry.tb_lineno, code, frame.f_globals.get("__name__") == "__main__")


def _bound(fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
    try:
        return dict(inspect.signature(fn).bind_partial(*args, **kwargs).arguments)
    except (TypeError, ValueError):
        # A signature we cannot bind: fall back on the usual positions (self, x, y).
        positional = dict(zip(("self", "x", "y"), args, strict=False))
        return {**positional, **kwargs}


def _lookup(expr: ast.expr, frame: types.FrameType) -> Any:
    """The value a plain name or attribute chain has in ``frame``: looked up, never evaluated.

    Properties and other descriptors are not run (``inspect.getattr_static``).
    Raises ``LookupError`` for anything else.
    """
    if isinstance(expr, ast.Name):
        for scope in (frame.f_locals, frame.f_globals, vars(builtins)):
            if expr.id in scope:
                return scope[expr.id]
        raise LookupError(expr.id)
    if isinstance(expr, ast.Attribute):
        base = _lookup(expr.value, frame)
        try:
            value = inspect.getattr_static(base, expr.attr)
        except AttributeError:
            raise LookupError(expr.attr) from None
        if not isinstance(base, types.ModuleType) and hasattr(type(value), "__get__"):
            raise LookupError(expr.attr)  # a property or method: reading it could run code
        return value
    raise LookupError(ast.dump(expr))


def _call_args(call: ast.Call, frame: types.FrameType) -> tuple[Any, Any]:
    """``x`` and ``y`` of a ``fit``-like call, looked up in ``frame`` (``None`` when not a plain name)."""
    exprs: dict[str, ast.expr] = dict(zip(("x", "y"), call.args, strict=False))
    exprs.update({kw.arg: kw.value for kw in call.keywords if kw.arg in ("x", "y")})
    values = []
    for name in ("x", "y"):
        try:
            values.append(_lookup(exprs[name], frame) if name in exprs else None)
        except LookupError:
            values.append(None)
    return values[0], values[1]


def _source_calls(entry: types.TracebackType) -> list[ast.Call]:
    """The ``something.fit(...)``-like calls in the code of ``entry``'s own function (or module, or cell).

    Calls in nested functions and classes are left out: their names are not
    this frame's.
    """
    frame = entry.tb_frame
    code = frame.f_code
    lines = linecache.getlines(code.co_filename, frame.f_globals)
    if not lines:
        return []
    try:
        tree = ast.parse("".join(lines))
    except (SyntaxError, ValueError):
        return []
    scope: ast.AST | None = tree if code.co_name == "<module>" else None
    for node in ast.walk(tree):
        if scope is not None:
            break
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == code.co_name:
            first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            if first == code.co_firstlineno:
                scope = node
    if scope is None:
        return []
    calls = []
    todo = list(ast.iter_child_nodes(scope))
    while todo:
        node = todo.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            continue
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in FIT_METHODS:
            calls.append(node)
        todo.extend(ast.iter_child_nodes(node))
    return sorted(calls, key=lambda c: (c.lineno, c.col_offset))


def _spans(call: ast.Call, line: int) -> bool:
    return call.lineno <= line <= (call.end_lineno or call.lineno)


def _from_call_site(entry: types.TracebackType, model_types: tuple[type, ...]) -> Found | None:
    """The ``model.fit(x, y)`` call at the failing line of the user's frame, its names looked up."""
    around = [c for c in _source_calls(entry) if _spans(c, entry.tb_lineno)]
    # The innermost call first (``model.fit(x, y)`` inside ``history = ...``).
    around.sort(key=lambda c: (c.end_lineno or c.lineno) - c.lineno)
    for call in around:
        assert isinstance(call.func, ast.Attribute)
        try:
            model = _lookup(call.func.value, entry.tb_frame)
        except LookupError:
            continue
        if isinstance(model, model_types):
            x, y = _call_args(call, entry.tb_frame)
            return Found(model, x, y, call.func.attr)
    return None


def _data_for_layers(layers: Any, user: types.TracebackType | None) -> tuple[Any, Any, bool]:
    """Data for a ``Sequential([...])`` (or ``model.add``) that failed before it was ever fitted.

    The script's later ``fit(x, y)`` call, when its names are already bound;
    else zeros shaped like the declared input (the structure alone shows the
    broken connection).
    """
    if user is not None:
        for call in _source_calls(user):
            if call.lineno > user.tb_lineno:
                x, y = _call_args(call, user.tb_frame)
                if x is not None:
                    return x, y, False
    import numpy as np

    from kerasfix.structure import structure_of

    structure = structure_of(layers)
    shape = structure.input_shape
    if shape is None:
        return None, None, True
    dims = tuple(8 if d is None else int(d) for d in shape)
    first = structure.layers[0].cls.__name__ if structure.layers else ""
    dtype = "int32" if first == "Embedding" else "float32"
    return np.zeros((SYNTHETIC_ROWS, *dims), dtype=dtype), None, True


def find_model_and_data(tb: types.TracebackType | None) -> Found | None:
    """The Keras model (or list of layers) and data of the failing call in ``tb``, if any."""
    keras = sys.modules.get("keras")
    if keras is None or tb is None:
        return None
    model_types: tuple[type, ...] = (keras.Model,)
    user = _user_entry(tb)
    where = _where(user)
    for entry in _entries(tb):
        frame = entry.tb_frame
        name = frame.f_code.co_name
        loc = frame.f_locals
        this = loc.get("self")
        if name in FIT_METHODS and isinstance(this, model_types):
            return Found(this, loc.get("x"), loc.get("y"), name, where)
        fn, args = loc.get("fn"), loc.get("args")
        if (name == "error_handler" and callable(fn) and getattr(fn, "__name__", None) in FIT_METHODS
                and isinstance(args, tuple) and args and isinstance(args[0], model_types)):
            kwargs = loc.get("kwargs")
            bound = _bound(fn, args, kwargs if isinstance(kwargs, dict) else {})
            return Found(args[0], bound.get("x"), bound.get("y"), fn.__name__, where)
        built: Any = None
        if name == "__init__" and isinstance(this, keras.Sequential) and isinstance(loc.get("layers"), (list, tuple)):
            built, call = list(loc["layers"]), "Sequential"
        elif name == "add" and isinstance(this, keras.Sequential):
            built, call = this, "add"  # the failing layer is already in the (unbuilt) model
        if built is not None:
            x, y, synthetic = _data_for_layers(built, user)
            if x is None:
                return None
            return Found(built, x, y, call, where, synthetic)
    if user is not None:
        found = _from_call_site(user, model_types)
        if found is not None:
            return Found(found.model, found.x, found.y, found.call, where)
    return None


# ---------------------------------------------------------------------------
# Explaining.


def _is_candidate(exc: BaseException) -> bool:
    """Could this be Keras refusing a model or its data? (Cheap: no import, no frame walk.)"""
    if "keras" not in sys.modules:
        return False  # Keras was never imported, so it raised nothing
    return isinstance(exc, (ValueError, TypeError)) or type(exc).__module__.startswith("tensorflow")


@contextlib.contextmanager
def _keras_names_kept() -> Iterator[None]:
    """Diagnosing builds layers; keep the session's automatic names (``dense_1``…) as they were."""
    uids = saved = None
    try:
        from keras.src.backend.common import global_state

        uids = global_state.get_global_attribute("object_name_uids")
        saved = dict(uids) if uids is not None else None
    except Exception:  # private API moved: the next layer names may merely shift
        uids = None
    try:
        yield
    finally:
        if uids is not None and saved is not None:
            with contextlib.suppress(Exception):
                uids.clear()
                uids.update(saved)


@contextlib.contextmanager
def _native_stderr_quiet() -> Iterator[None]:
    """Silence TensorFlow's C++ log lines while candidate fixes run (they would bury the explanation).

    Only file descriptor 2 is redirected, and always restored; Python's own
    ``sys.stderr`` object is untouched.
    """
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError, AttributeError):
        yield
        return
    try:
        with open(os.devnull, "wb") as devnull:
            os.dup2(devnull.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def explain(exc: BaseException) -> Explanation | None:
    """Diagnose the model and data behind ``exc``; ``None`` when it is not a model/data fault kerasfix knows.

    May raise if kerasfix itself fails; the hooks catch that.
    """
    if not _is_candidate(exc):
        return None
    found = find_model_and_data(exc.__traceback__)
    if found is None:
        return None
    from kerasfix.diagnosis import diagnose
    from kerasfix.plan import suggest_fixes

    with _keras_names_kept(), _native_stderr_quiet(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Keras's warnings about kerasfix's candidate models
        diag = diagnose(found.model, found.x, found.y)
        if diag.ok:
            return None  # the model and data agree: this error is about something else
        fixes = tuple(suggest_fixes(found.model, found.x, found.y))
    interactive = _get_ipython() is not None or hasattr(sys, "ps1") or bool(sys.flags.interactive)
    return Explanation(exc, found, diag, fixes, interactive)


def _indent(text: str, prefix: str = "  ") -> str:
    return "\n".join(prefix + line if line else line for line in text.splitlines())


def render(expl: Explanation) -> str:
    """The explanation as plain text: headline, the connection, the layer table and findings, the fixes."""
    found, diag = expl.found, expl.diagnosis
    call = "keras.Sequential([...])" if found.call == "Sequential" else f"model.{found.call}(...)"
    at = f" at {found.where}" if found.where else ""
    building = found.call in ("Sequential", "add")
    what = "its layers do not connect" if building else "the model and its data do not fit together"
    lines = [f"kerasfix: {type(expl.exception).__name__} from {call}{at}: {what}."]
    if found.where and found.where.code:
        lines.append(f"  {found.where.code}")
    first = diag.findings[0]
    if first.producer and first.layer:
        refs = {t.layer.name: t.layer for t in diag.trace}

        def named(layer: str) -> str:
            return refs[layer].describe(first.origin) if layer in refs else layer

        lines.append(f"failing connection: {named(first.producer)} → {named(first.layer)}"
                     + (f" (expected {first.expected}, got {first.actual})" if first.expected and first.actual else ""))
    if found.synthetic:
        lines.append("(the data did not exist yet: traced with zeros of the declared input shape)")
    lines.append("")
    lines.append(_indent(str(diag)))
    lines.append("")
    if not expl.fixes:
        lines.append("kerasfix has no verified fix for this; the finding above names the layer to change.")
        return "\n".join(lines)
    best = expl.fixes[0]
    state = "verified: one training step runs" if best.verified else "not verified"
    lines.append(f"suggested fix [{best.applicability.value}, {state}]: {best.summary}")
    for other in expl.fixes[1:]:
        lines.append(f"  or [{other.applicability.value}]: {other.summary}")
    if expl.interactive:
        lines.append("try it here:")
        lines.append("  from kerasfix.session import last")
        if found.call == "Sequential":
            lines.append("  model = last.fix.apply(last.found.model)  # the layers you gave Sequential, fixed")
        else:
            lines.append("  model = last.fix.apply(model)  # a new model, compiled like yours")
        if best.changes_data:
            lines.append("  x, y = last.fix.apply_data(x, y)")
    elif found.where is not None and found.where.is_script:
        lines.append(f"to write it into the script: kerasfix apply --diff {found.where.filename}")
    return "\n".join(lines)


def _explain_to(stream: TextIO, exc: BaseException) -> None:
    """Print the explanation of ``exc``, if there is one; never raise."""
    global last
    try:
        expl = explain(exc)
        if expl is None:
            return
        last = expl
        print("\n" + str(expl), file=stream)
        stream.flush()
    except (Exception, KeyboardInterrupt):  # kerasfix failing must never hide the user's error
        return


# ---------------------------------------------------------------------------
# sys.excepthook.


class _ExceptHook:
    """Shows the previous hook's traceback, then kerasfix's explanation."""

    def __init__(self, previous: ExcHook) -> None:
        self.previous = previous
        self.enabled = True

    def __call__(self, etype: type[BaseException], value: BaseException, tb: types.TracebackType | None) -> None:
        # The user's traceback first, exactly as before, so nothing of it can be lost.
        self.previous(etype, value, tb)
        if self.enabled:
            _explain_to(sys.stderr, value)


def _install_excepthook() -> None:
    hook = _state.hook
    if hook is not None and sys.excepthook is hook:
        hook.enabled = True
        return
    _state.hook = _ExceptHook(sys.excepthook)
    sys.excepthook = _state.hook


def _uninstall_excepthook() -> None:
    hook = _state.hook
    if hook is None:
        return
    hook.enabled = False
    if sys.excepthook is hook:
        sys.excepthook = hook.previous
    # Else another hook wraps ours: leave the chain alone; ours now only passes through.
    _state.hook = None


# ---------------------------------------------------------------------------
# IPython.


def _get_ipython() -> Any:
    """The running IPython shell, or ``None`` (IPython puts ``get_ipython`` in builtins)."""
    fn = getattr(builtins, "get_ipython", None)
    if fn is None:
        fn = getattr(sys.modules.get("IPython"), "get_ipython", None)
    try:
        return fn() if callable(fn) else None
    except Exception:
        return None


def _exception_types() -> tuple[type[BaseException], ...]:
    """What the IPython handler is registered for: Keras's errors, and TensorFlow's once it is imported."""
    found: list[type[BaseException]] = [ValueError, TypeError]
    tf = sys.modules.get("tensorflow")
    if tf is not None:
        with contextlib.suppress(Exception):
            found.append(tf.errors.OpError)
    return tuple(found)


def _ipython_handler(shell: Any, etype: type[BaseException], value: BaseException, tb: Any,
                     tb_offset: int | None = None) -> None:
    """IPython's custom exception handler: its normal traceback, then the explanation."""
    # showtraceback also sets sys.last_type/last_value/last_traceback (%debug works).
    shell.showtraceback((etype, value, tb), tb_offset=tb_offset)
    _explain_to(sys.stderr, value)


def _register(shell: Any) -> None:
    if id(shell) in _state.shells:
        return
    previous_types = tuple(getattr(shell, "custom_exceptions", ()) or ())
    previous_handler = getattr(shell, "CustomTB", None)
    kinds = _exception_types()
    shell.set_custom_exc(kinds, _ipython_handler)
    reg = _Registration(shell, previous_types, previous_handler, getattr(shell, "CustomTB", None), kinds)

    def refresh(*_args: Any) -> None:
        # TensorFlow is usually imported after the extension is loaded: add its errors then.
        kinds = _exception_types()
        if kinds != reg.types and getattr(shell, "CustomTB", None) is reg.ours:
            shell.set_custom_exc(kinds, _ipython_handler)
            reg.ours, reg.types = shell.CustomTB, kinds

    events = getattr(shell, "events", None)
    if events is not None:
        with contextlib.suppress(Exception):
            events.register("post_run_cell", refresh)
            reg.refresh = refresh
    _state.shells[id(shell)] = reg


def _unregister(shell: Any) -> None:
    reg = _state.shells.pop(id(shell), None)
    if reg is None:
        return
    if getattr(shell, "CustomTB", None) is reg.ours:
        shell.custom_exceptions = reg.previous_types
        shell.CustomTB = reg.previous_handler
    if reg.refresh is not None:
        with contextlib.suppress(Exception):
            shell.events.unregister("post_run_cell", reg.refresh)


# ---------------------------------------------------------------------------
# Silent faults: every ``fit`` checked before it trains.
#
# A crash sends the user looking for help; a silent fault does not. While the
# session hooks are installed, ``Model.fit`` first runs the catalogue on a
# sample of its own data (``examine(problem_for(model, x, y))``, as ``kerasfix
# check`` does). Faults Keras crashes on are left to Keras, and explained by the
# exception path above; silent ones print one panel, once per model and fault,
# and training goes on (``mode="raise"`` stops it with ``SilentFaultError``).

#: What a silent fault found before ``fit`` does: print a panel, raise ``SilentFaultError``, or nothing.
MODES = ("warn", "raise", "off")
#: The mode when ``install()``/``%load_ext kerasfix``/``kerasfix run`` are not given one (``KERASFIX=raise``).
ENV_MODE = "KERASFIX"
#: ``KERASFIX_VERBOSE=1``: kerasfix's own errors, and every check's cost, as one line each.
ENV_VERBOSE = "KERASFIX_VERBOSE"
_MODE_ALIASES = {"1": "warn", "on": "warn", "true": "warn", "yes": "warn", "0": "off", "false": "off", "no": "off",
                 "error": "raise"}

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
#: Data specs whose result is kept per model (repeated fits of one model on one data set cost nothing).
_CACHED_SPECS = 8
#: Labels up to this many bytes are fingerprinted whole; larger ones by evenly spaced rows.
_HASH_BYTES = 1 << 22

#: The last panel shown (or check raised), for use at the prompt: ``kerasfix.session.last_check.fix.apply(model)``.
last_check: FitCheck | None = None


class SilentFaultError(Exception):
    """``model.fit`` stopped before training (``install(mode="raise")``): the model would train, on nonsense.

    ``findings`` are the faults, ``fix`` the suggested fix (``None`` when there is none), ``check`` all of it.
    """

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
def _random_state_kept() -> Iterator[None]:
    """Leave every random generator as it was, so that training (shuffling, dropout, the initial weights of
    the layers made next) is the same with and without the check."""
    import random

    saved: list[Callable[[], None]] = []
    state = random.getstate()
    saved.append(lambda: random.setstate(state))
    np = sys.modules.get("numpy")
    if np is not None:
        np_state = np.random.get_state()
        saved.append(lambda: np.random.set_state(np_state))
    with contextlib.suppress(Exception):  # TensorFlow's op seeds under tf.random.set_seed (private)
        from tensorflow.python.eager import context as tf_context

        rng = tf_context.context()._rng
        if rng is not None:
            tf_state = rng.getstate()
            saved.append(lambda: rng.setstate(tf_state))
    with contextlib.suppress(Exception):  # Keras's global seed generator, if one exists (private)
        from keras.src.backend.common import global_state

        gen = global_state.get_global_attribute("global_seed_generator")
        if gen is None:
            saved.append(lambda: global_state.set_global_attribute("global_seed_generator", None))
        else:
            gen_state = gen.state.numpy()
            saved.append(lambda: gen.state.assign(gen_state))
    try:
        yield
    finally:
        for restore in reversed(saved):
            with contextlib.suppress(Exception):
                restore()


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


# -- cache keys: one model, one data spec --------------------------------------------


class _Same:
    """Equal only to a key for the same live object: a cache key by identity that a recycled ``id`` cannot fool.

    An object that cannot be weakly referenced is never equal (it is checked again each time).
    """

    __slots__ = ("ident", "ref")

    def __init__(self, obj: Any) -> None:
        self.ident = id(obj)
        try:
            self.ref: weakref.ref[Any] | None = weakref.ref(obj)
        except TypeError:
            self.ref = None

    def __hash__(self) -> int:
        return self.ident

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, _Same) or self.ref is None or other.ref is None:
            return False
        alive = self.ref()
        return alive is not None and alive is other.ref()


def _data_key(data: Any, depth: int = 0) -> Any:
    """What the check depends on in features: shapes and dtypes (datasets and the like by identity)."""
    if data is None or isinstance(data, (bool, int, float, str)):
        return data
    shape = getattr(data, "shape", None)
    if hasattr(data, "iloc"):  # pandas
        dtypes: Any = getattr(data, "dtypes", None)
        kinds = tuple(str(t) for t in dtypes) if hasattr(dtypes, "__iter__") else (str(dtypes),)
        return ("pandas", type(data).__name__, tuple(shape or ()), kinds)
    if shape is not None and hasattr(data, "dtype"):  # numpy, tensors
        return ("array", tuple(shape), str(data.dtype))
    if isinstance(data, dict):
        return ("dict", tuple((str(k), _data_key(v, depth + 1)) for k, v in data.items()))
    if isinstance(data, (list, tuple)) and depth == 0 and len(data) <= 16 \
            and all(hasattr(v, "shape") for v in data):
        return ("inputs", tuple(_data_key(v, depth + 1) for v in data))
    return ("object", type(data).__qualname__, _Same(data))


def _labels_key(y: Any) -> Any:
    """What the check depends on in labels: their values too (how many classes, which encoding)."""
    import numpy as np

    if isinstance(y, (list, tuple)) and y and np.isscalar(y[0]):
        arr = np.asarray(y)
    elif hasattr(y, "iloc") and hasattr(y, "to_numpy"):
        arr = y.to_numpy()
    elif isinstance(y, np.ndarray):
        arr = y
    else:
        return _data_key(y)
    if arr.dtype.kind == "O" or not arr.ndim:
        return ("labels", arr.shape, arr.dtype.str, _Same(y))
    rows = arr
    if arr.nbytes > _HASH_BYTES:
        rows = arr[:: math.ceil(arr.nbytes / _HASH_BYTES)]
    digest = hashlib.blake2b(np.ascontiguousarray(rows).tobytes(), digest_size=16).hexdigest()
    return ("labels", arr.shape, arr.dtype.str, digest)


def _validation_key(data: Any) -> Any:
    if isinstance(data, (list, tuple)):
        return ("validation", tuple(_data_key(v) if i != 1 else _labels_key(v) for i, v in enumerate(data)))
    return _data_key(data)


def _loss_key(loss: Any) -> Any:
    if loss is None or isinstance(loss, str):
        return loss
    if isinstance(loss, dict):
        return tuple((str(k), _loss_key(v)) for k, v in loss.items())
    if isinstance(loss, (list, tuple)):
        return tuple(_loss_key(v) for v in loss)
    return _Same(loss)


def _model_key(model: Any) -> Any:
    """The model as the check saw it: its layers, and what it was compiled with (compiling again re-checks)."""
    compiled = getattr(model, "_compile_config", None)
    return (tuple(id(layer) for layer in getattr(model, "layers", ())), _loss_key(getattr(model, "loss", None)),
            _Same(compiled) if compiled is not None else None)


# -- the hooks: layer origins, compile sites, and the check before fit ----------------


def _internal_dirs() -> tuple[str, ...]:
    """Code that is not the user's: kerasfix, Keras, TensorFlow, the standard library, installed packages."""
    import site
    import sysconfig

    paths = {os.path.dirname(os.path.abspath(__file__))}
    for name in ("keras", "tensorflow", "tf_keras"):
        path = getattr(sys.modules.get(name), "__file__", None)
        if path:
            paths.add(os.path.dirname(os.path.abspath(path)))
    with contextlib.suppress(Exception):
        paths.update(v for k, v in sysconfig.get_paths().items() if k in ("stdlib", "platstdlib", "purelib", "platlib"))
        paths.update(site.getsitepackages())
        paths.add(site.getusersitepackages())
    return tuple(sorted(os.path.abspath(p) + os.sep for p in paths if p)) + ("<frozen",)


def _capture_hook(fn: Any) -> bool:
    """``fn`` is the capture's own ``fit`` hook (``kerasfix check`` runs this script): it does the checking."""
    from kerasfix.capture import hooks as capture

    return getattr(getattr(fn, "__code__", None), "co_filename", None) == capture.__file__


class _SessionHooks(Hooks):
    """The capture hooks' machinery (patching and restoring, origins), for a whole session.

    Layer origins are recorded wherever the user's code is (any file or IPython cell, not one script), where
    ``compile`` was called is kept per model, and every ``fit`` is checked first.
    """

    def __init__(self, checker: _FitChecker) -> None:
        super().__init__(os.devnull, [])
        self.checker = checker
        self.compile_sites: weakref.WeakKeyDictionary[Any, Any] = weakref.WeakKeyDictionary()
        self.original_fit: Callable[..., Any] | None = None
        self.fit_signature: inspect.Signature | None = None
        self.under_capture = False

    def user_frame(self, frame: types.FrameType | None) -> types.FrameType | None:
        while frame is not None and self._is_internal(os.path.abspath(frame.f_code.co_filename)):
            frame = frame.f_back
        return frame

    def _in(self, user: types.FrameType, lines: bool) -> Hooks:
        """Capture's hooks for the file (or cell) ``user`` runs in."""
        filename = user.f_code.co_filename
        at = Hooks(filename, linecache.getlines(filename, user.f_globals) if lines else [])
        at._internal = self._internal
        return at

    def origin(self, frame: types.FrameType | None) -> Any:
        user = self.user_frame(frame)
        if user is None:
            return None
        at = self._in(user, lines=True)
        if not at.lines:
            return None
        found = at.origin(user)
        filename = user.f_code.co_filename
        if found is not None and not os.path.isfile(filename):
            found = replace(found, path=filename)  # a cell: keep the name linecache knows it by
        return found

    def written(self, origin: Origin | None) -> Written | None:
        # The lines of the file (or cell) the origin is in: a session has no one script.
        return written_call(linecache.getlines(origin.path), origin) if origin is not None else None

    def _constructed_by_user(self, frame: types.FrameType | None) -> bool:
        user = self.user_frame(frame)
        return user is not None and self._in(user, lines=False)._constructed_by_user(frame)

    def __enter__(self) -> Captured:
        import keras

        self._internal = _internal_dirs()
        hooks = self
        layer_cls = keras.layers.Layer
        orig_new = layer_cls.__dict__["__new__"]
        new_fn = orig_new.__func__ if isinstance(orig_new, staticmethod) else orig_new

        def hooked_new(cls: type, *args: Any, **kwargs: Any) -> Any:
            obj = new_fn(cls, *args, **kwargs)
            with contextlib.suppress(Exception):  # recording where a layer was made never breaks making it
                frame = sys._getframe(1)
                if hooks._constructed_by_user(frame):
                    origin = hooks.origin(frame)
                    object.__setattr__(obj, ORIGIN_ATTR, origin)
                    object.__setattr__(obj, WRITTEN_ATTR, hooks.written(origin))
                    if is_custom(cls):  # rebuilt from its constructor call when its config does not round-trip
                        object.__setattr__(obj, CTOR_ATTR, (args, dict(kwargs)))
            return obj

        self._patch(layer_cls, "__new__", staticmethod(hooked_new))

        trainer = keras.Model
        orig_compile = trainer.compile
        # Patched where Keras defines it, and ``wraps`` keeps Keras's marks: Keras compares
        # ``type(model).compile`` with its own, and load_model only re-compiles a model whose compile is Keras's.
        compile_owner = next(c for c in trainer.__mro__ if "compile" in c.__dict__)

        @functools.wraps(orig_compile)
        def hooked_compile(model: Any, *args: Any, **kwargs: Any) -> Any:
            with contextlib.suppress(Exception):
                site = hooks.origin(sys._getframe(1))
                if site is not None:
                    hooks.compile_sites[model] = site
            return orig_compile(model, *args, **kwargs)

        self._patch(compile_owner, "compile", hooked_compile)

        orig_fit = trainer.fit
        self.original_fit = orig_fit
        self.fit_signature = inspect.signature(orig_fit)
        self.under_capture = _capture_hook(orig_fit)

        @functools.wraps(orig_fit)
        def hooked_fit(model: Any, *args: Any, **kwargs: Any) -> Any:
            __tracebackhide__ = True  # IPython and pytest leave this frame out of tracebacks
            stop = hooks.checker.before_fit(model, args, kwargs, sys._getframe(1))
            if stop is not None:
                raise stop
            return orig_fit(model, *args, **kwargs)

        self._patch(trainer, "fit", hooked_fit)
        return self.captured


class _AfterImport(importlib.abc.MetaPathFinder):
    """Calls ``then`` right after ``keras`` is first imported, by whoever imports it.

    ``install()`` may come before the script imports Keras: importing it then would fix Keras's backend and
    TensorFlow's settings (``TF_CPP_MIN_LOG_LEVEL``, ``CUDA_VISIBLE_DEVICES``) before the script sets them.
    """

    def __init__(self, then: Callable[[], None]) -> None:
        self.then = then
        self._finding = False

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        if fullname != "keras" or self._finding:
            return None
        self._finding = True
        try:
            spec = importlib.util.find_spec(fullname)
        finally:
            self._finding = False
        loader = getattr(spec, "loader", None)
        if spec is None or loader is None or not hasattr(loader, "exec_module"):
            return None
        original = loader.exec_module

        def exec_module(module: types.ModuleType) -> None:
            try:
                original(module)
            finally:
                with contextlib.suppress(AttributeError):
                    del loader.exec_module  # the loader's own method again
            self.remove()
            self.then()

        loader.exec_module = exec_module
        return spec

    def remove(self) -> None:
        with contextlib.suppress(ValueError):
            sys.meta_path.remove(self)


class _FitChecker:
    """The check before ``fit``: settings, the hooks, and what was found and said per model."""

    def __init__(self) -> None:
        self.mode = "warn"
        self.verbose = False
        self.budget_ms: float | None = DEFAULT_BUDGET_MS
        self.hooks: _SessionHooks | None = None
        self.waiting: _AfterImport | None = None
        self._cache: weakref.WeakKeyDictionary[Any, dict[Any, FitCheck | None]] = weakref.WeakKeyDictionary()
        self._said: weakref.WeakKeyDictionary[Any, set[Any]] = weakref.WeakKeyDictionary()
        self._local = threading.local()
        self._lock = threading.Lock()

    # -- on and off ---------------------------------------------------------------------
    @property
    def active(self) -> bool:
        return self.hooks is not None or self.waiting is not None

    def start(self) -> None:
        if self.active:
            return
        if "keras" in sys.modules:
            self._enter()
        else:
            self.waiting = _AfterImport(self._enter_quietly)
            sys.meta_path.insert(0, self.waiting)

    def _enter(self) -> None:
        self.waiting = None
        hooks = _SessionHooks(self)
        hooks.__enter__()
        self.hooks = hooks

    def _enter_quietly(self) -> None:
        try:
            self._enter()
        except Exception as exc:  # the script's import of keras must go on
            self._internal_error(exc, "installing the hooks")

    def stop(self) -> None:
        if self.waiting is not None:
            self.waiting.remove()
            self.waiting = None
        if self.hooks is not None:
            self.hooks.__exit__(None, None, None)
            self.hooks = None

    # -- saying things ----------------------------------------------------------------
    def _say(self, text: str) -> None:
        with contextlib.suppress(Exception):  # a closed stream must not break the user's fit
            print(text, file=sys.stderr, flush=True)

    def _internal_error(self, exc: BaseException, doing: str = "checking model.fit") -> None:
        if self.verbose:
            message = " ".join(str(exc).split())[:200]
            self._say(f"kerasfix: internal error while {doing}, ignored ({type(exc).__name__}: {message}); "
                      "training goes on unchecked")

    def _first(self, model: Any, key: Any) -> bool:
        """True the first time ``key`` is said about ``model``."""
        said = self._said.get(model)
        if said is None:
            said = set()
            self._said[model] = said
        if key in said:
            return False
        said.add(key)
        return True

    # -- the check ----------------------------------------------------------------------
    def before_fit(self, model: Any, args: tuple[Any, ...], kwargs: dict[str, Any],
                   frame: types.FrameType) -> SilentFaultError | None:
        """Check ``model.fit(*args, **kwargs)``; what to raise instead of training, if anything. Never raises."""
        hooks = self.hooks
        if self.mode == "off" or hooks is None or hooks.under_capture or getattr(self._local, "busy", False):
            return None
        if not self._lock.acquire(blocking=False):
            return None  # another thread is checking: this fit goes unchecked
        self._local.busy = True
        try:
            check = self._checked(hooks, model, args, kwargs, frame)
        except Exception as exc:  # kerasfix failing must never reach the user's fit
            self._internal_error(exc)
            return None
        finally:
            self._local.busy = False
            self._lock.release()
        try:
            return self._report(model, check)
        except Exception as exc:
            self._internal_error(exc, "reporting")
            return None

    def _checked(self, hooks: _SessionHooks, model: Any, args: tuple[Any, ...], kwargs: dict[str, Any],
                 frame: types.FrameType) -> FitCheck | None:
        assert hooks.fit_signature is not None
        try:
            given = hooks.fit_signature.bind(model, *args, **kwargs).arguments
        except TypeError:
            return None  # Keras will say what is wrong with the call
        x, y, val = given.get("x"), given.get("y"), given.get("validation_data")
        user = hooks.user_frame(frame) or frame
        code = linecache.getline(user.f_code.co_filename, user.f_lineno, user.f_globals).strip()
        where = Where(user.f_code.co_filename, user.f_lineno, code, user.f_globals.get("__name__") == "__main__")
        key = (_model_key(model), _data_key(x), _labels_key(y), _validation_key(val), self.budget_ms)
        cache = self._cache.get(model)
        if cache is None:
            cache = {}
            self._cache[model] = cache
        if key in cache:
            cached = cache[key]
            return replace(cached, where=where) if cached is not None else None
        from kerasfix.types import Calls

        calls = Calls(compile=hooks.compile_sites.get(model), fit=hooks.origin(frame))
        check = check_model(model, x, y, validation_data=val, where=where, calls=calls, budget_ms=self.budget_ms,
                            call="fit")
        if self.verbose and check is not None and check.skipped is None:
            found = ", ".join(str(f.kind) for f in check.findings + check.validation) or "no silent fault"
            plan = f" (of which {check.planning_ms:.0f} ms planning the fix)" if check.planning_ms >= 1 else ""
            self._say(f"kerasfix: checked model.fit(...) of {check.model_name} in {check.elapsed_ms:.0f} ms{plan}: {found}")
        if len(cache) >= _CACHED_SPECS:
            cache.pop(next(iter(cache)))
        cache[key] = check
        return check

    def _report(self, model: Any, check: FitCheck | None) -> SilentFaultError | None:
        global last_check
        if check is None:
            return None
        if check.skipped is not None:
            if (self.verbose or not check.quiet) and self._first(model, ("skipped", check.skipped)):
                self._say(f"kerasfix: {check.skipped}")
            return None
        if not (check.findings or check.validation):
            return None
        last_check = check
        if self.mode == "raise":
            return SilentFaultError(check)
        findings = tuple(f for f in check.findings if self._first(model, _fault_key(f)))
        validation = tuple(f for f in check.validation if self._first(model, ("validation", *_fault_key(f))))
        if findings or validation:
            shown = replace(check, findings=findings, validation=validation)
            self._say(render_check(shown, tail='training goes on (kerasfix.install(mode="raise") stops it instead)'))
        return None


def _resolve_mode(mode: str | None) -> str:
    if mode is not None:
        if mode not in MODES:
            raise ValueError(f"kerasfix.install: mode must be one of {', '.join(MODES)}, not {mode!r}")
        return mode
    env = os.environ.get(ENV_MODE, "").strip().lower()
    if not env:
        return "warn"
    resolved = _MODE_ALIASES.get(env, env)
    if resolved not in MODES:
        with contextlib.suppress(Exception):
            print(f"kerasfix: {ENV_MODE}={env!r} is not one of {', '.join(MODES)}: using warn", file=sys.stderr)
        return "warn"
    return resolved


def _start_fit_check(mode: str | None, verbose: bool | None, budget_ms: float | None) -> None:
    checker = _state.checker
    if checker is None:
        checker = _state.checker = _FitChecker()
    checker.mode = _resolve_mode(mode)
    if verbose is not None:
        checker.verbose = verbose
    elif os.environ.get(ENV_VERBOSE, "").strip().lower() in ("1", "true", "yes", "on"):
        checker.verbose = True
    if budget_ms is not None:
        checker.budget_ms = None if budget_ms == float("inf") else float(budget_ms)
    if checker.mode == "off":
        checker.stop()
    else:
        checker.start()


def _stop_fit_check() -> None:
    checker, _state.checker = _state.checker, None
    if checker is not None:
        checker.stop()


def explain_model(model: Any, x: Any, y: Any = None, *, validation_data: Any = None,
                  file: TextIO | None = None) -> FitCheck:
    """Check ``model`` on ``x``/``y`` now, with no budget, and print the panel a ``fit`` would show
    (crash faults included); returns what was found (``.fix`` to apply)."""
    global last_check
    checker = _state.checker
    hooks = checker.hooks if checker is not None else None
    from kerasfix.types import Calls

    calls = Calls(compile=hooks.compile_sites.get(model) if hooks is not None else None)
    check = check_model(model, x, y, validation_data=validation_data, calls=calls, call="explain")
    assert check is not None  # only a fit of an uncompiled model is not checked
    last_check = check
    print(render_check(check), file=file if file is not None else sys.stdout)
    return check


def run_script(path: str, argv: Sequence[str] = (), *, mode: str | None = None, verbose: bool | None = None,
               budget_ms: float | None = None) -> int:
    """``kerasfix run script.py args…``: run the script as ``python script.py args…`` would, with every ``fit``
    checked first and Keras errors explained; the script's exit code."""
    import runpy

    if not os.path.isfile(path):
        print(f"kerasfix: {path}: no such file", file=sys.stderr)
        return 2
    full = os.path.abspath(path)
    install(mode, verbose=verbose, budget_ms=budget_ms)
    checker = _state.checker
    saved_env = os.environ.get(ENV_MODE)
    if checker is not None:  # the script's own kerasfix.install() (no mode given) keeps the run's mode
        os.environ[ENV_MODE] = checker.mode
    saved_argv, saved_path = sys.argv, list(sys.path)
    sys.argv = [path, *argv]
    sys.path.insert(0, os.path.dirname(full))
    try:
        runpy.run_path(full, run_name="__main__")
    except SystemExit as exc:
        if exc.code is None or isinstance(exc.code, int):
            return exc.code or 0
        print(exc.code, file=sys.stderr)
        return 1
    except BaseException as exc:  # the script's own error, shown as Python shows it (then explained)
        tb = exc.__traceback__
        while tb is not None and os.path.abspath(tb.tb_frame.f_code.co_filename) != full:
            tb = tb.tb_next  # kerasfix's and runpy's frames are not the script's
        if tb is not None:
            exc.__traceback__ = tb  # Python prints the exception's own traceback, whatever it is handed
        sys.excepthook(type(exc), exc, exc.__traceback__)
        return 130 if isinstance(exc, KeyboardInterrupt) else 1
    finally:
        sys.argv = saved_argv
        sys.path[:] = saved_path
        if saved_env is None:
            os.environ.pop(ENV_MODE, None)
        else:
            os.environ[ENV_MODE] = saved_env
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        uninstall()
    return 0


# ---------------------------------------------------------------------------
# Public switches.


def install(mode: str | None = None, *, verbose: bool | None = None, budget_ms: float | None = None) -> None:
    """Explain Keras errors where they happen, and check every ``Model.fit`` for silent faults before it trains.

    ``mode``: ``"warn"`` prints a panel (once per model and fault) and training goes on; ``"raise"`` raises
    ``SilentFaultError`` instead of training; ``"off"`` checks nothing (errors are still explained). By default
    the ``KERASFIX`` environment variable, else ``"warn"``. ``verbose``: kerasfix's own errors, skipped checks
    and each check's cost, one line each (default: ``KERASFIX_VERBOSE``). ``budget_ms``: a model whose check is
    estimated to take longer is not checked, and one line says so (``float("inf")``: no limit).

    Idempotent (a second call changes the settings); undone by ``uninstall()``.
    """
    resolved = _resolve_mode(mode)
    _install_excepthook()
    shell = _get_ipython()
    if shell is not None and hasattr(shell, "set_custom_exc"):
        _register(shell)
    _start_fit_check(resolved, verbose, budget_ms)


def uninstall() -> None:
    """Undo ``install()`` and ``load_ipython_extension``: the previous hooks and handlers are back."""
    _uninstall_excepthook()
    for reg in list(_state.shells.values()):
        _unregister(reg.shell)
    _stop_fit_check()


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext kerasfix``: explain Keras errors raised by this shell's cells, and check every ``fit`` first
    (mode from ``KERASFIX``, else ``warn``; ``kerasfix.install(mode=...)`` changes it)."""
    _register(ipython)
    if _state.checker is None or not _state.checker.active:
        _start_fit_check(None, None, None)


def unload_ipython_extension(ipython: Any) -> None:
    """``%unload_ext kerasfix``: restore the shell's previous exception handler, and ``fit``."""
    _unregister(ipython)
    if _state.hook is None:  # not also installed for the whole process by install()
        _stop_fit_check()


__all__ = [
    "DEFAULT_BUDGET_MS",
    "MODES",
    "Explanation",
    "FitCheck",
    "Found",
    "SilentFaultError",
    "Where",
    "check_model",
    "estimate_ms",
    "explain",
    "explain_model",
    "find_model_and_data",
    "install",
    "last",
    "last_check",
    "load_ipython_extension",
    "render",
    "render_check",
    "run_script",
    "uninstall",
    "unload_ipython_extension",
]
