"""Finding the model and the data of a failing call in its traceback, never guessed from globals.

The ways, tried in this order, are listed in ``kerasfix.session``'s own docstring.
"""

from __future__ import annotations

import ast
import builtins
import inspect
import linecache
import os
import sys
import types
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

#: Methods whose failure means "this model does not fit this data".
FIT_METHODS = frozenset({"fit", "evaluate", "predict", "train_on_batch", "test_on_batch", "predict_on_batch"})

#: Rows of zeros used when ``Sequential([...])`` failed before any data existed.
SYNTHETIC_ROWS = 4


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
