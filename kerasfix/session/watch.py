"""Every ``fit`` checked before it trains, for as long as the session hooks are installed.

A crash sends the user looking for help; a silent fault does not. While the session hooks are installed,
``Model.fit`` first runs the check (``check_model``). Faults Keras crashes on are left to Keras, and explained
by the exception handlers; silent ones print one panel, once per model and fault, and training goes on
(``mode="raise"`` stops it with ``SilentFaultError``).
"""

from __future__ import annotations

import contextlib
import functools
import importlib.abc
import importlib.util
import inspect
import linecache
import os
import sys
import threading
import types
import weakref
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from kerasfix.capture.hooks import Captured, Hooks
from kerasfix.session.fitcheck import (
    DEFAULT_BUDGET_MS,
    FitCheck,
    SilentFaultError,
    _fault_key,
    check_model,
    render_check,
)
from kerasfix.session.keys import _data_key, _labels_key, _model_key, _validation_key
from kerasfix.session.locate import Where
from kerasfix.session.state import _state, remember
from kerasfix.structure import CTOR_ATTR, ORIGIN_ATTR, WRITTEN_ATTR, is_custom
from kerasfix.types import Origin, Written
from kerasfix.written import written_call

#: What a silent fault found before ``fit`` does: print a panel, raise ``SilentFaultError``, or nothing.
MODES = ("warn", "raise", "off")
#: The mode when ``install()``/``%load_ext kerasfix``/``kerasfix run`` are not given one (``KERASFIX=raise``).
ENV_MODE = "KERASFIX"
#: ``KERASFIX_VERBOSE=1``: kerasfix's own errors, and every check's cost, as one line each.
ENV_VERBOSE = "KERASFIX_VERBOSE"
_MODE_ALIASES = {"1": "warn", "on": "warn", "true": "warn", "yes": "warn", "0": "off", "false": "off", "no": "off",
                 "error": "raise"}


#: Data specs whose result is kept per model (repeated fits of one model on one data set cost nothing).
_CACHED_SPECS = 8


# -- the hooks: layer origins, compile sites, and the check before fit ----------------


def _internal_dirs() -> tuple[str, ...]:
    """Code that is not the user's: kerasfix, Keras, TensorFlow, the standard library, installed packages."""
    import site
    import sysconfig

    paths = {os.path.dirname(os.path.dirname(os.path.abspath(__file__)))}  # kerasfix/, not only kerasfix/session/
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
        if check is None:
            return None
        if check.skipped is not None:
            if (self.verbose or not check.quiet) and self._first(model, ("skipped", check.skipped)):
                self._say(f"kerasfix: {check.skipped}")
            return None
        if not (check.findings or check.validation):
            return None
        remember("last_check", check)
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
