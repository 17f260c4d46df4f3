"""The capture hooks: the only global state kerasfix has, installed and removed here.

While installed, they record where each layer of the user's script was
constructed (``Layer.__new__``, so a subclass's ``super().__init__`` is not
blamed), what ``compile`` was given and from where, and every data call
(``fit``/``evaluate``/``predict``/``*_on_batch``): each is handed to ``on_call``,
which checks it and decides what the script gets back (the call cut to one
batch, or a stand-in). Without ``on_call`` the script is stopped at its first
data call. A Sequential model that fails while being built is kept (unbuilt)
so the script goes on to show us its data.
"""

from __future__ import annotations

import contextlib
import functools
import importlib.abc
import importlib.machinery
import importlib.util
import inspect
import os
import sys
import weakref
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from types import FrameType
from typing import Any

from kerasfix.structure import CTOR_ATTR, LAYERS_ATTR, ORIGIN_ATTR, WRITTEN_ATTR
from kerasfix.types import DATA_METHODS, Origin, Written
from kerasfix.written import written_call

_INHERITED = object()


@contextlib.contextmanager
def layer_calls(model: Any) -> Iterator[list[tuple[Any, tuple[Any, ...], Any]]]:
    """Record the layers ``model``'s ``call`` calls directly, in order: ``(layer, args, output or exception)``.

    How a subclassed model is traced: its structure is its code. Installed and
    removed here, around one call of the model, like every other hook.
    """
    import keras

    calls: list[tuple[Any, tuple[Any, ...], Any]] = []
    owner = keras.layers.Layer
    saved = owner.__dict__.get("__call__", _INHERITED)
    original = owner.__call__
    depth = [0]

    def recording(layer: Any, *args: Any, **kwargs: Any) -> Any:
        if layer is model:
            return original(layer, *args, **kwargs)
        depth[0] += 1
        direct = depth[0] == 1
        try:
            out = original(layer, *args, **kwargs)
        except Exception as exc:
            if direct:
                calls.append((layer, args, exc))
            raise
        finally:
            depth[0] -= 1
        if direct:
            calls.append((layer, args, out))
        return out

    owner.__call__ = recording
    try:
        yield calls
    finally:
        if saved is _INHERITED:
            del owner.__call__
        else:
            owner.__call__ = saved


@contextlib.contextmanager
def tensorflow_on_demand(*, seed: bool = True) -> Iterator[None]:
    """Under JAX or torch, TensorFlow is imported when the script imports it, not when kerasfix reads a layer.

    Keras imports TensorFlow (seconds) whenever it is installed, on the first ``get_config`` (its serializer
    checks for ``tf.TensorShape``) and in ``set_random_seed`` (it seeds ``tf.data``): kerasfix calls both, a
    plain JAX run of the script need not. While installed, Keras's lazy ``tensorflow`` module counts as
    available only once imported (no TensorFlow object can exist before), and an import of TensorFlow by the
    script is seeded with Keras's global seed, as ``set_random_seed`` would have seeded it (``seed=False``: in
    the user's own process, around ``diagnose``/``suggest_fixes``, which seed nothing). Does nothing under the
    TensorFlow backend, where ``import keras`` has imported it already.
    """
    import keras

    try:
        from keras.src.utils import module_utils, rng_utils
    except ImportError:  # another Keras layout: Keras imports TensorFlow as it always did
        yield
        return
    lazy = getattr(module_utils, "tensorflow", None)
    if (lazy is None or keras.backend.backend() == "tensorflow" or "tensorflow" in sys.modules
            or lazy.module is not None or importlib.util.find_spec("tensorflow") is None):
        yield
        return

    class ImportedOnly(type(lazy)):  # type: ignore[misc]
        @property
        def available(self) -> bool:
            return self.module is not None or "tensorflow" in sys.modules and super().available

    seeding = _SeedOnImport("tensorflow", rng_utils.get_random_seed)
    saved = lazy.__class__
    lazy.__class__ = ImportedOnly
    if seed:
        sys.meta_path.insert(0, seeding)
    try:
        yield
    finally:
        lazy.__class__ = saved
        with contextlib.suppress(ValueError):
            sys.meta_path.remove(seeding)


class _SeedOnImport(importlib.abc.MetaPathFinder):
    """Seeds TensorFlow right after the script imports it, when a Keras seed is set."""

    def __init__(self, name: str, seed: Callable[[], int | None]) -> None:
        self._name = name
        self._seed = seed
        self._finding = False

    def find_spec(self, fullname: str, path: Any, target: Any = None) -> importlib.machinery.ModuleSpec | None:
        if fullname != self._name or self._finding:
            return None
        self._finding = True  # the real finders, not this one, locate the module
        try:
            spec = importlib.util.find_spec(fullname)
        finally:
            self._finding = False
        loader = spec.loader if spec is not None else None
        if loader is None or not hasattr(loader, "exec_module"):
            return spec
        run_module, seed = loader.exec_module, self._seed

        def exec_module(module: Any) -> None:
            run_module(module)
            value = seed()
            if value is not None:
                with contextlib.suppress(Exception):  # the script's import must not fail for our seeding
                    module.random.set_seed(value)

        loader.exec_module = exec_module  # type: ignore[method-assign]
        return spec


class StopCapture(BaseException):
    """Raised from a hooked ``fit``: a BaseException so a script's ``except Exception`` lets it through."""


@dataclass(frozen=True)
class DataCall:
    """One data call the script makes: which method, on which model, with what, from where.

    ``original`` is Keras's own method, for running the call for real.
    """

    method: str
    model: Any
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    origin: Origin | None
    original: Callable[..., Any]


#: Decides what a data call returns to the script (it may run the call, cut, or not).
OnCall = Callable[[DataCall], Any]


@dataclass
class Captured:
    """What the hooks saw."""

    layers: list[weakref.ref[Any]] = field(default_factory=list)
    models: list[weakref.ref[Any]] = field(default_factory=list)
    build_errors: list[tuple[Any, BaseException]] = field(default_factory=list)
    compile_kwargs: dict[int, tuple[dict[str, Any], Origin | None]] = field(default_factory=dict)
    #: The first data call (what a user would hand to ``suggest_fixes``).
    call: dict[str, Any] | None = None
    #: The first layer call on symbolic tensors that raised (a Functional model failing to connect).
    call_failure: tuple[Any, tuple[Any, ...], BaseException] | None = None
    #: The last layer called on symbolic tensors that returned None (its call() forgot ``return``).
    returned_none: tuple[Any, tuple[Any, ...]] | None = None


def _symbolic(args: tuple[Any, ...]) -> bool:
    import keras

    flat: list[Any] = []
    for a in args:
        flat.extend(a if isinstance(a, (list, tuple)) else [a])
    return bool(flat) and all(isinstance(a, keras.KerasTensor) for a in flat)


def _package_dir(name: str) -> str | None:
    """Where package ``name`` lives, imported or not (None when it is not installed)."""
    module = sys.modules.get(name)
    if module is not None:
        path = getattr(module, "__file__", None)
        return os.path.dirname(str(path)) if path else None
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return None
    return os.path.dirname(spec.origin) if spec is not None and spec.origin else None


def char_col(line_text: str, byte_col: int) -> int:
    """Python's code positions count UTF-8 bytes; libcst counts characters."""
    return len(line_text.encode("utf-8")[:byte_col].decode("utf-8", errors="ignore"))


class Hooks:
    """Install with ``with Hooks(script_path, lines) as captured:``; everything is restored on exit."""

    def __init__(self, script_path: str, source_lines: list[str], on_call: OnCall | None = None) -> None:
        self.path = os.path.abspath(script_path)
        self.lines = source_lines
        self.on_call = on_call
        self.captured = Captured()
        self._saved: list[tuple[Any, str, Any]] = []
        self._internal: tuple[str, ...] = ()
        #: A data call is being handled: calls Keras makes inside it go straight through.
        self._busy = False

    # -- where things were written ---------------------------------------
    def origin(self, frame: FrameType | None) -> Origin | None:
        """The position, in the user's script, of the call being made from ``frame``'s caller chain."""
        while frame is not None and os.path.abspath(frame.f_code.co_filename) != self.path:
            frame = frame.f_back
        if frame is None:
            return None
        pos = inspect.getframeinfo(frame, context=0).positions
        if pos is None or pos.lineno is None or pos.col_offset is None:
            return None
        end_line = pos.end_lineno or pos.lineno
        start_text = self.lines[pos.lineno - 1] if pos.lineno - 1 < len(self.lines) else ""
        end_text = self.lines[end_line - 1] if end_line - 1 < len(self.lines) else ""
        return Origin(
            self.path, pos.lineno, char_col(start_text, pos.col_offset),
            end_line, char_col(end_text, pos.end_col_offset or 0),
        )

    def written(self, origin: Origin | None) -> Written | None:
        """How the user wrote the call at ``origin`` (``Dense(5)``), for messages to name the layer by."""
        return written_call(self.lines, origin) if origin is not None else None

    def _constructed_by_user(self, frame: FrameType | None) -> bool:
        """True when the script itself constructs the layer.

        Layers Keras makes internally (the InputLayer behind ``input_shape=``, an
        LSTM's cell) get no origin, except the InputLayer made by ``keras.Input``.
        """
        via_input = False
        while frame is not None and self._is_internal(frame.f_code.co_filename):
            via_input = via_input or frame.f_code.co_name == "Input"
            frame = frame.f_back
            if frame is not None and not self._is_internal(frame.f_code.co_filename) and not via_input:
                return False
        return frame is not None and os.path.abspath(frame.f_code.co_filename) == self.path

    def _is_internal(self, filename: str) -> bool:
        return filename.startswith(self._internal)

    # -- installing --------------------------------------------------------
    def _patch(self, owner: Any, name: str, new: Any) -> None:
        # Inherited methods are shadowed, then the shadow deleted: the class is left as found.
        self._saved.append((owner, name, owner.__dict__.get(name, _INHERITED)))
        setattr(owner, name, new)

    def __enter__(self) -> Captured:
        import keras

        dirs = [os.path.dirname(str(keras.__file__)) + os.sep]
        tf = _package_dir("tensorflow")  # under JAX, the script may import it later
        if tf is not None:
            dirs.append(tf + os.sep)
        self._internal = tuple(dirs) + ("<frozen",)
        hooks, cap = self, self.captured
        layer_cls = keras.layers.Layer
        orig_new = layer_cls.__dict__["__new__"]
        new_fn = orig_new.__func__ if isinstance(orig_new, staticmethod) else orig_new

        def hooked_new(cls: type, *args: Any, **kwargs: Any) -> Any:
            obj = new_fn(cls, *args, **kwargs)
            frame = sys._getframe(1)
            if hooks._constructed_by_user(frame):
                origin = hooks.origin(frame)
                object.__setattr__(obj, ORIGIN_ATTR, origin)
                object.__setattr__(obj, WRITTEN_ATTR, hooks.written(origin))
                object.__setattr__(obj, CTOR_ATTR, (args, dict(kwargs)))
            cap.layers.append(weakref.ref(obj))
            return obj

        self._patch(layer_cls, "__new__", staticmethod(hooked_new))

        seq = keras.Sequential
        orig_init = seq.__init__
        orig_add = seq.add

        #: Models inside ``Sequential.__init__``: its own ``add`` calls keep Keras's behaviour (it handles them).
        initialising: set[int] = set()

        def hooked_init(model: Any, *args: Any, **kwargs: Any) -> None:
            initialising.add(id(model))
            try:
                orig_init(model, *args, **kwargs)
            except (ValueError, TypeError, AttributeError) as exc:
                if not hasattr(model, "_layers"):
                    raise
                # Keep the unbuilt model: the script goes on to reach fit() with its data.
                cap.build_errors.append((model, exc))
                given = args[0] if args else kwargs.get("layers")
                if not model._layers and isinstance(given, (list, tuple)):
                    # It failed before taking any layer (``input_shape=(30)``): keep the ones it was given.
                    object.__setattr__(model, LAYERS_ATTR, list(given))
            finally:
                initialising.discard(id(model))
            cap.models.append(weakref.ref(model))

        def hooked_add(model: Any, layer: Any, *args: Any, **kwargs: Any) -> None:
            kept = getattr(model, LAYERS_ATTR, None)
            if kept is not None and id(model) not in initialising:
                kept.append(layer)  # an earlier add failed: keep the layers as written, as for a failed __init__
                return
            try:
                orig_add(model, layer, *args, **kwargs)
            except (ValueError, TypeError) as exc:
                if layer not in getattr(model, "_layers", []):
                    if (id(model) in initialising or getattr(model, "_layers", None)
                            or getattr(layer, "_input_shape_arg", None) is None):
                        raise  # (inside __init__, the failed __init__ keeps the layers it was given)
                    # The first layer's input_shape= cannot become an Input (``input_shape=(30)``): keep the
                    # model and its layers, so the script reaches fit() and the declaration is diagnosed there.
                    object.__setattr__(model, LAYERS_ATTR, [layer])
                cap.build_errors.append((model, exc))

        orig_call = layer_cls.__call__

        def hooked_call(layer: Any, *args: Any, **kwargs: Any) -> Any:
            try:
                result = orig_call(layer, *args, **kwargs)
            except Exception as exc:
                if cap.call_failure is None and _symbolic(args):
                    # The innermost failing layer raises first: that is the consumer.
                    cap.call_failure = (layer, args, exc)
                elif cap.call_failure is None and cap.returned_none is not None and args and args[0] is None:
                    # The None came from a layer whose call() forgot its return: that layer is at fault.
                    cap.call_failure = (*cap.returned_none, exc)
                raise
            if result is None and _symbolic(args):
                cap.returned_none = (layer, args)
            return result

        self._patch(layer_cls, "__call__", hooked_call)
        self._patch(seq, "__init__", hooked_init)
        self._patch(seq, "add", hooked_add)

        trainer = keras.Model
        orig_compile = trainer.compile
        # Patched where Keras defines it: Keras compares ``type(model).compile`` with its own to tell a
        # custom compile() (which load_model then does not call).
        compile_owner = next(c for c in trainer.__mro__ if "compile" in c.__dict__)

        # ``wraps`` keeps Keras's ``_is_default`` mark: load_model only re-compiles a model whose
        # compile() is Keras's own.
        @functools.wraps(orig_compile)
        def hooked_compile(model: Any, *args: Any, **kwargs: Any) -> Any:
            names = ("optimizer", "loss", "loss_weights", "metrics")
            given = dict(zip(names, args, strict=False))
            given.update(kwargs)
            cap.compile_kwargs[id(model)] = (given, hooks.origin(sys._getframe(1)))
            if not any(ref() is model for ref in cap.models):
                cap.models.append(weakref.ref(model))
            return orig_compile(model, *args, **kwargs)

        self._patch(compile_owner, "compile", hooked_compile)
        for method in sorted(DATA_METHODS):
            self._patch(trainer, method, self._intercept(method, getattr(trainer, method)))
        return cap

    def _intercept(self, method: str, original: Callable[..., Any]) -> Any:
        hooks, cap = self, self.captured

        @functools.wraps(original)
        def intercept(model: Any, *args: Any, **kwargs: Any) -> Any:
            if hooks._busy:  # Keras calling itself (fit runs evaluate for validation): not the script's call
                return original(model, *args, **kwargs)
            origin = hooks.origin(sys._getframe(1))
            if cap.call is None:
                x = args[0] if args else kwargs.get("x")
                y = args[1] if len(args) > 1 else kwargs.get("y")
                cap.call = {"method": method, "model": model, "x": x, "y": y, "origin": origin}
            if hooks.on_call is None:
                raise StopCapture(method)
            hooks._busy = True
            try:
                return hooks.on_call(DataCall(method, model, args, kwargs, origin, original))
            finally:
                hooks._busy = False

        return intercept

    def __exit__(self, *exc: object) -> None:
        for owner, name, value in reversed(self._saved):
            if value is _INHERITED:
                delattr(owner, name)
            else:
                setattr(owner, name, value)
        self._saved.clear()
