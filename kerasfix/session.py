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
import inspect
import linecache
import os
import sys
import types
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, TextIO

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
        lines.append(f"failing connection: {first.producer} → {first.layer}"
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
# Public switches.


def install() -> None:
    """Explain Keras shape/dtype errors where they happen (``sys.excepthook``, and IPython if running).

    Idempotent; undone by ``uninstall()``.
    """
    _install_excepthook()
    shell = _get_ipython()
    if shell is not None and hasattr(shell, "set_custom_exc"):
        _register(shell)


def uninstall() -> None:
    """Undo ``install()`` and ``load_ipython_extension``: the previous hooks and handlers are back."""
    _uninstall_excepthook()
    for reg in list(_state.shells.values()):
        _unregister(reg.shell)


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext kerasfix``: explain Keras errors raised by this shell's cells."""
    _register(ipython)


def unload_ipython_extension(ipython: Any) -> None:
    """``%unload_ext kerasfix``: restore the shell's previous exception handler."""
    _unregister(ipython)


__all__ = [
    "Explanation",
    "Found",
    "Where",
    "explain",
    "find_model_and_data",
    "install",
    "last",
    "load_ipython_extension",
    "render",
    "uninstall",
    "unload_ipython_extension",
]
