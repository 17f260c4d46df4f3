"""Every data call of a script, checked where it is made, then run on one batch (or not at all).

``Recorder`` is the capture hooks' ``on_call``. At each ``fit``/``evaluate``/
``predict``… it diagnoses the model on that call's own data (with the loss and
origins the script gave). A fault Keras would raise at is recorded and the call
is not made: the script gets a stand-in of the right form and goes on, so its
later call sites are seen in the same run. Otherwise the call runs for real,
cut to one batch and one epoch with the user's own arguments.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from kerasfix.capture.cut import Written, bind, cut, stand_in, tile
from kerasfix.capture.eager import eagerly_if_faithful
from kerasfix.capture.hooks import Captured, DataCall
from kerasfix.diagnosis import Examination, examine
from kerasfix.problem import Problem, problem_for
from kerasfix.sample import SampleError, feature_shape
from kerasfix.trace import clean_message
from kerasfix.types import Calls, Finding, Origin, Severity

TRAINING = frozenset({"fit", "train_on_batch"})


@dataclass
class Site:
    """One data call: what it was given, what the check found, and whether it ran."""

    method: str
    origin: Origin | None
    model: Any = field(repr=False)
    x: Any = field(repr=False)
    y: Any = field(repr=False)
    problem: Problem | None = field(default=None, repr=False)
    exam: Examination | None = field(default=None, repr=False)
    #: The call ran for real (cut to one batch) and returned.
    ran: bool = False
    #: The call was not made: the check found a fault Keras raises at.
    skipped: bool = False
    #: What the real call raised, if it did.
    error: dict[str, Any] | None = None
    #: Why the call could not be checked (a model or data kerasfix cannot read), if so.
    note: str | None = None
    #: File-writing callbacks the call ran with (what they wrote is removed when the run ends).
    writers: tuple[str, ...] = ()

    @property
    def findings(self) -> tuple[Finding, ...]:
        return self.exam.findings if self.exam is not None else ()

    def summary(self) -> dict[str, Any]:
        """What ``-v`` shows of this call."""
        return {
            "method": self.method, "line": self.origin.line if self.origin else None, "ran": self.ran,
            "skipped": self.skipped, "findings": [f.kind.value for f in self.findings], "error": self.error,
            "note": self.note, "writers": list(self.writers),
        }


def _spec(value: Any) -> Any:
    """A hashable summary of data: what decides whether a call needs checking again."""
    if isinstance(value, np.ndarray):
        return ("array", value.shape, value.dtype.str)
    if isinstance(value, dict):
        return ("dict", tuple(sorted((k, _spec(v)) for k, v in value.items())))
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, len(value), tuple(_spec(v) for v in value[:8]))
    shape = getattr(value, "shape", None)
    if shape is not None:
        return (type(value).__name__, tuple(shape), str(getattr(value, "dtype", "")))
    return (type(value).__name__, id(value))


def _metric_names(metrics: Any) -> tuple[str, ...]:
    if not isinstance(metrics, (list, tuple)):
        return ()
    return tuple(m if isinstance(m, str) else getattr(m, "name", type(m).__name__) for m in metrics)


class Recorder:
    """The hooks' ``on_call``: checks each data call, then runs it cut (or returns a stand-in)."""

    def __init__(self, captured: Captured) -> None:
        self.captured = captured
        self.sites: list[Site] = []
        self._seen: dict[Any, Examination | None] = {}
        self._written: list[Written] = []
        #: Per model: the per-sample shape its first training call that ran was given.
        self._trained: dict[int, tuple[int | None, ...]] = {}

    def __call__(self, call: DataCall) -> Any:
        named = bind(call.original, call.args, call.kwargs)
        site = Site(call.method, call.origin, call.model, named.get("x"), named.get("y"))
        self.sites.append(site)
        compile_kwargs, compile_origin = self.captured.compile_kwargs.get(id(call.model), ({}, None))
        self._check(site, compile_kwargs, compile_origin)
        if any(f.severity == Severity.ERROR for f in site.findings):
            site.skipped = True
            out = site.exam.trace.output if site.exam is not None and site.exam.context.trace is not None else None
            return stand_in(call.method, named, out.shape if out else None,
                            _metric_names(compile_kwargs.get("metrics")))
        cutting = cut(call.method, named)
        site.writers = tuple(type(cb).__name__ for cb in cutting.writers)
        self._written.extend(w for w in map(Written.before_run, cutting.writers) if w is not None)
        try:
            with eagerly_if_faithful(call.model, compile_kwargs):
                result = call.original(call.model, **cutting.kwargs)
        except Exception as exc:
            site.error = {"type": type(exc).__name__, "message": clean_message(exc)}
            raise  # the script would have died (or caught it) here too
        site.ran = True
        shape = feature_shape(site.x)
        if call.method in TRAINING and shape is not None:
            self._trained.setdefault(id(call.model), shape)
        if call.method == "predict" and cutting.rows:
            result = tile(result, cutting.rows)
        return result

    def _check(self, site: Site, compile_kwargs: dict[str, Any], compile_origin: Origin | None) -> None:
        trained = self._trained.get(id(site.model))
        key = (id(site.model), site.method in TRAINING, _spec(site.x), _spec(site.y), trained)
        if key in self._seen:
            site.exam = self._seen[key]
            site.problem = site.exam.problem if site.exam is not None else None
            return
        try:
            problem = problem_for(site.model, site.x, site.y, loss=compile_kwargs.get("loss"),
                                  optimizer=compile_kwargs.get("optimizer"), metrics=compile_kwargs.get("metrics"),
                                  calls=Calls(compile=compile_origin, fit=site.origin), trained_shape=trained)
            site.problem, site.exam = problem, examine(problem)
        except (TypeError, SampleError) as exc:
            site.note = str(exc)
        except Exception as exc:  # our own failure never stops the user's script
            site.note = f"kerasfix could not check this call: {type(exc).__name__}: {exc}"
        self._seen[key] = site.exam

    def remove_written(self) -> None:
        """Remove what file-writing callbacks wrote during the run (a check leaves nothing behind)."""
        for written in reversed(self._written):
            written.remove_new()

    @property
    def trains(self) -> bool | None:
        """A training call ran (True), none did although one was made (False), or none was made (None)."""
        training = [s for s in self.sites if s.method in TRAINING]
        if not training:
            return None
        return any(s.ran for s in training)

    def with_findings(self) -> list[Site]:
        return [s for s in self.sites if s.findings]


def finite_or_none(value: Any) -> float | None:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


__all__ = ["Recorder", "Site", "TRAINING"]
